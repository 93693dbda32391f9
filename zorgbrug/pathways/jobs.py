"""Background job kinds of the pathways domain."""

from __future__ import annotations

import datetime as dt
from typing import Any

from zorgbrug.jobs.registry import job_kind

FOLLOW_UPS_SCHEDULE = "pathways.follow_ups_schedule"


@job_kind(FOLLOW_UPS_SCHEDULE)
def follow_ups_schedule_job(
    *, progress: Any, today: str | None = None, months: list[int] | None = None
) -> dict[str, Any]:
    """Create the follow-up tasks that fall due; safe to run (and retry) any number of times."""
    from zorgbrug.pathways.services import follow_ups_schedule

    return follow_ups_schedule(
        today=dt.date.fromisoformat(today) if today else None,
        months=tuple(months) if months else None,
    )
