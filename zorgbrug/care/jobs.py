"""Background job kinds of the care domain."""

from __future__ import annotations

import datetime as dt
from typing import Any

from zorgbrug.jobs.registry import job_kind


@job_kind("care.waitlist_serve")
def waitlist_serve_job(*, network_id: int, progress: Any) -> dict[str, Any]:
    from zorgbrug.care.services import waitlist_serve

    return {"served": waitlist_serve(network_id=network_id)}


@job_kind("care.reminders_send")
def reminders_send_job(*, progress: Any, day: str | None = None) -> dict[str, Any]:
    from zorgbrug.care.notifications import reminders_send

    return {"sent": reminders_send(day=dt.date.fromisoformat(day) if day else None)}


@job_kind("care.notify")
def notify_job(*, request_id: int, kind: str, progress: Any) -> dict[str, Any]:
    from zorgbrug.care.notifications import notify_request

    return {"sent": notify_request(request_id=request_id, kind=kind)}
