"""The cohort comparison against the hand-counted world (tests/research/conftest.py).

Base: C1, C2, C3 (first screening in the period, with care duties; C4 has none).
Received care: C1 (attended R1, R2, R8). No care yet: C2 (pending, cancelled) and C3
(absent and confirmed only).
"""

from __future__ import annotations

import pytest
from django.utils import translation

from tests.research.conftest import ResearchWorld
from zorgbrug.research.cohorts import CAVEAT, MEASURES, cohort_comparison

pytestmark = pytest.mark.django_db


def test_cohorts_by_hand(rw: ResearchWorld) -> None:
    comparison = cohort_comparison(rw.filters())
    assert (comparison.care_n, comparison.no_care_n) == (1, 2)
    rows = {r.key: r for r in comparison.rows}
    assert (rows["active"].care, rows["active"].no_care) == (1, 2)
    assert (rows["job_start"].care, rows["job_start"].no_care) == (0, 1)  # C3
    assert (rows["training"].care, rows["training"].no_care) == (1, 1)  # C1; C2's course
    assert (rows["job_search"].care, rows["job_search"].no_care) == (1, 0)  # C1's interview
    assert rows["training"].care_share == 1.0 and rows["training"].no_care_share == 0.5
    assert rows["training"].difference_points == 50.0
    # pathway outcomes: C1 left for work, C2 for training; C1 has a regular place, and so
    # has C3; no one of the three has had a follow-up six months after leaving yet
    assert (rows["left_work_or_training"].care, rows["left_work_or_training"].no_care) == (1, 1)
    assert (rows["regular_childcare"].care, rows["regular_childcare"].no_care) == (1, 1)
    assert (rows["work_or_training_6m"].care, rows["work_or_training_6m"].no_care) == (0, 0)


def test_cohorts_follow_the_referrer_filter(rw: ResearchWorld) -> None:
    comparison = cohort_comparison(rw.filters(organisation_id=rw.ocmw.pk))
    assert (comparison.care_n, comparison.no_care_n) == (0, 1)  # C3
    assert {r.key: r.care_share for r in comparison.rows}["active"] is None


def test_caveat_says_it_is_not_randomised() -> None:
    with translation.override("en"):
        assert "not a randomised comparison" in str(CAVEAT)
    assert {m.key for m in MEASURES} == {
        "active",
        "job_start",
        "training",
        "job_search",
        "left_work_or_training",
        "work_or_training_6m",
        "regular_childcare",
    }
