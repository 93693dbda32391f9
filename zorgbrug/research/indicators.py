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

from django.db import connection, transaction
from django.db.models import (
    BooleanField,
    Case,
    Count,
    Exists,
    F,
    Func,
    IntegerField,
    Min,
    OuterRef,
    Q,
    QuerySet,
    Sum,
    Value,
    When,
)
from django.db.models.functions import Least, TruncDate
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
    CareSite,
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
from zorgbrug.research.models import EvaluationClient, EvaluationRequest, EvaluationScreened
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


TEMPORARY_TABLES = (EvaluationScreened, EvaluationRequest, EvaluationClient)


def _day_start(day: dt.date) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(day, dt.time.min))


class AgeInYears(Func):
    """Whole years of age on a day (`on`, a date) for a birth date."""

    output_field = IntegerField()
    arity = 2

    def __init__(self, on: Any, birth: Any, **extra: Any) -> None:
        super().__init__(on, birth, **extra)

    def as_postgresql(self, compiler: Any, connection: Any, **extra: Any) -> Any:
        return self.as_sql(
            compiler,
            connection,
            template="CAST(DATE_PART('year', AGE(%(expressions)s)) AS INTEGER)",
            **extra,
        )

    def as_sqlite(self, compiler: Any, connection: Any, **extra: Any) -> Any:
        on, on_params = compiler.compile(self.source_expressions[0])
        birth, birth_params = compiler.compile(self.source_expressions[1])
        sql = (
            f"(CAST(strftime('%%Y', {on}) AS INTEGER) - CAST(strftime('%%Y', {birth}) AS INTEGER)"
            f" - (strftime('%%m-%%d', {on}) < strftime('%%m-%%d', {birth})))"
        )
        return sql, (*on_params, *birth_params, *on_params, *birth_params)


class Evaluation:
    """One computation of indicators for one set of filters.

    Use it as a context manager: it runs in one transaction and, on first need, materialises
    two temporary tables that every later query reads instead of the large ones —
    the research clients (the consent rule, evaluated once) and one row per care request of
    those clients with what its bookings add up to (one pass over the bookings). The
    aggregates that several indicators share then run once and are kept here.
    """

    def __init__(self, filters: Filters) -> None:
        self.filters = filters
        self._memo: dict[str, Any] = {}
        self._atomic: Any = None
        self._tables = False

    def __enter__(self) -> Evaluation:
        self._atomic = transaction.atomic()
        self._atomic.__enter__()
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                # Just-in-time compilation costs seconds of LLVM work for aggregates that run
                # in a fraction of that; hash aggregates over the requests need more than
                # the default 4 MB to stay in memory. Both only for this transaction.
                cursor.execute("SET LOCAL jit = off")
                cursor.execute("SET LOCAL work_mem = '64MB'")
        return self

    def __exit__(self, *exc: Any) -> None:
        try:
            # On an error the transaction's rollback takes the tables away with it.
            if self._tables and exc[0] is None:
                with connection.cursor() as cursor:
                    for model in TEMPORARY_TABLES:
                        cursor.execute(f"DROP TABLE IF EXISTS {model._meta.db_table}")
                self._tables = False
        finally:
            atomic, self._atomic = self._atomic, None
            atomic.__exit__(*exc)

    def memo(self, key: str, compute: Callable[[], Any]) -> Any:
        if key not in self._memo:
            self._memo[key] = compute()
        return self._memo[key]

    # The temporary tables --------------------------------------------------------------

    def _materialise(self) -> None:
        if self._tables:
            return
        if self._atomic is None:
            raise RuntimeError("use an Evaluation as a context manager: with Evaluation(f) as ev")
        f = self.filters
        placed = Q(status__in=PLACED)
        in_period = Q(date__gte=f.start, date__lte=f.end)
        measured = MinutesBetween(F("arrived_at"), F("picked_up_at"))
        minutes = Case(
            When(Q(arrived_at__isnull=False, picked_up_at__gt=F("arrived_at")), then=measured),
            When(day_part="am", then=Value(NOMINAL_MINUTES["am"])),
            default=Value(NOMINAL_MINUTES["pm"]),
            output_field=IntegerField(),
        )
        attended = Q(status=BookingStatus.ATTENDED)
        # The join with the network's research requests below keeps the right rows; when
        # other networks have care sites too, their bookings stay out of the pass early
        # (a literal list of site ids: a hashed IN, cheaper than a join over every booking).
        bookings = Booking.objects.all()
        if CareSite.objects.exclude(network_id__in=f.network_ids).exists():
            sites = list(
                CareSite.objects.filter(network_id__in=f.network_ids).values_list("pk", flat=True)
            )
            # No site at all: an id no row has, since SQL cannot be compiled for IN ().
            bookings = bookings.filter(care_site_id__in=sites or [0])
        per_request = (
            bookings.order_by()
            .values("request_id")
            .annotate(
                b_first_placed=Min("date", filter=placed),
                b_attended_ever=Count("pk", filter=attended),
                b_due=Count("pk", filter=in_period & placed & Q(date__lte=f.as_of())),
                b_attended=Count("pk", filter=in_period & attended),
                b_no_show=Count(
                    "pk", filter=in_period & Q(date__lte=f.as_of(), status=BookingStatus.NO_SHOW)
                ),
                b_cancelled_late=Count(
                    "pk",
                    filter=in_period & Q(date__lte=f.as_of(), status=BookingStatus.CANCELLED_LATE),
                ),
                b_minutes=Sum(minutes, filter=in_period & attended),
            )
        )
        tz = timezone.get_current_timezone()
        requests = (
            CareRequest.objects.filter(
                network_id__in=f.network_ids,
                client_id__in=EvaluationClient.objects.values("client_id"),
            )
            .order_by()
            .values("id", "client_id", "organisation_id")
            .annotate(kind=F("activity__kind"), asked_on=TruncDate("created_at", tzinfo=tz))
        )
        clients = scoping.research_clients(f.network_ids).order_by().values(client_id=F("pk"))
        with connection.cursor() as cursor:
            for model in TEMPORARY_TABLES:
                cursor.execute(f"DROP TABLE IF EXISTS {model._meta.db_table}")
            sql, params = clients.query.sql_with_params()
            cursor.execute(f"CREATE TEMPORARY TABLE research_eval_client AS {sql}", params)
            self._tables = True
            r_sql, r_params = requests.query.sql_with_params()
            b_sql, b_params = per_request.query.sql_with_params()
            # Both parts are the ORM's own SQL; every value travels as a parameter.
            cursor.execute(
                "CREATE TEMPORARY TABLE research_eval_request AS "  # noqa: S608
                "SELECT r.id, r.client_id, r.organisation_id, r.kind, r.asked_on, "
                "b.b_first_placed AS first_placed, "
                "COALESCE(b.b_attended_ever, 0) AS attended_ever, "
                "COALESCE(b.b_due, 0) AS due, "
                "COALESCE(b.b_attended, 0) AS attended, "
                "COALESCE(b.b_no_show, 0) AS no_show, "
                "COALESCE(b.b_cancelled_late, 0) AS cancelled_late, "
                "COALESCE(b.b_minutes, 0) AS minutes "
                f"FROM ({r_sql}) r LEFT JOIN ({b_sql}) b ON b.request_id = r.id",
                (*r_params, *b_params),
            )
            s_sql, s_params = self._first_screenings_query().query.sql_with_params()
            cursor.execute(f"CREATE TEMPORARY TABLE research_eval_screened AS {s_sql}", s_params)
            # The planner knows nothing of a fresh table until it is analysed: the client
            # table is joined by its only column, the others by their client.
            columns = "(client_id)" if connection.vendor == "postgresql" else ""
            cursor.execute("ANALYZE research_eval_client")
            cursor.execute(f"ANALYZE research_eval_request {columns}")
            cursor.execute(f"ANALYZE research_eval_screened {columns}")

    # Populations ---------------------------------------------------------------------

    def research_client_ids(self) -> QuerySet[Any]:
        self._materialise()
        return EvaluationClient.objects.values("client_id")

    def _created_in_period(self, prefix: str = "") -> Q:
        f = self.filters
        return Q(
            **{
                f"{prefix}created_at__gte": _day_start(f.start),
                f"{prefix}created_at__lt": _day_start(f.end + dt.timedelta(days=1)),
            }
        )

    def _first_screenings_query(self) -> QuerySet[Any]:
        """The research clients' first screenings taken in the period, with what the reach
        indicators ask of them (the source of the `research_eval_screened` table)."""
        f = self.filters
        earlier = Screening.objects.filter(client=OuterRef("client_id")).filter(
            Q(taken_on__lt=OuterRef("taken_on"))
            | Q(taken_on=OuterRef("taken_on"), pk__lt=OuterRef("pk"))
        )
        recipients = CareRecipient.objects.filter(client=OuterRef("client_id"))
        true, false = Value(True), Value(False)
        stopped = Q(stopped_job=True) | Q(stopped_course=True) | Q(stopped_interview=True)
        return (
            Screening.objects.filter(
                client_id__in=EvaluationClient.objects.values("client_id"),
                taken_on__gte=f.start,
                taken_on__lte=f.end,
            )
            .filter(~Exists(earlier))
            .order_by()
            .values("client_id")
            .annotate(
                screening_id=F("pk"),
                intake_organisation_id=F("client__intake_organisation_id"),
                care_duties=Exists(recipients),
                care_main_barrier=Case(
                    When(main_barrier=MainBarrier.CARE, then=true),
                    default=false,
                    output_field=BooleanField(),
                ),
                would_accept_yes=Case(
                    When(would_accept=WouldAccept.YES, then=true),
                    default=false,
                    output_field=BooleanField(),
                ),
                held_back=Case(
                    When(stopped, then=true), default=false, output_field=BooleanField()
                ),
            )
        )

    def first_screenings(self) -> QuerySet[EvaluationScreened]:
        """Each screened client once, by their first screening, taken in the period."""
        self._materialise()
        qs = EvaluationScreened.objects.all()
        if self.filters.organisation_id is not None:
            qs = qs.filter(intake_organisation_id=self.filters.organisation_id)
        return qs

    def received_care(self) -> Exists:
        """On screened clients: the client attended at least one day-part of care, ever."""
        self._materialise()
        return Exists(
            EvaluationRequest.objects.filter(client_id=OuterRef("client_id"), attended_ever__gt=0)
        )

    def participants(self) -> QuerySet[Client]:
        """ESF participants: clients who entered (were registered) in the period."""
        f = self.filters
        qs = Client.objects.filter(pk__in=self.research_client_ids()).filter(
            self._created_in_period()
        )
        if f.organisation_id is not None:
            qs = qs.filter(intake_organisation_id=f.organisation_id)
        return qs

    def request_facts(self, *, by_kind: bool = True) -> QuerySet[EvaluationRequest]:
        """The research clients' care requests (all of them, with their bookings summed)."""
        self._materialise()
        f = self.filters
        qs = EvaluationRequest.objects.all()
        if f.organisation_id is not None:
            qs = qs.filter(organisation_id=f.organisation_id)
        if by_kind and f.activity_kind:
            qs = qs.filter(kind=f.activity_kind)
        return qs

    def requests(self, *, by_kind: bool = True) -> QuerySet[EvaluationRequest]:
        """Care requests made in the period by the selected referrer, for the selected kind."""
        f = self.filters
        return self.request_facts(by_kind=by_kind).filter(
            asked_on__gte=f.start, asked_on__lte=f.end
        )

    def bookings(self, *, by_kind: bool = True) -> QuerySet[Booking]:
        """Bookings for care on a day in the period, of the selected requests (for the time
        series of the charts; the indicators read the request facts)."""
        f = self.filters
        return Booking.objects.filter(
            date__gte=f.start,
            date__lte=f.end,
            request_id__in=self.request_facts(by_kind=by_kind).values("id"),
        )

    # Shared aggregates ---------------------------------------------------------------

    def reach(self) -> dict[str, int]:
        def run() -> dict[str, int]:
            row = self.first_screenings().aggregate(
                screened=Count("pk"),
                with_care_duties=Count("pk", filter=Q(care_duties=True)),
                care_main_barrier=Count("pk", filter=Q(care_main_barrier=True)),
                would_accept=Count("pk", filter=Q(would_accept_yes=True)),
                held_back=Count("pk", filter=Q(held_back=True)),
            )
            return {k: int(v or 0) for k, v in row.items()}

        return self.memo("reach", run)

    def _by_kind_and_referrer(self, *, by_kind: bool = True) -> list[dict[str, Any]]:
        """Requests made in the period, served or not, and care used in the period, per
        (activity kind, organisation): the totals, the kind table and the referrer table's
        request columns all add up from these rows (one query over the request facts)."""
        if not self.filters.activity_kind:
            by_kind = True  # the same rows either way

        def run() -> list[dict[str, Any]]:
            f = self.filters
            made = Q(asked_on__gte=f.start, asked_on__lte=f.end)
            rows: Iterable[dict[str, Any]] = (
                self.request_facts(by_kind=by_kind)
                .order_by()
                .values("kind", "organisation_id")
                .annotate(
                    requests=Count("pk", filter=made),
                    served=Count("pk", filter=made & Q(first_placed__isnull=False)),
                    due=Sum("due"),
                    attended=Sum("attended"),
                    no_show=Sum("no_show"),
                    cancelled_late=Sum("cancelled_late"),
                    minutes=Sum("minutes"),
                )  # type: ignore[assignment]
            )
            return list(rows)

        return self.memo(f"kind_referrer:{by_kind}", run)

    def _sum(self, field: str, *, key: str | None = None, value: Any = None) -> int:
        rows = self._by_kind_and_referrer()
        return sum(int(r[field] or 0) for r in rows if key is None or r[key] == value)

    def request_totals(self) -> dict[str, int]:
        return {"requests": self._sum("requests"), "served": self._sum("served")}

    def waits(self) -> dict[float, float | None]:
        def run() -> dict[float, float | None]:
            served = self.requests().filter(first_placed__isnull=False)
            return percentiles(served, DaysBetween(F("first_placed"), F("asked_on")), (0.5, 0.9))

        return self.memo("waits", run)

    def booking_totals(self) -> dict[str, int]:
        return {
            name: self._sum(name)
            for name in ("due", "attended", "no_show", "cancelled_late", "minutes")
        }

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
            qs = self.participants().annotate(
                age=AgeInYears(TruncDate("created_at", tzinfo=tz), F("birth_date"))
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

    def people_by_referrer(self) -> dict[tuple[int, bool], dict[str, int]]:
        """Screened clients with care duties per (intake organisation, received care), with
        the cohort measures counted: the referrer table and the cohort comparison add up
        from these rows (one query)."""

        def run() -> dict[tuple[int, bool], dict[str, int]]:
            from zorgbrug.research.cohorts import MEASURES

            measures = {m.key: Count("pk", filter=m.condition()) for m in MEASURES}
            out: dict[tuple[int, bool], dict[str, int]] = {}
            rows = (
                self.first_screenings()
                .filter(care_duties=True)
                .annotate(received=self.received_care())
                .order_by()
                .values("intake_organisation_id", "received")
                .annotate(n=Count("pk"), **measures)
            )
            for row in rows:
                values: dict[str, Any] = dict(row)
                key = (int(values.pop("intake_organisation_id")), bool(values.pop("received")))
                out[key] = {k: int(v or 0) for k, v in values.items()}
            return out

        return self.memo("people_by_referrer", run)

    def by_referrer(self) -> Table:
        def run() -> Table:
            people = self.people_by_referrer()
            asked: dict[int, list[int]] = {}
            # The referrer table answers to period, network and referrer, not to the kind.
            for r in self._by_kind_and_referrer(by_kind=False):
                totals = asked.setdefault(int(r["organisation_id"]), [0, 0])
                totals[0] += int(r["requests"] or 0)
                totals[1] += int(r["served"] or 0)
            known = dict(self.referrer_rows())
            seen = {org for org, _received in people} | {o for o, t in asked.items() if t[0]}
            extra = seen - set(known)
            if extra:  # an intake organisation that is no longer a referring partner
                known.update(Organisation.objects.filter(pk__in=extra).values_list("pk", "name"))
            rows = []
            for org_id, name in sorted(known.items(), key=lambda item: (item[1], item[0])):
                got = people.get((org_id, True), {}).get("n", 0)
                n = got + people.get((org_id, False), {}).get("n", 0)
                req, served = asked.get(org_id, [0, 0])
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
            kinds = [(k, label) for k, label in ActivityKind.choices]
            if self.filters.activity_kind:
                kinds = [(k, label) for k, label in kinds if k == self.filters.activity_kind]
            rows = []
            for kind, label in kinds:
                req = self._sum("requests", key="kind", value=kind)
                served = self._sum("served", key="kind", value=kind)
                used = self._sum("attended", key="kind", value=kind)
                rows.append(
                    Row(key=kind, label=str(label), values=(req, served, _ratio(served, req), used))
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
