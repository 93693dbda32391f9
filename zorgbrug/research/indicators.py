"""Every indicator of Zorgbrug's evaluation, defined once: name, plain-language definition,
formula, unit, the filters it answers to, and the function that computes it in SQL.

This module is the single source of the definitions. The dashboard, the public page, the
API, the evaluation report and docs/indicators.md (generated from it by
`manage.py indicators_doc`; a test keeps the file up to date) all read them from here.

Populations (who is counted), the same for every indicator:
- only clients whose *current* consent allows research use (`scoping.research_clients`);
- *screened clients* are counted once, at their first screening (the intake), which must
  fall in the period; *participants* (ESF) at their entry, the day the record was made;
  *leavers* on the day of their exit; a follow-up on the day it was due;
- care requests by the day they were made; bookings, reserved places and cost lines by the
  day of care.
Places and money are not people: occupancy and costs count every booking and every cost
line, with or without research consent, and the cost ratios divide them by quantities of
everyone they paid for (see the cost indicators).

Filters: period, network, referrer organisation (the client's intake organisation for
people, the asking organisation for care requests, bookings and cost lines) and activity
kind. An indicator lists the filters it answers to; the others are shown as "not
applicable".

Computation: each indicator reads one of a few aggregate queries (Count/Sum with FILTER,
Exists semi-joins, percentile_cont on PostgreSQL) shared through an `Evaluation`, over the
research facts (`research.facts`: one row per client, per care request, per care request
and month, per closed settlement and day) that the evaluation first brings up to date. The
days of a month the period covers only in part are read from the bookings themselves.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from enum import StrEnum
from typing import Any, cast

from django.db import connection, transaction
from django.db.models import Count, F, Q, QuerySet, Sum
from django.db.models.functions import Least, TruncMonth
from django.db.models.lookups import Exact
from django.utils import timezone
from django.utils.functional import Promise, lazy
from django.utils.translation import gettext, gettext_noop
from django.utils.translation import gettext_lazy as _

from zorgbrug.care.models import ActivityKind, Booking, BookingStatus, CapacitySlot
from zorgbrug.clients.models import Gender, IncomeSource, LabourStatus
from zorgbrug.network.models import Organisation, Partner
from zorgbrug.pathways.models import ContractType, ExitReason, OutcomeStatus
from zorgbrug.research.facts import PLACED, kind_bit, minutes_of_care
from zorgbrug.research.models import ClientFact, CostFact, RequestFact, RequestMonthFact
from zorgbrug.research.sql import DaysBetween, percentiles

# --- Vocabulary -----------------------------------------------------------------------


class Group(StrEnum):
    REACH = "reach"
    SERVICE = "service"
    UPTAKE = "uptake"
    OUTCOME = "outcome"
    COST = "cost"
    ESF = "esf"
    ESF_RESULT = "esf_result"


GROUP_LABELS: dict[Group, Promise] = {
    Group.REACH: _("Reach: how large is the group held back by care duties"),
    Group.SERVICE: _("Service: care asked, given and used"),
    Group.UPTAKE: _("Uptake and outcomes by referrer organisation and by activity kind"),
    Group.OUTCOME: _("Outcomes: work and training at exit and after leaving"),
    Group.COST: _("Cost, from the closed covenant settlements"),
    Group.ESF: _("ESF+ participant indicators, by gender"),
    Group.ESF_RESULT: _("ESF+ result indicators, by gender"),
}


class Unit(StrEnum):
    PEOPLE = "people"
    REQUESTS = "requests"
    SHARE = "share"
    DAYS = "days"
    DAY_PARTS = "day_parts"
    HOURS = "hours"
    EUROS = "euros"
    TABLE = "table"


UNIT_LABELS: dict[Unit, Promise] = {
    Unit.PEOPLE: _("people"),
    Unit.REQUESTS: _("care requests"),
    Unit.SHARE: _("share (%)"),
    Unit.DAYS: _("days"),
    Unit.DAY_PARTS: _("day-parts"),
    Unit.HOURS: _("hours"),
    Unit.EUROS: _("euros"),
    Unit.TABLE: _("table"),
}


class Dimension(StrEnum):
    PERIOD = "period"
    NETWORK = "network"
    REFERRER = "referrer"
    ACTIVITY_KIND = "activity_kind"


DIMENSION_LABELS: dict[Dimension, Promise] = {
    Dimension.PERIOD: _("period"),
    Dimension.NETWORK: _("network"),
    Dimension.REFERRER: _("referrer organisation"),
    Dimension.ACTIVITY_KIND: _("activity kind"),
}

ALL_DIMENSIONS = frozenset(Dimension)
PEOPLE_DIMENSIONS = frozenset({Dimension.PERIOD, Dimension.NETWORK, Dimension.REFERRER})
PLACE_DIMENSIONS = frozenset({Dimension.PERIOD, Dimension.NETWORK})


@dataclass(frozen=True)
class Filters:
    """What to compute over. `network_ids` are the networks selected *and* in scope."""

    start: dt.date
    end: dt.date
    network_ids: tuple[int, ...]
    organisation_id: int | None = None
    activity_kind: str | None = None
    # "Today" for the indicators that only count days that have come (rates, occupancy);
    # fixed by the caller so that a computation is reproducible.
    today: dt.date | None = None

    def as_of(self) -> dt.date:
        return self.today or timezone.localdate()


# --- Values ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Share:
    numerator: int
    denominator: int

    @property
    def value(self) -> float | None:
        return None if not self.denominator else self.numerator / self.denominator


@dataclass(frozen=True)
class Measure:
    """A quantity that is not a count of people (days, hours), with the number of
    observations it rests on."""

    value: float | None
    n: int


CENT = Decimal("0.01")


@dataclass(frozen=True)
class Money:
    """An amount in euros, exact to the cent (None when it divides by nothing), with what
    it rests on: the cost lines of a total, or the quantity a ratio divides by (clients,
    hours, positive outcomes)."""

    amount: Decimal | None
    basis: Decimal
    basis_unit: str  # "lines", "clients", "hours", "outcomes"

    @property
    def value(self) -> float | None:
        return None if self.amount is None else float(self.amount)


def cents(value: Decimal | int | float | None) -> Decimal:
    return Decimal(str(value or 0)).quantize(CENT, rounding=ROUND_HALF_UP)


def per(total: Decimal, basis: Decimal, unit: str) -> Money:
    """`total` divided by `basis`, to the cent (half up)."""
    if not basis:
        return Money(amount=None, basis=basis, basis_unit=unit)
    return Money(amount=cents(total / basis), basis=basis, basis_unit=unit)


GENDERS: tuple[str, ...] = tuple(Gender.values)


@dataclass(frozen=True)
class ByGender:
    counts: tuple[tuple[str, int], ...]

    @property
    def total(self) -> int:
        return sum(n for _g, n in self.counts)

    def get(self, gender: str) -> int:
        return dict(self.counts).get(gender, 0)


@dataclass(frozen=True)
class Column:
    key: str
    label: Promise | str
    unit: Unit


@dataclass(frozen=True)
class Row:
    key: str
    label: str
    values: tuple[int | float | None, ...]


@dataclass(frozen=True)
class Table:
    columns: tuple[Column, ...]
    rows: tuple[Row, ...]

    def column(self, key: str) -> list[int | float | None]:
        index = [c.key for c in self.columns].index(key)
        return [r.values[index] for r in self.rows]

    def row(self, key: str) -> Row:
        return next(r for r in self.rows if r.key == key)

    def value(self, row: str, column: str) -> int | float | None:
        return self.row(row).values[[c.key for c in self.columns].index(column)]

    def display_rows(self) -> list[tuple[Row, list[tuple[int | float | None, bool]]]]:
        """Rows with, per value, whether it is a share (for templates)."""
        shares = [c.unit == Unit.SHARE for c in self.columns]
        return [(r, list(zip(r.values, shares, strict=True))) for r in self.rows]


IndicatorValue = int | Share | Measure | Money | ByGender | Table


@dataclass(frozen=True)
class Indicator:
    key: str
    group: Group
    name: Promise
    definition: Promise
    formula: Promise
    unit: Unit
    compute: Callable[[Evaluation], IndicatorValue]
    dimensions: frozenset[Dimension] = ALL_DIMENSIONS

    def not_applicable(self, filters: Filters) -> list[Dimension]:
        """The filters set in `filters` that this indicator does not answer to."""
        chosen = []
        if filters.organisation_id is not None:
            chosen.append(Dimension.REFERRER)
        if filters.activity_kind:
            chosen.append(Dimension.ACTIVITY_KIND)
        return [d for d in chosen if d not in self.dimensions]


@dataclass(frozen=True)
class Result:
    indicator: Indicator
    value: IndicatorValue
    not_applicable: tuple[Dimension, ...] = ()


# --- Periods: whole months from the facts, the other days from the bookings -------------


def _next_month(day: dt.date) -> dt.date:
    return dt.date(day.year + day.month // 12, day.month % 12 + 1, 1)


def _month_end(day: dt.date) -> dt.date:
    return _next_month(day) - dt.timedelta(days=1)


@dataclass(frozen=True)
class Span:
    """A range of days split into the whole calendar months it covers (summed from the
    month facts) and the days before and after them (summed from the bookings)."""

    months: tuple[dt.date, dt.date] | None  # first days of the first and last whole month
    days: tuple[tuple[dt.date, dt.date], ...]

    @classmethod
    def of(cls, first: dt.date, last: dt.date) -> Span:
        if last < first:
            return cls(months=None, days=())
        m_first = first if first.day == 1 else _next_month(first)
        m_last_end = last if last == _month_end(last) else last.replace(day=1) - dt.timedelta(1)
        if m_first > m_last_end:
            return cls(months=None, days=((first, last),))
        days = []
        if first < m_first:
            days.append((first, m_first - dt.timedelta(days=1)))
        if last > m_last_end:
            days.append((m_last_end + dt.timedelta(days=1), last))
        return cls(months=(m_first, m_last_end.replace(day=1)), days=tuple(days))

    def month_q(self) -> Q | None:
        if self.months is None:
            return None
        return Q(month__gte=self.months[0], month__lte=self.months[1])

    def day_q(self, field: str = "date") -> Q | None:
        q: Q | None = None
        for first, last in self.days:
            part = Q(**{f"{field}__gte": first, f"{field}__lte": last})
            q = part if q is None else q | part
        return q


def _any(*conditions: Q | None) -> Q | None:
    out: Q | None = None
    for c in conditions:
        if c is not None:
            out = c if out is None else out | c
    return out


def _in(field: str, f: Filters) -> Q:
    return Q(**{f"{field}__gte": f.start, f"{field}__lte": f.end})


# Booking sums over a period: day-parts placed, no-shows and late cancellations count days
# up to today only ("due"); attendance and minutes every day of the period.
DUE_MEASURES = ("placed", "no_show", "cancelled_late")
ALL_MEASURES = ("attended", "minutes")
BOOKING_MEASURES = (*DUE_MEASURES, *ALL_MEASURES)


# --- Outcome counts: who left, how, and where they stood after leaving -------------------

WORK_OR_TRAINING_EXITS = (ExitReason.EMPLOYED, ExitReason.TRAINING)
WORK_OR_TRAINING = (OutcomeStatus.EMPLOYED, OutcomeStatus.IN_TRAINING)


def _leaving(f: Filters) -> Q:
    return _in("exit_on", f)


def _answered(months: int, f: Filters) -> Q:
    """The client's follow-up `months` after leaving came due in the period and has its
    answer (an unreachable client is an answer: not in work or training)."""
    return _in(f"fu{months}_due", f) & ~Q(**{f"fu{months}_status": ""})


def _improved(f: Filters) -> Q:
    better_contract = Q(fu6_contract=ContractType.PERMANENT) & ~Q(
        job_contract=ContractType.PERMANENT
    )
    return (
        _answered(6, f)
        & Q(exit_reason=ExitReason.EMPLOYED, fu6_status=OutcomeStatus.EMPLOYED)
        & ~Q(job_contract="")
        & (better_contract | Q(fu6_hours__gt=F("job_hours")))
    )


# name -> the condition on a client fact, for the filters' period
OUTCOME_COUNTS: dict[str, Callable[[Filters], Q]] = {
    "leavers": _leaving,
    "left_work_or_training": lambda f: _leaving(f) & Q(exit_reason__in=WORK_OR_TRAINING_EXITS),
    "left_employed": lambda f: _leaving(f) & Q(exit_reason=ExitReason.EMPLOYED),
    "left_training": lambda f: _leaving(f) & Q(exit_reason=ExitReason.TRAINING),
    "left_job_searching": lambda f: (
        _leaving(f)
        & ~Q(exit_reason__in=WORK_OR_TRAINING_EXITS)
        & Q(labour_status=LabourStatus.REGISTERED_UNEMPLOYED)
    ),
    "leavers_cared": lambda f: _leaving(f) & Q(received_care=True),
    "leavers_cared_regular": lambda f: _leaving(f) & Q(received_care=True, regular_place=True),
    "fu3": lambda f: _answered(3, f),
    "fu3_positive": lambda f: _answered(3, f) & Q(fu3_status__in=WORK_OR_TRAINING),
    "fu6": lambda f: _answered(6, f),
    "fu6_positive": lambda f: _answered(6, f) & Q(fu6_status__in=WORK_OR_TRAINING),
    "fu6_employed": lambda f: _answered(6, f) & Q(fu6_status=OutcomeStatus.EMPLOYED),
    "fu12": lambda f: _answered(12, f),
    "fu12_positive": lambda f: _answered(12, f) & Q(fu12_status__in=WORK_OR_TRAINING),
    "retention": lambda f: _answered(6, f) & Q(exit_reason=ExitReason.EMPLOYED),
    "retention_kept": lambda f: (
        _answered(6, f) & Q(exit_reason=ExitReason.EMPLOYED, fu6_status=OutcomeStatus.EMPLOYED)
    ),
    "improved_6m": _improved,
}


# --- The evaluation ---------------------------------------------------------------------


class Evaluation:
    """One computation of indicators for one set of filters.

    Use it as a context manager: it first brings the research facts up to date
    (`facts.refresh`: only what changed since the last refresh), then reads them in one
    transaction — on PostgreSQL a repeatable-read snapshot, so that every figure sees the
    same data. The aggregates that several indicators share run once and are kept here.
    """

    def __init__(self, filters: Filters, *, refresh: bool = True) -> None:
        self.filters = filters
        self._memo: dict[str, Any] = {}
        self._atomic: Any = None
        self._refresh = refresh

    def __enter__(self) -> Evaluation:
        if self._refresh:
            from zorgbrug.research import facts

            facts.refresh()
        outermost = not connection.in_atomic_block
        self._atomic = transaction.atomic()
        self._atomic.__enter__()
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                if outermost:
                    cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ")
                # Just-in-time compilation costs seconds of LLVM work for aggregates that run
                # in a fraction of that; hash aggregates need more than the default 4 MB to
                # stay in memory. Both only for this transaction.
                cursor.execute("SET LOCAL jit = off")
                cursor.execute("SET LOCAL work_mem = '64MB'")
        return self

    def __exit__(self, *exc: Any) -> None:
        atomic, self._atomic = self._atomic, None
        atomic.__exit__(*exc)

    def memo(self, key: str, compute: Callable[[], Any]) -> Any:
        if key not in self._memo:
            if self._atomic is None:
                raise RuntimeError(
                    "use an Evaluation as a context manager: with Evaluation(f) as ev"
                )
            self._memo[key] = compute()
        return self._memo[key]

    # Populations -----------------------------------------------------------------------

    def clients(self) -> QuerySet[ClientFact]:
        """The research clients of the networks (all of them, whatever the referrer)."""
        return ClientFact.objects.filter(research=True, network_id__in=self.filters.network_ids)

    def people(self) -> QuerySet[ClientFact]:
        """The research clients of the selected referrer (intake organisation)."""
        qs = self.clients()
        if self.filters.organisation_id is not None:
            qs = qs.filter(intake_organisation_id=self.filters.organisation_id)
        return qs

    def _request_scope(self, qs: QuerySet[Any], prefix: str = "", *, by_kind: bool = True) -> Any:
        f = self.filters
        qs = qs.filter(**{f"{prefix}network_id__in": f.network_ids})
        if f.organisation_id is not None:
            qs = qs.filter(**{f"{prefix}organisation_id": f.organisation_id})
        if by_kind and f.activity_kind:
            qs = qs.filter(**{f"{prefix}kind": f.activity_kind})
        return qs

    def request_facts(self, *, by_kind: bool = True) -> QuerySet[RequestFact]:
        """The research clients' care requests (all of them), of the referrer and kind."""
        return self._request_scope(RequestFact.objects.filter(research=True), by_kind=by_kind)

    def requests(self, *, by_kind: bool = True) -> QuerySet[RequestFact]:
        """Care requests made in the period by the selected referrer, for the selected kind."""
        return self.request_facts(by_kind=by_kind).filter(_in("asked_on", self.filters))

    def _month_facts(self, *, everyone: bool = False) -> QuerySet[RequestMonthFact]:
        qs = (
            RequestMonthFact.objects.all()
            if everyone
            else RequestMonthFact.objects.filter(research=True)
        )
        return self._request_scope(qs)

    def _edge_bookings(self, *, everyone: bool = False) -> QuerySet[Booking]:
        """Bookings (of the selected requests) for the days of the period outside whole months."""
        qs = Booking.objects.all()
        if not everyone:
            qs = qs.filter(request__research_fact__research=True)
        return self._request_scope(qs, "request__research_fact__")

    def _spans(self) -> dict[str, Span]:
        f = self.filters
        return {
            "all": Span.of(f.start, f.end),
            "due": Span.of(f.start, min(f.end, f.as_of())),
        }

    # Shared aggregates ---------------------------------------------------------------

    def _people_rows(self) -> list[dict[str, Any]]:
        """The research clients (of the networks and referrer) counted every way the
        indicators need, per (intake organisation, gender, received care), in one pass over
        the client facts: reach (first screening in the period), the screened clients with
        care duties with the cohort measures, the ESF+ participants (entered in the period)
        and every outcome count. Reach, the ESF+ tables, the outcomes, the referrer table
        and the cohort comparison all add up from these rows."""

        def run() -> list[dict[str, Any]]:
            from zorgbrug.research.cohorts import MEASURES

            f = self.filters
            screened = _in("screened_on", f)
            with_duties = screened & Q(care_duties=True)
            entered = _in("entered_on", f)
            reach = {
                "screened": screened,
                "with_care_duties": with_duties,
                "care_main_barrier": screened & Q(care_main_barrier=True),
                "would_accept": screened & Q(would_accept_yes=True),
                "held_back": screened & Q(held_back=True),
            }
            outcomes = {name: q(f) for name, q in OUTCOME_COUNTS.items()}
            aggregates: dict[str, Any] = {}
            aggregates.update({f"r__{k}": Count("pk", filter=q) for k, q in reach.items()})
            aggregates["p__n"] = Count("pk", filter=with_duties)
            aggregates.update(
                {f"p__{m.key}": Count("pk", filter=with_duties & m.condition()) for m in MEASURES}
            )
            aggregates.update(
                {f"e__{c.key}": Count("pk", filter=entered & c.condition) for c in ESF_CATEGORIES}
            )
            aggregates.update({f"o__{k}": Count("pk", filter=q) for k, q in outcomes.items()})
            positive = Q(exit_reason__in=WORK_OR_TRAINING_EXITS)
            for kind in ActivityKind.values:
                bit = kind_bit(kind)
                asked = Q(Exact(F("asked_kinds").bitand(bit), bit)) & outcomes["leavers"]
                aggregates[f"k__{kind}__leavers"] = Count("pk", filter=asked)
                aggregates[f"k__{kind}__positive"] = Count("pk", filter=asked & positive)
            population = _any(screened, entered, *outcomes.values())
            rows: Iterable[dict[str, Any]] = (
                self.people()
                .filter(population)
                .order_by()
                .values("intake_organisation_id", "gender", "received_care")
                .annotate(**aggregates)  # type: ignore[assignment]
            )
            return [
                {
                    "org": int(r.pop("intake_organisation_id")),
                    "gender": r.pop("gender"),
                    "received": bool(r.pop("received_care")),
                    **{k: int(v or 0) for k, v in r.items()},
                }
                for r in rows
            ]

        return self.memo("people_rows", run)

    def _people_sum(self, prefix: str, keys: Iterable[str]) -> dict[str, int]:
        totals = dict.fromkeys(keys, 0)
        for row in self._people_rows():
            for key in totals:
                totals[key] += row[f"{prefix}__{key}"]
        return totals

    def reach(self) -> dict[str, int]:
        return self._people_sum(
            "r", ("screened", "with_care_duties", "care_main_barrier", "would_accept", "held_back")
        )

    def _request_rows(self) -> dict[tuple[str, int], dict[str, int]]:
        """Requests made in the period, and of them served, per (kind, organisation) — all
        kinds, whatever the kind filter (the tables read them)."""

        def run() -> dict[tuple[str, int], dict[str, int]]:
            made = _in("asked_on", self.filters)
            rows = (
                self.request_facts(by_kind=False)
                .filter(made)
                .order_by()
                .values("kind", "organisation_id")
                .annotate(
                    requests=Count("pk"), served=Count("pk", filter=Q(first_placed__isnull=False))
                )
            )
            return {
                (r["kind"], int(r["organisation_id"])): {
                    "requests": int(r["requests"]),
                    "served": int(r["served"]),
                }
                for r in rows
            }

        return self.memo("request_rows", run)

    def _booking_rows(self) -> dict[tuple[str, int, bool], dict[str, int]]:
        """Day-parts placed (up to today), attended, no-shows and late cancellations (up to
        today) and minutes of care on days in the period, per (kind, organisation, research
        consent): whole months from the month facts, other days from the bookings."""

        def run() -> dict[tuple[str, int, bool], dict[str, int]]:
            spans = self._spans()
            out: dict[tuple[str, int, bool], dict[str, int]] = {}

            def add(rows: Iterable[Any]) -> None:
                for r in rows:
                    key = (r["g_kind"], int(r["g_org"]), bool(r["g_research"]))
                    totals = out.setdefault(key, dict.fromkeys(BOOKING_MEASURES, 0))
                    for name in BOOKING_MEASURES:
                        totals[name] += int(r.get(name) or 0)

            month_q = {k: s.month_q() for k, s in spans.items()}
            aggregates: dict[str, Any] = {}
            for name in BOOKING_MEASURES:
                q = month_q["due" if name in DUE_MEASURES else "all"]
                if q is not None:
                    aggregates[name] = Sum(name, filter=q)
            where = _any(*month_q.values())
            if where is not None:
                add(
                    self._month_facts(everyone=True)
                    .filter(where)
                    .order_by()
                    .values(g_kind=F("kind"), g_org=F("organisation_id"), g_research=F("research"))
                    .annotate(**aggregates)
                )
            day_q = {k: s.day_q() for k, s in spans.items()}
            where = _any(*day_q.values())
            if where is not None:
                placed = Q(status__in=PLACED)
                attended = Q(status=BookingStatus.ATTENDED)
                conditions = {
                    "placed": placed,
                    "no_show": Q(status=BookingStatus.NO_SHOW),
                    "cancelled_late": Q(status=BookingStatus.CANCELLED_LATE),
                    "attended": attended,
                }
                booking_aggregates: dict[str, Any] = {}
                for name, condition in conditions.items():
                    q = day_q["due" if name in DUE_MEASURES else "all"]
                    if q is not None:
                        booking_aggregates[name] = Count("pk", filter=condition & q)
                if day_q["all"] is not None:
                    booking_aggregates["minutes"] = Sum(
                        minutes_of_care(), filter=attended & day_q["all"]
                    )
                fact = "request__research_fact__"
                add(
                    self._edge_bookings(everyone=True)
                    .filter(where)
                    .order_by()
                    .values(
                        g_kind=F(f"{fact}kind"),
                        g_org=F(f"{fact}organisation_id"),
                        g_research=F(f"{fact}research"),
                    )
                    .annotate(**booking_aggregates)
                )
            return out

        return self.memo("booking_rows", run)

    def _bookings_by(
        self, *, kind: str | None = None, everyone: bool = False, by_kind: bool = True
    ) -> dict[str, int]:
        totals = dict.fromkeys(BOOKING_MEASURES, 0)
        wanted = self.filters.activity_kind if by_kind else None
        for (k, _org, research), values in self._booking_rows().items():
            if (kind is not None and k != kind) or (wanted and k != wanted):
                continue
            if research or everyone:
                for name in BOOKING_MEASURES:
                    totals[name] += values[name]
        return totals

    def request_totals(self) -> dict[str, int]:
        wanted = self.filters.activity_kind
        out = {"requests": 0, "served": 0}
        for (kind, _org), values in self._request_rows().items():
            if not wanted or kind == wanted:
                out["requests"] += values["requests"]
                out["served"] += values["served"]
        return out

    def waits(self) -> dict[float, float | None]:
        def run() -> dict[float, float | None]:
            served = self.requests().filter(first_placed__isnull=False)
            return percentiles(served, DaysBetween(F("first_placed"), F("asked_on")), (0.5, 0.9))

        return self.memo("waits", run)

    def booking_totals(self) -> dict[str, int]:
        """Day-parts and minutes of the research clients' care (see `_booking_rows`); "due"
        is the day-parts with a place given, on days up to today."""
        totals = self._bookings_by()
        return {
            "due": totals["placed"],
            "attended": totals["attended"],
            "no_show": totals["no_show"],
            "cancelled_late": totals["cancelled_late"],
            "minutes": totals["minutes"],
        }

    def attended_by_month(self) -> dict[dt.date, int]:
        """Day-parts of care used per calendar month of the period (for the charts)."""

        def run() -> dict[dt.date, int]:
            span = self._spans()["all"]
            out: dict[dt.date, int] = {}
            month_q = span.month_q()
            if month_q is not None:
                for r in (
                    self._month_facts()
                    .filter(month_q)
                    .order_by()
                    .values("month")
                    .annotate(n=Sum("attended"))
                ):
                    out[r["month"]] = out.get(r["month"], 0) + int(r["n"] or 0)
            day_q = span.day_q()
            if day_q is not None:
                for edge in (
                    self._edge_bookings()
                    .filter(day_q, status=BookingStatus.ATTENDED)
                    .annotate(m=TruncMonth("date"))
                    .order_by()
                    .values("m")
                    .annotate(n=Count("pk"))
                ):
                    out[edge["m"]] = out.get(edge["m"], 0) + int(edge["n"] or 0)
            return out

        return self.memo("attended_by_month", run)

    def occupancy(self) -> dict[str, int]:
        def run() -> dict[str, int]:
            f = self.filters
            row = CapacitySlot.objects.filter(
                network_id__in=f.network_ids,
                date__gte=f.start,
                date__lte=min(f.end, f.as_of()),
            ).aggregate(
                reserved=Sum("reserved_places"),
                used=Sum(Least("booked", "reserved_places")),
            )
            return {k: int(v or 0) for k, v in row.items()}

        return self.memo("occupancy", run)

    def esf(self) -> dict[str, dict[str, int]]:
        """Per ESF category, the participants by gender: {category: {gender: n}}."""

        def run() -> dict[str, dict[str, int]]:
            out = {c.key: dict.fromkeys(GENDERS, 0) for c in ESF_CATEGORIES}
            for row in self._people_rows():
                for c in ESF_CATEGORIES:
                    counts = out[c.key]
                    counts[row["gender"]] = counts.get(row["gender"], 0) + row[f"e__{c.key}"]
            return out

        return self.memo("esf", run)

    def outcome_rows(self) -> dict[tuple[int, str], dict[str, int]]:
        """Every outcome count (`OUTCOME_COUNTS`) per (intake organisation, gender): the
        outcome indicators, the ESF+ results and the referrer table add up from these."""

        def run() -> dict[tuple[int, str], dict[str, int]]:
            out: dict[tuple[int, str], dict[str, int]] = {}
            for row in self._people_rows():
                key = (row["org"], row["gender"])
                totals = out.setdefault(key, dict.fromkeys(OUTCOME_COUNTS, 0))
                for name in OUTCOME_COUNTS:
                    totals[name] += row[f"o__{name}"]
            return out

        return self.memo("outcome_rows", run)

    def outcomes(
        self, *, organisation: int | None = None, gender: str | None = None
    ) -> dict[str, int]:
        totals = dict.fromkeys(OUTCOME_COUNTS, 0)
        for (org, g), values in self.outcome_rows().items():
            if (organisation is None or org == organisation) and (gender is None or g == gender):
                for name, n in values.items():
                    totals[name] += n
        return totals

    def outcomes_by_kind(self) -> dict[str, dict[str, int]]:
        """Per activity kind: the leavers in the period who had care asked for an activity of
        that kind (at any time), and of them who left for work or training."""
        out: dict[str, dict[str, int]] = {}
        for kind in ActivityKind.values:
            counts = self._people_sum("k", (f"{kind}__leavers", f"{kind}__positive"))
            out[kind] = {
                "leavers": counts[f"{kind}__leavers"],
                "positive": counts[f"{kind}__positive"],
            }
        return out

    def esf_results(self) -> dict[str, dict[str, int]]:
        """Per ESF+ result, the participants by gender."""

        def run() -> dict[str, dict[str, int]]:
            out = {r.key: dict.fromkeys(GENDERS, 0) for r in ESF_RESULTS}
            for (_org, gender), values in self.outcome_rows().items():
                for r in ESF_RESULTS:
                    out[r.key][gender] = out[r.key].get(gender, 0) + values[r.count]
            return out

        return self.memo("esf_results", run)

    # Cost -------------------------------------------------------------------------------

    def costs(self) -> dict[str, Decimal]:
        """Cost lines of the closed settlements on days in the period: their number, the care
        costs, the parent contributions and what the network paid (exact to the cent)."""

        def run() -> dict[str, Decimal]:
            f = self.filters
            qs = CostFact.objects.filter(network_id__in=f.network_ids).filter(_in("date", f))
            if f.organisation_id is not None:
                qs = qs.filter(referrer_id=f.organisation_id)
            if f.activity_kind:
                qs = qs.filter(activity_kind=f.activity_kind)
            row = qs.aggregate(
                lines=Sum("lines"), gross=Sum("gross"), parent=Sum("parent"), amount=Sum("amount")
            )
            return {
                "lines": Decimal(int(row["lines"] or 0)),
                "gross": cents(row["gross"]),
                "parent": cents(row["parent"]),
                "amount": cents(row["amount"]),
            }

        return self.memo("costs", run)

    def clients_served_everyone(self) -> int:
        """Clients, with or without research consent, who attended at least one day-part of
        care (of the selected referrer and kind) on a day in the period: what the cost per
        client divides by."""

        def run() -> int:
            span = self._spans()["all"]
            parts: list[QuerySet[Any]] = []
            if span.months is not None:
                parts.append(
                    self._month_facts(everyone=True)
                    .filter(span.month_q(), attended__gt=0)
                    .order_by()
                    .values("client_id")
                )
            day_q = span.day_q()
            if day_q is not None:
                parts.append(
                    self._edge_bookings(everyone=True)
                    .filter(day_q, status=BookingStatus.ATTENDED)
                    .order_by()
                    .values("request__research_fact__client_id")
                )
            if not parts:
                return 0
            if len(parts) == 1:
                return int(parts[0].distinct().count())
            return int(parts[0].union(parts[1]).count())

        return self.memo("clients_served_everyone", run)

    def positive_outcomes_everyone(self) -> int:
        """Clients of the networks, with or without research consent, who left in the period
        for work or training: what the cost per positive outcome divides by."""

        def run() -> int:
            f = self.filters
            return int(
                ClientFact.objects.filter(network_id__in=f.network_ids)
                .filter(_leaving(f), exit_reason__in=WORK_OR_TRAINING_EXITS)
                .count()
            )

        return self.memo("positive_outcomes_everyone", run)

    # Tables by referrer and by kind -------------------------------------------------

    def referrer_rows(self) -> list[tuple[int, str]]:
        f = self.filters
        ids = set(
            Partner.objects.filter(network_id__in=f.network_ids, is_referrer=True).values_list(
                "organisation_id", flat=True
            )
        )
        if f.organisation_id is not None:
            ids = {f.organisation_id}
        return list(
            Organisation.objects.filter(pk__in=ids).order_by("name", "pk").values_list("pk", "name")
        )

    def people_by_referrer(self) -> dict[tuple[int, bool], dict[str, int]]:
        """Screened clients with care duties per (intake organisation, received care), with
        the cohort measures counted: the referrer table and the cohort comparison add up
        from these."""

        def run() -> dict[tuple[int, bool], dict[str, int]]:
            from zorgbrug.research.cohorts import MEASURES

            keys = ["n", *(m.key for m in MEASURES)]
            out: dict[tuple[int, bool], dict[str, int]] = {}
            for row in self._people_rows():
                if not row["p__n"]:
                    continue
                totals = out.setdefault((row["org"], row["received"]), dict.fromkeys(keys, 0))
                for key in keys:
                    totals[key] += row[f"p__{key}"]
            return out

        return self.memo("people_by_referrer", run)

    def by_referrer(self) -> Table:
        def run() -> Table:
            people = self.people_by_referrer()
            asked: dict[int, list[int]] = {}
            # The referrer table answers to period, network and referrer, not to the kind.
            for (_kind, org), values in self._request_rows().items():
                totals = asked.setdefault(org, [0, 0])
                totals[0] += values["requests"]
                totals[1] += values["served"]
            left = {org for org, _g in self.outcome_rows()}
            known = dict(self.referrer_rows())
            seen = {org for org, _received in people} | {o for o, t in asked.items() if t[0]}
            seen |= {o for o in left if self.outcomes(organisation=o)["leavers"]}
            if self.filters.organisation_id is not None:
                seen &= {self.filters.organisation_id}
            extra = seen - set(known)
            if extra:  # an intake organisation that is no longer a referring partner
                known.update(Organisation.objects.filter(pk__in=extra).values_list("pk", "name"))
            rows = []
            for org_id, name in sorted(known.items(), key=lambda item: (item[1], item[0])):
                got = people.get((org_id, True), {}).get("n", 0)
                n = got + people.get((org_id, False), {}).get("n", 0)
                req, served = asked.get(org_id, [0, 0])
                o = self.outcomes(organisation=org_id)
                rows.append(
                    Row(
                        key=str(org_id),
                        label=name,
                        values=(
                            n,
                            got,
                            _ratio(got, n),
                            req,
                            served,
                            _ratio(served, req),
                            o["leavers"],
                            o["left_work_or_training"],
                            _ratio(o["left_work_or_training"], o["leavers"]),
                            o["fu6"],
                            o["fu6_positive"],
                            _ratio(o["fu6_positive"], o["fu6"]),
                        ),
                    )
                )
            return Table(columns=REFERRER_COLUMNS, rows=tuple(rows))

        return self.memo("by_referrer", run)

    def by_kind(self) -> Table:
        def run() -> Table:
            kinds = [(k, label) for k, label in ActivityKind.choices]
            if self.filters.activity_kind:
                kinds = [(k, label) for k, label in kinds if k == self.filters.activity_kind]
            requests: dict[str, list[int]] = {}
            for (kind, _org), values in self._request_rows().items():
                totals = requests.setdefault(kind, [0, 0])
                totals[0] += values["requests"]
                totals[1] += values["served"]
            outcomes = self.outcomes_by_kind()
            rows = []
            for kind, label in kinds:
                req, served = requests.get(kind, [0, 0])
                used = self._bookings_by(kind=kind)["attended"]
                left = outcomes[kind]
                rows.append(
                    Row(
                        key=kind,
                        label=str(label),
                        values=(
                            req,
                            served,
                            _ratio(served, req),
                            used,
                            left["leavers"],
                            left["positive"],
                            _ratio(left["positive"], left["leavers"]),
                        ),
                    )
                )
            return Table(columns=KIND_COLUMNS, rows=tuple(rows))

        return self.memo("by_kind", run)


def _ratio(numerator: int, denominator: int) -> float | None:
    return None if not denominator else numerator / denominator


REFERRER_COLUMNS = (
    Column("with_care_duties", _("screened clients with care duties"), Unit.PEOPLE),
    Column("received_care", _("of whom received care"), Unit.PEOPLE),
    Column("uptake", _("uptake"), Unit.SHARE),
    Column("requests", _("care requests made"), Unit.REQUESTS),
    Column("served", _("of which served"), Unit.REQUESTS),
    Column("served_share", _("share served"), Unit.SHARE),
    Column("leavers", _("clients who left"), Unit.PEOPLE),
    Column("left_work_or_training", _("of whom for work or training"), Unit.PEOPLE),
    Column("outcome_at_exit", _("in work or training at exit"), Unit.SHARE),
    Column("followed_6m", _("followed up 6 months after leaving"), Unit.PEOPLE),
    Column("positive_6m", _("of whom in work or training"), Unit.PEOPLE),
    Column("outcome_6m", _("in work or training after 6 months"), Unit.SHARE),
)
KIND_COLUMNS = (
    Column("requests", _("care requests"), Unit.REQUESTS),
    Column("served", _("of which served"), Unit.REQUESTS),
    Column("served_share", _("share served"), Unit.SHARE),
    Column("day_parts_used", _("day-parts of care used"), Unit.DAY_PARTS),
    Column("leavers", _("clients who left, with care for this kind"), Unit.PEOPLE),
    Column("left_work_or_training", _("of whom for work or training"), Unit.PEOPLE),
    Column("outcome_at_exit", _("in work or training at exit"), Unit.SHARE),
)


# --- ESF+ categories --------------------------------------------------------------------


@dataclass(frozen=True)
class EsfCategory:
    key: str
    name: Promise
    definition: Promise
    formula: Promise
    condition: Q = field(default_factory=Q)


WITH_CHILDREN = Q(children_in_household__gte=1)

ESF_CATEGORIES: tuple[EsfCategory, ...] = (
    EsfCategory(
        "participants",
        _("Participants"),
        _("Everyone who entered the project in the period: clients registered (intake) then."),
        _("count(clients registered in the period)"),
        Q(pk__isnull=False),
    ),
    EsfCategory(
        "unemployed",
        _("Unemployed, including long-term unemployed"),
        _("Participants who were registered job seekers at entry."),
        _("count(participants with labour-market status = registered job seeker)"),
        Q(labour_status=LabourStatus.REGISTERED_UNEMPLOYED),
    ),
    EsfCategory(
        "long_term_unemployed",
        _("Long-term unemployed"),
        _("Unemployed participants without work for 12 months or more at entry."),
        _("count(unemployed participants with months without work >= 12)"),
        Q(labour_status=LabourStatus.REGISTERED_UNEMPLOYED, months_unemployed__gte=12),
    ),
    EsfCategory(
        "inactive",
        _("Inactive"),
        _(
            "Participants outside the labour force at entry: not registered as job seekers and "
            "not working, including those in education or training (as ESF+ counts them)."
        ),
        _("count(participants with status inactive or in education or training)"),
        Q(labour_status__in=[LabourStatus.INACTIVE, LabourStatus.IN_TRAINING]),
    ),
    EsfCategory(
        "employed",
        _("Employed, including self-employed"),
        _("Participants who were working at entry."),
        _("count(participants with labour-market status = employed)"),
        Q(labour_status=LabourStatus.EMPLOYED),
    ),
    EsfCategory(
        "under_18",
        _("Below 18 years of age"),
        _("Participants younger than 18 on the day of entry."),
        _("count(participants with age at entry < 18)"),
        Q(age__lt=18),
    ),
    EsfCategory(
        "age_18_29",
        _("18 to 29 years of age"),
        _("Participants aged 18 to 29 (inclusive) on the day of entry."),
        _("count(participants with 18 <= age at entry <= 29)"),
        Q(age__gte=18, age__lte=29),
    ),
    EsfCategory(
        "age_55_plus",
        _("55 years of age and above"),
        _("Participants aged 55 or more on the day of entry."),
        _("count(participants with age at entry >= 55)"),
        Q(age__gte=55),
    ),
    EsfCategory(
        "isced_0_2",
        _("With lower secondary education or less (ISCED 0-2)"),
        _("Participants whose highest completed education is ISCED 0, 1 or 2."),
        _("count(participants with ISCED level 0 to 2)"),
        Q(education_level__lte=2),
    ),
    EsfCategory(
        "isced_3_4",
        _("With upper secondary or post-secondary education (ISCED 3-4)"),
        _("Participants whose highest completed education is ISCED 3 or 4."),
        _("count(participants with ISCED level 3 or 4)"),
        Q(education_level__gte=3, education_level__lte=4),
    ),
    EsfCategory(
        "isced_5_8",
        _("With tertiary education (ISCED 5-8)"),
        _("Participants whose highest completed education is ISCED 5 to 8."),
        _("count(participants with ISCED level 5 to 8)"),
        Q(education_level__gte=5),
    ),
    EsfCategory(
        "foreign_background",
        _("Participants with a foreign background"),
        _(
            "Participants recorded with a migration background. It is recorded only with the "
            "client's explicit consent, so this is a lower bound."
        ),
        _("count(participants with migration background = yes)"),
        Q(migration_background=True),
    ),
    EsfCategory(
        "single_adult_with_children",
        _("Single-adult households with dependent children (programme-specific)"),
        _("Participants living as the only adult in a household with one or more children."),
        _("count(participants with single adult household and children in household >= 1)"),
        Q(single_adult_household=True) & WITH_CHILDREN,
    ),
    EsfCategory(
        "jobless_with_children",
        _("Jobless households with dependent children (programme-specific)"),
        _(
            "Participants with children in the household, not employed and without income "
            "from work. Zorgbrug does not record the work of other adults in the household, "
            "so this approximates the ESF definition from the participant's own situation."
        ),
        _(
            "count(participants with children in household >= 1, status not employed and "
            "main income not from work)"
        ),
        WITH_CHILDREN
        & ~Q(labour_status=LabourStatus.EMPLOYED)
        & ~Q(income_source=IncomeSource.WORK),
    ),
)


@dataclass(frozen=True)
class EsfResult:
    """An ESF+ result indicator: an outcome count (`OUTCOME_COUNTS`) by gender."""

    key: str
    name: Promise
    definition: Promise
    formula: Promise
    count: str


ESF_RESULTS: tuple[EsfResult, ...] = (
    EsfResult(
        "leavers",
        _("Participants leaving"),
        _("Participants whose exit from the pathway falls in the period."),
        _("count(participants whose exit falls in the period)"),
        "leavers",
    ),
    EsfResult(
        "job_searching",
        _("Engaged in job searching upon leaving"),
        _(
            "Participants leaving in the period, not for work or training, whose record shows "
            "them as registered job seekers. The record keeps no history of the labour-market "
            "status: it is the status recorded now."
        ),
        _("count(leavers not for work or training, status = registered job seeker)"),
        "left_job_searching",
    ),
    EsfResult(
        "in_training",
        _("In education or training upon leaving"),
        _("Participants leaving in the period because they started education or training."),
        _("count(leavers with exit reason education or training)"),
        "left_training",
    ),
    EsfResult(
        "employed",
        _("In employment, including self-employment, upon leaving"),
        _("Participants leaving in the period because they found work."),
        _("count(leavers with exit reason work)"),
        "left_employed",
    ),
    EsfResult(
        "employed_6m",
        _("In employment six months after leaving"),
        _(
            "Participants whose follow-up six months after leaving came due in the period and "
            "found them employed (including self-employed)."
        ),
        _("count(6-month follow-ups after leaving due in the period: employed)"),
        "fu6_employed",
    ),
    EsfResult(
        "improved_6m",
        _("Improved labour-market situation six months after leaving"),
        _(
            "Participants who left for work and whose follow-up six months after leaving came "
            "due in the period and found them employed in a better situation than the job "
            "they left for (their last job start): a permanent contract after a fixed-term, "
            "agency or other one, or more hours a week."
        ),
        _(
            "count(left for work, employed at the 6-month follow-up with a permanent contract "
            "where the job start had none, or more hours a week than the job start)"
        ),
        "improved_6m",
    ),
)


@dataclass(frozen=True)
class NotComputed:
    key: str
    group: Promise
    name: Promise
    reason: Promise


# Published in docs/indicators.md, so that readers know what is asked for but not computed.
NOT_COMPUTED: tuple[NotComputed, ...] = (
    NotComputed(
        "esf_result.qualification",
        _("ESF+ result indicators, by gender"),
        _("Gaining a qualification upon leaving"),
        _(
            "Zorgbrug records no qualifications: a training module's certificate of "
            "participation is not one."
        ),
    ),
)


# --- The indicators -------------------------------------------------------------------


def _esf_value(key: str) -> Callable[[Evaluation], IndicatorValue]:
    def compute(ev: Evaluation) -> IndicatorValue:
        by_gender = ev.esf()[key]
        return ByGender(counts=tuple((g, by_gender.get(g, 0)) for g in GENDERS))

    return compute


def _esf_result_value(key: str) -> Callable[[Evaluation], IndicatorValue]:
    def compute(ev: Evaluation) -> IndicatorValue:
        by_gender = ev.esf_results()[key]
        return ByGender(counts=tuple((g, by_gender.get(g, 0)) for g in GENDERS))

    return compute


def _wait(fraction: float) -> Callable[[Evaluation], IndicatorValue]:
    def compute(ev: Evaluation) -> IndicatorValue:
        return Measure(value=ev.waits()[fraction], n=ev.request_totals()["served"])

    return compute


def _follow_up_share(months: int) -> Callable[[Evaluation], IndicatorValue]:
    def compute(ev: Evaluation) -> IndicatorValue:
        counts = ev.outcomes()
        return Share(counts[f"fu{months}_positive"], counts[f"fu{months}"])

    return compute


def _follow_up_text(message: str, months: int) -> Promise:
    """A translatable text with the number of months filled in when it is shown (in the
    language of that moment)."""
    return cast(Promise, lazy(lambda: gettext(message) % {"months": months}, str)())


def _per_hour(ev: Evaluation) -> IndicatorValue:
    minutes = Decimal(ev._bookings_by(everyone=True)["minutes"])
    hours = cents(minutes / 60)
    if not minutes:
        return Money(amount=None, basis=hours, basis_unit="hours")
    return Money(amount=cents(ev.costs()["amount"] * 60 / minutes), basis=hours, basis_unit="hours")


INDICATORS: tuple[Indicator, ...] = (
    # Reach ------------------------------------------------------------------------------
    Indicator(
        key="reach.screened",
        group=Group.REACH,
        name=_("Clients screened"),
        definition=_(
            "Job seekers screened for care barriers for the first time in the period "
            "(each client counted once, at their first screening)."
        ),
        formula=_("count(clients whose first screening falls in the period)"),
        unit=Unit.PEOPLE,
        compute=lambda ev: ev.reach()["screened"],
        dimensions=PEOPLE_DIMENSIONS,
    ),
    Indicator(
        key="reach.with_care_duties",
        group=Group.REACH,
        name=_("Clients with care duties"),
        definition=_(
            "Screened clients who care for at least one child or dependent adult recorded "
            "on their record."
        ),
        formula=_("count(screened clients with at least one care recipient)"),
        unit=Unit.PEOPLE,
        compute=lambda ev: ev.reach()["with_care_duties"],
        dimensions=PEOPLE_DIMENSIONS,
    ),
    Indicator(
        key="reach.care_main_barrier",
        group=Group.REACH,
        name=_("Care is the main barrier"),
        definition=_(
            "Share of screened clients who named care duties as their main barrier to work."
        ),
        formula=_("count(screened clients with main barrier = care duties) / clients screened"),
        unit=Unit.SHARE,
        compute=lambda ev: Share(ev.reach()["care_main_barrier"], ev.reach()["screened"]),
        dimensions=PEOPLE_DIMENSIONS,
    ),
    Indicator(
        key="reach.would_accept",
        group=Group.REACH,
        name=_("Would work or train if care were arranged"),
        definition=_(
            "Share of screened clients who would accept a job or a course within two weeks "
            "if care were arranged (answer 'yes'; 'maybe' is not counted)."
        ),
        formula=_("count(screened clients answering yes) / clients screened"),
        unit=Unit.SHARE,
        compute=lambda ev: Share(ev.reach()["would_accept"], ev.reach()["screened"]),
        dimensions=PEOPLE_DIMENSIONS,
    ),
    Indicator(
        key="reach.held_back",
        group=Group.REACH,
        name=_("Held back by care duties"),
        definition=_(
            "Share of screened clients whose care duties stopped them taking a job, following "
            "a course or going to a job interview."
        ),
        formula=_(
            "count(screened clients stopped from a job, a course or an interview) / "
            "clients screened"
        ),
        unit=Unit.SHARE,
        compute=lambda ev: Share(ev.reach()["held_back"], ev.reach()["screened"]),
        dimensions=PEOPLE_DIMENSIONS,
    ),
    # Service ----------------------------------------------------------------------------
    Indicator(
        key="service.requests",
        group=Group.SERVICE,
        name=_("Care requests"),
        definition=_("Requests for care made in the period."),
        formula=_("count(care requests made in the period)"),
        unit=Unit.REQUESTS,
        compute=lambda ev: ev.request_totals()["requests"],
    ),
    Indicator(
        key="service.served",
        group=Group.SERVICE,
        name=_("Share of requests served"),
        definition=_(
            "Share of the care requests made in the period that got a place for at least one "
            "day-part (confirmed, attended, absent, no-show or cancelled late)."
        ),
        formula=_("count(requests with at least one place given) / care requests"),
        unit=Unit.SHARE,
        compute=lambda ev: Share(ev.request_totals()["served"], ev.request_totals()["requests"]),
    ),
    Indicator(
        key="service.wait_median",
        group=Group.SERVICE,
        name=_("Median wait for care"),
        definition=_(
            "Of the served requests made in the period: the median number of days from the day "
            "the request was made to the first day a place was given."
        ),
        formula=_(
            "median over served requests of (first day with a place - day of the request), "
            "interpolated between the two middle values"
        ),
        unit=Unit.DAYS,
        compute=_wait(0.5),
    ),
    Indicator(
        key="service.wait_p90",
        group=Group.SERVICE,
        name=_("Wait for care, 90th percentile"),
        definition=_(
            "Of the served requests made in the period: nine in ten waited at most this many "
            "days from the request to the first day a place was given."
        ),
        formula=_(
            "90th percentile over served requests of (first day with a place - day of the "
            "request), linear interpolation between ranks (percentile_cont)"
        ),
        unit=Unit.DAYS,
        compute=_wait(0.9),
    ),
    Indicator(
        key="service.day_parts_used",
        group=Group.SERVICE,
        name=_("Day-parts of care used"),
        definition=_(
            "Day-parts (mornings or afternoons) of care a child or dependant attended on a day "
            "in the period, per child."
        ),
        formula=_("count(bookings in the period with attendance = attended)"),
        unit=Unit.DAY_PARTS,
        compute=lambda ev: ev.booking_totals()["attended"],
    ),
    Indicator(
        key="service.hours_used",
        group=Group.SERVICE,
        name=_("Hours of care used"),
        definition=_(
            "Hours of care attended in the period: from arrival to pick-up where the provider "
            "registered both, otherwise the day-part's nominal length (morning 07:00-12:30, "
            "5.5 hours; afternoon 12:30-18:30, 6 hours)."
        ),
        formula=_(
            "sum over attended bookings of (pick-up - arrival, or the day-part's nominal "
            "length) in hours"
        ),
        unit=Unit.HOURS,
        compute=lambda ev: Measure(
            value=round(ev.booking_totals()["minutes"] / 60, 2),
            n=ev.booking_totals()["attended"],
        ),
    ),
    Indicator(
        key="service.no_show_rate",
        group=Group.SERVICE,
        name=_("No-show rate"),
        definition=_(
            "Share of the booked day-parts due in the period (up to today) where the child "
            "did not come and the absence was not announced."
        ),
        formula=_("count(no-shows) / count(day-parts with a place given, on days up to today)"),
        unit=Unit.SHARE,
        compute=lambda ev: Share(ev.booking_totals()["no_show"], ev.booking_totals()["due"]),
    ),
    Indicator(
        key="service.late_cancellation_rate",
        group=Group.SERVICE,
        name=_("Late-cancellation rate"),
        definition=_(
            "Share of the booked day-parts due in the period (up to today) cancelled too late "
            "for the place to go to someone else."
        ),
        formula=_(
            "count(late cancellations) / count(day-parts with a place given, on days up to today)"
        ),
        unit=Unit.SHARE,
        compute=lambda ev: Share(ev.booking_totals()["cancelled_late"], ev.booking_totals()["due"]),
    ),
    Indicator(
        key="service.reserved_occupancy",
        group=Group.SERVICE,
        name=_("Occupancy of reserved places"),
        definition=_(
            "Share of the places providers reserved for the network (per day-part, on days in "
            "the period up to today) that were booked. Places are not people: referrer and "
            "activity kind do not apply, and every booking counts, with or without research "
            "consent."
        ),
        formula=_(
            "sum over capacity slots of min(booked, reserved places) / sum of reserved places"
        ),
        unit=Unit.SHARE,
        compute=lambda ev: Share(ev.occupancy()["used"], ev.occupancy()["reserved"]),
        dimensions=frozenset({Dimension.PERIOD, Dimension.NETWORK}),
    ),
    # Uptake by referrer and activity kind ---------------------------------------------
    Indicator(
        key="uptake.by_referrer",
        group=Group.UPTAKE,
        name=_("Uptake and outcomes by referrer organisation"),
        definition=_(
            "Per referring organisation (the client's intake organisation): screened clients "
            "with care duties, how many of them received care (attended at least one "
            "day-part, at any time so far) and the uptake share; the care requests the "
            "organisation made in the period with the share served; the clients who left in "
            "the period with the share who left for work or training; and the clients whose "
            "follow-up six months after leaving came due in the period, with the share in "
            "work or training then."
        ),
        formula=_(
            "uptake = clients who received care / screened clients with care duties; "
            "share served = requests with a place given / requests made; outcome at exit = "
            "leavers for work or training / leavers; outcome after 6 months = in work or "
            "training at the 6-month follow-up / answered 6-month follow-ups"
        ),
        unit=Unit.TABLE,
        compute=lambda ev: ev.by_referrer(),
        dimensions=PEOPLE_DIMENSIONS,
    ),
    Indicator(
        key="uptake.by_activity_kind",
        group=Group.UPTAKE,
        name=_("Uptake and outcomes by activity kind"),
        definition=_(
            "Per kind of activity the care was for (course, job interview, first weeks of a "
            "job, ...): care requests made in the period, the share served, the day-parts "
            "of care used in the period; and the clients who left in the period having had "
            "care asked for an activity of that kind (at any time), with the share who left "
            "for work or training. A client with care for several kinds counts in each."
        ),
        formula=_(
            "share served = requests with a place given / requests made, per kind; outcome "
            "at exit = leavers for work or training / leavers with a care request of the kind"
        ),
        unit=Unit.TABLE,
        compute=lambda ev: ev.by_kind(),
    ),
    # ESF+ -------------------------------------------------------------------------------
    *(
        Indicator(
            key=f"esf.{c.key}",
            group=Group.ESF,
            name=c.name,
            definition=c.definition,
            formula=c.formula,
            unit=Unit.PEOPLE,
            compute=_esf_value(c.key),
            dimensions=PEOPLE_DIMENSIONS,
        )
        for c in ESF_CATEGORIES
    ),
    # Outcomes -------------------------------------------------------------------------
    Indicator(
        key="outcome.leavers",
        group=Group.OUTCOME,
        name=_("Clients who left"),
        definition=_("Clients whose exit from the pathway (with its reason) falls in the period."),
        formula=_("count(clients whose exit date falls in the period)"),
        unit=Unit.PEOPLE,
        compute=lambda ev: ev.outcomes()["leavers"],
        dimensions=PEOPLE_DIMENSIONS,
    ),
    Indicator(
        key="outcome.at_exit",
        group=Group.OUTCOME,
        name=_("In work or training at exit"),
        definition=_(
            "Share of the clients who left in the period who left because they found work "
            "(including self-employment) or started education or training."
        ),
        formula=_("count(leavers with exit reason work or training) / clients who left"),
        unit=Unit.SHARE,
        compute=lambda ev: Share(ev.outcomes()["left_work_or_training"], ev.outcomes()["leavers"]),
        dimensions=PEOPLE_DIMENSIONS,
    ),
    *(
        Indicator(
            key=f"outcome.at_{months}_months",
            group=Group.OUTCOME,
            name=name,
            definition=_follow_up_text(
                gettext_noop(
                    "Of the clients whose follow-up %(months)s months after leaving came due in "
                    "the period and was answered: the share in work or in education or training "
                    "then. The follow-up after leaving is the one of the exit or, when the exit "
                    "came within three months of a job start, the one of that job start. An "
                    "unreachable client counts as not in work or training."
                ),
                months,
            ),
            formula=_follow_up_text(
                gettext_noop(
                    "count(answered %(months)s-month follow-ups: employed or in training) / "
                    "count(answered %(months)s-month follow-ups due in the period)"
                ),
                months,
            ),
            unit=Unit.SHARE,
            compute=_follow_up_share(months),
            dimensions=PEOPLE_DIMENSIONS,
        )
        for months, name in (
            (3, _("In work or training 3 months after leaving")),
            (6, _("In work or training 6 months after leaving")),
            (12, _("In work or training 12 months after leaving")),
        )
    ),
    Indicator(
        key="outcome.job_retention_6m",
        group=Group.OUTCOME,
        name=_("Job retention at 6 months"),
        definition=_(
            "Of the clients who left because they found work and whose follow-up six months "
            "after leaving came due in the period and was answered: the share still (or "
            "again) employed then."
        ),
        formula=_(
            "count(left for work, employed at the 6-month follow-up) / count(left for work, "
            "6-month follow-up answered and due in the period)"
        ),
        unit=Unit.SHARE,
        compute=lambda ev: Share(ev.outcomes()["retention_kept"], ev.outcomes()["retention"]),
        dimensions=PEOPLE_DIMENSIONS,
    ),
    Indicator(
        key="outcome.regular_childcare",
        group=Group.OUTCOME,
        name=_("Moved on to regular childcare"),
        definition=_(
            "Of the clients who left in the period and had received care through the network "
            "(attended at least one day-part): the share for whom a regular childcare place "
            "was found (a place with a start date recorded, for a child or the family)."
        ),
        formula=_(
            "count(leavers who received care and have a regular place) / count(leavers who "
            "received care)"
        ),
        unit=Unit.SHARE,
        compute=lambda ev: Share(
            ev.outcomes()["leavers_cared_regular"], ev.outcomes()["leavers_cared"]
        ),
        dimensions=PEOPLE_DIMENSIONS,
    ),
    # Cost -------------------------------------------------------------------------------
    Indicator(
        key="cost.total",
        group=Group.COST,
        name=_("Total cost paid by the network"),
        definition=_(
            "What the network paid for care on days in the period, from the cost lines of the "
            "closed monthly settlements (corrections of a closed month included, on the day "
            "they correct): care costs less parent contributions. Places and money are not "
            "people: every cost line counts, with or without research consent. With a "
            "referrer or activity-kind filter only the lines of that referrer's or kind's "
            "bookings count (unused reserved places belong to no one)."
        ),
        formula=_(
            "sum over cost lines of closed settlements dated in the period of (paid by the network)"
        ),
        unit=Unit.EUROS,
        compute=lambda ev: Money(
            amount=ev.costs()["amount"], basis=ev.costs()["lines"], basis_unit="lines"
        ),
    ),
    Indicator(
        key="cost.care_costs",
        group=Group.COST,
        name=_("Care costs, parent contributions included"),
        definition=_(
            "The cost of the care on days in the period before the parents' contributions, "
            "from the same cost lines as the total."
        ),
        formula=_("sum over cost lines of closed settlements dated in the period of (care cost)"),
        unit=Unit.EUROS,
        compute=lambda ev: Money(
            amount=ev.costs()["gross"], basis=ev.costs()["lines"], basis_unit="lines"
        ),
    ),
    Indicator(
        key="cost.per_client",
        group=Group.COST,
        name=_("Cost per client served"),
        definition=_(
            "The total paid by the network divided by the clients who attended at least one "
            "day-part of care on a day in the period. The money paid for everyone's care, so "
            "the clients are counted with or without research consent."
        ),
        formula=_("total cost / count(clients with attended care on a day in the period)"),
        unit=Unit.EUROS,
        compute=lambda ev: per(
            ev.costs()["amount"], Decimal(ev.clients_served_everyone()), "clients"
        ),
    ),
    Indicator(
        key="cost.per_hour",
        group=Group.COST,
        name=_("Cost per hour of care"),
        definition=_(
            "The total paid by the network divided by the hours of care attended in the "
            "period (as in 'Hours of care used', but for every booking, with or without "
            "research consent, like the cost)."
        ),
        formula=_("total cost / (sum of minutes of attended care in the period / 60)"),
        unit=Unit.EUROS,
        compute=_per_hour,
    ),
    Indicator(
        key="cost.per_positive_outcome",
        group=Group.COST,
        name=_("Cost per positive outcome"),
        definition=_(
            "The total paid by the network divided by the clients who left in the period for "
            "work or for education or training, with or without research consent. It "
            "charges all the care of the period to these outcomes, so it is an upper bound "
            "of what one outcome costs."
        ),
        formula=_("total cost / count(clients who left in the period for work or training)"),
        unit=Unit.EUROS,
        compute=lambda ev: per(
            ev.costs()["amount"], Decimal(ev.positive_outcomes_everyone()), "outcomes"
        ),
        dimensions=PLACE_DIMENSIONS,
    ),
    # ESF+ results -----------------------------------------------------------------------
    *(
        Indicator(
            key=f"esf_result.{r.key}",
            group=Group.ESF_RESULT,
            name=r.name,
            definition=r.definition,
            formula=r.formula,
            unit=Unit.PEOPLE,
            compute=_esf_result_value(r.key),
            dimensions=PEOPLE_DIMENSIONS,
        )
        for r in ESF_RESULTS
    ),
)

BY_KEY: dict[str, Indicator] = {i.key: i for i in INDICATORS}


def compute(
    filters: Filters, keys: Iterable[str] | None = None, *, evaluation: Evaluation | None = None
) -> list[Result]:
    """The indicators (all, or those named), computed for the filters. Pass an open
    `evaluation` to share it with other reads (the dashboard does)."""
    if evaluation is None:
        with Evaluation(filters) as ev:
            return compute(filters, keys, evaluation=ev)
    chosen = INDICATORS if keys is None else tuple(BY_KEY[k] for k in keys)
    return [
        Result(
            indicator=i,
            value=i.compute(evaluation),
            not_applicable=tuple(i.not_applicable(filters)),
        )
        for i in chosen
    ]


def compute_one(filters: Filters, key: str) -> IndicatorValue:
    with Evaluation(filters) as ev:
        return BY_KEY[key].compute(ev)
