"""Every indicator against the hand-counted world of tests/research/conftest.py."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from tests.research.conftest import ResearchWorld
from zorgbrug.access import audit
from zorgbrug.pathways.models import FollowUp, Outcome
from zorgbrug.research import facts, indicators
from zorgbrug.research.indicators import (
    INDICATORS,
    ByGender,
    Evaluation,
    Measure,
    Money,
    Share,
    Table,
    compute_one,
)

pytestmark = pytest.mark.django_db


def value(rw: ResearchWorld, key: str, **filters: object) -> indicators.IndicatorValue:
    return compute_one(rw.filters(**filters), key)


# --- Reach: C1, C2, C3, C4 are screened in the period (first screening only) ---------


def test_clients_screened_counts_each_client_once_at_the_first_screening(
    rw: ResearchWorld,
) -> None:
    assert value(rw, "reach.screened") == 4  # not C5 (2025), C6/C7 (consent), C8, C10


def test_clients_with_care_duties(rw: ResearchWorld) -> None:
    assert value(rw, "reach.with_care_duties") == 3  # C4 has no care recipient


def test_care_is_the_main_barrier(rw: ResearchWorld) -> None:
    # C1 and C3; C2's follow-up saying "care" does not count.
    assert value(rw, "reach.care_main_barrier") == Share(2, 4)


def test_would_accept_if_care_were_arranged(rw: ResearchWorld) -> None:
    assert value(rw, "reach.would_accept") == Share(2, 4)  # C1, C3; "maybe" not counted


def test_held_back_by_care_duties(rw: ResearchWorld) -> None:
    assert value(rw, "reach.held_back") == Share(2, 4)  # C1 (job), C3 (course)


def test_reach_by_referrer_organisation(rw: ResearchWorld) -> None:
    assert value(rw, "reach.screened", organisation_id=rw.vdab.pk) == 2  # C1, C2
    assert value(rw, "reach.with_care_duties", organisation_id=rw.ocmw.pk) == 1  # C3


def test_reach_period_bounds_are_inclusive(rw: ResearchWorld) -> None:
    import datetime as dt

    assert value(rw, "reach.screened", start=dt.date(2026, 6, 30)) == 1  # C4 on the last day
    assert value(rw, "reach.screened", start=dt.date(2026, 7, 1), end=dt.date(2026, 7, 31)) == 1


# --- Service ---------------------------------------------------------------------------


def test_care_requests_made_in_the_period(rw: ResearchWorld) -> None:
    # R1 R2 R3 R4 R5 R6 R9; not R7 (no research use), R8 (2025), R10 (other network)
    assert value(rw, "service.requests") == 7


def test_share_of_requests_served(rw: ResearchWorld) -> None:
    # R1, R2, R4 (absent: a place was given), R5 (confirmed, July), R6; not R3 (pending), R9
    assert value(rw, "service.served") == Share(5, 7)


def test_wait_median_and_p90(rw: ResearchWorld) -> None:
    # waits R6 1, R2 2, R1 7, R4 10, R5 30 days
    median = value(rw, "service.wait_median")
    p90 = value(rw, "service.wait_p90")
    assert median == Measure(7.0, 5)
    # rank 0.9 * 4 = 3.6: 10 + 0.6 * (30 - 10)
    assert isinstance(p90, Measure) and p90.value == pytest.approx(22.0) and p90.n == 5


def test_wait_by_activity_kind_interpolates_between_two_values(rw: ResearchWorld) -> None:
    # courses: R1 (7) and R6 (1); R3 not served
    assert value(rw, "service.wait_median", activity_kind="course") == Measure(4.0, 2)
    p90 = value(rw, "service.wait_p90", activity_kind="course")
    assert isinstance(p90, Measure) and p90.value == pytest.approx(6.4)


def test_wait_without_served_requests_is_empty(rw: ResearchWorld) -> None:
    assert value(rw, "service.wait_median", activity_kind="work_trial") == Measure(None, 0)


def test_day_parts_of_care_used(rw: ResearchWorld) -> None:
    # attended on a day in the period: R1 x2, R2, R6 x2, R8 (asked in 2025, care in 2026)
    assert value(rw, "service.day_parts_used") == 6


def test_hours_of_care_used(rw: ResearchWorld) -> None:
    # R1 08:00-12:00 (240 min) + afternoon nominal 360; R2 morning nominal 330;
    # R6 09:00-11:30 (150) + morning 330; R8 morning 330 = 1740 minutes = 29 hours
    assert value(rw, "service.hours_used") == Measure(29.0, 6)


def test_no_show_and_late_cancellation_rates(rw: ResearchWorld) -> None:
    # due with a place: R1 attended x2, no-show, cancelled late; R2 1; R4 absent +
    # confirmed; R6 2; R8 1 = 10 (R1's in-time cancellation and R3's pending do not count)
    assert value(rw, "service.no_show_rate") == Share(1, 10)
    assert value(rw, "service.late_cancellation_rate") == Share(1, 10)


def test_occupancy_of_reserved_places(rw: ResearchWorld) -> None:
    # 14 slots on days in the period: 13 x 2 reserved + 1 (02-11) = 27; used: 01-19 am 2,
    # twelve more with 1, 02-11 min(3, 1) = 1 -> 15. The 07-20 slot lies after the period.
    assert value(rw, "service.reserved_occupancy") == Share(15, 27)


def test_occupancy_counts_only_days_up_to_today(rw: ResearchWorld) -> None:
    import datetime as dt

    share = value(rw, "service.reserved_occupancy", end=dt.date(2026, 7, 31))
    assert share == Share(15, 27)  # 07-20 is after "today" (07-15)
    share = value(rw, "service.reserved_occupancy", end=dt.date(2026, 7, 31), today=None)
    assert isinstance(share, Share)


def test_service_by_referrer_and_kind_filters(rw: ResearchWorld) -> None:
    assert value(rw, "service.requests", organisation_id=rw.ocmw.pk) == 2  # R4, R5
    assert value(rw, "service.served", organisation_id=rw.ocmw.pk) == Share(2, 2)
    assert value(rw, "service.requests", activity_kind="course") == 3  # R1, R3, R6
    assert value(rw, "service.day_parts_used", activity_kind="course") == 5  # R1 2, R6 2, R8


# --- Uptake -----------------------------------------------------------------------------


def test_uptake_by_referrer(rw: ResearchWorld) -> None:
    table = value(rw, "uptake.by_referrer")
    assert isinstance(table, Table)
    assert [r.label for r in table.rows] == ["OCMW Noord", "VDAB Noord", "Werkwinkel"]
    # columns: with care duties, received care, uptake, requests, served, share served
    # then clients who left, of whom for work or training, its share; followed up six
    # months after leaving, of whom in work or training, its share
    vdab = table.row(str(rw.vdab.pk)).values
    assert vdab[:6] == (2, 1, 0.5, 5, 3, 0.6)  # C1 got care, C2 not
    assert vdab[6:] == (2, 2, 1.0, 1, 1, 1.0)  # C1 work, C2 training; C5 employed at 6 months
    ocmw = table.row(str(rw.ocmw.pk)).values
    assert ocmw[:6] == (1, 0, 0.0, 2, 2, 1.0)  # C3 absent only
    assert ocmw[6:] == (2, 0, 0.0, 0, 0, None)  # C3 moved, C4 no longer needed
    assert table.rows[2].values == (0, 0, None, 0, 0, None, 0, 0, None, 0, 0, None)


def test_uptake_by_activity_kind(rw: ResearchWorld) -> None:
    table = value(rw, "uptake.by_activity_kind")
    assert isinstance(table, Table)
    # requests, served, share served, day-parts used; clients who left having had care for
    # the kind (C1: course, interview; C2: course, orientation; C3: job start), of whom for
    # work or training (C1, C2), its share
    assert table.row("course").values == (3, 2, pytest.approx(2 / 3), 5, 2, 2, 1.0)
    assert table.row("job_interview").values == (1, 1, 1.0, 1, 1, 1, 1.0)
    assert table.row("job_start").values == (2, 2, 1.0, 0, 1, 0, 0.0)
    assert table.row("orientation").values == (1, 0, 0.0, 0, 1, 1, 1.0)
    assert table.row("work_trial").values == (0, 0, None, 0, 0, 0, None)
    only = value(rw, "uptake.by_activity_kind", activity_kind="course")
    assert isinstance(only, Table) and [r.key for r in only.rows] == ["course"]


# --- ESF+: participants C1, C2, C9 (women), C3 (man), C4 (non-binary) -----------------

ESF_EXPECTED = {
    "participants": {"female": 3, "male": 1, "x": 1},
    "unemployed": {"female": 1, "x": 1},  # C1, C4
    "long_term_unemployed": {"female": 1},  # C1 (14 months); C4 has 6
    "inactive": {"female": 2},  # C2 (in training), C9
    "employed": {"male": 1},  # C3
    "under_18": {"female": 1},  # C2 is 17
    "age_18_29": {"x": 1},  # C4 turns 26 the day after entry; C9 is exactly 30
    "age_55_plus": {"male": 1},  # C3 is 56
    "isced_0_2": {"female": 2},  # C1, C2
    "isced_3_4": {"x": 1},  # C4
    "isced_5_8": {"male": 1},  # C3
    "foreign_background": {"female": 2},  # C1, C9
    "single_adult_with_children": {"female": 1, "male": 1},  # C1, C3
    "jobless_with_children": {"female": 2, "x": 1},  # C1, C2, C4
}


@pytest.mark.parametrize("category", list(ESF_EXPECTED))
def test_esf_participant_breakdown_by_gender(rw: ResearchWorld, category: str) -> None:
    result = value(rw, f"esf.{category}")
    assert isinstance(result, ByGender)
    expected = ESF_EXPECTED[category]
    assert {g: n for g, n in result.counts if n} == expected
    assert result.total == sum(expected.values())


def test_esf_by_referrer(rw: ResearchWorld) -> None:
    result = value(rw, "esf.participants", organisation_id=rw.ocmw.pk)
    assert isinstance(result, ByGender) and result.total == 2  # C3, C4


# --- Outcomes: leavers in the period C1 (work), C2 (training), C3 (moved), C4 (no longer
# needed); C5 and C11 left before it, C6 has no research use, C8 is of the other network --


def test_clients_who_left(rw: ResearchWorld) -> None:
    assert value(rw, "outcome.leavers") == 4
    assert value(rw, "outcome.leavers", organisation_id=rw.ocmw.pk) == 2  # C3, C4


def test_in_work_or_training_at_exit(rw: ResearchWorld) -> None:
    assert value(rw, "outcome.at_exit") == Share(2, 4)  # C1 work, C2 training
    assert value(rw, "outcome.at_exit", end=dt.date(2026, 3, 31)) == Share(1, 1)  # C1


def test_in_work_or_training_after_leaving(rw: ResearchWorld) -> None:
    # 3 months: C1 (of the job start, due 04-26: employed), C5 (03-21: employed), C11 (of
    # the exit, 02-15: seeking work)
    assert value(rw, "outcome.at_3_months") == Share(2, 3)
    # 6 months: C5 (06-21: employed); C11's is due 05-15 but not answered
    assert value(rw, "outcome.at_6_months") == Share(1, 1)
    assert value(rw, "outcome.at_12_months") == Share(0, 0)
    # The follow-up counts in the period it came due in, not when it was answered.
    assert value(rw, "outcome.at_3_months", end=dt.date(2026, 3, 31)) == Share(1, 2)


def test_a_follow_up_counts_once_its_answer_is_in(rw: ResearchWorld) -> None:
    open_one = FollowUp.objects.get(client=rw.clients["C11"], months=6)
    Outcome.objects.create(
        client=rw.clients["C11"],
        follow_up=open_one,
        observed_on=dt.date(2026, 5, 20),
        status="unreachable",
        organisation=rw.vdab,
    )
    facts.rebuild()
    # an unreachable client is an answer, and not in work or training
    assert value(rw, "outcome.at_6_months") == Share(1, 2)


def test_job_retention_at_six_months(rw: ResearchWorld) -> None:
    # C5 left for work and is employed at the 6-month follow-up of her job start
    assert value(rw, "outcome.job_retention_6m") == Share(1, 1)
    assert value(rw, "outcome.job_retention_6m", end=dt.date(2026, 5, 31)) == Share(0, 0)


def test_moved_on_to_regular_childcare(rw: ResearchWorld) -> None:
    # leavers who received care: C1 only (C3's regular place does not count: no care), and
    # C1 has a regular place; C2 is only registered at the desk
    assert value(rw, "outcome.regular_childcare") == Share(1, 1)


# --- Costs: closed settlements of "noord" in the period, A B C D and E ------------------


def test_total_cost(rw: ResearchWorld) -> None:
    # paid by the network: 50 + 30 + 20 + 40 - 5 (the correction); F is in an open month
    assert value(rw, "cost.total") == Money(Decimal("135.00"), Decimal(5), "lines")
    assert value(rw, "cost.care_costs") == Money(Decimal("150.50"), Decimal(5), "lines")
    # by referrer and kind: the unused reserved places (C) belong to no one
    total = value(rw, "cost.total", organisation_id=rw.vdab.pk)
    assert isinstance(total, Money) and total.amount == Decimal("115.00")
    total = value(rw, "cost.total", activity_kind="course")
    assert isinstance(total, Money) and total.amount == Decimal("75.00")
    total = value(rw, "cost.total", start=dt.date(2026, 2, 1))
    assert isinstance(total, Money) and total.amount == Decimal("40.00")


def test_cost_per_client_served(rw: ResearchWorld) -> None:
    # attended care on a day in the period, with or without research consent: C1, C5, C6
    assert value(rw, "cost.per_client") == Money(Decimal("45.00"), Decimal(3), "clients")
    # VDAB's requests: R1 R2 R6 R7 R8 -> C1, C5, C6; 115 / 3
    assert value(rw, "cost.per_client", organisation_id=rw.vdab.pk) == Money(
        Decimal("38.33"), Decimal(3), "clients"
    )


def test_cost_per_hour_of_care(rw: ResearchWorld) -> None:
    # 1740 minutes of the research clients (see hours used) + C6's morning 330 = 2070
    # minutes = 34.5 hours; 135 / 34.5 = 3.913...
    assert value(rw, "cost.per_hour") == Money(Decimal("3.91"), Decimal("34.50"), "hours")


def test_cost_per_positive_outcome(rw: ResearchWorld) -> None:
    # left for work or training in the period, with or without research consent: C1, C2, C6
    assert value(rw, "cost.per_positive_outcome") == Money(Decimal("45.00"), Decimal(3), "outcomes")


def test_costs_without_anything_to_divide_by(rw: ResearchWorld) -> None:
    nothing = value(rw, "cost.per_client", start=dt.date(2026, 6, 1))
    assert nothing == Money(None, Decimal(0), "clients")
    assert value(rw, "cost.total", start=dt.date(2026, 6, 1)) == Money(
        Decimal("0.00"), Decimal(0), "lines"
    )


# --- ESF+ results: leavers C1 C2 (women), C3 (man), C4 (non-binary) --------------------

ESF_RESULTS_EXPECTED = {
    "leavers": {"female": 2, "male": 1, "x": 1},
    "job_searching": {"x": 1},  # C4, a registered job seeker; C3 is recorded employed
    "in_training": {"female": 1},  # C2
    "employed": {"female": 1},  # C1
    "employed_6m": {"female": 1},  # C5 (her 6-month follow-up came due in the period)
    "improved_6m": {"female": 1},  # C5: permanent now, fixed-term at the job start
}


@pytest.mark.parametrize("result", list(ESF_RESULTS_EXPECTED))
def test_esf_results_by_gender(rw: ResearchWorld, result: str) -> None:
    counts = value(rw, f"esf_result.{result}")
    assert isinstance(counts, ByGender)
    assert {g: n for g, n in counts.counts if n} == ESF_RESULTS_EXPECTED[result]


def test_more_hours_is_an_improvement_too(rw: ResearchWorld) -> None:
    Outcome.objects.filter(client=rw.clients["C5"], follow_up__months=6).update(
        contract_type="fixed_term", hours_per_week=Decimal(25)
    )
    facts.rebuild()
    counts = value(rw, "esf_result.improved_6m")
    assert isinstance(counts, ByGender) and counts.total == 1
    Outcome.objects.filter(client=rw.clients["C5"], follow_up__months=6).update(
        hours_per_week=Decimal(19)
    )
    facts.rebuild()
    counts = value(rw, "esf_result.improved_6m")
    assert isinstance(counts, ByGender) and counts.total == 0


# --- Every indicator is covered and computed in few queries ----------------------------


def test_every_indicator_has_a_test_here() -> None:
    from pathlib import Path

    source = Path(__file__).read_text(encoding="utf-8")
    for indicator in INDICATORS:
        short = indicator.key.split(".", 1)[1]
        assert f'"{indicator.key}"' in source or f'"{short}"' in source, indicator.key


def test_all_indicators_take_a_handful_of_queries(
    rw: ResearchWorld, django_assert_max_num_queries: object
) -> None:
    facts.refresh()  # the first refresh builds the facts
    # a refresh with nothing to do, then about twenty aggregates over the facts: a
    # constant, whatever the data
    with django_assert_max_num_queries(30), Evaluation(rw.filters()) as ev:  # type: ignore[operator]
        results = indicators.compute(rw.filters(), evaluation=ev)
    assert len(results) == len(INDICATORS)


def test_an_evaluation_outside_its_context_is_refused(rw: ResearchWorld) -> None:
    with pytest.raises(RuntimeError, match="context manager"):
        Evaluation(rw.filters()).reach()


def test_the_temporary_tables_of_a_refresh_are_gone_afterwards(rw: ResearchWorld) -> None:
    from django.db import connection

    facts.refresh()
    # a change, as a service records it: the next refresh marks it in temporary tables
    audit.record(actor=None, action="update", obj=rw.clients["C9"], detail={"fields": ["phone"]})
    assert facts.refresh().clients == 1
    tables = connection.introspection.table_names()
    assert "research_stale_client" not in tables and "research_stale_request" not in tables
    assert compute_one(rw.filters(), "service.requests") == 7


def test_partial_months_are_read_from_the_bookings(rw: ResearchWorld) -> None:
    # 01-19 .. 02-04: R1's two attended day-parts on 01-19 and R2's on 02-04 (no whole month)
    assert (
        value(rw, "service.day_parts_used", start=dt.date(2026, 1, 19), end=dt.date(2026, 2, 4))
        == 3
    )
    # whole February to mid-April: R2 (02-04), R6 (04-02, 04-03)
    assert (
        value(rw, "service.day_parts_used", start=dt.date(2026, 2, 1), end=dt.date(2026, 4, 15))
        == 3
    )
    # "today" in the middle of a month: due day-parts stop at 01-19 (R1 am and pm; R8 01-05)
    share = value(rw, "service.no_show_rate", today=dt.date(2026, 1, 19))
    assert share == Share(0, 3)


def test_not_applicable_filters_are_reported(rw: ResearchWorld) -> None:
    results = {
        r.indicator.key: r
        for r in indicators.compute(rw.filters(activity_kind="course", organisation_id=rw.vdab.pk))
    }
    assert results["reach.screened"].not_applicable == (indicators.Dimension.ACTIVITY_KIND,)
    assert results["service.requests"].not_applicable == ()
    assert set(results["service.reserved_occupancy"].not_applicable) == {
        indicators.Dimension.REFERRER,
        indicators.Dimension.ACTIVITY_KIND,
    }
