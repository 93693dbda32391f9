"""Home page per role, health check."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.db import connection
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from zorgbrug.core import selectors


@login_required
def home(request: HttpRequest) -> HttpResponse:
    return render(request, "core/home.html", selectors.home_context(user=request.user))


@require_GET
@never_cache
def healthz(request: HttpRequest) -> JsonResponse:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
        db = "ok"
    except Exception:  # the point is to report, not to crash
        db = "error"
    status = 200 if db == "ok" else 503
    return JsonResponse({"status": "ok" if db == "ok" else "error", "database": db}, status=status)
