"""The research facts: tables the indicators aggregate instead of the bookings and the
client records, and the service that keeps them up to date (writes only; the indicators
read them in `indicators.Evaluation`).

- `ClientFact`, one row per client: consent, the record at entry, the first screening,
  care received, activities, exit, regular childcare, the follow-ups after leaving;
- `RequestFact`, one per care request: who asked it for what and when, the first day with a
  place, the attended day-parts ever;
- `RequestMonthFact`, one per care request and month of care: day-parts placed, attended,
  no-show and cancelled late, minutes of care;
- `CostFact`, one per closed settlement, day, referrer and activity kind: cost lines, care
  costs, parent contributions, paid by the network.

Every figure computed on the facts equals the one computed on the source tables
(tests/research/test_facts.py recomputes both after bookings change).

`refresh()` recomputes only what changed since its last run — bounded work, whatever the
size of the network. What changed is read from:

- the **audit log** (indexed by time): every service that writes a client, a care request,
  a booking, a screening, a consent, an activity or a pathway step records an event
  (`access.audit.record`) naming the client (object `clients.client`), the care request
  (`detail.care_request`) or the booking (`detail.booking`). Bookings carry no timestamp of
  their own for attendance or for a provider's confirmation: the audit event is the only
  trace those leave;
- the creation times of clients and care requests (indexed), for rows made without a
  service event.

A changed client is recomputed with all its care requests (its consent decides whether they
count); a changed request with its client (whether the client received care). Closed
settlements never change: a refresh adds the ones closed since.

Changes are read from `RESEARCH_FACTS_MARGIN_SECONDS` (default 300) before the previous
refresh began, so that a transaction still running then (its audit event stamped before
the refresh, committed after it) is not missed. The events a refresh took in are kept
(`FactsSeenEvent`) until they leave that margin, so each is taken in once: the work of a
refresh follows what is new, not the margin. An event a refresh reads is committed with the
change it records, so the statements after it see that change. Writes that bypass the
services and the audit log (a shell, a bulk load) are picked up by `rebuild()`:
`manage.py research_facts --rebuild` or the job kind `research.rebuild_facts`, run nightly.
Refreshes run one at a time (a PostgreSQL advisory lock).
"""

from __future__ import annotations

import datetime as dt
import time
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.db import connection, transaction
from django.db.models import (
    BigIntegerField,
    BooleanField,
    Case,
    Count,
    DateField,
    Exists,
    F,
    IntegerField,
    Min,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Sum,
    Value,
    When,
)
from django.db.models.fields.json import KeyTextTransform
from django.db.models.functions import Cast, Coalesce, TruncDate, TruncMonth
from django.utils import timezone

from zorgbrug.access import scoping
from zorgbrug.access.models import AuditEvent
from zorgbrug.care.calendar import WINDOW_BY_PART
from zorgbrug.care.models import Activity, ActivityKind, Booking, BookingStatus, CareRequest
from zorgbrug.clients.models import CareRecipient, Client, MainBarrier, Screening, WouldAccept
from zorgbrug.covenant.models import CostLine, Settlement, SettlementStatus
from zorgbrug.pathways.models import FollowUp, PathwayActivity, PathwayActivityKind, RegularCare
from zorgbrug.pathways.rules import EXIT_COVERED_BY_JOB_START_DAYS
from zorgbrug.research.models import (
    ClientFact,
    CostFact,
    FactsSeenEvent,
    FactsState,
    NewEvent,
    RequestFact,
    RequestMonthFact,
    StaleClient,
    StaleRequest,
)
from zorgbrug.research.sql import AgeInYears, DaysBetween, MinutesBetween

STATE_KEY = "facts"
DEFAULT_MARGIN_SECONDS = 300
CHANGES = ("create", "update", "delete")
# Any constant of our own: refreshes of the facts wait for each other on it.
ADVISORY_LOCK = 7_215_003_117
FOLLOW_UP_MONTHS = (3, 6, 12)
# The activity kinds, in the order of their bit in ClientFact.asked_kinds.
ASKED_KINDS: tuple[str, ...] = tuple(ActivityKind.values)


def kind_bit(kind: str) -> int:
    return 1 << ASKED_KINDS.index(kind)


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


def minutes_of_care() -> Case:
    """On a booking: minutes from arrival to pick-up where both are registered, otherwise
    the day-part's nominal length."""
    measured = MinutesBetween(F("arrived_at"), F("picked_up_at"))
    return Case(
        When(Q(arrived_at__isnull=False, picked_up_at__gt=F("arrived_at")), then=measured),
        When(day_part="am", then=Value(NOMINAL_MINUTES["am"])),
        default=Value(NOMINAL_MINUTES["pm"]),
        output_field=IntegerField(),
    )


def booking_counts(prefix: str = "") -> dict[str, Any]:
    """The aggregates of bookings that the month facts store (and that the days of a
    period's partial months are summed with)."""
    attended = Q(status=BookingStatus.ATTENDED)
    return {
        f"{prefix}placed": Count("pk", filter=Q(status__in=PLACED)),
        f"{prefix}attended": Count("pk", filter=attended),
        f"{prefix}no_show": Count("pk", filter=Q(status=BookingStatus.NO_SHOW)),
        f"{prefix}cancelled_late": Count("pk", filter=Q(status=BookingStatus.CANCELLED_LATE)),
        f"{prefix}minutes": Coalesce(Sum(minutes_of_care(), filter=attended), Value(0)),
    }


def margin() -> dt.timedelta:
    return dt.timedelta(
        seconds=getattr(settings, "RESEARCH_FACTS_MARGIN_SECONDS", DEFAULT_MARGIN_SECONDS)
    )


@dataclass(frozen=True)
class RefreshResult:
    rebuilt: bool
    clients: int
    requests: int
    settlements: int
    seconds: float

    def as_dict(self) -> dict[str, Any]:
        return {
            "rebuilt": self.rebuilt,
            "clients": self.clients,
            "requests": self.requests,
            "settlements": self.settlements,
            "seconds": round(self.seconds, 3),
        }


# --- The rows of each fact table, as SQL ------------------------------------------------

REQUEST_COLUMNS = (
    "request_id",
    "client_id",
    "network_id",
    "organisation_id",
    "kind",
    "research",
    "asked_on",
    "first_placed",
    "attended_ever",
)
MONTH_COLUMNS = (
    "request_id",
    "client_id",
    "network_id",
    "organisation_id",
    "kind",
    "research",
    "month",
    "placed",
    "attended",
    "no_show",
    "cancelled_late",
    "minutes",
)
CLIENT_COLUMNS = (
    "client_id",
    "network_id",
    "intake_organisation_id",
    "research",
    "entered_on",
    "gender",
    "age",
    "labour_status",
    "months_unemployed",
    "education_level",
    "migration_background",
    "single_adult_household",
    "children_in_household",
    "income_source",
    "status",
    "screened_on",
    "care_duties",
    "care_main_barrier",
    "would_accept_yes",
    "held_back",
    "received_care",
    "asked_kinds",
    "job_start_activity",
    "training_activity",
    "job_search_activity",
    "exit_on",
    "exit_reason",
    "regular_place",
    "job_contract",
    "job_hours",
    "fu3_due",
    "fu3_status",
    "fu6_due",
    "fu6_status",
    "fu6_contract",
    "fu6_hours",
    "fu12_due",
    "fu12_status",
)
COST_COLUMNS = (
    "settlement_id",
    "network_id",
    "date",
    "referrer_id",
    "activity_kind",
    "lines",
    "gross",
    "parent",
    "amount",
)


def _table(model: Any) -> str:
    return str(connection.ops.quote_name(model._meta.db_table))


def _insert(cursor: Any, model: Any, columns: tuple[str, ...], select: str, params: Any) -> None:
    names = ", ".join(connection.ops.quote_name(c) for c in columns)
    cursor.execute(f"INSERT INTO {_table(model)} ({names}) {select}", params)


def _requests(scoped: bool) -> QuerySet[Any]:
    tz = timezone.get_current_timezone()
    qs = CareRequest.objects.all()
    if scoped:
        qs = qs.filter(pk__in=StaleRequest.objects.values("id"))
    return (
        qs.order_by()
        .annotate(
            r_kind=F("activity__kind"),
            r_asked_on=TruncDate("created_at", tzinfo=tz),
            r_research=scoping.research_consent("client_id"),
        )
        .values(
            "id",
            "client_id",
            "network_id",
            "organisation_id",
            "r_kind",
            "r_asked_on",
            "r_research",
        )
    )


def _bookings(scoped: bool) -> QuerySet[Any]:
    qs = Booking.objects.all()
    if scoped:
        qs = qs.filter(request_id__in=StaleRequest.objects.values("id"))
    return qs.order_by()


def _insert_request_facts(cursor: Any, scoped: bool) -> None:
    r_sql, r_params = _requests(scoped).query.sql_with_params()
    per_request = (
        _bookings(scoped)
        .values("request_id")
        .annotate(
            b_first_placed=Min("date", filter=Q(status__in=PLACED)),
            b_attended_ever=Count("pk", filter=Q(status=BookingStatus.ATTENDED)),
        )
    )
    b_sql, b_params = per_request.query.sql_with_params()
    # Both parts are the ORM's own SQL; every value travels as a parameter.
    select = (
        "SELECT r.id, r.client_id, r.network_id, r.organisation_id, r.r_kind, r.r_research, "  # noqa: S608
        "r.r_asked_on, b.b_first_placed, COALESCE(b.b_attended_ever, 0) "
        f"FROM ({r_sql}) r LEFT JOIN ({b_sql}) b ON b.request_id = r.id"
    )
    _insert(cursor, RequestFact, REQUEST_COLUMNS, select, (*r_params, *b_params))


def _insert_month_facts(cursor: Any, scoped: bool) -> None:
    per_month = (
        _bookings(scoped)
        .annotate(b_month=TruncMonth("date"))
        .values("request_id", "b_month")
        .annotate(**booking_counts("b_"))
    )
    b_sql, b_params = per_month.query.sql_with_params()
    stale = _table(StaleRequest)
    where = f" WHERE f.request_id IN (SELECT id FROM {stale})" if scoped else ""  # noqa: S608
    select = (
        "SELECT f.request_id, f.client_id, f.network_id, f.organisation_id, f.kind, "  # noqa: S608
        "f.research, b.b_month, b.b_placed, b.b_attended, b.b_no_show, b.b_cancelled_late, "
        f"b.b_minutes FROM {_table(RequestFact)} f JOIN ({b_sql}) b "
        f"ON b.request_id = f.request_id{where}"
    )
    _insert(cursor, RequestMonthFact, MONTH_COLUMNS, select, b_params)


def _flag(condition: Q) -> Case:
    return Case(
        When(condition, then=Value(True)), default=Value(False), output_field=BooleanField()
    )


def _leaving_follow_up(months: int) -> Subquery:
    """The client's follow-up `months` after leaving: the one of the exit, or — when the
    exit came within the job start's window and needed no schedule of its own — the one of
    the last job start before it (pathways.rules.exit_needs_own_schedule)."""
    gap = DaysBetween(OuterRef("exit__date"), F("job_start__date"))
    return Subquery(
        FollowUp.objects.filter(client=OuterRef("pk"), months=months)
        .annotate(gap=gap)
        .filter(Q(exit__isnull=False) | Q(gap__gte=0, gap__lte=EXIT_COVERED_BY_JOB_START_DAYS))
        .order_by(F("exit_id").asc(nulls_last=True), "-anchor_date", "-pk")
        .values("pk")[:1]
    )


def _exists(qs: QuerySet[Any], scoped: bool) -> Any:
    """EXISTS for the full rebuild (PostgreSQL hashes the whole table once); for a refresh
    of a few hundred rows a LIMIT 1 per row through the index, which it cannot hash."""
    if not scoped:
        return Exists(qs)
    one = qs.order_by().values(one=Value(True))[:1]
    return Coalesce(Subquery(one, output_field=BooleanField()), Value(False))


def _asked_kinds() -> Coalesce:
    """The bits of the kinds the client's care requests were for (see `ASKED_KINDS`)."""
    bit = Case(
        *(When(kind=kind, then=Value(kind_bit(kind))) for kind in ASKED_KINDS),
        default=Value(0),
        output_field=IntegerField(),
    )
    kinds = (
        RequestFact.objects.filter(client_id=OuterRef("pk"))
        .order_by()
        .values("client_id")
        .annotate(bits=Sum(bit, distinct=True))
        .values("bits")
    )
    return Coalesce(Subquery(kinds, output_field=IntegerField()), Value(0))


def _activity(scoped: bool, *kinds: str) -> Any:
    return _exists(Activity.objects.filter(client=OuterRef("pk"), kind__in=list(kinds)), scoped)


def _clients(scoped: bool) -> QuerySet[Any]:
    tz = timezone.get_current_timezone()
    entered = TruncDate("created_at", tzinfo=tz)
    qs = Client.objects.all()
    if scoped:
        qs = qs.filter(pk__in=StaleClient.objects.values("id"))
    first_screening = (
        Screening.objects.filter(client=OuterRef("pk")).order_by("taken_on", "pk").values("pk")[:1]
    )
    job_left_for = (
        PathwayActivity.objects.filter(
            client=OuterRef("pk"),
            kind=PathwayActivityKind.JOB_START,
            date__lte=OuterRef("exit__date"),
        )
        .order_by("-date", "-pk")
        .values("pk")[:1]
    )
    return (
        qs.order_by()
        .annotate(
            f_research=scoping.research_consent("pk"),
            f_entered_on=entered,
            f_age=AgeInYears(entered, F("birth_date")),
            f_screening=Subquery(first_screening),
            f_care_duties=_exists(CareRecipient.objects.filter(client=OuterRef("pk")), scoped),
            f_received_care=_exists(
                RequestFact.objects.filter(client_id=OuterRef("pk"), attended_ever__gt=0), scoped
            ),
            f_job_start=_activity(scoped, ActivityKind.JOB_START),
            f_training=_activity(scoped, ActivityKind.COURSE, ActivityKind.TRAINING_SESSION),
            f_job_search=_activity(
                scoped,
                ActivityKind.JOB_INTERVIEW,
                ActivityKind.WORK_TRIAL,
                ActivityKind.APPLICATION,
            ),
            f_exit_on=F("exit__date"),
            f_exit_reason=Coalesce(F("exit__reason"), Value("")),
            f_regular_place=_exists(
                RegularCare.objects.filter(client=OuterRef("pk"), place_from__isnull=False), scoped
            ),
            f_kinds=_asked_kinds(),
            f_job=Subquery(job_left_for),
            f_fu3=_leaving_follow_up(3),
            f_fu6=_leaving_follow_up(6),
            f_fu12=_leaving_follow_up(12),
        )
        .values(
            "id",
            "network_id",
            "intake_organisation_id",
            "f_research",
            "f_entered_on",
            "gender",
            "f_age",
            "labour_status",
            "months_unemployed",
            "education_level",
            "migration_background",
            "single_adult_household",
            "children_in_household",
            "income_source",
            "status",
            "f_screening",
            "f_care_duties",
            "f_received_care",
            "f_kinds",
            "f_job_start",
            "f_training",
            "f_job_search",
            "f_exit_on",
            "f_exit_reason",
            "f_regular_place",
            "f_job",
            "f_fu3",
            "f_fu6",
            "f_fu12",
        )
    )


def _insert_client_facts(cursor: Any, scoped: bool) -> None:
    c_sql, c_params = _clients(scoped).query.sql_with_params()
    screenings = Screening.objects.all()
    follow_ups = FollowUp.objects.all()
    if scoped:
        stale = StaleClient.objects.values("id")
        screenings = screenings.filter(client_id__in=stale)
        follow_ups = follow_ups.filter(client_id__in=stale)
    s_sql, s_params = (
        screenings.order_by()
        .values("id", "taken_on")
        .annotate(
            s_main=_flag(Q(main_barrier=MainBarrier.CARE)),
            s_yes=_flag(Q(would_accept=WouldAccept.YES)),
            s_held=_flag(Q(stopped_job=True) | Q(stopped_course=True) | Q(stopped_interview=True)),
        )
        .query.sql_with_params()
    )
    # A follow-up counts once it has its answer: the due date of an open one is not kept
    # (the scheduled job creates follow-ups without an audit event; they change nothing).
    u_sql, u_params = (
        follow_ups.order_by()
        .values("id")
        .annotate(
            u_due=Case(
                When(outcome__isnull=False, then=F("due_on")),
                default=None,
                output_field=DateField(),
            ),
            u_status=Coalesce(F("outcome__status"), Value("")),
            u_contract=Coalesce(F("outcome__contract_type"), Value("")),
            u_hours=F("outcome__hours_per_week"),
        )
        .query.sql_with_params()
    )
    jobs = _table(PathwayActivity)
    select = (
        "SELECT c.id, c.network_id, c.intake_organisation_id, c.f_research, c.f_entered_on, "  # noqa: S608
        "c.gender, c.f_age, c.labour_status, c.months_unemployed, c.education_level, "
        "c.migration_background, c.single_adult_household, c.children_in_household, "
        "c.income_source, c.status, s.taken_on, c.f_care_duties, "
        "COALESCE(s.s_main, %s), COALESCE(s.s_yes, %s), COALESCE(s.s_held, %s), "
        "c.f_received_care, c.f_kinds, c.f_job_start, c.f_training, c.f_job_search, "
        "c.f_exit_on, c.f_exit_reason, c.f_regular_place, "
        "COALESCE(j.contract_type, %s), j.hours_per_week, "
        "u3.u_due, COALESCE(u3.u_status, %s), "
        "u6.u_due, COALESCE(u6.u_status, %s), COALESCE(u6.u_contract, %s), u6.u_hours, "
        "u12.u_due, COALESCE(u12.u_status, %s) "
        f"FROM ({c_sql}) c "
        f"LEFT JOIN ({s_sql}) s ON s.id = c.f_screening "
        f"LEFT JOIN {jobs} j ON j.id = c.f_job "
        f"LEFT JOIN ({u_sql}) u3 ON u3.id = c.f_fu3 "
        f"LEFT JOIN ({u_sql}) u6 ON u6.id = c.f_fu6 "
        f"LEFT JOIN ({u_sql}) u12 ON u12.id = c.f_fu12"
    )
    params = (
        False,
        False,
        False,
        "",
        "",
        "",
        "",
        "",
        *c_params,
        *s_params,
        *u_params,
        *u_params,
        *u_params,
    )
    _insert(cursor, ClientFact, CLIENT_COLUMNS, select, params)


def _insert_cost_facts(cursor: Any, settlement_ids: list[int]) -> None:
    lines = (
        CostLine.objects.filter(settlement_id__in=settlement_ids)
        .order_by()
        .values("settlement_id", "date", "referrer_id", "activity_kind")
        .annotate(
            c_network=F("settlement__network_id"),
            c_lines=Count("pk"),
            c_gross=Sum("gross"),
            c_parent=Sum("parent"),
            c_amount=Sum("amount"),
        )
    )
    sql, params = lines.query.sql_with_params()
    select = (
        "SELECT l.settlement_id, l.c_network, l.date, l.referrer_id, l.activity_kind, "  # noqa: S608
        f"l.c_lines, l.c_gross, l.c_parent, l.c_amount FROM ({sql}) l"
    )
    _insert(cursor, CostFact, COST_COLUMNS, select, params)


def _settlements_to_add() -> list[int]:
    return list(
        Settlement.objects.filter(status=SettlementStatus.CLOSED)
        .filter(~Exists(CostFact.objects.filter(settlement_id=OuterRef("pk"))))
        .order_by()
        .values_list("pk", flat=True)
    )


# --- What changed -------------------------------------------------------------------------


def _relevant_events(since: dt.datetime, now: dt.datetime) -> QuerySet[AuditEvent]:
    """Changes recorded in the window that name a client, a care request or a booking."""
    return (
        AuditEvent.objects.filter(at__gte=since, at__lte=now, action__in=CHANGES)
        .filter(
            Q(object_type="clients.client")
            | Q(detail__has_key="care_request")
            | Q(detail__has_key="booking")
        )
        .order_by()
    )


def _unseen_events(since: dt.datetime, now: dt.datetime) -> QuerySet[Any]:
    return (
        _relevant_events(since, now)
        .exclude(pk__in=FactsSeenEvent.objects.values("id"))
        .annotate(
            e_client=Case(
                When(object_type="clients.client", then=Cast("object_id", BigIntegerField())),
                default=None,
                output_field=BigIntegerField(),
            ),
            e_request=_detail_id("care_request"),
            e_booking=_detail_id("booking"),
        )
        .values("id", "at", "e_client", "e_request", "e_booking")
    )


def _detail_id(key: str) -> Cast:
    return Cast(KeyTextTransform(key, "detail"), BigIntegerField())


def _new_clients(since: dt.datetime, now: dt.datetime) -> QuerySet[Any]:
    """Clients made in the window (and not stamped ahead of the clock) without facts yet:
    rows made without a service event."""
    return (
        Client.objects.filter(created_at__gte=since, created_at__lte=now)
        .exclude(pk__in=ClientFact.objects.values("client_id"))
        .order_by()
        .values("pk")
    )


def _new_requests(since: dt.datetime, now: dt.datetime) -> QuerySet[Any]:
    return (
        CareRequest.objects.filter(created_at__gte=since, created_at__lte=now)
        .exclude(pk__in=RequestFact.objects.values("request_id"))
        .order_by()
        .values("pk")
    )


def _anything_changed(since: dt.datetime, now: dt.datetime) -> bool:
    """One cheap query: whether any source of change has something new in the window."""
    probe = (
        _relevant_events(since, now)
        .exclude(pk__in=FactsSeenEvent.objects.values("id"))
        .values("pk")
        .union(_new_clients(since, now), _new_requests(since, now))
    )
    return bool(list(probe[:1]))


def _drop_stale(cursor: Any) -> None:
    for model in (NewEvent, StaleClient, StaleRequest):
        cursor.execute(f"DROP TABLE IF EXISTS {_table(model)}")


def _mark_stale(cursor: Any, since: dt.datetime, now: dt.datetime) -> tuple[int, int]:
    """Fill the temporary tables of the new events and of the clients and requests to
    recompute; the number of clients and requests. The events go into `FactsSeenEvent`:
    exactly those read here, whose changes the statements after this one see."""
    events, clients, requests = _table(NewEvent), _table(StaleClient), _table(StaleRequest)
    care, bookings = _table(CareRequest), _table(Booking)
    e_sql, e_params = _unseen_events(since, now).query.sql_with_params()
    cursor.execute(
        f"CREATE TEMPORARY TABLE {events} AS SELECT e.id, e.at, e.e_client AS client_id, "  # noqa: S608
        f"e.e_request AS request_id, e.e_booking AS booking_id FROM ({e_sql}) e",
        e_params,
    )
    c_sql, c_params = _new_clients(since, now).query.sql_with_params()
    cursor.execute(
        f"CREATE TEMPORARY TABLE {clients} AS SELECT DISTINCT u.id FROM ("  # noqa: S608
        f"SELECT client_id AS id FROM {events} WHERE client_id IS NOT NULL "
        f"UNION SELECT n.pk FROM ({c_sql}) n) u",
        c_params,
    )
    r_sql, r_params = _new_requests(since, now).query.sql_with_params()
    cursor.execute(
        f"CREATE TEMPORARY TABLE {requests} AS SELECT DISTINCT u.id FROM ("  # noqa: S608
        f"SELECT request_id AS id FROM {events} WHERE request_id IS NOT NULL "
        f"UNION SELECT b.request_id FROM {events} e JOIN {bookings} b ON b.id = e.booking_id "
        f"UNION SELECT n.pk FROM ({r_sql}) n) u",
        r_params,
    )
    _analyse(cursor, clients, requests)
    # A client's consent decides whether its requests count; a request's care decides
    # whether its client received care. Joins from the (small) marked rows through the
    # indexes, never a scan of the requests.
    cursor.execute(
        f"INSERT INTO {requests} (id) SELECT r.id FROM {clients} c "  # noqa: S608
        f"JOIN {care} r ON r.client_id = c.id "
        f"WHERE NOT EXISTS (SELECT 1 FROM {requests} s WHERE s.id = r.id)"
    )
    cursor.execute(
        f"INSERT INTO {clients} (id) SELECT DISTINCT r.client_id FROM {requests} s "  # noqa: S608
        f"JOIN {care} r ON r.id = s.id "
        f"WHERE NOT EXISTS (SELECT 1 FROM {clients} c WHERE c.id = r.client_id)"
    )
    cursor.execute(
        f"INSERT INTO {_table(FactsSeenEvent)} (id, at) SELECT id, at FROM {events}"  # noqa: S608
    )
    cursor.execute(f"SELECT (SELECT COUNT(*) FROM {clients}), (SELECT COUNT(*) FROM {requests})")  # noqa: S608
    n_clients, n_requests = (int(n) for n in cursor.fetchone())
    _analyse(cursor, clients, requests)
    return n_clients, n_requests


def _analyse(cursor: Any, *tables: str) -> None:
    """The planner knows nothing of a fresh temporary table: without statistics it guesses
    thousands of rows and scans the requests instead of using their indexes."""
    if connection.vendor == "postgresql":
        for table in tables:
            cursor.execute(f"ANALYZE {table}")


def _forget_seen(cursor: Any, since: dt.datetime) -> None:
    cursor.execute(f"DELETE FROM {_table(FactsSeenEvent)} WHERE at < %s", [since])  # noqa: S608


def _remember_window(cursor: Any, since: dt.datetime, now: dt.datetime) -> None:
    """After a rebuild: the events of the window are in the facts already."""
    cursor.execute(f"DELETE FROM {_table(FactsSeenEvent)}")  # noqa: S608
    sql, params = _relevant_events(since, now).values("id", "at").query.sql_with_params()
    cursor.execute(
        f"INSERT INTO {_table(FactsSeenEvent)} (id, at) SELECT e.id, e.at FROM ({sql}) e",  # noqa: S608
        params,
    )


# --- Refresh and rebuild -----------------------------------------------------------------


def _serialise(cursor: Any) -> None:
    if connection.vendor == "postgresql":
        cursor.execute("SELECT pg_advisory_xact_lock(%s)", [ADVISORY_LOCK])
        # As for the indicators: no seconds of LLVM compilation for statements that run in
        # a fraction of that, and room for the hash aggregates (this transaction only).
        cursor.execute("SET LOCAL jit = off")
        cursor.execute("SET LOCAL work_mem = '64MB'")


def refresh(*, now: dt.datetime | None = None) -> RefreshResult:
    """Bring the facts up to date with what changed since the last refresh (the first one
    builds them all). Runs in its own transaction (a savepoint inside another)."""
    started = time.perf_counter()
    with transaction.atomic(), connection.cursor() as cursor:
        _serialise(cursor)
        now = now or timezone.now()
        state, _created = FactsState.objects.get_or_create(key=STATE_KEY)
        if state.refreshed_at is None:
            return _rebuild(cursor, now, started)
        since = state.refreshed_at - margin()
        n_clients = n_requests = 0
        _forget_seen(cursor, since)
        if _anything_changed(since, now):
            _drop_stale(cursor)
            n_clients, n_requests = _mark_stale(cursor, since, now)
            if n_requests:
                for model in (RequestMonthFact, RequestFact):
                    cursor.execute(
                        f"DELETE FROM {_table(model)} WHERE request_id IN "  # noqa: S608
                        f"(SELECT id FROM {_table(StaleRequest)})"
                    )
                _insert_request_facts(cursor, scoped=True)
                _insert_month_facts(cursor, scoped=True)
            if n_clients:
                cursor.execute(
                    f"DELETE FROM {_table(ClientFact)} WHERE client_id IN "  # noqa: S608
                    f"(SELECT id FROM {_table(StaleClient)})"
                )
                _insert_client_facts(cursor, scoped=True)
            _drop_stale(cursor)
        settlements = _settlements_to_add()
        if settlements:
            _insert_cost_facts(cursor, settlements)
        FactsState.objects.filter(key=STATE_KEY).update(
            refreshed_at=now, last_clients=n_clients, last_requests=n_requests
        )
    return RefreshResult(
        rebuilt=False,
        clients=n_clients,
        requests=n_requests,
        settlements=len(settlements),
        seconds=time.perf_counter() - started,
    )


def rebuild(*, now: dt.datetime | None = None) -> RefreshResult:
    """Recompute every fact from the source tables."""
    started = time.perf_counter()
    with transaction.atomic(), connection.cursor() as cursor:
        _serialise(cursor)
        FactsState.objects.get_or_create(key=STATE_KEY)
        return _rebuild(cursor, now or timezone.now(), started)


def _rebuild(cursor: Any, now: dt.datetime, started: float) -> RefreshResult:
    tables = [_table(m) for m in (RequestMonthFact, RequestFact, ClientFact, CostFact)]
    if connection.vendor == "postgresql":
        # Rows written earlier in this transaction have their foreign-key checks pending
        # (deferred): run them now, or TRUNCATE refuses.
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
        cursor.execute(f"TRUNCATE {', '.join(tables)}")
        cursor.execute("SET CONSTRAINTS ALL DEFERRED")
    else:
        for table in tables:
            cursor.execute(f"DELETE FROM {table}")  # noqa: S608
    # First the events of the margin: their changes are visible to the statements below.
    _remember_window(cursor, now - margin(), now)
    _insert_request_facts(cursor, scoped=False)
    _insert_month_facts(cursor, scoped=False)
    _insert_client_facts(cursor, scoped=False)
    settlements = _settlements_to_add()
    if settlements:
        _insert_cost_facts(cursor, settlements)
    for table in tables:
        cursor.execute(f"ANALYZE {table}")
    n_clients = ClientFact.objects.count()
    n_requests = RequestFact.objects.count()
    FactsState.objects.filter(key=STATE_KEY).update(
        refreshed_at=now, rebuilt_at=now, last_clients=n_clients, last_requests=n_requests
    )
    return RefreshResult(
        rebuilt=True,
        clients=n_clients,
        requests=n_requests,
        settlements=len(settlements),
        seconds=time.perf_counter() - started,
    )


def state() -> FactsState | None:
    return FactsState.objects.filter(key=STATE_KEY).first()
