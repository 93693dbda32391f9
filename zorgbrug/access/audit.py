"""Writing the audit log. The request context (address, path) comes from middleware."""

from __future__ import annotations

import contextvars
from collections.abc import Callable
from typing import Any, ParamSpec

from django.db import models
from django.http import HttpRequest, HttpResponse

from zorgbrug.access.models import AuditEvent
from zorgbrug.core.db import insert

P = ParamSpec("P")

_request_ctx: contextvars.ContextVar[tuple[str | None, str] | None] = contextvars.ContextVar(
    "zorgbrug_audit_request", default=None
)


def client_ip(request: HttpRequest) -> str | None:
    # Only REMOTE_ADDR: X-Forwarded-For is trivially forged unless a proxy sets it, and
    # the deployment's proxy can rewrite REMOTE_ADDR instead.
    return request.META.get("REMOTE_ADDR") or None


class AuditContextMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        token = _request_ctx.set((client_ip(request), request.path[:300]))
        try:
            return self.get_response(request)
        finally:
            _request_ctx.reset(token)


def event_values(
    *,
    actor: Any,
    action: str,
    obj: models.Model | None = None,
    object_type: str = "",
    object_id: str = "",
    object_label: str = "",
    network_id: int | None = None,
    organisation_id: int | None = None,
    detail: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """The columns (by attname) of the audit event of an action: `event` makes the event
    of them, and the booking statement writes them with the bookings (`core.db.row_insert`).
    The object's organisation, network, type, id and label are taken from `obj` unless
    given. The time is the event's default, made when it is written."""
    ctx = _request_ctx.get()
    if obj is not None and organisation_id is None:
        # Most records belong to one organisation; the coordinators of its networks read it.
        from zorgbrug.network.models import Organisation

        if isinstance(obj, Organisation):
            organisation_id = obj.pk
        else:
            organisation_id = getattr(obj, "organisation_id", None)
    if obj is not None and network_id is None:
        network_id = getattr(obj, "network_id", None)
    if obj is not None:
        object_type = object_type or obj._meta.label_lower
        object_id = object_id or str(obj.pk)
        object_label = object_label or str(obj)[:200]
    authenticated = actor is not None and getattr(actor, "is_authenticated", False)
    return {
        "actor_id": actor.pk if authenticated else None,
        "actor_label": (getattr(actor, "email", "") if authenticated else "anonymous"),
        "action": action,
        "object_type": object_type,
        "object_id": object_id,
        "object_label": object_label[:200],
        "network_id": network_id,
        "organisation_id": organisation_id,
        "ip_address": ctx[0] if ctx else None,
        "path": ctx[1] if ctx else "",
        "detail": detail or {},
    }


def event(*, actor: Any, action: str, **kwargs: Any) -> AuditEvent:
    """The audit event of an action, not yet written (`record` writes it); arguments as
    for `event_values`."""
    built = AuditEvent(**event_values(actor=actor, action=action, **kwargs))
    if built.actor_id is not None:
        built.actor = actor  # the instance at hand, not a query when it is read
    return built


def _written(build: Callable[P, AuditEvent]) -> Callable[P, AuditEvent]:
    def write(*args: P.args, **kwargs: P.kwargs) -> AuditEvent:
        # A plain INSERT: audit rows are written on every change, booking included.
        (written,) = insert([build(*args, **kwargs)])
        return written

    return write


# Write one audit event (arguments as for `event`).
record = _written(event)
