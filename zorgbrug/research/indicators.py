"""Every indicator of Zorgbrug's evaluation, defined once: name, plain-language definition,
formula, unit, the filters it answers to, and the function that computes it in SQL.

This module is the single source of the definitions. The dashboard, the public page, the
API, the evaluation report and docs/indicators.md (generated from it by
`manage.py indicators_doc`; a test keeps the file up to date) all read them from here.

Populations (who is counted), the same for every indicator:
- only clients whose *current* consent allows research use (`scoping.research_clients`);
- *screened clients* are counted once, at their first screening (the intake), which must
  fall in the period; *participants* (ESF) at their entry, the day the record was made;
- care requests by the day they were made; bookings and reserved places by the day of care.

Filters: period, network, referrer organisation (the client's intake organisation for
people, the asking organisation for care requests and bookings) and activity kind. An
indicator lists the filters it answers to; the others are shown as "not applicable".

Computation: each indicator reads one of a few aggregate queries (Count/Sum with FILTER,
Exists semi-joins, percentile_cont on PostgreSQL) shared through an `Evaluation`, so that the
whole dashboard costs a handful of queries whatever the number of clients or bookings.

PHASE 2 (extension points, marked `EXTENSION POINT` below): outcome indicators from
`zorgbrug.pathways` (in training or employment at exit and at 3, 6 and 12 months; job
retention at 6 months; moved on to regular childcare; outcome rates by referrer and
activity kind) and cost indicators from `zorgbrug.covenant` settlements (total, per
client, per hour of care, per positive outcome). They are listed in `PLANNED` so that the
published definitions already say what is coming.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from django.db.models import (
    Case,
    Count,
    Exists,
    ExpressionWrapper,
    F,
    IntegerField,
    Min,
    OuterRef,
    Q,
    QuerySet,
    Sum,
    Value,
    When,
)
from django.db.models.functions import ExtractDay, ExtractMonth, ExtractYear, Least, TruncDate
from django.utils import timezone
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from zorgbrug.access import scoping
from zorgbrug.care.calendar import WINDOW_BY_PART
from zorgbrug.care.models import (
    ActivityKind,
    Booking,
    BookingStatus,
    CapacitySlot,
    CareRequest,
)
from zorgbrug.clients.models import (
    CareRecipient,
    Client,
    Gender,
    IncomeSource,
    LabourStatus,
    MainBarrier,
    Screening,
    WouldAccept,
)
from zorgbrug.network.models import Organisation, Partner
from zorgbrug.research.sql import DaysBetween, MinutesBetween, percentiles

# --- Vocabulary -----------------------------------------------------------------------


class Group(StrEnum):
    REACH = "reach"
    SERVICE = "service"
    UPTAKE = "uptake"
    ESF = "esf"


GROUP_LABELS: dict[Group, Promise] = {
    Group.REACH: _("Reach: how large is the group held back by care duties"),
    Group.SERVICE: _("Service: care asked, given and used"),
    Group.UPTAKE: _("Uptake by referrer organisation and by activity kind"),
    Group.ESF: _("ESF+ participant indicators, by gender"),
}


class Unit(StrEnum):
    PEOPLE = "people"
    REQUESTS = "requests"
    SHARE = "share"
    DAYS = "days"
    DAY_PARTS = "day_parts"
    HOURS = "hours"
    TABLE = "table"


UNIT_LABELS: dict[Unit, Promise] = {
    Unit.PEOPLE: _("people"),
    Unit.REQUESTS: _("care requests"),
    Unit.SHARE: _("share (%)"),
    Unit.DAYS: _("days"),
    Unit.DAY_PARTS: _("day-parts"),
    Unit.HOURS: _("hours"),
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

    def display_rows(self) -> list[tuple[Row, list[tuple[int | float | None, bool]]]]:
        """Rows with, per value, whether it is a share (for templates)."""
        shares = [c.unit == Unit.SHARE for c in self.columns]
        return [(r, list(zip(r.values, shares, strict=True))) for r in self.rows]


IndicatorValue = int | Share | Measure | ByGender | Table


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


# --- Populations and the shared aggregate queries ------------------------------------

# A place was given and held until the day (or cancelled too late to give it to another).
PLACED = (
    BookingStatus.CONFIRMED,
    BookingStatus.ATTENDED,
    BookingStatus.ABSENT,
    BookingStatus.NO_SHOW,
    BookingStatus.CANCELLED_LATE,
)


def _minutes(part: str) -> int:
    window = WINDOW_BY_PART[part]
    start = window.start.hour * 60 + window.start.minute
    return window.end.hour * 60 + window.end.minute - start


NOMINAL_MINUTES = {part: _minutes(part) for part in WINDOW_BY_PART}


def _day_start(day: dt.date) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(day, dt.time.min))


class Evaluation:
    """One computation of indicators for one set of filters. The aggregate queries that
    several indicators share run once and are kept here."""

    def __init__(self, filters: Filters) -> None:
        self.filters = filters
        self._memo: dict[str, Any] = {}

    def memo(self, key: str, compute: Callable[[], Any]) -> Any:
        if key not in self._memo:
            self._memo[key] = compute()
        return self._memo[key]

    # Populations ---------------------------------------------------------------------

    def research_client_ids(self) -> QuerySet[Any]:
        return scoping.research_clients(self.filters.network_ids).values("pk")

    def _created_in_period(self, prefix: str = "") -> Q:
        f = self.filters
        return Q(
            **{
                f"{prefix}created_at__gte": _day_start(f.start),
                f"{prefix}created_at__lt": _day_start(f.end + dt.timedelta(days=1)),
            }
        )

    def first_screenings(self) -> QuerySet[Screening]:
        """Each screened client once, by their first screening, taken in the period."""
        f = self.filters
        earlier = Screening.objects.filter(client=OuterRef("client_id")).filter(
            Q(taken_on__lt=OuterRef("taken_on"))
            | Q(taken_on=OuterRef("taken_on"), pk__lt=OuterRef("pk"))
        )
        qs = Screening.objects.filter(
            client__in=self.research_client_ids(),
            taken_on__gte=f.start,
            taken_on__lte=f.end,
        ).filter(~Exists(earlier))
        if f.organisation_id is not None:
            qs = qs.filter(client__intake_organisation_id=f.organisation_id)
        return qs

    # Conditions used inside aggregates. They are Q(Exists(...)) rather than annotations:
    # Django loses an annotated Exists when it wraps an aggregate in a subquery.

    @staticmethod
    def has_care_duties() -> Q:
        """On screenings: the client has at least one care recipient."""
        return Q(Exists(CareRecipient.objects.filter(client=OuterRef("client_id"))))

    @staticmethod
    def served() -> Q:
        """On care requests: a place was given for at least one day-part."""
        return Q(Exists(Booking.objects.filter(request=OuterRef("pk"), status__in=PLACED)))

    @staticmethod
    def received_care() -> Q:
        """On screenings: the client attended at least one day-part of care, ever."""
        return Q(
            Exists(
                Booking.objects.filter(
                    request__client=OuterRef("client_id"), status=BookingStatus.ATTENDED
                )
            )
        )

    def participants(self) -> QuerySet[Client]:
        """ESF participants: clients who entered (were registered) in the period."""
        f = self.filters
        qs = scoping.research_clients(f.network_ids).filter(self._created_in_period())
        if f.organisation_id is not None:
            qs = qs.filter(intake_organisation_id=f.organisation_id)
        return qs

    def requests(self, *, by_kind: bool = True) -> QuerySet[CareRequest]:
        """Care requests made in the period by the selected referrer, for the selected kind."""
        f = self.filters
        qs = CareRequest.objects.filter(
            network_id__in=f.network_ids, client__in=self.research_client_ids()
        ).filter(self._created_in_period())
        if f.organisation_id is not None:
            qs = qs.filter(organisation_id=f.organisation_id)
        if by_kind and f.activity_kind:
            qs = qs.filter(activity__kind=f.activity_kind)
        return qs

    def bookings(self, *, by_kind: bool = True) -> QuerySet[Booking]:
        """Bookings for care on a day in the period, of the selected requests."""
        f = self.filters
        qs = Booking.objects.filter(
            date__gte=f.start,
            date__lte=f.end,
            request__network_id__in=f.network_ids,
            request__client__in=self.research_client_ids(),
        )
        if f.organisation_id is not None:
            qs = qs.filter(request__organisation_id=f.organisation_id)
        if by_kind and f.activity_kind:
            qs = qs.filter(request__activity__kind=f.activity_kind)
        return qs

    # Shared aggregates ---------------------------------------------------------------

    def reach(self) -> dict[str, int]:
        def run() -> dict[str, int]:
            row = self.first_screenings().aggregate(
                screened=Count("pk"),
                with_care_duties=Count("pk", filter=self.has_care_duties()),
                care_main_barrier=Count("pk", filter=Q(main_barrier=MainBarrier.CARE)),
                would_accept=Count("pk", filter=Q(would_accept=WouldAccept.YES)),
                held_back=Count(
                    "pk",
                    filter=Q(stopped_job=True) | Q(stopped_course=True) | Q(stopped_interview=True),
                ),
            )
            return {k: int(v or 0) for k, v in row.items()}

        return self.memo("reach", run)

    def request_totals(self) -> dict[str, int]:
        def run() -> dict[str, int]:
            row = self.requests().aggregate(
                requests=Count("pk"), served=Count("pk", filter=self.served())
            )
            return {k: int(v or 0) for k, v in row.items()}

        return self.memo("requests", run)

    def waits(self) -> dict[float, float | None]:
        def run() -> dict[float, float | None]:
            tz = timezone.get_current_timezone()
            waits = (
                self.requests()
                .annotate(
                    first_care=Min("bookings__date", filter=Q(bookings__status__in=PLACED)),
                    asked_on=TruncDate("created_at", tzinfo=tz),
                )
                .filter(first_care__isnull=False)
            )
            return percentiles(waits, DaysBetween(F("first_care"), F("asked_on")), (0.5, 0.9))

        return self.memo("waits", run)

    def booking_totals(self) -> dict[str, int]:
        def run() -> dict[str, int]:
            measured = MinutesBetween(F("arrived_at"), F("picked_up_at"))
            minutes = Case(
                When(
                    Q(arrived_at__isnull=False, picked_up_at__gt=F("arrived_at")),
                    then=measured,
                ),
                When(day_part="am", then=Value(NOMINAL_MINUTES["am"])),
                default=Value(NOMINAL_MINUTES["pm"]),
                output_field=IntegerField(),
            )
            due = Q(date__lte=self.filters.as_of(), status__in=PLACED)
            row = self.bookings().aggregate(
                due=Count("pk", filter=due),
                attended=Count("pk", filter=Q(status=BookingStatus.ATTENDED)),
                no_show=Count("pk", filter=due & Q(status=BookingStatus.NO_SHOW)),
                cancelled_late=Count("pk", filter=due & Q(status=BookingStatus.CANCELLED_LATE)),
                minutes=Sum(minutes, filter=Q(status=BookingStatus.ATTENDED)),
            )
            return {k: int(v or 0) for k, v in row.items()}

        return self.memo("bookings", run)

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
            tz = timezone.get_current_timezone()
            entry = TruncDate("created_at", tzinfo=tz)
            qs = self.participants().annotate(
                entry_year=ExtractYear(entry),
                entry_md=ExtractMonth(entry) * 100 + ExtractDay(entry),
                birth_md=ExtractMonth("birth_date") * 100 + ExtractDay("birth_date"),
            )
            qs = qs.annotate(
                age=ExpressionWrapper(
                    F("entry_year")
                    - ExtractYear("birth_date")
                    - Case(When(entry_md__lt=F("birth_md"), then=Value(1)), default=Value(0)),
                    output_field=IntegerField(),
                )
            )
            aggregates = {c.key: Count("pk", filter=c.condition) for c in ESF_CATEGORIES}
            rows: Iterable[dict[str, Any]] = (
                qs.order_by().values("gender").annotate(**aggregates)  # type: ignore[assignment]
            )
            out: dict[str, dict[str, int]] = {
                c.key: dict.fromkeys(GENDERS, 0) for c in ESF_CATEGORIES
            }
            for row in rows:
                for c in ESF_CATEGORIES:
                    out[c.key][row["gender"]] = int(row[c.key] or 0)
            return out

        return self.memo("esf", run)

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

    def by_referrer(self) -> Table:
        def run() -> Table:
            people: dict[int, Any] = {
                r["client__intake_organisation_id"]: r
                for r in self.first_screenings()
                .filter(self.has_care_duties())
                .order_by()
                .values("client__intake_organisation_id")
                .annotate(n=Count("pk"), received_care=Count("pk", filter=self.received_care()))
            }
            asked: dict[int, Any] = {
                r["organisation_id"]: r
                for r in self.requests()
                .order_by()
                .values("organisation_id")
                .annotate(n=Count("pk"), served_n=Count("pk", filter=self.served()))
            }
            known = dict(self.referrer_rows())
            extra = (set(people) | set(asked)) - set(known)
            if extra:  # an intake organisation that is no longer a referring partner
                known.update(Organisation.objects.filter(pk__in=extra).values_list("pk", "name"))
            rows = []
            for org_id, name in sorted(known.items(), key=lambda item: (item[1], item[0])):
                p: dict[str, Any] = people.get(org_id, {})
                a: dict[str, Any] = asked.get(org_id, {})
                n, got = int(p.get("n", 0)), int(p.get("received_care", 0))
                req, served = int(a.get("n", 0)), int(a.get("served_n", 0))
                rows.append(
                    Row(
                        key=str(org_id),
                        label=name,
                        values=(n, got, _ratio(got, n), req, served, _ratio(served, req)),
                    )
                )
            return Table(columns=REFERRER_COLUMNS, rows=tuple(rows))

        return self.memo("by_referrer", run)

    def by_kind(self) -> Table:
        def run() -> Table:
            asked: dict[str, Any] = {
                r["activity__kind"]: r
                for r in self.requests()
                .order_by()
                .values("activity__kind")
                .annotate(n=Count("pk"), served_n=Count("pk", filter=self.served()))
            }
            used = dict(
                self.bookings()
                .filter(status=BookingStatus.ATTENDED)
                .order_by()
                .values_list("request__activity__kind")
                .annotate(n=Count("pk"))
            )
            kinds = [(k, label) for k, label in ActivityKind.choices]
            if self.filters.activity_kind:
                kinds = [(k, label) for k, label in kinds if k == self.filters.activity_kind]
            rows = []
            for kind, label in kinds:
                a: dict[str, Any] = asked.get(kind, {})
                req, served = int(a.get("n", 0)), int(a.get("served_n", 0))
                rows.append(
                    Row(
                        key=kind,
                        label=str(label),
                        values=(req, served, _ratio(served, req), int(used.get(kind, 0))),
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
)
KIND_COLUMNS = (
    Column("requests", _("care requests"), Unit.REQUESTS),
    Column("served", _("of which served"), Unit.REQUESTS),
    Column("served_share", _("share served"), Unit.SHARE),
    Column("day_parts_used", _("day-parts of care used"), Unit.DAY_PARTS),
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


# --- The indicators -------------------------------------------------------------------


def _esf_value(key: str) -> Callable[[Evaluation], IndicatorValue]:
    def compute(ev: Evaluation) -> IndicatorValue:
        by_gender = ev.esf()[key]
        return ByGender(counts=tuple((g, by_gender.get(g, 0)) for g in GENDERS))

    return compute


def _wait(fraction: float) -> Callable[[Evaluation], IndicatorValue]:
    def compute(ev: Evaluation) -> IndicatorValue:
        return Measure(value=ev.waits()[fraction], n=ev.request_totals()["served"])

    return compute


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
        name=_("Uptake by referrer organisation"),
        definition=_(
            "Per referring organisation (the client's intake organisation): screened clients "
            "with care duties, how many of them received care (attended at least one "
            "day-part, at any time so far) and the uptake share; and the care requests the "
            "organisation made in the period with the share served."
        ),
        formula=_(
            "uptake = clients who received care / screened clients with care duties; "
            "share served = requests with a place given / requests made"
        ),
        unit=Unit.TABLE,
        compute=lambda ev: ev.by_referrer(),
        dimensions=PEOPLE_DIMENSIONS,
    ),
    Indicator(
        key="uptake.by_activity_kind",
        group=Group.UPTAKE,
        name=_("Uptake by activity kind"),
        definition=_(
            "Per kind of activity the care was for (course, job interview, first weeks of a "
            "job, ...): care requests made in the period, the share served, and the day-parts "
            "of care used in the period."
        ),
        formula=_("share served = requests with a place given / requests made, per kind"),
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
    # EXTENSION POINT (phase 2, zorgbrug.pathways): outcome indicators — in training or
    # employment at exit and at 3, 6 and 12 months; job retention at 6 months among those
    # employed at exit; moved on to regular childcare; outcome rates per referrer and per
    # activity kind (new columns of uptake.by_referrer / uptake.by_activity_kind). Add them
    # here, with an `Evaluation.outcomes()` aggregate over the pathways' follow-ups.
    # EXTENSION POINT (phase 2, zorgbrug.covenant): cost indicators from the settlements —
    # total, per client served, per hour of care (service.hours_used), per positive outcome.
)

BY_KEY: dict[str, Indicator] = {i.key: i for i in INDICATORS}


@dataclass(frozen=True)
class Planned:
    key: str
    group: Promise
    name: Promise
    source: str


# Published in docs/indicators.md as "not yet computed", so that readers know what comes.
PLANNED: tuple[Planned, ...] = (
    Planned("outcome.at_exit", _("Outcomes"), _("In training or employment at exit"), "pathways"),
    Planned(
        "outcome.at_3_6_12_months",
        _("Outcomes"),
        _("In training or employment at 3, 6 and 12 months"),
        "pathways",
    ),
    Planned(
        "outcome.job_retention_6m",
        _("Outcomes"),
        _("Job retention at 6 months among those employed at exit"),
        "pathways",
    ),
    Planned(
        "outcome.regular_childcare",
        _("Outcomes"),
        _("Moved on to regular childcare"),
        "pathways",
    ),
    Planned(
        "outcome.by_referrer_and_kind",
        _("Outcomes"),
        _("Outcome rates by referrer organisation and by activity kind"),
        "pathways",
    ),
    Planned("cost.total", _("Cost"), _("Total cost of care"), "covenant"),
    Planned("cost.per_client", _("Cost"), _("Cost per client served"), "covenant"),
    Planned("cost.per_hour", _("Cost"), _("Cost per hour of care"), "covenant"),
    Planned(
        "cost.per_positive_outcome",
        _("Cost"),
        _("Cost per positive outcome"),
        "covenant + pathways",
    ),
)


def compute(
    filters: Filters, keys: Iterable[str] | None = None, *, evaluation: Evaluation | None = None
) -> list[Result]:
    """The indicators (all, or those named), computed for the filters."""
    ev = evaluation or Evaluation(filters)
    chosen = INDICATORS if keys is None else tuple(BY_KEY[k] for k in keys)
    return [
        Result(indicator=i, value=i.compute(ev), not_applicable=tuple(i.not_applicable(filters)))
        for i in chosen
    ]


def compute_one(filters: Filters, key: str) -> IndicatorValue:
    return BY_KEY[key].compute(Evaluation(filters))
