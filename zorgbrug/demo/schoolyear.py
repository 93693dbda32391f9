"""Flemish school holidays, approximately, for demo and synthetic capacity.

Out-of-school care (BKO/IBO) is open before and after school in term time and all day in
the school holidays. The demo and the generator rent its mornings to the network only in
the holidays, so they need the holiday periods. The rules below are those of the classic
Flemish school calendar; they are good enough for plausible data and are no substitute for
a provider's own calendar (real capacity is entered by the provider).

- autumn: the week of 1 November (the week after when 1 November is a Sunday);
- Christmas: two weeks from the Monday of the week of 25 December (the Monday after when
  Christmas falls on a weekend);
- spring (krokus): the week of Carnival Monday, 48 days before Easter;
- Easter: two weeks from the first Monday of April; from the Monday after Easter when
  Easter falls in March; from the second Monday before Easter when Easter is after
  15 April;
- summer: 1 July to 31 August.
"""

from __future__ import annotations

import datetime as dt
from functools import lru_cache

from dateutil.easter import easter

Period = tuple[dt.date, dt.date, str]  # first day, last day (inclusive), name


def _monday_of(day: dt.date) -> dt.date:
    return day - dt.timedelta(days=day.weekday())


def _easter_holiday_start(year: int) -> dt.date:
    sunday = easter(year)
    if sunday.month == 3:
        return sunday + dt.timedelta(days=1)
    if sunday > dt.date(year, 4, 15):
        return sunday - dt.timedelta(days=13)
    first = dt.date(year, 4, 1)
    return first + dt.timedelta(days=(7 - first.weekday()) % 7)


@lru_cache(maxsize=16)
def holidays_of_year(year: int) -> tuple[Period, ...]:
    """The school holidays that start in calendar year `year`, in date order."""
    out: list[Period] = []
    carnival = easter(year) - dt.timedelta(days=48)
    out.append((carnival, carnival + dt.timedelta(days=6), "Krokusvakantie"))
    start = _easter_holiday_start(year)
    out.append((start, start + dt.timedelta(days=13), "Paasvakantie"))
    out.append((dt.date(year, 7, 1), dt.date(year, 8, 31), "Zomervakantie"))
    all_saints = dt.date(year, 11, 1)
    start = _monday_of(all_saints + dt.timedelta(days=1 if all_saints.weekday() == 6 else 0))
    out.append((start, start + dt.timedelta(days=6), "Herfstvakantie"))
    christmas = dt.date(year, 12, 25)
    start = _monday_of(christmas + dt.timedelta(days=2 if christmas.weekday() >= 5 else 0))
    out.append((start, start + dt.timedelta(days=13), "Kerstvakantie"))
    return tuple(out)


def school_holidays(first: dt.date, last: dt.date) -> list[Period]:
    """The holiday periods that overlap [first, last], clipped to it."""
    out: list[Period] = []
    for year in range(first.year - 1, last.year + 1):
        for start, end, name in holidays_of_year(year):
            if start <= last and end >= first:
                out.append((max(start, first), min(end, last), name))
    return sorted(out)


def is_school_holiday(day: dt.date) -> bool:
    return any(start <= day <= end for start, end, _name in holidays_of_year(day.year)) or any(
        start <= day <= end for start, end, _name in holidays_of_year(day.year - 1)
    )
