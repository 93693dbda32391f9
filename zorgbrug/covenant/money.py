"""The covenant's money rules as plain functions on Decimals: no Django, no database.

- *Tariffs*: what one booking costs, by the tariff's unit (day-part, day, hour).
- *The day-count rule*: a day of care counts for a percentage of the day price that depends
  on its hours (Flemish practice: under 5 hours 60%, 5 to 11 hours 100%, 11 or more 160%).
- *The parent contribution*: free, a flat amount per day, or income-related between a
  minimum and a maximum day price, with a reduced individual tariff and a sibling discount.
- *The split*: partners' shares of many cost lines, rounded to the cent once, by the
  largest-remainder method, so that the shares add up exactly to the rounded total.

Money is never a float. Amounts before the split are exact: prices are whole cents,
percentages have at most two decimals, hours count per started quarter of an hour and a
day is split over at most two day-parts, so every product has a finite decimal expansion.
"""

from __future__ import annotations

import datetime as dt
import decimal
from collections.abc import Hashable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from decimal import ROUND_FLOOR, ROUND_HALF_UP, Decimal
from enum import StrEnum
from functools import lru_cache
from typing import Any, TypeVar

K = TypeVar("K", bound=Hashable)
P = TypeVar("P", bound=Hashable)
G = TypeVar("G", bound=Hashable)

ZERO = Decimal(0)
CENT = Decimal("0.01")
HUNDRED = Decimal(100)
QUARTER = Decimal("0.25")
# Exact arithmetic: products of cents, percentages and quarter hours never need more digits.
EXACT = decimal.Context(prec=60, rounding=ROUND_HALF_UP, traps=[decimal.Inexact])


@lru_cache(maxsize=1024)
def percent(value: Decimal | int | str) -> Decimal:
    """A percentage as a fraction: 60 -> 0.60."""
    return EXACT.divide(Decimal(value), HUNDRED)


def to_cents(amount: Decimal) -> Decimal:
    """Commercial rounding to the cent (half away from zero), used once per total."""
    return amount.quantize(CENT, rounding=ROUND_HALF_UP)


# --- Hours and the day-count rule ------------------------------------------------------


def billable_hours(minutes: int) -> Decimal:
    """Hours counted per started quarter of an hour: 3 h 01 min counts as 3.25 h."""
    if minutes <= 0:
        return ZERO
    quarters = -(-minutes // 15)
    return Decimal(quarters) * QUARTER


def minutes_between(start: dt.time, end: dt.time) -> int:
    return (end.hour * 60 + end.minute) - (start.hour * 60 + start.minute)


@dataclass(frozen=True)
class DayCountBand:
    """From `from_hours` of care on (up to the next band), a day counts for `percent`%."""

    from_hours: Decimal
    percent: Decimal


DEFAULT_DAY_COUNT: tuple[DayCountBand, ...] = (
    DayCountBand(Decimal(0), Decimal(60)),
    DayCountBand(Decimal(5), Decimal(100)),
    DayCountBand(Decimal(11), Decimal(160)),
)


def day_count_problems(bands: Sequence[DayCountBand]) -> list[str]:
    """Codes of what is wrong with a day-count rule (empty when it is usable)."""
    problems = []
    if not bands:
        return ["empty"]
    starts = [b.from_hours for b in bands]
    if sorted(starts)[0] != 0:
        problems.append("first_not_zero")
    if len(set(starts)) != len(starts):
        problems.append("duplicate_start")
    if any(b.percent < 0 for b in bands) or any(b.from_hours < 0 for b in bands):
        problems.append("negative")
    if any(b.from_hours > 24 for b in bands):
        problems.append("beyond_a_day")
    return problems


def day_fraction(hours: Decimal, bands: Sequence[DayCountBand]) -> Decimal:
    """The fraction of a day price that `hours` of care in one day count for."""
    return _day_fraction(hours, tuple(bands))


@lru_cache(maxsize=4096)
def _day_fraction(hours: Decimal, bands: tuple[DayCountBand, ...]) -> Decimal:
    chosen = None
    for band in sorted(bands, key=lambda b: b.from_hours):
        if hours >= band.from_hours:
            chosen = band
    if chosen is None:
        raise ValueError("the day-count rule must start at 0 hours")
    return percent(chosen.percent)


# --- Tariffs ---------------------------------------------------------------------------


class Unit(StrEnum):
    DAY_PART = "day_part"
    DAY = "day"
    HOUR = "hour"


class Payment(StrEnum):
    ALWAYS = "always"  # reserved places paid whether used or not
    USED = "used"  # paid only when used


@dataclass(frozen=True)
class Tariff:
    unit: Unit
    price: Decimal  # per unit, whole cents


def booking_quantity(
    unit: Unit,
    *,
    booking_hours: Decimal,
    day_hours: Decimal,
    bookings_in_day: int,
    bands: Sequence[DayCountBand],
) -> Decimal:
    """How many units one booking (a child, a day-part) counts for.

    A day tariff counts the child's whole day at the site by the day-count rule and shares
    it equally between that day's bookings (one or two day-parts).
    """
    if unit == Unit.DAY_PART:
        return Decimal(1)
    if unit == Unit.HOUR:
        return booking_hours
    if bookings_in_day < 1:
        raise ValueError("a day has at least one booking")
    return EXACT.divide(day_fraction(day_hours, bands), Decimal(bookings_in_day))


def place_quantity(unit: Unit, *, window_hours: Decimal) -> Decimal:
    """What one reserved place for one day-part counts for when it is paid whether used or
    not: one day-part, or the day-part's hours. (Day tariffs are paid per use only.)"""
    if unit == Unit.DAY_PART:
        return Decimal(1)
    if unit == Unit.HOUR:
        return window_hours
    raise ValueError("a place paid whether used or not is priced per day-part or per hour")


def line_amount(price: Decimal, quantity: Decimal, charge_percent: Decimal) -> Decimal:
    """price × quantity × charge% — exact."""
    return EXACT.multiply(EXACT.multiply(price, quantity), percent(charge_percent))


# --- The parent contribution -----------------------------------------------------------


class ContributionMode(StrEnum):
    FREE = "free"
    FLAT = "flat"
    INCOME = "income"


class Reduction(StrEnum):
    """The reduced individual tariff, decided by the OCMW after a social inquiry."""

    NONE = ""
    PERCENTAGE = "percentage"  # e.g. 50% of the income-related tariff, not below the minimum
    MINIMUM = "minimum"  # the standard minimum day price
    LOWEST = "lowest"  # the lowest tariff


@dataclass(frozen=True)
class ContributionAmounts:
    """One year's amounts (they are indexed every 1 January: configuration, not code)."""

    flat_day_amount: Decimal = ZERO
    min_day_price: Decimal = ZERO
    max_day_price: Decimal = ZERO
    income_floor: Decimal = ZERO  # at or below: the minimum day price
    income_ceiling: Decimal = ZERO  # at or above: the maximum day price
    sibling_discount_percent: Decimal = ZERO  # per further dependent child
    reduced_percent: Decimal = Decimal(50)
    lowest_day_price: Decimal = ZERO


def contribution_problems(amounts: ContributionAmounts) -> list[str]:
    problems = []
    values = [
        amounts.flat_day_amount,
        amounts.min_day_price,
        amounts.max_day_price,
        amounts.income_floor,
        amounts.income_ceiling,
        amounts.sibling_discount_percent,
        amounts.reduced_percent,
        amounts.lowest_day_price,
    ]
    if any(v < 0 for v in values):
        problems.append("negative")
    if amounts.min_day_price > amounts.max_day_price:
        problems.append("min_above_max")
    if amounts.income_floor >= amounts.income_ceiling:
        problems.append("floor_not_below_ceiling")
    if amounts.lowest_day_price > amounts.min_day_price:
        problems.append("lowest_above_min")
    if amounts.sibling_discount_percent > 100 or amounts.reduced_percent > 100:
        problems.append("percent_above_100")
    return problems


def income_day_price(
    amounts: ContributionAmounts,
    *,
    income: Decimal | None,
    dependent_children: int = 1,
    reduction: Reduction = Reduction.NONE,
) -> Decimal:
    """The income-related day price, in cents.

    Linear in the yearly taxable income between the floor (minimum price) and the ceiling
    (maximum price); a family that does not disclose its income pays the maximum. Each
    further dependent child lowers the price by the sibling discount, never below the
    minimum. A reduced individual tariff replaces the result.
    """
    low, high = amounts.min_day_price, amounts.max_day_price
    if income is None:
        price = high
    elif income <= amounts.income_floor:
        price = low
    elif income >= amounts.income_ceiling:
        price = high
    else:
        span = amounts.income_ceiling - amounts.income_floor
        price = to_cents(low + (high - low) * (income - amounts.income_floor) / span)
    if income is not None and dependent_children > 1:
        discount = min(HUNDRED, amounts.sibling_discount_percent * Decimal(dependent_children - 1))
        price = max(low, to_cents(price * (HUNDRED - discount) / HUNDRED))
    if reduction == Reduction.PERCENTAGE:
        price = max(low, to_cents(price * percent(amounts.reduced_percent)))
    elif reduction == Reduction.MINIMUM:
        price = low
    elif reduction == Reduction.LOWEST:
        price = amounts.lowest_day_price
    return price


def parent_day_price(
    mode: ContributionMode,
    amounts: ContributionAmounts | None,
    *,
    income: Decimal | None = None,
    dependent_children: int = 1,
    reduction: Reduction = Reduction.NONE,
) -> Decimal:
    if mode == ContributionMode.FREE:
        return ZERO
    if amounts is None:
        raise ValueError("this parent contribution needs the year's amounts")
    if mode == ContributionMode.FLAT:
        return amounts.flat_day_amount
    return income_day_price(
        amounts, income=income, dependent_children=dependent_children, reduction=reduction
    )


# --- Splitting among partners, to the cent ---------------------------------------------


def largest_remainder(
    total: Decimal, exact: Mapping[K, Decimal], *, order: Any = None
) -> dict[K, Decimal]:
    """Round the exact parts to cents so that they add up to `total` exactly.

    Every part is rounded down; the cents still missing go one each to the parts with the
    largest remainders (ties: by `order(key)`, by default the key's repr). A part
    of zero gets nothing, a non-negative part never becomes negative, and the result does
    not depend on the order of `exact`.
    """
    if total != total.quantize(CENT):
        raise ValueError("the total must be a whole number of cents")
    floors = {k: v.quantize(CENT, rounding=ROUND_FLOOR) for k, v in exact.items()}
    missing = int((total - sum(floors.values(), ZERO)) / CENT)
    if missing < 0 or missing > len(exact):
        raise ValueError("the total does not match the parts")
    tie = order or repr
    ranked = sorted(exact, key=lambda k: (-(exact[k] - floors[k]), tie(k)))
    for k in ranked[:missing]:
        floors[k] += CENT
    return floors


@dataclass(frozen=True)
class Split:
    exact_total: Decimal
    total: Decimal  # the exact total rounded to the cent
    exact: dict[Any, Decimal]  # per partner, before rounding
    shares: dict[Any, Decimal]  # per partner, in cents; they add up to `total`


def exact_shares(lines: Iterable[tuple[Decimal, Mapping[P, Decimal]]]) -> dict[P, Decimal]:
    """Each partner's exact share of the lines: Σ amount × percent / 100."""
    out: dict[P, Decimal] = {}
    for amount, shares in lines:
        for partner, pct in shares.items():
            part = EXACT.multiply(amount, percent(pct))
            out[partner] = EXACT.add(out.get(partner, ZERO), part)
    return out


def share_problems(shares: Mapping[Any, Decimal]) -> list[str]:
    problems = []
    if not shares:
        problems.append("empty")
    if any(p < 0 for p in shares.values()):
        problems.append("negative")
    if sum(shares.values(), ZERO) != HUNDRED:
        problems.append("not_100")
    return problems


def split(lines: Iterable[tuple[Decimal, Mapping[P, Decimal]]], *, order: Any = None) -> Split:
    """Split cost lines among partners: each line by its shares (percentages summing to
    100), the partners' exact sums rounded once so that they add up to the rounded total."""
    lines = list(lines)
    for _amount, shares in lines:
        if share_problems(shares):
            raise ValueError(f"shares must be non-negative and add up to 100: {shares}")
    exact = exact_shares(lines)
    exact_total = sum((amount for amount, _ in lines), ZERO)
    total = to_cents(exact_total)
    return Split(
        exact_total=exact_total,
        total=total,
        exact=exact,
        shares=largest_remainder(total, exact, order=order),
    )


def apportion_nested(
    total: Decimal, exact: Mapping[tuple[P, G], Decimal], *, order: Any = None
) -> tuple[dict[P, Decimal], dict[tuple[P, G], Decimal]]:
    """Round a table of exact amounts per (partner, detail) in two steps: the partners'
    totals add up to `total`, and each partner's details add up to its total."""
    by_partner: dict[P, Decimal] = {}
    for (partner, _group), amount in exact.items():
        by_partner[partner] = EXACT.add(by_partner.get(partner, ZERO), amount)
    key = order or repr
    totals = largest_remainder(total, by_partner, order=key)
    details: dict[tuple[P, G], Decimal] = {}
    for partner, partner_total in totals.items():
        rows = {g: a for (p, g), a in exact.items() if p == partner}
        rounded = largest_remainder(
            partner_total, rows, order=lambda g, partner=partner: key((partner, g))
        )
        details.update({(partner, g): v for g, v in rounded.items()})
    return totals, details
