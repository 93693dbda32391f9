"""A covenant version's rules as plain data, and the pure checks on them: no Django.

`CovenantRules` is a snapshot the cost engine computes with. The database builds it
(`calculation.load_rules`); the preview of a rule change builds a modified copy in memory.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from enum import StrEnum

from zorgbrug.covenant.money import (
    DEFAULT_DAY_COUNT,
    ContributionAmounts,
    ContributionMode,
    DayCountBand,
    Payment,
    Tariff,
)

ONE_DAY = dt.timedelta(days=1)


class Basis(StrEnum):
    """How an allocation key splits a cost line among partners."""

    REFERRER = "referrer"  # the organisation that referred the client pays
    ACTIVITY_KIND = "activity_kind"  # by what the care was for
    MUNICIPALITY = "municipality"  # by the client's municipality (or postcode) of residence
    FIXED = "fixed"  # fixed shares for everything


FALLBACK = ""  # the match of the fallback shares (and of fixed shares)


@dataclass(frozen=True)
class KeyRule:
    """An allocation key valid from `valid_from` until `valid_until` (None: open-ended).

    `shares` maps a match value to partner shares (partner id -> percent): a referring
    organisation's id, an activity kind, a postcode or municipality name; FALLBACK ("")
    holds the fallback — used for lines no match covers, for lines without a booking
    (unused reserved places) and, for fixed shares, for everything.
    """

    id: int
    basis: Basis
    valid_from: dt.date
    valid_until: dt.date | None
    shares: Mapping[str, Mapping[int, Decimal]]

    def covers(self, day: dt.date) -> bool:
        return self.valid_from <= day and (self.valid_until is None or day <= self.valid_until)

    def resolve(
        self,
        *,
        has_booking: bool,
        referrer_org_id: int | None,
        activity_kind: str,
        postcode: str,
        municipality: str,
        partner_by_org: Mapping[int, int],
    ) -> tuple[str, Mapping[int, Decimal]]:
        """The shares for one cost line, with a code saying why ("referrer:12",
        "activity_kind:course", "municipality:9900", "fixed", "fallback")."""
        fallback = ("fallback", self.shares[FALLBACK])
        if self.basis == Basis.FIXED:
            return ("fixed", self.shares[FALLBACK])
        if not has_booking:
            return fallback
        if self.basis == Basis.REFERRER:
            if referrer_org_id is None:
                return fallback
            explicit = self.shares.get(str(referrer_org_id))
            if explicit:
                return (f"referrer:{referrer_org_id}", explicit)
            partner = partner_by_org.get(referrer_org_id)
            if partner is None:  # a referrer outside the network's partners
                return fallback
            return (f"referrer:{referrer_org_id}", {partner: Decimal(100)})
        if self.basis == Basis.ACTIVITY_KIND:
            found = self.shares.get(activity_kind)
            return (f"activity_kind:{activity_kind}", found) if found else fallback
        for candidate in (postcode, municipality.strip().lower()):
            if candidate and candidate in self.shares:
                return (f"municipality:{candidate}", self.shares[candidate])
        return fallback


@dataclass(frozen=True)
class SiteTerms:
    """What a provider's site charges under the covenant."""

    care_site_id: int
    provider_id: int  # the provider's Partner id
    tariff: Tariff
    payment: Payment
    short_notice: Tariff | None = None  # None: the covenant's default short-notice tariff


@dataclass(frozen=True)
class CovenantRules:
    id: int
    valid_from: dt.date
    valid_until: dt.date | None
    free_cancellation_hours: int = 24
    late_cancellation_percent: Decimal = Decimal(100)
    no_show_percent: Decimal = Decimal(100)
    day_count: tuple[DayCountBand, ...] = DEFAULT_DAY_COUNT
    contribution_mode: ContributionMode = ContributionMode.FREE
    contribution_by_year: Mapping[int, ContributionAmounts] = field(default_factory=dict)
    sites: Mapping[int, SiteTerms] = field(default_factory=dict)
    short_notice: Tariff | None = None
    keys: tuple[KeyRule, ...] = ()

    def covers(self, day: dt.date) -> bool:
        return self.valid_from <= day and (self.valid_until is None or day <= self.valid_until)

    def key_on(self, day: dt.date) -> KeyRule | None:
        return next((k for k in self.keys if k.covers(day)), None)

    def short_notice_for(self, care_site_id: int) -> Tariff | None:
        terms = self.sites.get(care_site_id)
        if terms is not None and terms.short_notice is not None:
            return terms.short_notice
        return self.short_notice


def rules_on(versions: Sequence[CovenantRules], day: dt.date) -> CovenantRules | None:
    return next((v for v in versions if v.covers(day)), None)


# --- Periods in time: no overlaps, no gaps ----------------------------------------------


@dataclass(frozen=True)
class PeriodProblem:
    code: str  # "overlap", "gap", "outside", "order"
    first: dt.date
    last: dt.date | None


def period_problems(
    periods: Sequence[tuple[dt.date, dt.date | None]],
    *,
    within: tuple[dt.date, dt.date | None] | None = None,
) -> list[PeriodProblem]:
    """What is wrong with a set of validity periods (inclusive; None = open-ended).

    Overlaps are always wrong. With `within`, the periods must also lie inside it and
    cover it without gaps.
    """
    never = dt.date.max  # stands for an open end

    def end_of(end: dt.date | None) -> dt.date:
        return never if end is None else end

    problems: list[PeriodProblem] = []
    for start, end in periods:
        if end is not None and end < start:
            problems.append(PeriodProblem("order", start, end))
    ordered = sorted(periods, key=lambda p: (p[0], end_of(p[1])))
    reach: dt.date | None = None  # the latest end so far
    for start, end in ordered:
        if reach is not None and start <= reach:
            problems.append(PeriodProblem("overlap", start, None if reach == never else reach))
        reach = end_of(end) if reach is None else max(reach, end_of(end))
    if within is None:
        return problems
    w_start, w_end = within[0], end_of(within[1])
    for start, end in ordered:
        if start < w_start or end_of(end) > w_end:
            problems.append(PeriodProblem("outside", start, end))
    covered_until = w_start - ONE_DAY
    for start, end in ordered:
        if start > covered_until + ONE_DAY and covered_until < w_end:
            problems.append(
                PeriodProblem("gap", covered_until + ONE_DAY, min(start - ONE_DAY, w_end))
            )
        covered_until = max(covered_until, end_of(end))
        if covered_until >= w_end:
            break
    if covered_until < w_end:
        problems.append(
            PeriodProblem("gap", covered_until + ONE_DAY, None if w_end == never else w_end)
        )
    return problems


# --- Allocation priorities -------------------------------------------------------------

# The allocation engine's priority classes, most urgent first (the covenant's default order):
# the first weeks of a job before an interview before a work trial before a course.
PRIORITY_CLASSES = ("job_start", "job_interview", "work_trial", "course", "other")
DEFAULT_PRIORITIES: dict[str, Decimal] = {
    "job_start": Decimal(100),
    "job_interview": Decimal(70),
    "work_trial": Decimal(50),
    "course": Decimal(35),
    "other": Decimal(20),
}
# Activity kinds without a class of their own.
KIND_TO_CLASS = {"training_session": "course", "application": "other", "orientation": "other"}


def priority_class(activity_kind: str) -> str:
    if activity_kind in PRIORITY_CLASSES:
        return activity_kind
    return KIND_TO_CLASS.get(activity_kind, "other")
