"""Training pages: the catalogue, a module with its sessions, a session with its enrolments,
attendance and certificates. Thin: forms check shapes, services decide."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Q
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_POST

from zorgbrug.access import audit
from zorgbrug.access import scoping as access
from zorgbrug.access.models import User
from zorgbrug.core.forms import apply_errors, post_data
from zorgbrug.network.models import Network, Organisation, Partner, Site, StaffRole
from zorgbrug.training import selectors, services
from zorgbrug.training.certificates import certificate_pdf
from zorgbrug.training.forms import EnrolForm, ModuleForm, MoveForm, SeatsForm, SessionForm
from zorgbrug.training.models import Attendance, EnrolmentStatus, Module, Session


def _status(request: HttpRequest, ok: bool = True) -> int:
    return 400 if request.method == "POST" and not ok else 200


def _providers(user: Any) -> list[Partner]:
    """The (network, training provider) pairs the user may add modules for."""
    actor = access.actor_for(user)
    return list(
        Partner.objects.filter(is_training_provider=True, network_id__in=actor.network_ids)
        .filter(
            Q(network_id__in=actor.coordinated_network_ids)
            | Q(organisation_id__in=access.training_organisation_ids(user))
        )
        .select_related("organisation", "network")
        .order_by("network__name", "organisation__name")
    )


def _can_manage(user: Any, module: Module) -> bool:
    return access.training_modules(user, manage=True).filter(pk=module.pk).exists()


@login_required
def catalogue(request: HttpRequest) -> HttpResponse:
    actor = access.actor_for(request.user)
    if not actor.network_ids:
        raise PermissionDenied
    language = translation.get_language()
    modules = list(selectors.catalogue(user=request.user))
    for m in modules:
        m.display_name = m.name_in(language)  # type: ignore[attr-defined]
    sessions = list(selectors.sessions_to_come(user=request.user)[:50])
    for s in sessions:
        s.display_name = s.module.name_in(language)  # type: ignore[attr-defined]
    return render(
        request,
        "training/catalogue.html",
        {
            "modules": modules,
            "sessions": sessions,
            "can_add": bool(_providers(request.user)),
        },
    )


@login_required
def module_create(request: HttpRequest) -> HttpResponse:
    providers = _providers(request.user)
    if not providers:
        raise PermissionDenied
    form = ModuleForm(post_data(request), providers=providers)
    if request.method == "POST" and form.is_valid():
        network_id, organisation_id = form.provider_ids()
        try:
            module = services.module_create(
                actor=request.user,
                network=Network.objects.get(pk=network_id),
                organisation=Organisation.objects.get(pk=organisation_id),
                kind=form.cleaned_data["kind"],
                names=form.texts("name"),
                descriptions=form.texts("description"),
            )
        except ValidationError as exc:
            apply_errors(form, exc)
        else:
            messages.success(request, _("The module is in the catalogue. Plan its sessions."))
            return redirect("training:module_detail", pk=module.pk)
    return render(
        request,
        "training/module_form.html",
        {"form": form, "title": _("New training module")},
        status=_status(request, False),
    )


@login_required
def module_edit(request: HttpRequest, pk: int) -> HttpResponse:
    module = selectors.module_for_view(user=request.user, pk=pk)
    if not _can_manage(request.user, module):
        raise PermissionDenied
    form = ModuleForm(post_data(request), initial=ModuleForm.initial_for(module))
    if request.method == "POST" and form.is_valid():
        try:
            services.module_update(
                actor=request.user,
                module=module,
                kind=form.cleaned_data["kind"],
                names=form.texts("name"),
                descriptions=form.texts("description"),
            )
        except ValidationError as exc:
            apply_errors(form, exc)
        else:
            messages.success(request, _("The module has been saved."))
            return redirect("training:module_detail", pk=module.pk)
    return render(
        request,
        "training/module_form.html",
        {"form": form, "title": module.name_in(translation.get_language()), "module": module},
        status=_status(request, False),
    )


def _partner_sites(module: Module) -> list[Site]:
    """The places a session of the module can take place: its network's partners' sites."""
    return list(
        Site.objects.filter(
            organisation__partnerships__network_id=module.network_id, is_active=True
        )
        .select_related("organisation")
        .order_by("organisation__name", "name")
    )


def _when_where(data: dict[str, Any]) -> dict[str, Any]:
    """A session form's date, hours and place, as the services take them."""
    site = data.get("site")
    return {
        "date": data["date"],
        "start_time": data["start_time"],
        "end_time": data["end_time"],
        "site": Site.objects.filter(pk=int(site)).first() if site else None,
        "address": data.get("address", ""),
        "postcode": data.get("postcode", ""),
    }


def _session_form(request: HttpRequest, module: Module) -> SessionForm:
    sites = _partner_sites(module)
    trainers = list(
        User.objects.filter(
            memberships__organisation_id=module.organisation_id,
            memberships__role=StaffRole.TRAINER,
            memberships__is_active=True,
            is_active=True,
        ).order_by("full_name", "pk")
    )
    data = post_data(request) if request.POST.get("form") == "session" else None
    form = SessionForm(data, sites=sites, trainers=trainers, prefix="session")
    if not form.is_bound and request.user in trainers:
        form.initial["trainer"] = str(request.user.pk)
    return form


@login_required
def module_detail(request: HttpRequest, pk: int) -> HttpResponse:
    module = selectors.module_for_view(user=request.user, pk=pk)
    can_manage = _can_manage(request.user, module)
    form = _session_form(request, module) if can_manage else None
    ok = True
    if request.method == "POST":
        if form is None or not form.is_bound:
            raise PermissionDenied
        ok = False
        if form.is_valid():
            data = form.cleaned_data
            trainer = (
                User.objects.filter(pk=int(data["trainer"])).first() if data["trainer"] else None
            )
            try:
                session = services.session_create(
                    actor=request.user,
                    module=module,
                    seats=data["seats"],
                    trainer=trainer,
                    **_when_where(data),
                )
            except ValidationError as exc:
                apply_errors(form, exc)
            else:
                messages.success(request, _("The session has been planned."))
                return redirect("training:session_detail", pk=session.pk)
    language = translation.get_language()
    sessions = list(selectors.sessions_of(module=module))
    return render(
        request,
        "training/module_detail.html",
        {
            "module": module,
            "name": module.name_in(language),
            "description": module.description_in(language),
            "sessions": sessions,
            "can_manage": can_manage,
            "form": form,
        },
        status=_status(request, ok),
    )


def _session_context(request: HttpRequest, session: Session, **extra: Any) -> dict[str, Any]:
    can_manage = _can_manage(request.user, session.module)
    enrolments = list(selectors.enrolment_list(user=request.user, session=session))
    candidates = (
        selectors.enrolment_candidates(user=request.user, session=session)
        if not session.is_cancelled and session.date >= timezone.localdate()
        else []
    )
    language = translation.get_language()
    enrol_form = extra.pop("enrol_form", None) or EnrolForm(candidates=candidates, prefix="enrol")
    seats_form = extra.pop("seats_form", None) or SeatsForm(
        initial={"seats": session.seats}, prefix="seats"
    )
    started = services.has_started(session.date, session.start_time)
    movable = can_manage and not session.is_cancelled and not started
    move_form = extra.pop("move_form", None) or (
        MoveForm(
            initial=MoveForm.initial_for(session),
            sites=_partner_sites(session.module),
            prefix="move",
        )
        if movable
        else None
    )
    return {
        "session": session,
        "name": session.module.name_in(language),
        "enrolled": [e for e in enrolments if e.status == EnrolmentStatus.ENROLLED],
        "waiting": [e for e in enrolments if e.status == EnrolmentStatus.WAITLISTED],
        "cancelled": [e for e in enrolments if e.status == EnrolmentStatus.CANCELLED],
        "can_manage": can_manage,
        "can_register": can_manage and session.date <= timezone.localdate(),
        "started": started,
        "move_form": move_form,
        "candidates": candidates,
        "enrol_form": enrol_form,
        "seats_form": seats_form,
        "attendance_choices": Attendance.choices,
        "client_ids": set(
            access.clients(request.user)
            .filter(pk__in=[e.client_id for e in enrolments])
            .values_list("pk", flat=True)
        ),
        **extra,
    }


def _session_change(
    request: HttpRequest,
    session: Session,
    form: Any,
    change: Callable[[], Any],
    message: Callable[[Any], str],
) -> HttpResponse | None:
    """Make a change from one of the session page's forms: back to the page with a message
    when it is done, else None with the refusal on the form ("busy" included)."""
    try:
        result = change()
    except services.Busy:
        form.add_error(None, _("Someone else is enrolling right now. Try again."))
    except ValidationError as exc:
        apply_errors(form, exc)
    else:
        messages.success(request, message(result))
        return redirect("training:session_detail", pk=session.pk)
    return None


@login_required
def session_detail(request: HttpRequest, pk: int) -> HttpResponse:
    session = selectors.session_for_view(user=request.user, pk=pk)
    ok = True
    extra: dict[str, Any] = {}
    if request.method == "POST":
        which = request.POST.get("form")
        ok = False
        done: HttpResponse | None = None
        if which == "enrol":
            candidates = selectors.enrolment_candidates(user=request.user, session=session)
            form = EnrolForm(request.POST, candidates=candidates, prefix="enrol")
            extra["enrol_form"] = form
            if form.is_valid():
                client = next(c for c in candidates if c.pk == form.cleaned_data["client"])
                done = _session_change(
                    request,
                    session,
                    form,
                    lambda: services.enrolment_create(
                        actor=request.user,
                        session=session,
                        client=client,
                        waitlist=form.cleaned_data["waitlist"],
                    ),
                    _enrolled_message,
                )
        elif which == "seats":
            form_s = SeatsForm(request.POST, prefix="seats")
            extra["seats_form"] = form_s
            if form_s.is_valid():
                done = _session_change(
                    request,
                    session,
                    form_s,
                    lambda: services.session_update(
                        actor=request.user, session=session, seats=form_s.cleaned_data["seats"]
                    ),
                    lambda _session: _("The number of seats has been changed."),
                )
        elif which == "move":
            form_m = MoveForm(
                post_data(request), sites=_partner_sites(session.module), prefix="move"
            )
            extra["move_form"] = form_m
            if form_m.is_valid():
                data = form_m.cleaned_data
                done = _session_change(
                    request,
                    session,
                    form_m,
                    lambda: services.session_move(
                        actor=request.user,
                        session=session,
                        reason=data.get("reason", ""),
                        **_when_where(data),
                    ),
                    _moved_message,
                )
        elif which == "cancel_session":
            try:
                n = services.session_cancel(
                    actor=request.user, session=session, reason=request.POST.get("reason", "")
                )
            except services.Busy:
                messages.error(request, _("Someone else is enrolling right now. Try again."))
            except ValidationError as exc:
                messages.error(request, " ".join(exc.messages))
            else:
                messages.success(
                    request,
                    _("The session has been cancelled, with %(n)s enrolments.") % {"n": n},
                )
            return redirect("training:session_detail", pk=session.pk)
        else:
            raise Http404
        if done is not None:
            return done
    return render(
        request,
        "training/session_detail.html",
        _session_context(request, session, **extra),
        status=_status(request, ok),
    )


def _moved_message(moved: services.Moved) -> str:
    session = moved.session
    text = _("The session now takes place on %(date)s, %(start)s–%(end)s.") % {
        "date": session.date.strftime("%d/%m/%Y"),
        "start": session.start_time.strftime("%H:%M"),
        "end": session.end_time.strftime("%H:%M"),
    }
    if moved.care_moved:
        text += " " + ngettext(
            "The care of %(n)s participant was asked again for the new date.",
            "The care of %(n)s participants was asked again for the new date.",
            moved.care_moved,
        ) % {"n": moved.care_moved}
    if moved.care_to_move:
        text += " " + ngettext(
            "The referrer of %(n)s participant moves their care.",
            "The referrers of %(n)s participants move their care.",
            moved.care_to_move,
        ) % {"n": moved.care_to_move}
    return text


def _enrolled_message(enrolment: Any) -> str:
    if enrolment.status == EnrolmentStatus.WAITLISTED:
        return _("The session is full: %(name)s is on the waiting list.") % {
            "name": enrolment.client.first_name
        }
    text = _("%(name)s is enrolled.") % {"name": enrolment.client.first_name}
    if enrolment.care_status == "asked":
        text += " " + _("Care for the children has been asked.")
    elif enrolment.care_status == "to_ask":
        text += " " + _("The referrer still has to ask care for the children.")
    return text


def _enrolment(request: HttpRequest, pk: int) -> Any:
    return selectors.enrolment_for_view(user=request.user, pk=pk)


def _back(request: HttpRequest, enrolment: Any) -> HttpResponse:
    """Back to where the button was: the worklist, the client's pathway or the session."""
    target = request.POST.get("next", "")
    if target == "worklist":
        return redirect("pathways:worklist")
    if target == "pathway":
        return redirect("pathways:client_pathway", client_pk=enrolment.client_id)
    return redirect("training:session_detail", pk=enrolment.session_id)


@login_required
@require_POST
def enrolment_cancel(request: HttpRequest, pk: int) -> HttpResponse:
    enrolment = _enrolment(request, pk)
    try:
        promoted = services.enrolment_cancel(
            actor=request.user, enrolment=enrolment, reason=request.POST.get("reason", "")
        )
    except services.Busy:
        messages.error(request, _("Someone else is enrolling right now. Try again."))
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        text = _("The enrolment has been cancelled.")
        if promoted:
            text += " " + _("The seat went to the first person on the waiting list.")
        messages.success(request, text)
    return _back(request, enrolment)


@login_required
@require_POST
def enrolment_attendance(request: HttpRequest, pk: int) -> HttpResponse:
    enrolment = _enrolment(request, pk)
    error = ""
    try:
        services.attendance_register(
            actor=request.user, enrolment=enrolment, attendance=request.POST.get("attendance", "")
        )
    except ValidationError as exc:
        error = " ".join(exc.messages)
    enrolment = _enrolment(request, pk)
    if getattr(request, "htmx", False):
        return render(
            request,
            "training/_enrolment_row.html",
            {
                "e": enrolment,
                "can_register": True,
                "can_manage": True,
                "error": error,
                "attendance_choices": Attendance.choices,
                "client_ids": set(
                    access.clients(request.user)
                    .filter(pk=enrolment.client_id)
                    .values_list("pk", flat=True)
                ),
            },
            status=400 if error else 200,
        )
    if error:
        messages.error(request, error)
    return redirect("training:session_detail", pk=enrolment.session_id)


@login_required
@require_POST
def enrolment_care(request: HttpRequest, pk: int) -> HttpResponse:
    enrolment = _enrolment(request, pk)
    try:
        services.enrolment_care_sync(actor=request.user, enrolment=enrolment)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, _("The care for this session has been arranged."))
    return _back(request, enrolment)


@login_required
def certificate(request: HttpRequest, pk: int) -> HttpResponse:
    data = selectors.certificate_data(user=request.user, enrolment_pk=pk)
    pdf, filename = certificate_pdf(data)
    audit.record(
        actor=request.user,
        action="export",
        obj=data["client"],
        detail={"certificate": data["module"].pk},
    )
    response = HttpResponse(pdf, content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="{filename}"'
    return response
