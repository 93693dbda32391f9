"""Dates and day-parts of care: public holidays, recurrence, what an activity needs.

Plain functions, no ORM: tested on their own.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from functools import lru_cache
from typing import cast

import holidays
from dateutil.rrule import rrulestr

MORNING = "am"
AFTERNOON = "pm"
DAY_PARTS = (MORNING, AFTERNOON)


@dataclass(frozen=True)
class DayPartWindow:
    """The hours a day-part covers; care within them counts as that day-part."""

    part: str
    start: dt.time
    end: dt.time


# The common split of a childcare day; a booking of one day-part covers this window.
WINDOWS = (
    DayPartWindow(MORNING, dt.time(7, 0), dt.time(12, 30)),
    DayPartWindow(AFTERNOON, dt.time(12, 30), dt.time(18, 30)),
)
WINDOW_BY_PART = {w.part: w for w in WINDOWS}


@lru_cache(maxsize=64)
def public_holidays(year: int) -> dict[dt.date, str]:
    """Belgian public holidays plus 11 July, the Flemish Community's holiday.

    The `holidays` package has the national ones but not 11 July; providers add their own
    closures on top.
    """
    days = dict(holidays.Belgium(years=year, language="nl").items())
    days.setdefault(dt.date(year, 7, 11), "Feest van de Vlaamse Gemeenschap")
    return days


def is_public_holiday(day: dt.date) -> bool:
    return day in public_holidays(day.year)


def day_parts_for(start: dt.time, end: dt.time, *, travel_minutes: int = 0) -> tuple[str, ...]:
    """The day-parts care must cover for an activity from start to end, travel included.

    A course from 9:00 to 12:00 with 30 minutes' travel each way needs care from 8:30 to
    12:30: the morning. From 9:00 to 15:00: morning and afternoon.
    """
    if end <= start:
        raise ValueError("an activity ends after it starts")
    day = dt.date(2000, 1, 3)
    care_start = (dt.datetime.combine(day, start) - dt.timedelta(minutes=travel_minutes)).time()
    care_end_dt = dt.datetime.combine(day, end) + dt.timedelta(minutes=travel_minutes)
    care_end = care_end_dt.time() if care_end_dt.date() == day else dt.time(23, 59)
    parts = tuple(w.part for w in WINDOWS if care_start < w.end and care_end > w.start)
    return parts


def occurrences(
    *,
    start: dt.date,
    rule: str = "",
    until: dt.date | None = None,
    skip_holidays: bool = True,
    limit: int = 370,
) -> list[dt.date]:
    """The dates of a one-off (no rule) or recurring (RFC 5545 RRULE) activity.

    Public holidays are skipped: no course, no care. A rule without an end stops at `until`
    or after `limit` dates.
    """
    if not rule:
        dates: Iterable[dt.date] = [start]
    else:
        text = rule.strip()
        if text.upper().startswith("RRULE:"):
            text = text[6:]
        parsed = rrulestr(text, dtstart=dt.datetime.combine(start, dt.time()))
        dates = _take(cast(Iterable[dt.datetime], parsed), until, limit + 60)
    out = [d for d in dates if not (skip_holidays and is_public_holiday(d))]
    return out[:limit]


def _take(parsed: Iterable[dt.datetime], until: dt.date | None, limit: int) -> Iterator[dt.date]:
    for count, moment in enumerate(parsed):
        day = moment.date()
        if (until is not None and day > until) or count >= limit:
            return
        yield day


def validate_rule(rule: str) -> str:
    """Raise ValueError for a rule dateutil cannot read; return it normalised."""
    text = rule.strip()
    if not text:
        return ""
    if text.upper().startswith("RRULE:"):
        text = text[6:]
    rrulestr(text, dtstart=dt.datetime(2026, 1, 1))
    return text.upper()


def age_in_months(birth: dt.date, on: dt.date) -> int:
    months = (on.year - birth.year) * 12 + (on.month - birth.month)
    if on.day < birth.day:
        months -= 1
    return months
