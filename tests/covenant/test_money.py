"""The pure money rules: tariffs, the day-count rule, the parent contribution, and the split
to the cent — with property tests on random cost lines and keys."""

from __future__ import annotations

import datetime as dt
import random
from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from zorgbrug.covenant import engine, money
from zorgbrug.covenant.money import (
    DEFAULT_DAY_COUNT,
    ContributionAmounts,
    ContributionMode,
    DayCountBand,
    Reduction,
    Unit,
)
from zorgbrug.covenant.rules import Basis, CovenantRules, KeyRule, period_problems

D = Decimal

# --- Strategies --------------------------------------------------------------------------

partners = st.integers(min_value=1, max_value=8)
# Cost lines as the engine makes them: cents times quantities and percentages, exact to ten
# decimals, from nothing to a few thousand euros.
amounts = st.integers(min_value=0, max_value=500_000_000).map(lambda n: D(n) / D(10**5))


@st.composite
def share_sets(draw: st.DrawFn) -> dict[int, Decimal]:
    """Partners with percentages (two decimals) that add up to exactly 100."""
    who = draw(st.lists(partners, min_size=1, max_size=5, unique=True))
    cuts = sorted(
        draw(st.lists(st.integers(0, 10_000), min_size=len(who) - 1, max_size=len(who) - 1))
    )
    bounds = [0, *cuts, 10_000]
    shares = {p: D(bounds[i + 1] - bounds[i]) / 100 for i, p in enumerate(who)}
    return {p: pct for p, pct in shares.items() if pct > 0} or {who[0]: D(100)}


lines = st.lists(st.tuples(amounts, share_sets()), min_size=0, max_size=40)


# --- The split ---------------------------------------------------------------------------


@settings(max_examples=300, deadline=None)
@given(lines)
def test_shares_add_up_to_the_total_to_the_cent(
    cost_lines: list[tuple[Decimal, dict[int, Decimal]]],
) -> None:
    result = money.split(cost_lines)
    assert result.total == money.to_cents(sum((a for a, _ in cost_lines), D(0)))
    assert sum(result.shares.values(), D(0)) == result.total
    for value in result.shares.values():
        assert value == value.quantize(money.CENT)


@settings(max_examples=300, deadline=None)
@given(lines)
def test_no_share_is_negative(cost_lines: list[tuple[Decimal, dict[int, Decimal]]]) -> None:
    result = money.split(cost_lines)
    assert all(v >= 0 for v in result.shares.values())


@settings(max_examples=200, deadline=None)
@given(lines, st.randoms(use_true_random=False))
def test_the_split_does_not_depend_on_the_order_of_the_lines(
    cost_lines: list[tuple[Decimal, dict[int, Decimal]]], rnd: random.Random
) -> None:
    shuffled = list(cost_lines)
    rnd.shuffle(shuffled)
    shuffled = [(a, dict(reversed(list(s.items())))) for a, s in shuffled]
    assert money.split(cost_lines).shares == money.split(shuffled).shares


@settings(max_examples=200, deadline=None)
@given(lines)
def test_each_share_is_within_a_cent_of_its_exact_value(
    cost_lines: list[tuple[Decimal, dict[int, Decimal]]],
) -> None:
    result = money.split(cost_lines)
    for partner, exact in result.exact.items():
        assert abs(result.shares[partner] - exact) < money.CENT


@settings(max_examples=200, deadline=None)
@given(st.dictionaries(st.tuples(partners, st.integers(0, 5)), amounts, max_size=30))
def test_nested_rounding_adds_up_on_both_levels(exact: dict[tuple[int, int], Decimal]) -> None:
    total = money.to_cents(sum(exact.values(), D(0)))
    totals, details = money.apportion_nested(total, exact)
    assert sum(totals.values(), D(0)) == total
    for partner, partner_total in totals.items():
        assert sum((v for (p, _g), v in details.items() if p == partner), D(0)) == partner_total
    assert all(v >= 0 for v in details.values())


def test_largest_remainder_gives_the_missing_cents_to_the_largest_remainders() -> None:
    # 10.00 in thirds: 3.333… each; one cent goes to the first in order.
    third = D(10) / 3
    assert money.largest_remainder(D("10.00"), {"a": third, "b": third, "c": third}) == {
        "a": D("3.34"),
        "b": D("3.33"),
        "c": D("3.33"),
    }
    assert money.largest_remainder(D("1.00"), {"a": D("0.996"), "b": D("0.004")}) == {
        "a": D("1.00"),
        "b": D("0.00"),
    }
    with pytest.raises(ValueError):
        money.largest_remainder(D("5.00"), {"a": D("1")})


def test_a_split_line_must_have_shares_that_add_up() -> None:
    with pytest.raises(ValueError):
        money.split([(D(10), {1: D(60), 2: D(30)})])


def test_negative_lines_split_too() -> None:
    result = money.split([(D("-10.005"), {1: D(50), 2: D(50)}), (D("20"), {1: D(100)})])
    assert result.total == D("10.00")  # -10.005 + 20 = 9.995, rounded half away from zero
    assert sum(result.shares.values()) == result.total


# --- Tariffs and the day-count rule ------------------------------------------------------


@pytest.mark.parametrize(
    ("hours", "fraction"),
    [("0", "0.6"), ("4.75", "0.6"), ("5", "1"), ("10.75", "1"), ("11", "1.6"), ("13", "1.6")],
)
def test_day_count_rule(hours: str, fraction: str) -> None:
    assert money.day_fraction(D(hours), DEFAULT_DAY_COUNT) == D(fraction)


def test_day_count_is_configurable() -> None:
    school_age = (DayCountBand(D(0), D(40)), DayCountBand(D(3), D(60)), DayCountBand(D(5), D(100)))
    assert money.day_fraction(D("2.5"), school_age) == D("0.4")
    assert money.day_fraction(D(4), school_age) == D("0.6")
    assert money.day_count_problems(school_age) == []
    assert "first_not_zero" in money.day_count_problems((DayCountBand(D(1), D(60)),))
    assert "duplicate_start" in money.day_count_problems(
        (DayCountBand(D(0), D(60)), DayCountBand(D(0), D(100)))
    )


def test_billable_hours_count_started_quarters() -> None:
    assert money.billable_hours(0) == D(0)
    assert money.billable_hours(1) == D("0.25")
    assert money.billable_hours(160) == D("2.75")
    assert money.billable_hours(180) == D(3)


def test_booking_quantity_by_unit() -> None:
    common = {"booking_hours": D("5.5"), "day_hours": D("11.5"), "bands": DEFAULT_DAY_COUNT}
    assert money.booking_quantity(Unit.DAY_PART, bookings_in_day=2, **common) == 1
    assert money.booking_quantity(Unit.HOUR, bookings_in_day=2, **common) == D("5.5")
    # A day of 11.5 hours counts 160%, shared by its two day-parts.
    assert money.booking_quantity(Unit.DAY, bookings_in_day=2, **common) == D("0.8")
    with pytest.raises(ValueError):
        money.place_quantity(Unit.DAY, window_hours=D(6))


# --- The parent contribution -------------------------------------------------------------

AMOUNTS_2026 = ContributionAmounts(
    flat_day_amount=D("5.00"),
    min_day_price=D("6.00"),
    max_day_price=D("33.00"),
    income_floor=D(20000),
    income_ceiling=D(74000),
    sibling_discount_percent=D(20),
    reduced_percent=D(50),
    lowest_day_price=D("2.00"),
)


@pytest.mark.parametrize(
    ("income", "children", "reduction", "price"),
    [
        (None, 1, Reduction.NONE, "33.00"),  # not disclosed: the maximum
        (D(15000), 1, Reduction.NONE, "6.00"),
        (D(47000), 1, Reduction.NONE, "19.50"),
        (D(47000), 2, Reduction.NONE, "15.60"),  # 20% off for the second child
        (D(21000), 3, Reduction.NONE, "6.00"),  # never below the minimum
        (D(90000), 1, Reduction.NONE, "33.00"),
        (D(47000), 1, Reduction.PERCENTAGE, "9.75"),
        (D(22000), 1, Reduction.PERCENTAGE, "6.00"),  # 50%, not below the minimum
        (D(47000), 1, Reduction.MINIMUM, "6.00"),
        (D(47000), 1, Reduction.LOWEST, "2.00"),
    ],
)
def test_income_related_day_price(
    income: Decimal | None, children: int, reduction: Reduction, price: str
) -> None:
    assert money.parent_day_price(
        ContributionMode.INCOME,
        AMOUNTS_2026,
        income=income,
        dependent_children=children,
        reduction=reduction,
    ) == D(price)


def test_free_and_flat_contributions() -> None:
    assert money.parent_day_price(ContributionMode.FREE, None) == 0
    assert money.parent_day_price(ContributionMode.FLAT, AMOUNTS_2026) == D("5.00")
    with pytest.raises(ValueError):
        money.parent_day_price(ContributionMode.FLAT, None)
    assert money.contribution_problems(AMOUNTS_2026) == []
    bad = ContributionAmounts(min_day_price=D(40), max_day_price=D(33), income_ceiling=D(1))
    assert "min_above_max" in money.contribution_problems(bad)


@settings(max_examples=200, deadline=None)
@given(
    st.one_of(st.none(), st.integers(0, 200_000).map(D)),
    st.integers(1, 6),
    st.sampled_from(list(Reduction)),
)
def test_day_price_stays_between_the_lowest_tariff_and_the_maximum(
    income: Decimal | None, children: int, reduction: Reduction
) -> None:
    price = money.income_day_price(
        AMOUNTS_2026, income=income, dependent_children=children, reduction=reduction
    )
    assert AMOUNTS_2026.lowest_day_price <= price <= AMOUNTS_2026.max_day_price
    assert price == price.quantize(money.CENT)


# --- Periods in time ---------------------------------------------------------------------


def d(day: int, month: int = 1) -> dt.date:
    return dt.date(2026, month, day)


def test_periods_without_gaps_or_overlaps() -> None:
    assert period_problems([(d(1), d(10)), (d(11), None)], within=(d(1), None)) == []
    assert period_problems([(d(1), d(31)), (d(1, 2), d(28, 2))], within=(d(1), d(28, 2))) == []


def test_overlaps_gaps_and_periods_outside_are_found() -> None:
    codes = [p.code for p in period_problems([(d(1), d(10)), (d(10), None)])]
    assert codes == ["overlap"]
    gap = period_problems([(d(1), d(10)), (d(12), None)], within=(d(1), None))
    assert [(p.code, p.first, p.last) for p in gap] == [("gap", d(11), d(11))]
    late = period_problems([(d(5), d(20))], within=(d(1), d(31)))
    assert [(p.code, p.first, p.last) for p in late] == [
        ("gap", d(1), d(4)),
        ("gap", d(21), d(31)),
    ]
    assert [p.code for p in period_problems([(d(1), None)], within=(d(1), d(31)))] == ["outside"]
    assert [p.code for p in period_problems([], within=(d(1), None))] == ["gap"]


@settings(max_examples=200, deadline=None)
@given(st.lists(st.tuples(st.integers(1, 300), st.integers(0, 60)), max_size=6))
def test_period_check_agrees_with_counting_days(spans: list[tuple[int, int]]) -> None:
    start = dt.date(2026, 1, 1)
    periods = [(start + dt.timedelta(days=a), start + dt.timedelta(days=a + n)) for a, n in spans]
    within = (start, start + dt.timedelta(days=400))
    covered: dict[dt.date, int] = {}
    for first, last in periods:
        day = first
        while day <= last:
            covered[day] = covered.get(day, 0) + 1
            day += dt.timedelta(days=1)
    problems = {p.code for p in period_problems(periods, within=within)}
    assert ("overlap" in problems) == any(n > 1 for n in covered.values())
    all_days = (within[1] - within[0]).days + 1
    assert ("gap" in problems) == (len(covered) < all_days)


# --- Keys ----------------------------------------------------------------------------------


def test_key_resolution_by_basis() -> None:
    fallback = {9: D(100)}
    common = {
        "has_booking": True,
        "activity_kind": "course",
        "postcode": "9900",
        "municipality": "Eeklo",
        "partner_by_org": {100: 1, 200: 2},
    }
    by_referrer = KeyRule(1, Basis.REFERRER, d(1), None, {"": fallback, "200": {3: D(100)}})
    assert by_referrer.resolve(referrer_org_id=100, **common) == ("referrer:100", {1: D(100)})
    assert by_referrer.resolve(referrer_org_id=200, **common) == ("referrer:200", {3: D(100)})
    assert by_referrer.resolve(referrer_org_id=300, **common) == ("fallback", fallback)
    by_kind = KeyRule(2, Basis.ACTIVITY_KIND, d(1), None, {"": fallback, "course": {4: D(100)}})
    assert by_kind.resolve(referrer_org_id=100, **common)[1] == {4: D(100)}
    by_place = KeyRule(3, Basis.MUNICIPALITY, d(1), None, {"": fallback, "eeklo": {5: D(100)}})
    assert by_place.resolve(referrer_org_id=100, **common)[1] == {5: D(100)}
    fixed = KeyRule(4, Basis.FIXED, d(1), None, {"": {1: D(50), 2: D(50)}})
    assert fixed.resolve(referrer_org_id=100, **common) == ("fixed", {1: D(50), 2: D(50)})
    # Lines without a booking (unused reserved places) follow the fallback.
    assert by_kind.resolve(**{**common, "has_booking": False}, referrer_org_id=None) == (
        "fallback",
        fallback,
    )


@settings(max_examples=100, deadline=None)
@given(
    st.lists(
        st.tuples(
            st.integers(0, 100_000),
            st.sampled_from([None, 100, 200, 300]),
            st.sampled_from(["course", "job_start", "other"]),
        ),
        max_size=60,
    ),
    st.randoms(use_true_random=False),
)
def test_settling_engine_rows_adds_up_and_ignores_order(
    rows: list[tuple[int, int | None, str]], rnd: random.Random
) -> None:
    """Through the engine's grouping: both sides add up to the same total, in any order."""
    key = KeyRule(
        1,
        Basis.REFERRER,
        d(1),
        None,
        {"": {7: D("33.33"), 8: D("66.67")}, "300": {7: D(50), 9: D(50)}},
    )
    rules = CovenantRules(id=1, valid_from=d(1), valid_until=None, keys=(key,))
    cost_rows = [
        engine.CostRow(
            kind=engine.CostKind.CARE,
            date=d(5),
            day_part="am",
            care_site_id=1 + i % 3,
            provider_id=1 + i % 3,
            covenant_id=1,
            unit="hour",
            quantity=D(1),
            unit_price=D(cents) / 100,
            charge_percent=D(100),
            gross=D(cents) / 100,
            parent=D(0),
            amount=D(cents) / 100,
            booking_id=i,
            referrer_org_id=referrer,
            activity_kind=kind,
        )
        for i, (cents, referrer, kind) in enumerate(rows)
    ]
    partner_by_org = {100: 4, 200: 5}
    result = engine.settle(cost_rows, versions=[rules], partner_by_org=partner_by_org)
    assert sum(result.provider_totals.values(), D(0)) == result.total
    assert sum(result.payer_totals.values(), D(0)) == result.total
    assert all(v >= 0 for v in result.payer_totals.values())
    shuffled = list(cost_rows)
    rnd.shuffle(shuffled)
    again = engine.settle(shuffled, versions=[rules], partner_by_org=partner_by_org)
    assert again.payer_totals == result.payer_totals
    assert again.provider_totals == result.provider_totals
