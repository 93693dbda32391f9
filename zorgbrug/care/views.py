"""Care pages: asking care for an activity, proposals and booking (referrers); capacity,
day list and attendance (providers); age bands and bookable sites (coordinators)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from zorgbrug.access import scoping as access
from zorgbrug.care import selectors, services
from zorgbrug.care.calendar import age_in_months
from zorgbrug.care.forms import (
    AgeBandForm,
    AskCareForm,
    ClosureForm,
    ReservationForm,
    VacancyForm,
)
from zorgbrug.care.models import (
    AgeBand,
    BookingStatus,
    CareRequest,
    CareSite,
    RequestStatus,
)
from zorgbrug.clients.selectors import client_for_view
from zorgbrug.core.forms import apply_errors, post_data
from zorgbrug.network.models import Organisation, Site


def _status(request: HttpRequest) -> int:
    return 400 if request.method == "POST" else 200


# --- Referrers ------------------------------------------------------------------------


@login_required
def ask_care(request: HttpRequest, client_pk: int) -> HttpResponse:
    client = client_for_view(user=request.user, pk=client_pk)
    recipients = list(client.care_recipients.filter(is_active=True).order_by("birth_date"))
    form = AskCareForm(post_data(request), recipients=recipients)
    orgs = access.client_organisation_ids(request.user)
    organisation = (
        Organisation.objects.filter(
            pk__in=orgs, followed_clients__client=client, followed_clients__until__isnull=True
        ).first()
        or Organisation.objects.filter(pk__in=orgs).first()
    )
    if request.method == "POST" and form.is_valid() and organisation is not None:
        chosen = [r for r in recipients if r.pk in form.cleaned_data["recipients"]]
        try:
            with transaction.atomic():
                activity = services.activity_create(
                    actor=request.user,
                    client=client,
                    organisation=organisation,
                    **form.activity_fields(),
                )
                care_request = services.care_request_create(
                    actor=request.user,
                    activity=activity,
                    recipients=chosen,
                    urgency=form.cleaned_data["urgency"],
                    preference=form.cleaned_data["preference"],
                )
        except ValidationError as exc:
            apply_errors(form, exc)
        else:
            return redirect("care:request_detail", pk=care_request.pk)
    return render(
        request,
        "care/ask.html",
        {"client": client, "form": form, "has_recipients": bool(recipients)},
        status=_status(request),
    )


def _request_for(request: HttpRequest, pk: int) -> CareRequest:
    care_request = (
        access.care_requests(request.user)
        .select_related("client", "activity", "organisation")
        .filter(pk=pk)
        .first()
    )
    if (
        care_request is None
        or not access.clients(request.user).filter(pk=care_request.client_id).exists()
    ):
        raise Http404
    return care_request


@login_required
def request_detail(request: HttpRequest, pk: int) -> HttpResponse:
    care_request = _request_for(request, pk)
    proposal = None
    if care_request.status in (RequestStatus.OPEN, RequestStatus.WAITLISTED, RequestStatus.REFUSED):
        proposal = selectors.options_for_request(care_request)
    bookings = list(selectors.request_bookings(care_request))
    needs = list(care_request.needs.all())
    return render(
        request,
        "care/request_detail.html",
        {
            "care_request": care_request,
            "proposal": proposal,
            "bookings": bookings,
            "needs": needs,
            "recipients": list(care_request.recipients.all()),
            "can_cancel": any(
                b.status in (BookingStatus.PENDING, BookingStatus.CONFIRMED) for b in bookings
            ),
        },
    )


@login_required
@require_POST
def request_book(request: HttpRequest, pk: int) -> HttpResponse:
    care_request = _request_for(request, pk)
    key = request.POST.get("option", "")
    proposal = selectors.options_for_request(care_request)
    option = next((o for o in proposal.options if o.key == key), None)
    if option is None:
        messages.error(request, _("This proposal is no longer available. Choose again."))
        return redirect("care:request_detail", pk=pk)
    try:
        services.booking_create(actor=request.user, request=care_request, plan=option.plan)
    except services.Busy:
        messages.error(
            request, _("Someone else is booking these places right now. Try again in a moment.")
        )
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, _("Booked. The parent gets a confirmation."))
    return redirect("care:request_detail", pk=pk)


@login_required
@require_POST
def request_waitlist(request: HttpRequest, pk: int) -> HttpResponse:
    care_request = _request_for(request, pk)
    try:
        services.request_waitlist(actor=request.user, request=care_request)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(
            request,
            _("The request is on the waiting list. It is booked as soon as places free up."),
        )
    return redirect("care:request_detail", pk=pk)


@login_required
@require_POST
def request_cancel(request: HttpRequest, pk: int) -> HttpResponse:
    care_request = _request_for(request, pk)
    ids = [int(x) for x in request.POST.getlist("booking") if x.isdigit()]
    bookings = list(care_request.bookings.filter(pk__in=ids)) if ids else None
    try:
        n = services.booking_cancel(
            actor=request.user,
            request=care_request,
            bookings=bookings,
            reason=request.POST.get("reason", ""),
        )
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, _("%(n)s booked day-parts cancelled.") % {"n": n})
    return redirect("care:request_detail", pk=pk)


@login_required
def client_care(request: HttpRequest, client_pk: int) -> HttpResponse:
    """The care section of a client page (loaded with htmx from the client page)."""
    if not access.clients(request.user).filter(pk=client_pk).exists():
        raise Http404
    requests = list(
        access.care_requests(request.user)
        .filter(client_id=client_pk)
        .select_related("activity")
        .prefetch_related("recipients")
        .order_by("-created_at")
    )
    upcoming = list(
        access.client_bookings(request.user)
        .filter(request__client_id=client_pk, date__gte=timezone.localdate())
        .exclude(status__in=(BookingStatus.CANCELLED, BookingStatus.CANCELLED_LATE))
        .select_related("care_site__site", "recipient")
        .order_by("date", "day_part")[:30]
    )
    return render(
        request,
        "care/_client_care.html",
        {"requests": requests, "upcoming": upcoming, "client_pk": client_pk},
    )


# --- Providers ------------------------------------------------------------------------


def _site_for(request: HttpRequest, pk: int) -> CareSite:
    site = (
        access.care_sites(request.user, manage=True)
        .select_related("site__organisation", "network")
        .filter(pk=pk)
        .first()
    )
    if site is None:
        raise Http404
    return site


@login_required
def my_sites(request: HttpRequest) -> HttpResponse:
    sites = list(
        access.care_sites(request.user, manage=True)
        .select_related("site__organisation", "network")
        .order_by("site__organisation__name", "site__name")
    )
    if not sites:
        raise PermissionDenied
    if len(sites) == 1 and not access.actor_for(request.user).coordinated_network_ids:
        return redirect("care:day_list", pk=sites[0].pk, day=timezone.localdate().isoformat())
    return render(request, "care/my_sites.html", {"sites": sites, "today": timezone.localdate()})


@login_required
def site_detail(request: HttpRequest, pk: int) -> HttpResponse:
    care_site = _site_for(request, pk)
    bands = care_site.age_bands.all()
    data = post_data(request)
    which = request.POST.get("form") if request.method == "POST" else None
    reservation_form = ReservationForm(
        data if which == "reservation" else None,
        age_bands=bands,
        prefix="res",
        initial={
            "valid_from": timezone.localdate(),
            "valid_until": timezone.localdate() + dt.timedelta(days=365),
        },
    )
    vacancy_form = VacancyForm(
        data if which == "vacancy" else None,
        age_bands=bands,
        prefix="vac",
        initial={"date": timezone.localdate()},
    )
    closure_form = ClosureForm(data if which == "closure" else None, prefix="clo")
    status = 200
    if which:
        form: Any = {
            "reservation": reservation_form,
            "vacancy": vacancy_form,
            "closure": closure_form,
        }.get(which)
        if form is not None and form.is_valid():
            try:
                if which == "reservation":
                    services.reservation_save(
                        actor=request.user, care_site=care_site, **form.cleaned_data
                    )
                elif which == "vacancy":
                    services.vacancy_publish(
                        actor=request.user, care_site=care_site, **form.cleaned_data
                    )
                else:
                    services.closure_add(
                        actor=request.user, care_site=care_site, **form.cleaned_data
                    )
            except ValidationError as exc:
                apply_errors(form, exc)
                status = 400
            else:
                messages.success(request, _("Saved. The bookable places have been updated."))
                return redirect("care:site_detail", pk=pk)
        else:
            status = 400
    today = timezone.localdate()
    pending = list(
        CareRequest.objects.filter(
            bookings__care_site=care_site, bookings__status=BookingStatus.PENDING
        )
        .distinct()
        .select_related("activity")
        .order_by("created_at")
    )
    return render(
        request,
        "care/site_detail.html",
        {
            "care_site": care_site,
            "bands": list(bands),
            "opening": list(care_site.opening_hours.all()),
            "reservations": list(
                care_site.reservations.filter(valid_until__gte=today).select_related("age_band")
            ),
            "vacancies": list(
                care_site.vacancies.filter(
                    date__gte=today, withdrawn_at__isnull=True
                ).select_related("age_band")
            ),
            "closures": list(care_site.closures.filter(last_day__gte=today)),
            "pending": pending,
            "reservation_form": reservation_form,
            "vacancy_form": vacancy_form,
            "closure_form": closure_form,
            "today": today,
            "week": [today + dt.timedelta(days=i) for i in range(7)],
        },
        status=status,
    )


@login_required
def day_list(request: HttpRequest, pk: int, day: str) -> HttpResponse:
    care_site = _site_for(request, pk)
    try:
        date = dt.date.fromisoformat(day)
    except ValueError as exc:
        raise Http404 from exc
    bookings = list(selectors.day_list(user=request.user, care_site=care_site, day=date))
    for b in bookings:
        b.age_months = age_in_months(b.recipient.birth_date, date)  # type: ignore[attr-defined]
    parts = [
        (part, label, [b for b in bookings if b.day_part == part])
        for part, label in (("am", _("Morning")), ("pm", _("Afternoon")))
    ]
    return render(
        request,
        "care/day_list.html",
        {
            "care_site": care_site,
            "date": date,
            "parts": parts,
            "is_today": date == timezone.localdate(),
            "prev": date - dt.timedelta(days=1),
            "next": date + dt.timedelta(days=1),
            "count": len(bookings),
        },
    )


@login_required
@require_POST
def attendance(request: HttpRequest, pk: int) -> HttpResponse:
    booking = (
        access.site_bookings(request.user)
        .select_related("care_site", "recipient")
        .filter(pk=pk)
        .first()
    )
    if booking is None:
        raise Http404

    def parse(name: str) -> dt.time | None:
        raw = request.POST.get(name, "").strip()
        try:
            return dt.time.fromisoformat(raw) if raw else None
        except ValueError:
            return None

    error = ""
    try:
        services.attendance_register(
            actor=request.user,
            booking=booking,
            status=request.POST.get("status", ""),
            arrived_at=parse("arrived_at"),
            picked_up_at=parse("picked_up_at"),
            picked_up_by=request.POST.get("picked_up_by", ""),
        )
    except ValidationError as exc:
        error = " ".join(exc.messages)
    booking.refresh_from_db()
    booking.age_months = age_in_months(booking.recipient.birth_date, booking.date)
    if getattr(request, "htmx", False):
        return render(
            request,
            "care/_attendance_row.html",
            {"b": booking, "error": error},
            status=400 if error else 200,
        )
    if error:
        messages.error(request, error)
    return redirect("care:day_list", pk=booking.care_site_id, day=booking.date.isoformat())


@login_required
@require_POST
def provider_decide(request: HttpRequest, pk: int, request_pk: int) -> HttpResponse:
    care_site = _site_for(request, pk)
    care_request = CareRequest.objects.filter(pk=request_pk, bookings__care_site=care_site).first()
    if care_request is None:
        raise Http404
    try:
        services.provider_decide(
            actor=request.user,
            request=care_request,
            care_site=care_site,
            accept=request.POST.get("accept") == "1",
            reason=request.POST.get("reason", ""),
        )
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, _("Your answer has been recorded."))
    return redirect("care:site_detail", pk=pk)


# --- Coordinators ---------------------------------------------------------------------


@login_required
def network_care(request: HttpRequest, slug: str) -> HttpResponse:
    network = access.get_or_404(access.networks(request.user, manage=True), slug=slug)
    form = AgeBandForm(post_data(request) if request.POST.get("form") == "band" else None)
    status = 200
    if request.method == "POST":
        if request.POST.get("form") == "band" and form.is_valid():
            try:
                services.age_band_create(actor=request.user, network=network, **form.cleaned_data)
            except ValidationError as exc:
                apply_errors(form, exc)
                status = 400
            else:
                messages.success(request, _("The age band has been added."))
                return redirect("care:network_care", slug=slug)
        elif request.POST.get("form") == "enable":
            site_pk = request.POST.get("site", "")
            site = (
                Site.objects.filter(
                    pk=int(site_pk), organisation__partnerships__network=network
                ).first()
                if site_pk.isdigit()
                else None
            )
            if site is None:
                raise Http404
            try:
                care_site = services.care_site_enable(
                    actor=request.user, site=site, network=network
                )
            except ValidationError as exc:
                messages.error(request, " ".join(exc.messages))
            else:
                messages.success(
                    request,
                    _("%(site)s can now take bookings: set its reserved places.")
                    % {"site": site.name},
                )
                return redirect("care:site_detail", pk=care_site.pk)
        else:
            status = 400
    bookable = {
        cs.site_id: cs
        for cs in CareSite.objects.filter(network=network).select_related("site__organisation")
    }
    provider_sites = list(
        Site.objects.filter(
            organisation__partnerships__network=network,
            organisation__partnerships__is_care_provider=True,
            is_active=True,
        )
        .select_related("organisation")
        .order_by("organisation__name", "name")
    )
    return render(
        request,
        "care/network_care.html",
        {
            "network": network,
            "bands": list(AgeBand.objects.filter(network=network)),
            "form": form,
            "sites": [(s, bookable.get(s.pk)) for s in provider_sites],
        },
        status=status,
    )
