"""The pathway's date rules, on plain data."""

from __future__ import annotations

import datetime as dt

import pytest

from zorgbrug.pathways import rules


def test_add_months_keeps_the_day_or_takes_the_months_last() -> None:
    assert rules.add_months(dt.date(2026, 1, 31), 1) == dt.date(2026, 2, 28)
    assert rules.add_months(dt.date(2028, 1, 31), 1) == dt.date(2028, 2, 29)
    assert rules.add_months(dt.date(2026, 11, 15), 3) == dt.date(2027, 2, 15)
    assert rules.add_months(dt.date(2026, 3, 31), -1) == dt.date(2026, 2, 28)
    assert rules.add_months(dt.date(2026, 5, 10), 12) == dt.date(2027, 5, 10)


def test_care_after_a_job_start_lasts_the_covenant_days() -> None:
    assert rules.care_until(dt.date(2026, 1, 5), 89) == dt.date(2026, 4, 4)
    today = dt.date(2026, 3, 25)
    assert rules.care_ends_soon(dt.date(2026, 4, 4), today)
    assert not rules.care_ends_soon(dt.date(2026, 4, 20), today)
    assert not rules.care_ends_soon(dt.date(2026, 3, 24), today)


def test_follow_up_months_are_parsed_and_checked() -> None:
    assert rules.parse_months(None) == (3, 6, 12)
    assert rules.parse_months("12, 3,6,3") == (3, 6, 12)
    assert rules.parse_months([18]) == (18,)
    for bad in ("", "0", "3,x", "61"):
        with pytest.raises(ValueError):
            rules.parse_months(bad)
    assert rules.follow_up_dates(dt.date(2026, 1, 31), (3, 6)) == [
        (3, dt.date(2026, 4, 30)),
        (6, dt.date(2026, 7, 31)),
    ]


def test_an_exit_soon_after_a_job_start_needs_no_schedule_of_its_own() -> None:
    start = dt.date(2026, 1, 5)
    assert not rules.exit_needs_own_schedule(dt.date(2026, 2, 1), [start])
    assert rules.exit_needs_own_schedule(dt.date(2026, 6, 1), [start])
    assert rules.exit_needs_own_schedule(dt.date(2026, 2, 1), [])
    assert rules.exit_needs_own_schedule(dt.date(2025, 12, 1), [start])
