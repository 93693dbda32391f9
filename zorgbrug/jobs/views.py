from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from zorgbrug.access.scoping import get_or_404
from zorgbrug.jobs.selectors import jobs_for


@login_required
def job_detail(request: HttpRequest, pk: str) -> HttpResponse:
    job = get_or_404(jobs_for(request.user), pk=pk)
    is_htmx = bool(getattr(request, "htmx", False))
    template = "jobs/_progress.html" if is_htmx else "jobs/job_detail.html"
    return render(request, template, {"job": job})
