"""Date rules of the pathway, on plain data (no ORM): tested on their own.

- Care after a job start lasts at most the covenant's maximum (92 days, about three months,
  by default): then the client moves to regular childcare. The maximum is the care
  policy's (`care.policy.max_care_days`, which the covenant in force answers per
  network), the same rule the booking service applies to a job start's care.
- The referrer is warned `CARE_END_WARNING_DAYS` before that care ends.
- Follow-ups come 3, 6 and 12 months after a job start or an exit (settings
  `FOLLOW_UP_MONTHS`), and appear as tasks `FOLLOW_UP_LEAD_DAYS` before they are due.
"""

from __future__ import annotations

import calendar
import datetime as dt
from collections.abc import Iterable, Sequence

CARE_END_WARNING_DAYS = 14
FOLLOW_UP_MONTHS_DEFAULT: tuple[int, ...] = (3, 6, 12)
FOLLOW_UP_LEAD_DAYS = 14
# An exit within this many days after a job start needs no schedule of its own: the job
# start's follow-ups already ask how the client is doing.
EXIT_COVERED_BY_JOB_START_DAYS = 92


def add_months(day: dt.date, months: int) -> dt.date:
    """The same day `months` later, or the month's last day (31 Jan + 1 = 28/29 Feb)."""
    month_index = day.month - 1 + months
    year = day.year + month_index // 12
    month = month_index % 12 + 1
    return dt.date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def care_until(job_start: dt.date, max_days: int) -> dt.date:
    """The last day of care after a job start when care may last `max_days` (last day −
    first day, as the booking service counts it)."""
    return job_start + dt.timedelta(days=max_days)


def care_ends_soon(until: dt.date, today: dt.date, days: int = CARE_END_WARNING_DAYS) -> bool:
    return today <= until <= today + dt.timedelta(days=days)


def parse_months(value: str | Iterable[int] | None) -> tuple[int, ...]:
    """`"3,6,12"` or [3, 6, 12] -> (3, 6, 12); sorted, unique, each 1..60."""
    if value is None:
        return FOLLOW_UP_MONTHS_DEFAULT
    items = value.split(",") if isinstance(value, str) else list(value)
    months = sorted({int(str(x).strip()) for x in items if str(x).strip()})
    if not months or any(not 1 <= m <= 60 for m in months):
        raise ValueError("follow-up months must be whole numbers from 1 to 60")
    return tuple(months)


def follow_up_dates(anchor: dt.date, months: Sequence[int]) -> list[tuple[int, dt.date]]:
    return [(m, add_months(anchor, m)) for m in months]


def exit_needs_own_schedule(exit_date: dt.date, job_starts: Iterable[dt.date]) -> bool:
    return not any(
        0 <= (exit_date - start).days <= EXIT_COVERED_BY_JOB_START_DAYS for start in job_starts
    )
