"""Coordinator pages: start a run, follow it, review and accept it; what-if planning.

Thin: the services decide and validate, the selectors read (scoped to the networks the
user coordinates: anything else is a 404, and someone who coordinates nothing gets a 403).
"""

from __future__ import annotations

import calendar
import datetime as dt
import uuid
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_POST

from zorgbrug.allocation import explain, selectors, services
from zorgbrug.allocation.forms import AcceptForm, RunForm, WhatIfForm
from zorgbrug.allocation.jobs import WHAT_IF_JOB
from zorgbrug.allocation.models import AllocationRun
from zorgbrug.care.models import AgeBand, CareSite
from zorgbrug.core.forms import apply_errors, post_data
from zorgbrug.jobs.models import Job, JobState


@login_required
def index(request: HttpRequest) -> HttpResponse:
    networks = list(selectors.networks_to_allocate(request.user))
    if not networks:
        raise PermissionDenied
    if len(networks) == 1:
        return redirect("allocation:network", slug=networks[0].slug)
    return render(request, "allocation/index.html", {"networks": networks})


@login_required
def network_page(request: HttpRequest, slug: str) -> HttpResponse:
    network = selectors.network_for_allocation(request.user, slug)
    today = timezone.localdate()
    form = RunForm(
        post_data(request),
        initial={"first_date": today, "last_date": today + dt.timedelta(days=13)},
    )
    if request.method == "POST" and form.is_valid():
        try:
            run = services.allocation_start(
                actor=request.user,
                network=network,
                first=form.cleaned_data["first_date"],
                last=form.cleaned_data["last_date"],
                time_limit=float(form.cleaned_data["time_limit"]),
            )
        except ValidationError as exc:
            apply_errors(form, exc)
        else:
            return redirect("allocation:run", pk=run.pk)
    runs = list(selectors.runs_for(request.user).filter(network=network)[:10])
    return render(
        request,
        "allocation/network.html",
        {"network": network, "form": form, "runs": runs},
        status=400 if request.method == "POST" else 200,
    )


def _review_context(run: AllocationRun) -> dict[str, Any]:
    decisions = list(selectors.decisions_of(run))
    sites = selectors.site_names({s for d in decisions for s in d.site_ids})
    rows = explain.review_rows(decisions, selectors.decision_children(decisions), sites)
    served = [r for r in rows if r.decision.served]
    acceptable = [r for r in served if not r.decision.outcome and not r.status_now]
    form = AcceptForm(
        choices=[(r.decision.care_request_id, r.family) for r in acceptable],
        initial={"requests": [r.decision.care_request_id for r in acceptable]},
    )
    return {
        "served": served,
        "unserved": [r for r in rows if not r.decision.served],
        "decided": [r for r in rows if r.decision.outcome],
        "acceptable": {r.decision.care_request_id for r in acceptable},
        "accept_form": form,
        "changed": sum(1 for r in rows if r.status_now),
        "gain_percent": None if run.value_gain is None else round(100 * run.value_gain, 1),
    }


def _stuck(run: AllocationRun) -> bool:
    """The job gave up before the run could say so itself (it never started, say)."""
    return not run.is_finished and run.job is not None and run.job.state == JobState.FAILED


@login_required
def run_detail(request: HttpRequest, pk: int) -> HttpResponse:
    run = selectors.run_for(request.user, pk)
    context: dict[str, Any] = {
        "run": run,
        "network": run.network,
        "job": run.job,
        "stuck": _stuck(run),
    }
    if run.has_result:
        context.update(_review_context(run))
    return render(request, "allocation/run.html", context)


@login_required
def run_progress(request: HttpRequest, pk: int) -> HttpResponse:
    """The run's progress for htmx to poll; once it has finished, the page reloads."""
    run = selectors.run_for(request.user, pk)
    if not getattr(request, "htmx", False):
        return redirect("allocation:run", pk=run.pk)
    if run.is_finished or _stuck(run):
        response = HttpResponse(status=204)
        response["HX-Redirect"] = reverse("allocation:run", args=[run.pk])
        return response
    return render(request, "allocation/_progress.html", {"run": run, "job": run.job})


@login_required
@require_POST
def run_accept(request: HttpRequest, pk: int) -> HttpResponse:
    run = selectors.run_for(request.user, pk)
    if not run.has_result:
        messages.error(request, _("This run has no proposal to accept."))
        return redirect("allocation:run", pk=run.pk)
    served = list(run.decisions.filter(served=True).values_list("care_request_id", flat=True))
    form = AcceptForm(request.POST, choices=[(i, str(i)) for i in served])
    everything = request.POST.get("scope") == "all"
    if not everything and not form.is_valid():
        messages.error(request, _("Choose requests from this run's proposal."))
        return redirect("allocation:run", pk=run.pk)
    chosen = None if everything else form.cleaned_data["requests"]
    try:
        report = services.allocation_accept(actor=request.user, run=run, request_ids=chosen)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
        return redirect("allocation:run", pk=run.pk)
    text = ngettext("%(n)s request booked.", "%(n)s requests booked.", len(report.booked)) % {
        "n": len(report.booked)
    }
    if report.skipped:
        text += " " + ngettext(
            "%(n)s request changed since the run and was left as it is: see below.",
            "%(n)s requests changed since the run and were left as they are: see below.",
            len(report.skipped),
        ) % {"n": len(report.skipped)}
        messages.warning(request, text)
    else:
        messages.success(request, text)
    return redirect(reverse("allocation:run", args=[run.pk]) + "#accepted-h")


# --- What if --------------------------------------------------------------------------


def _last_month(today: dt.date) -> tuple[dt.date, dt.date]:
    last = today.replace(day=1) - dt.timedelta(days=1)
    return last.replace(day=1), last.replace(day=calendar.monthrange(last.year, last.month)[1])


def _what_if_job(request: HttpRequest, network_pk: int, job_id: str) -> Job | None:
    try:
        uuid.UUID(job_id)
    except ValueError:
        return None
    return Job.objects.filter(
        pk=job_id, kind=WHAT_IF_JOB, created_by_id=request.user.pk, params__network=network_pk
    ).first()


@login_required
def what_if_page(request: HttpRequest, slug: str) -> HttpResponse:
    network = selectors.network_for_allocation(request.user, slug)
    care_sites = list(
        CareSite.objects.filter(network=network, is_active=True)
        .select_related("site")
        .order_by("site__name")
    )
    bands = list(AgeBand.objects.filter(network=network).order_by("min_months"))
    first, last = _last_month(timezone.localdate())
    form = WhatIfForm(
        post_data(request),
        sites=[(s.pk, s.site.name) for s in care_sites],
        bands=[(b.pk, b.name) for b in bands],
        initial={"first_date": first, "last_date": last},
    )
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        by_pk = {s.pk: s for s in care_sites}
        moving = data["change"] == WhatIfForm.MOVE
        try:
            job = services.what_if_start(
                actor=request.user,
                network=network,
                first=data["first_date"],
                last=data["last_date"],
                change=services.PlannedChange(
                    site=by_pk[data["site"]],
                    places=data["places"],
                    to_site=by_pk.get(data["to_site"]) if moving else None,
                    band=next((b for b in bands if b.pk == data["band"]), None),
                ),
            )
        except ValidationError as exc:
            apply_errors(form, exc)
        else:
            return redirect(f"{reverse('allocation:what_if', args=[slug])}?job={job.pk}")
    shown = _what_if_job(request, network.pk, request.GET.get("job", ""))
    return render(
        request,
        "allocation/what_if.html",
        {"network": network, "form": form, "job": shown},
        status=400 if request.method == "POST" else 200,
    )


@login_required
def what_if_job(request: HttpRequest, slug: str, job_id: str) -> HttpResponse:
    network = selectors.network_for_allocation(request.user, slug)
    job = _what_if_job(request, network.pk, job_id)
    if job is None:
        raise Http404
    return render(request, "allocation/_what_if_job.html", {"network": network, "job": job})
