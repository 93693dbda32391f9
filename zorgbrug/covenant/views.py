"""Covenant pages: versions and their rules, monthly settlements, statements and their
downloads, the preview of a rule change (coordinators); a partner's own statements."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse, StreamingHttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from zorgbrug.access import scoping as access
from zorgbrug.care.models import CareSite
from zorgbrug.clients.selectors import client_for_view
from zorgbrug.core.forms import apply_errors, post_data
from zorgbrug.covenant import calculation, exports, forms, selectors, services
from zorgbrug.covenant.jobs import SETTLEMENT_CALCULATE
from zorgbrug.covenant.models import AllocationKey, Covenant, SettlementStatus
from zorgbrug.jobs.models import Job
from zorgbrug.jobs.services import job_enqueue
from zorgbrug.network.models import Partner


def _status(request: HttpRequest, ok: bool = True) -> int:
    return 400 if request.method == "POST" and not ok else 200


def _attachment(data: bytes | str, filename: str, content_type: str) -> HttpResponse:
    response = HttpResponse(data, content_type=content_type)
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    response["Cache-Control"] = "no-store"
    return response


# --- Overview --------------------------------------------------------------------------


@login_required
def index(request: HttpRequest) -> HttpResponse:
    """Coordinators: their networks' covenants and months. Everyone else with statements:
    their own organisation's statements of closed months. Researchers: monthly totals."""
    networks = list(access.networks(request.user, manage=True).order_by("name"))
    statements = list(
        access.statements(request.user)
        .filter(settlement__status=SettlementStatus.CLOSED)
        .exclude(settlement__network__in=networks)
        .select_related("settlement__network", "partner__organisation")
        .order_by("-settlement__month", "partner__organisation__name", "side")[:100]
    )
    figures = selectors.figures(request.user)
    return render(
        request,
        "covenant/index.html",
        {
            "networks": networks,
            "statements": statements,
            "figures": figures,
            "covenants": list(
                access.covenants(request.user)
                .exclude(network__in=networks)
                .select_related("network")
                .order_by("network__name", "-valid_from")
            ),
        },
    )


@login_required
def network_page(request: HttpRequest, slug: str) -> HttpResponse:
    network = selectors.network_for_manage(request.user, slug)
    create_form = forms.CovenantCreateForm(
        post_data(request) if request.POST.get("form") == "covenant" else None,
        initial={"title": _("Covenant %(network)s") % {"network": network.name}},
    )
    month_form = forms.MonthForm(
        post_data(request) if request.POST.get("form") == "month" else None,
        initial={"month": f"{services.add_months(timezone.localdate().replace(day=1), -1):%Y-%m}"},
    )
    ok = True
    if request.method == "POST":
        which = request.POST.get("form")
        if which == "covenant" and create_form.is_valid():
            try:
                covenant = services.covenant_create(
                    actor=request.user, network=network, **create_form.cleaned_data
                )
            except ValidationError as exc:
                apply_errors(create_form, exc)
                ok = False
            else:
                messages.success(request, _("The covenant version has been made."))
                return redirect("covenant:covenant_detail", pk=covenant.pk)
        elif which == "month" and month_form.is_valid():
            month = month_form.cleaned_data["month"]
            return redirect("covenant:settlement", slug=slug, month=f"{month:%Y-%m}")
        else:
            ok = False
    return render(
        request,
        "covenant/network.html",
        {
            "network": network,
            "covenants": list(selectors.covenants_of(request.user, network)),
            "settlements": list(
                access.settlements(request.user).filter(network=network).order_by("-month")[:36]
            ),
            "create_form": create_form,
            "month_form": month_form,
        },
        status=_status(request, ok),
    )


# --- Covenant versions -----------------------------------------------------------------


@login_required
def covenant_detail(request: HttpRequest, pk: int) -> HttpResponse:
    covenant = selectors.covenant_for(request.user, pk)
    can_manage = access.can_manage_network(request.user, covenant.network)
    return render(
        request,
        "covenant/covenant_detail.html",
        {
            "covenant": covenant,
            "can_manage": can_manage,
            "problems": services.covenant_problems(covenant) if can_manage else [],
            "document": exports.covenant_context(covenant),
            "languages": exports.DOCUMENT_LANGUAGES,
            "sites_without_tariff": list(
                CareSite.objects.filter(network=covenant.network)
                .exclude(pk__in=[t.care_site_id for t in covenant.site_tariffs.all()])
                .select_related("site")
            )
            if can_manage
            else [],
        },
    )


def _managed_covenant(request: HttpRequest, pk: int) -> Covenant:
    return selectors.covenant_for(request.user, pk, manage=True)


@login_required
def covenant_rules(request: HttpRequest, pk: int) -> HttpResponse:
    covenant = _managed_covenant(request, pk)
    groups = forms.rules_forms(post_data(request), covenant)
    ok = True
    if request.method == "POST":
        if all(f.is_valid() for f in groups.values()):
            try:
                services.covenant_update(
                    actor=request.user, covenant=covenant, **forms.rules_fields(groups)
                )
            except ValidationError as exc:
                for form in groups.values():
                    apply_errors(form, _only_fields(exc, form))
                ok = False
            else:
                messages.success(request, _("The covenant's rules have been saved."))
                return redirect("covenant:covenant_detail", pk=covenant.pk)
        else:
            ok = False
    return render(
        request,
        "covenant/rules.html",
        {"covenant": covenant, "groups": groups},
        status=_status(request, ok),
    )


# Which of the rules forms shows a service error about a field.
FIELD_FORM = {
    "day_count": "d",
    "max_care_days": "m",
    "priorities": "r",
    "clauses": "t",
    "free_cancellation_hours": "c",
    "late_cancellation_percent": "c",
    "no_show_percent": "c",
    "contribution_mode": "p",
    "short_notice_unit": "p",
    "short_notice_price": "p",
}


def _only_fields(exc: ValidationError, form: Any) -> ValidationError:
    """The part of a service's error that belongs on this form (the rest: on the first)."""
    if not hasattr(exc, "error_dict"):
        return exc if form.prefix == "g" else ValidationError([])
    mine = {
        (field if field in form.fields else "__all__"): errors
        for field, errors in exc.error_dict.items()
        if FIELD_FORM.get(field, "g") == form.prefix
    }
    return ValidationError(mine) if mine else ValidationError([])


@login_required
def site_tariff(request: HttpRequest, pk: int, care_site_pk: int) -> HttpResponse:
    covenant = _managed_covenant(request, pk)
    care_site = access.get_or_404(
        CareSite.objects.filter(network=covenant.network).select_related("site"), pk=care_site_pk
    )
    current = covenant.site_tariffs.filter(care_site=care_site).first()
    form = forms.SiteTariffForm(
        post_data(request),
        initial={
            "unit": current.unit,
            "price": current.price,
            "payment": current.payment,
            "short_notice_unit": current.short_notice_unit,
            "short_notice_price": current.short_notice_price,
        }
        if current
        else {"unit": "day_part", "payment": "used"},
    )
    if request.method == "POST" and form.is_valid():
        try:
            services.site_tariff_save(
                actor=request.user, covenant=covenant, care_site=care_site, **form.cleaned_data
            )
        except ValidationError as exc:
            apply_errors(form, exc)
        else:
            messages.success(request, _("The tariff has been saved."))
            return redirect("covenant:covenant_detail", pk=covenant.pk)
    return _form_page(
        request,
        form,
        title=_("Tariff of %(site)s") % {"site": care_site.site.name},
        back=reverse("covenant:covenant_detail", args=[covenant.pk]),
        back_label=str(covenant),
    )


def _form_page(
    request: HttpRequest, form: Any, *, title: str, back: str, back_label: str, intro: str = ""
) -> HttpResponse:
    return render(
        request,
        "core/form_page.html",
        {"form": form, "title": title, "back_url": back, "back_label": back_label, "intro": intro},
        status=400 if request.method == "POST" else 200,
    )


@login_required
def contribution_year(request: HttpRequest, pk: int, year: int | None = None) -> HttpResponse:
    covenant = _managed_covenant(request, pk)
    current = covenant.contribution_years.filter(year=year).first() if year else None
    initial: dict[str, Any] = (
        {f: getattr(current, f) for f in ("year", *services.CONTRIBUTION_FIELDS)}
        if current
        else {"year": timezone.localdate().year, "reduced_percent": 50}
    )
    form = forms.ContributionYearForm(post_data(request), initial=initial)
    if request.method == "POST" and form.is_valid():
        data = dict(form.cleaned_data)
        try:
            services.contribution_year_save(
                actor=request.user, covenant=covenant, year=data.pop("year"), **data
            )
        except ValidationError as exc:
            apply_errors(form, exc)
        else:
            messages.success(request, _("The amounts have been saved."))
            return redirect("covenant:covenant_detail", pk=covenant.pk)
    return _form_page(
        request,
        form,
        title=_("Parent-contribution amounts"),
        back=reverse("covenant:covenant_detail", args=[covenant.pk]),
        back_label=str(covenant),
        intro=_(
            "The income-related day price runs linearly from the minimum to the maximum "
            "between the two incomes; a family that does not disclose its income pays the "
            "maximum."
        ),
    )


@login_required
def allocation_key(request: HttpRequest, pk: int, key_pk: int | None = None) -> HttpResponse:
    covenant = _managed_covenant(request, pk)
    key: AllocationKey | None = None
    if key_pk is not None:
        key = access.get_or_404(covenant.allocation_keys.all(), pk=key_pk)
    data = post_data(request)
    if request.method == "POST" and request.POST.get("delete") and key is not None:
        try:
            services.allocation_key_delete(actor=request.user, key=key)
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
            return redirect("covenant:allocation_key", pk=pk, key_pk=key.pk)
        messages.success(request, _("The allocation key has been removed."))
        return redirect("covenant:covenant_detail", pk=pk)
    form = forms.AllocationKeyForm(
        data,
        initial={
            "basis": key.basis,
            "valid_from": key.valid_from,
            "valid_until": key.valid_until,
            "note": key.note,
        }
        if key
        else {"valid_from": covenant.valid_from, "basis": "referrer"},
    )
    shares = forms.SharesForm(
        data,
        network_id=covenant.network_id,
        prefix="s",
        initial=forms.SharesForm.initial_for(list(key.shares.all())) if key else {},
    )
    ok = True
    if request.method == "POST":
        if form.is_valid() and shares.is_valid():
            partners = {p.pk: p for p in Partner.objects.filter(network=covenant.network)}
            try:
                rows = [
                    services.ShareInput(match, partners[partner], pct)
                    for match, partner, pct in shares.rows()
                    if partner in partners
                ]
                services.allocation_key_save(
                    actor=request.user, covenant=covenant, key=key, shares=rows, **form.cleaned_data
                )
            except ValidationError as exc:
                apply_errors(form, exc)
                ok = False
            else:
                messages.success(request, _("The allocation key has been saved."))
                return redirect("covenant:covenant_detail", pk=covenant.pk)
        else:
            ok = False
    return render(
        request,
        "covenant/allocation_key.html",
        {"covenant": covenant, "key": key, "form": form, "shares": shares},
        status=_status(request, ok),
    )


@login_required
def new_version(request: HttpRequest, pk: int) -> HttpResponse:
    covenant = _managed_covenant(request, pk)
    form = forms.NewVersionForm(post_data(request))
    if request.method == "POST" and form.is_valid():
        try:
            new = services.covenant_new_version(
                actor=request.user, covenant=covenant, **form.cleaned_data
            )
        except ValidationError as exc:
            apply_errors(form, exc)
        else:
            messages.success(request, _("The new version has been made: adjust its rules."))
            return redirect("covenant:covenant_detail", pk=new.pk)
    return _form_page(
        request,
        form,
        title=_("New version of the covenant"),
        back=reverse("covenant:covenant_detail", args=[covenant.pk]),
        back_label=str(covenant),
        intro=_(
            "The new version copies every rule and starts on the date you choose; this "
            "version ends the day before. Closed months keep the rules they were settled by."
        ),
    )


@login_required
@require_POST
def parties_sync(request: HttpRequest, pk: int) -> HttpResponse:
    covenant = _managed_covenant(request, pk)
    try:
        services.covenant_parties_sync(actor=request.user, covenant=covenant)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, _("The parties follow the network's partners again."))
    return redirect("covenant:covenant_detail", pk=pk)


@login_required
def covenant_document(request: HttpRequest, pk: int, language: str) -> HttpResponse:
    covenant = selectors.covenant_for(request.user, pk)
    if language not in exports.DOCUMENT_LANGUAGES:
        raise Http404
    data = exports.covenant_pdf(covenant, language=language)
    return _attachment(
        data,
        f"covenant-{covenant.network.slug}-v{covenant.version}-{language}.pdf",
        "application/pdf",
    )


# --- Months ----------------------------------------------------------------------------


@login_required
def settlement_page(request: HttpRequest, slug: str, month: str) -> HttpResponse:
    network = selectors.network_for_manage(request.user, slug)
    first = selectors.parse_month(month)
    settlement = selectors.settlement_for(request.user, network, first)
    adjustment_form = forms.AdjustmentForm(
        post_data(request) if request.POST.get("form") == "adjustment" else None,
        network_id=network.pk,
    )
    ok = True
    if request.method == "POST":
        which = request.POST.get("form")
        try:
            if which == "calculate":
                calc = job_enqueue(
                    kind=SETTLEMENT_CALCULATE,
                    title=_("Costs of %(month)s") % {"month": f"{first:%m/%Y}"},
                    params={
                        "network": network.pk,
                        "month": first.isoformat(),
                        "user": request.user.pk,
                    },
                    user=request.user,
                )
                return redirect(
                    f"{reverse('covenant:settlement', args=[slug, month])}?job={calc.pk}"
                )
            if settlement is None:
                raise Http404
            if which == "close":
                services.settlement_close(actor=request.user, settlement=settlement)
                messages.success(request, _("The month is closed."))
                return redirect("covenant:settlement", slug=slug, month=month)
            if which == "adjustment":
                if adjustment_form.is_valid():
                    data = adjustment_form.cleaned_data
                    services.adjustment_add(
                        actor=request.user,
                        settlement=settlement,
                        provider=Partner.objects.get(pk=int(data["provider"]), network=network),
                        amount=data["amount"],
                        description=data["description"],
                        date=data["date"],
                    )
                    messages.success(request, _("The adjustment has been added."))
                    return redirect("covenant:settlement", slug=slug, month=month)
                ok = False
            elif which == "remove":
                line = access.get_or_404(
                    access.cost_lines(request.user).filter(settlement=settlement),
                    pk=request.POST.get("line", "0")
                    if str(request.POST.get("line", "")).isdigit()
                    else 0,
                )
                services.adjustment_delete(actor=request.user, line=line)
                messages.success(request, _("The adjustment has been removed."))
                return redirect("covenant:settlement", slug=slug, month=month)
            else:
                ok = False
        except ValidationError as exc:
            if which == "adjustment":
                apply_errors(adjustment_form, exc)
            else:
                messages.error(request, " ".join(exc.messages))
            ok = False
    job: Job | None = None
    job_id = request.GET.get("job", "")
    if job_id:
        job = (
            Job.objects.filter(pk=job_id, created_by_id=request.user.pk).first()
            if _is_uuid(job_id)
            else None
        )
    return render(
        request,
        "covenant/settlement.html",
        {
            "network": network,
            "month": first,
            "month_slug": month,
            "settlement": settlement,
            "summary": selectors.settlement_summary(settlement) if settlement else None,
            "adjustment_form": adjustment_form,
            "job": job,
            "can_close": settlement is not None
            and not settlement.is_closed
            and settlement.calculated_at is not None,
            "month_over": calculation.month_bounds(first)[1] < timezone.localdate(),
        },
        status=_status(request, ok),
    )


def _is_uuid(value: str) -> bool:
    import uuid

    try:
        uuid.UUID(value)
    except ValueError:
        return False
    return True


@login_required
def settlement_job(request: HttpRequest, slug: str, month: str, job_id: str) -> HttpResponse:
    """The calculation's progress (htmx polls it); when done, back to the month."""
    selectors.network_for_manage(request.user, slug)
    job = (
        Job.objects.filter(pk=job_id, created_by_id=request.user.pk).first()
        if _is_uuid(job_id)
        else None
    )
    if job is None:
        raise Http404
    if job.is_finished:
        if job.state == "done":
            messages.success(request, _("The month has been calculated."))
        else:
            messages.error(request, job.message or _("The calculation failed."))
        response = HttpResponse(status=204)
        response["HX-Redirect"] = reverse("covenant:settlement", args=[slug, month])
        return response
    return render(request, "covenant/_job.html", {"job": job, "slug": slug, "month_slug": month})


@login_required
def cost_lines_csv(request: HttpRequest, slug: str, month: str) -> StreamingHttpResponse:
    network = selectors.network_for_manage(request.user, slug)
    settlement = selectors.settlement_for(request.user, network, selectors.parse_month(month))
    if settlement is None:
        raise Http404
    response = StreamingHttpResponse(
        exports.cost_lines_csv(settlement), content_type="text/csv; charset=utf-8"
    )
    response["Content-Disposition"] = (
        f'attachment; filename="cost-lines-{network.slug}-{settlement.slug}.csv"'
    )
    response["Cache-Control"] = "no-store"
    return response


# --- Statements ------------------------------------------------------------------------


@login_required
def statement(request: HttpRequest, pk: int, fmt: str = "") -> HttpResponse:
    view = selectors.statement_view(selectors.statement_by_pk(request.user, pk))
    stem = view.filename_stem
    if fmt == "pdf":
        return _attachment(exports.statement_pdf(view), f"{stem}.pdf", "application/pdf")
    if fmt == "xlsx":
        return _attachment(exports.statement_xlsx(view), f"{stem}.xlsx", exports.XLSX_TYPE)
    if fmt == "csv":
        return _attachment(exports.statement_csv(view), f"{stem}.csv", "text/csv; charset=utf-8")
    if fmt:
        raise Http404
    return render(request, "covenant/statement.html", {"view": view})


# --- Preview of a rule change ----------------------------------------------------------


@login_required
def preview(request: HttpRequest, slug: str) -> HttpResponse:
    network = selectors.network_for_manage(request.user, slug)
    last_month = services.add_months(timezone.localdate().replace(day=1), -1)
    form = forms.PreviewForm(
        request.POST if request.method == "POST" else None,
        initial={"month": f"{last_month:%Y-%m}"},
    )
    result = None
    ok = True
    if request.method == "POST":
        if form.is_valid():
            data = form.cleaned_data
            change = services.RuleChange(
                day_count=tuple(services.money.DayCountBand(h, p) for h, p in data["day_count"])
                if data["day_count"]
                else None,
                free_cancellation_hours=data["free_cancellation_hours"],
                late_cancellation_percent=data["late_cancellation_percent"],
                no_show_percent=data["no_show_percent"],
                contribution_mode=data["contribution_mode"] or None,
                flat_day_amount=data["flat_day_amount"],
                tariff_change_percent=data["tariff_change_percent"],
                payment=data["payment"] or None,
            )
            try:
                if change.day_count is not None:
                    services.normalise_day_count(change.day_count)
                outcome = services.settlement_preview(
                    actor=request.user, network=network, month=data["month"], change=change
                )
            except ValidationError as exc:
                apply_errors(form, exc)
                ok = False
            else:
                result = {
                    "preview": outcome,
                    "providers": selectors.compare_totals(
                        outcome.current.provider_totals,
                        outcome.proposed.provider_totals,
                        network.pk,
                    ),
                    "payers": selectors.compare_totals(
                        outcome.current.payer_totals, outcome.proposed.payer_totals, network.pk
                    ),
                    "difference": outcome.proposed.total - outcome.current.total,
                }
        else:
            ok = False
    template = (
        "covenant/_preview_result.html"
        if getattr(request, "htmx", False) and request.method == "POST"
        else "covenant/preview.html"
    )
    return render(
        request,
        template,
        {"network": network, "form": form, "result": result},
        status=_status(request, ok),
    )


# --- Income attests (referrers) --------------------------------------------------------


@login_required
def parent_tariff(request: HttpRequest, client_pk: int) -> HttpResponse:
    client = client_for_view(user=request.user, pk=client_pk)
    form = forms.ParentTariffForm(
        post_data(request), initial={"valid_from": timezone.localdate().replace(month=1, day=1)}
    )
    if request.method == "POST" and form.is_valid():
        try:
            services.parent_tariff_set(actor=request.user, client=client, **form.cleaned_data)
        except ValidationError as exc:
            apply_errors(form, exc)
        else:
            messages.success(request, _("The income attest has been recorded."))
            return redirect("covenant:parent_tariff", client_pk=client.pk)
    history = list(access.parent_tariffs(request.user).filter(client=client))
    return render(
        request,
        "covenant/parent_tariff.html",
        {"client": client, "form": form, "history": history},
        status=400 if request.method == "POST" else 200,
    )
