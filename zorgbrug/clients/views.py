"""Caseload, intake and the client page."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from zorgbrug.access import scoping as access
from zorgbrug.clients import selectors, services
from zorgbrug.clients.forms import (
    ClientForm,
    ConsentForm,
    RecipientForm,
    RecipientFormSet,
    ScreeningForm,
)
from zorgbrug.clients.models import ClientStatus, ConsentText
from zorgbrug.core.forms import apply_errors, post_data
from zorgbrug.network.models import Organisation

PAGE_SIZE = 25


def _client_organisations(request: HttpRequest) -> list[Organisation]:
    ids = access.client_organisation_ids(request.user)
    if not ids:
        raise PermissionDenied
    return list(Organisation.objects.filter(pk__in=ids).order_by("name"))


def _acting_organisation(request: HttpRequest) -> Organisation:
    """The organisation the user works for now: chosen in the form, else their first."""
    orgs = _client_organisations(request)
    chosen = request.POST.get("organisation") or request.GET.get("organisation")
    for org in orgs:
        if str(org.pk) == chosen:
            return org
    return orgs[0]


@login_required
def caseload(request: HttpRequest) -> HttpResponse:
    orgs = _client_organisations(request)
    query = request.GET.get("q", "")
    status = request.GET.get("status", "")
    org_filter = request.GET.get("organisation", "")
    organisation_id = int(org_filter) if org_filter.isdigit() else None
    if organisation_id and organisation_id not in {o.pk for o in orgs}:
        organisation_id = None
    qs = selectors.caseload(
        user=request.user,
        query=query,
        status=status if status in ClientStatus.values else "",
        organisation_id=organisation_id,
        open_request=request.GET.get("open_request") == "1",
    )
    page = Paginator(qs, PAGE_SIZE).get_page(request.GET.get("page"))
    context = {
        "page": page,
        "query": query,
        "status": status,
        "organisations": orgs,
        "organisation_id": organisation_id,
        "statuses": ClientStatus.choices,
        "open_request": request.GET.get("open_request") == "1",
    }
    template = (
        "clients/_caseload_table.html"
        if getattr(request, "htmx", False)
        else "clients/caseload.html"
    )
    return render(request, template, context)


def _consent_texts() -> dict[str, ConsentText]:
    return {t.language: t for t in ConsentText.objects.filter(is_current=True)}


@login_required
def intake(request: HttpRequest) -> HttpResponse:
    orgs = _client_organisations(request)
    organisation = _acting_organisation(request)
    networks = services.referral_networks(organisation)
    if not networks:
        messages.error(
            request,
            _("%(org)s is not a referring partner of any network.") % {"org": organisation.name},
        )
        return redirect("clients:caseload")
    data = post_data(request)
    client_form = ClientForm(data, prefix="client")
    consent_form = ConsentForm(
        data, prefix="consent", initial={"language": translation.get_language()}
    )
    recipients = RecipientFormSet(data, prefix="recipients")
    screening_form = ScreeningForm(
        data, prefix="screening", initial={"taken_on": timezone.localdate()}
    )
    with_screening = request.method != "POST" or request.POST.get("with_screening") == "1"
    duplicates: list[services.PossibleDuplicate] = []
    status = 200
    if request.method == "POST":
        forms_ok = all([client_form.is_valid(), consent_form.is_valid(), recipients.is_valid()])
        if with_screening:
            forms_ok = screening_form.is_valid() and forms_ok
        network = networks[0]
        if forms_ok:
            recipient_data, needs = [], []
            for form in recipients.forms:
                if not form.has_changed() or not form.cleaned_data.get("first_name"):
                    continue
                recipient_data.append(form.recipient_data())
                need = form.need_data()
                if need:
                    needs.append({**need, "recipient_index": len(recipient_data) - 1})
            text = services.current_consent_text(consent_form.cleaned_data["language"])
            consent = {
                **consent_form.cleaned_data,
                "text_version": text.version if text else "unversioned",
            }
            screening = None
            if with_screening:
                screening = dict(screening_form.cleaned_data)
            try:
                client = services.client_register(
                    actor=request.user,
                    organisation=organisation,
                    network=network,
                    client=client_form.cleaned_data,
                    consent=consent,
                    recipients=recipient_data,
                    screening=screening,
                    needs=needs,
                    allow_duplicate=request.POST.get("not_a_duplicate") == "1",
                )
            except services.DuplicateClient as exc:
                duplicates = exc.duplicates
            except ValidationError as exc:
                _spread_errors(exc, client_form, consent_form, screening_form)
            else:
                messages.success(
                    request, _("%(name)s has been registered.") % {"name": client.full_name}
                )
                return redirect("clients:client_detail", pk=client.pk)
        status = 400
    return render(
        request,
        "clients/intake.html",
        {
            "client_form": client_form,
            "consent_form": consent_form,
            "recipients": recipients,
            "screening_form": screening_form,
            "with_screening": with_screening,
            "duplicates": duplicates,
            "organisation": organisation,
            "organisations": orgs,
            "consent_texts": _consent_texts(),
        },
        status=status,
    )


def _spread_errors(exc: ValidationError, *forms: Any) -> None:
    if not hasattr(exc, "error_dict"):
        forms[0].add_error(None, exc.messages)
        return
    for field, errors in exc.message_dict.items():
        for form in forms:
            if field in form.fields:
                form.add_error(field, errors)
                break
        else:
            forms[0].add_error(None, errors)


@login_required
@require_POST
def link(request: HttpRequest, pk: int) -> HttpResponse:
    organisation = _acting_organisation(request)
    try:
        client = services.client_follow(actor=request.user, organisation=organisation, client_id=pk)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
        return redirect("clients:caseload")
    except services.Client.DoesNotExist:
        from django.http import Http404

        raise Http404 from None
    messages.success(request, _("You now follow this client too."))
    return redirect("clients:client_detail", pk=client.pk)


@login_required
def client_detail(request: HttpRequest, pk: int) -> HttpResponse:
    client = selectors.client_for_view(user=request.user, pk=pk)
    return render(
        request,
        "clients/client_detail.html",
        selectors.client_detail(user=request.user, client=client),
    )


@login_required
def client_edit(request: HttpRequest, pk: int) -> HttpResponse:
    client = selectors.client_for_view(user=request.user, pk=pk)
    form = ClientForm(post_data(request), instance=client, prefix="client")
    if request.method == "POST" and form.is_valid():
        changed = {k: form.cleaned_data[k] for k in form.changed_data}
        try:
            services.client_update(actor=request.user, client=client, **changed)
        except ValidationError as exc:
            apply_errors(form, exc)
        else:
            messages.success(request, _("The record has been saved."))
            return redirect("clients:client_detail", pk=client.pk)
    client.refresh_from_db()
    return render(
        request,
        "core/form_page.html",
        {
            "form": form,
            "title": _("Edit %(name)s") % {"name": client.full_name},
            "back_url": reverse("clients:client_detail", args=[client.pk]),
            "back_label": client.full_name,
        },
        status=400 if request.method == "POST" else 200,
    )


@login_required
def recipient_add(request: HttpRequest, pk: int) -> HttpResponse:
    client = selectors.client_for_view(user=request.user, pk=pk)
    form = RecipientForm(post_data(request), with_needs=False)
    if request.method == "POST" and form.is_valid():
        try:
            services.care_recipient_save(actor=request.user, client=client, **form.recipient_data())
        except ValidationError as exc:
            apply_errors(form, exc)
        else:
            messages.success(request, _("The person has been added."))
            return redirect("clients:client_detail", pk=client.pk)
    return render(
        request,
        "core/form_page.html",
        {
            "form": form,
            "title": _("Add a child or dependent adult"),
            "back_url": reverse("clients:client_detail", args=[client.pk]),
            "back_label": client.full_name,
        },
        status=400 if request.method == "POST" else 200,
    )


@login_required
def screening_new(request: HttpRequest, pk: int) -> HttpResponse:
    client = selectors.client_for_view(user=request.user, pk=pk)
    organisation = _acting_organisation(request)
    recipients = list(client.care_recipients.filter(is_active=True).order_by("birth_date", "pk"))
    data = post_data(request)
    form = ScreeningForm(data, initial={"taken_on": timezone.localdate(), "occasion": "follow_up"})
    need_forms = [
        RecipientForm(data, prefix=f"need-{i}", instance=r) for i, r in enumerate(recipients)
    ]
    for nf in need_forms:
        for name in list(nf.fields):
            if name not in {"arrangement", "days", "hours_per_week"}:
                del nf.fields[name]
    if request.method == "POST" and form.is_valid() and all(nf.is_valid() for nf in need_forms):
        needs = []
        for i, nf in enumerate(need_forms):
            need = nf.need_data()
            if need:
                needs.append({**need, "recipient_index": i})
        try:
            services.screening_record(
                actor=request.user,
                client=client,
                organisation=organisation,
                screening=dict(form.cleaned_data),
                needs=needs,
            )
        except ValidationError as exc:
            apply_errors(form, exc)
        else:
            messages.success(request, _("The screening has been recorded."))
            return redirect("clients:client_detail", pk=client.pk)
    return render(
        request,
        "clients/screening_form.html",
        {
            "client": client,
            "form": form,
            "need_forms": list(zip(recipients, need_forms, strict=True)),
        },
        status=400 if request.method == "POST" else 200,
    )


@login_required
@require_POST
def consent_withdraw(request: HttpRequest, pk: int) -> HttpResponse:
    client = selectors.client_for_view(user=request.user, pk=pk)
    organisation = _acting_organisation(request)
    what = request.POST.get("what")
    if what not in {"sharing", "research", "everything"}:
        messages.error(request, _("Choose what the client withdraws."))
        return redirect("clients:client_detail", pk=client.pk)
    try:
        services.consent_withdraw(
            actor=request.user,
            client=client,
            organisation=organisation,
            sharing=what == "sharing",
            research=what == "research",
            everything=what == "everything",
        )
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, _("The withdrawal has been recorded."))
    if what == "everything" or not access.clients(request.user).filter(pk=client.pk).exists():
        return redirect("clients:caseload")
    return redirect("clients:client_detail", pk=client.pk)
