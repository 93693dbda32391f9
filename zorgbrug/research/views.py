"""Research pages: the dashboard (coordinators, researchers), the public page per network
(anyone), export projects and their files, evaluation reports (coordinators, researchers).

Thin views: filters come from forms, figures from `selectors`/`publication`, writes from
`services`; nothing here reads a client row.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.cache import cache
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import FileResponse, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from zorgbrug.access import scoping
from zorgbrug.core.forms import apply_errors, post_data
from zorgbrug.network.models import Network
from zorgbrug.research import export, selectors, services
from zorgbrug.research.forms import (
    ExportProjectForm,
    ExportRequestForm,
    FilterForm,
    PublicYearForm,
    ReportForm,
)
from zorgbrug.research.indicators import INDICATORS, Filters
from zorgbrug.research.models import EvaluationReport, ResearchExport
from zorgbrug.research.publication import PublicFigures, public_figures


def _research_networks(request: HttpRequest) -> list[Network]:
    networks = selectors.research_networks(request.user)
    if not networks:
        raise PermissionDenied
    return networks


@login_required
@require_GET
def dashboard(request: HttpRequest) -> HttpResponse:
    networks = _research_networks(request)
    form = FilterForm(
        request.GET or None,
        networks=networks,
        organisations=selectors.referrer_choices(networks),
    )
    board = None
    status = 200
    if form.is_bound and not form.is_valid():
        status = 400
    else:
        board = selectors.dashboard(filters=form.to_filters())
    return render(
        request,
        "research/dashboard.html",
        {"form": form, "board": board, "networks": networks},
        status=status,
    )


def _public_cached(network: Network, year: int) -> PublicFigures:
    start = dt.date(year, 1, 1)
    filters = Filters(start=start, end=dt.date(year, 12, 31), network_ids=(network.pk,))
    seconds = getattr(settings, "RESEARCH_PUBLIC_CACHE_SECONDS", 600)
    if not seconds:
        return public_figures(filters)
    key = f"research:public:{network.pk}:{year}:{translation.get_language()}"
    figures = cache.get(key)
    if figures is None:
        figures = public_figures(filters)
        cache.set(key, figures, seconds)
    return figures


@require_GET
def public_page(request: HttpRequest, slug: str) -> HttpResponse:
    """Aggregated, suppressed figures of one network: no log-in."""
    network = get_object_or_404(Network, slug=slug, is_active=True)
    form = PublicYearForm(request.GET or None)
    this_year = timezone.localdate().year
    if form.is_bound and not form.is_valid():
        return render(
            request,
            "research/public.html",
            {"network": network, "form": form, "figures": None, "years": []},
            status=400,
        )
    year = form.cleaned_data["year"] if form.is_bound else this_year
    first = min(network.created_at.year, this_year)
    return render(
        request,
        "research/public.html",
        {
            "network": network,
            "form": form,
            "year": year,
            "years": list(range(this_year, first - 1, -1)),
            "figures": _public_cached(network, year),
        },
    )


@login_required
def exports(request: HttpRequest) -> HttpResponse:
    networks = _research_networks(request)
    form = ExportProjectForm(post_data(request), networks=scoping.research_networks(request.user))
    if request.method == "POST" and form.is_valid():
        try:
            project = services.export_project_create(
                actor=request.user,
                network=form.cleaned_data["network"],
                name=form.cleaned_data["name"],
                purpose=form.cleaned_data["purpose"],
                keep_days=form.cleaned_data["keep_days"],
            )
        except ValidationError as exc:
            apply_errors(form, exc)
        else:
            messages.success(request, _("The export project was created."))
            return redirect("research:project_detail", pk=project.pk)
    projects = scoping.export_projects(request.user).select_related("network")
    return render(
        request,
        "research/exports.html",
        {"form": form, "projects": projects, "networks": networks},
        status=400 if request.method == "POST" else 200,
    )


@login_required
def project_detail(request: HttpRequest, pk: int) -> HttpResponse:
    project = scoping.get_or_404(
        scoping.export_projects(request.user).select_related("network"), pk=pk
    )
    form = ExportRequestForm(post_data(request))
    if request.method == "POST" and form.is_valid():
        try:
            item = services.export_request(
                actor=request.user,
                project=project,
                file_format=form.cleaned_data["file_format"],
                start=form.cleaned_data["start"],
                end=form.cleaned_data["end"],
            )
        except ValidationError as exc:
            apply_errors(form, exc)
        else:
            messages.success(
                request, _("The export is being prepared. This page shows when it is ready.")
            )
            if item.job_id:
                return redirect("jobs:job_detail", pk=item.job_id)
            return redirect("research:project_detail", pk=project.pk)
    return render(
        request,
        "research/project_detail.html",
        {
            "project": project,
            "form": form,
            "exports": project.exports.select_related("created_by").order_by("-created_at"),
        },
        status=400 if request.method == "POST" else 200,
    )


@login_required
@require_POST
def project_close(request: HttpRequest, pk: int) -> HttpResponse:
    project = scoping.get_or_404(scoping.export_projects(request.user), pk=pk)
    try:
        services.export_project_close(actor=request.user, project=project)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(
            request, _("The project is closed: its key and its files have been deleted.")
        )
    return redirect("research:project_detail", pk=project.pk)


@login_required
@require_GET
def export_download(request: HttpRequest, pk: str) -> Any:
    item: ResearchExport = scoping.get_or_404(
        scoping.research_exports(request.user).select_related("project"), pk=pk
    )
    try:
        path = services.export_download(actor=request.user, item=item)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
        return redirect("research:project_detail", pk=item.project_id)
    response = FileResponse(
        path.open("rb"),
        as_attachment=True,
        filename=f"zorgbrug-research-{item.period_start:%Y%m%d}-{item.period_end:%Y%m%d}"
        f".{path.suffix.lstrip('.')}",
    )
    response["Cache-Control"] = "no-store"
    return response


@login_required
@require_GET
def dictionary(request: HttpRequest) -> HttpResponse:
    _research_networks(request)
    return render(
        request,
        "research/dictionary.html",
        {"tables": export.TABLES, "indicators": INDICATORS},
    )


@login_required
def reports(request: HttpRequest) -> HttpResponse:
    """Ask for an evaluation report (PDF) and find the ones made."""
    networks = _research_networks(request)
    organisations = selectors.referrer_choices(networks)
    if request.method == "POST":
        form = ReportForm(request.POST, networks=networks, organisations=organisations)
    else:
        form = ReportForm(request.GET or None, networks=networks, organisations=organisations)
        if form.is_bound and not form.is_valid():  # a prefill from the dashboard
            form = ReportForm(None, networks=networks, organisations=organisations)
    if request.method == "POST" and form.is_valid():
        try:
            item = services.report_request(
                actor=request.user,
                network=form.chosen_network(),
                start=form.cleaned_data["start"],
                end=form.cleaned_data["end"],
                organisation=form.chosen_organisation(),
                activity_kind=form.cleaned_data.get("activity_kind") or "",
            )
        except ValidationError as exc:
            apply_errors(form, exc)
        else:
            messages.success(
                request, _("The report is being prepared. This page shows when it is ready.")
            )
            if item.job_id:
                return redirect("jobs:job_detail", pk=item.job_id)
            return redirect("research:reports")
    items = (
        scoping.research_reports(request.user)
        .select_related("network", "organisation", "created_by", "job")
        .order_by("-created_at")[:50]
    )
    return render(
        request,
        "research/reports.html",
        {"form": form, "reports": items},
        status=400 if request.method == "POST" else 200,
    )


@login_required
@require_GET
def report_download(request: HttpRequest, pk: str) -> Any:
    item: EvaluationReport = scoping.get_or_404(
        scoping.research_reports(request.user).select_related("network"), pk=pk
    )
    try:
        path = services.report_download(actor=request.user, item=item)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
        return redirect("research:reports")
    response = FileResponse(
        path.open("rb"),
        as_attachment=True,
        content_type="application/pdf",
        filename=f"zorgbrug-evaluation-{item.network.slug}-{item.period_start:%Y%m%d}"
        f"-{item.period_end:%Y%m%d}.pdf",
    )
    response["Cache-Control"] = "no-store"
    return response
