"""Pure date rules: holidays, recurrence, day-parts."""

from __future__ import annotations

import datetime as dt

import pytest
from hypothesis import given
from hypothesis import strategies as st

from zorgbrug.care import calendar as cal


def test_belgian_holidays_include_11_july() -> None:
    assert cal.is_public_holiday(dt.date(2026, 7, 11))
    assert cal.is_public_holiday(dt.date(2026, 7, 21))
    assert cal.is_public_holiday(dt.date(2026, 12, 25))
    assert not cal.is_public_holiday(dt.date(2026, 7, 10))


def test_weekly_rule_skips_public_holidays() -> None:
    # Mondays and Thursdays in May 2026: 14 May (Ascension) and 25 May (Whit Monday) fall out.
    dates = cal.occurrences(
        start=dt.date(2026, 5, 4), rule="FREQ=WEEKLY;BYDAY=MO,TH", until=dt.date(2026, 5, 28)
    )
    assert dt.date(2026, 5, 14) not in dates and dt.date(2026, 5, 25) not in dates
    assert dates == [dt.date(2026, 5, d) for d in (4, 7, 11, 18, 21, 28)]


def test_one_off_on_a_holiday_gives_nothing() -> None:
    assert cal.occurrences(start=dt.date(2026, 11, 11)) == []


@pytest.mark.parametrize(
    ("start", "end", "travel", "parts"),
    [
        (dt.time(9), dt.time(12), 30, ("am",)),
        (dt.time(9), dt.time(12, 15), 30, ("am", "pm")),
        (dt.time(13), dt.time(16), 30, ("pm",)),
        (dt.time(9), dt.time(15), 0, ("am", "pm")),
        (dt.time(19), dt.time(21), 0, ()),
    ],
)
def test_day_parts_include_travel(
    start: dt.time, end: dt.time, travel: int, parts: tuple[str, ...]
) -> None:
    assert cal.day_parts_for(start, end, travel_minutes=travel) == parts


def test_bad_rule_is_refused() -> None:
    with pytest.raises(ValueError):
        cal.validate_rule("EVERY MONDAY")


@given(
    st.dates(min_value=dt.date(2015, 1, 1), max_value=dt.date(2030, 1, 1)),
    st.integers(min_value=0, max_value=2000),
)
def test_age_in_months_is_monotonic(birth: dt.date, days: int) -> None:
    on = birth + dt.timedelta(days=days)
    later = on + dt.timedelta(days=31)
    assert 0 <= cal.age_in_months(birth, on) <= cal.age_in_months(birth, later)
    assert cal.age_in_months(birth, on) <= days // 28
