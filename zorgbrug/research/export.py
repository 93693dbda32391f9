"""The pseudonymised research export: tables, data dictionary, pseudonyms and file writers.

What goes out (for one network and period, only clients whose *current* consent allows
research use):
- no direct identifiers: no names, INSZ, phone, e-mail, street, coordinates, free text;
- a keyed pseudonym instead of every id: HMAC-SHA256 with the export project's secret over
  "<kind>:<id>", so one client has the same pseudonym in every export of a project and an
  unrelated one in any other project; the secret stays on the server;
- birth year instead of birth date, municipality instead of address;
- a data dictionary (dictionary.csv, or a sheet) describing every column.

Memory: every table streams from a server-side cursor (`iterator(chunk_size=...)`) through
a writer that flushes as it goes (CSV into a zip member, openpyxl's write-only workbook,
Parquet row groups), so the export of millions of bookings runs in constant memory.

The pathway tables (steps, exits, follow-ups, their answers, regular childcare) hold the
whole pathway of every exported client up to the export, keyed by the same pseudonyms: the
outcomes that matter come after the care, often after the period. No employer, note, title
or provider written out as text goes out: only codes, dates, hours and partner names.
"""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import hmac
import io
import shutil
import tempfile
import zipfile
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

from django.conf import settings
from django.db.models import (
    Case,
    Count,
    Exists,
    F,
    IntegerField,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Value,
    When,
)
from django.db.models.functions import Coalesce, ExtractYear, NullIf, TruncDate
from django.utils import timezone
from django.utils.functional import Promise
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from zorgbrug.access import scoping
from zorgbrug.care.models import Booking, CareRequest
from zorgbrug.clients.models import CareRecipient, Client, Screening
from zorgbrug.network.models import Postcode
from zorgbrug.pathways.models import Exit, FollowUp, Outcome, PathwayActivity, RegularCare
from zorgbrug.research.sql import MinutesBetween

CHUNK_ROWS = 5000
XLSX_MAX_ROWS = 1_048_575  # a worksheet holds 1,048,576 rows, one of them the header
ProgressFn = Callable[[int, int, str], None]


# --- Pseudonyms -----------------------------------------------------------------------


class Pseudonymiser:
    """Keyed, stable pseudonyms: the same (kind, id) gives the same pseudonym under one key."""

    def __init__(self, secret: str) -> None:
        if not secret:
            raise ValueError("an export project without a secret cannot make pseudonyms")
        self._base = hmac.new(secret.encode(), digestmod=hashlib.sha256)
        # Bounded: rows come sorted by request, so neighbours share their pseudonyms.
        self.of = lru_cache(maxsize=65536)(self._compute)

    def _compute(self, kind: str, pk: int | None) -> str | None:
        if pk is None:
            return None
        mac = self._base.copy()
        mac.update(f"{kind}:{pk}".encode())
        return mac.hexdigest()[:20]


# --- Tables and the data dictionary -----------------------------------------------------


@dataclass(frozen=True)
class ExportColumn:
    name: str
    type: str  # string, integer, float, date, boolean
    description: Promise


@dataclass(frozen=True)
class ExportContext:
    network_ids: tuple[int, ...]
    start: dt.date
    end: dt.date
    pseudonyms: Pseudonymiser

    def day_start(self, day: dt.date) -> dt.datetime:
        return timezone.make_aware(dt.datetime.combine(day, dt.time.min))


@dataclass(frozen=True)
class ExportTable:
    name: str
    description: Promise
    columns: tuple[ExportColumn, ...]
    queryset: Callable[[ExportContext], QuerySet[Any]]
    fields: tuple[str, ...]  # values_list fields, in order
    to_row: Callable[[ExportContext, tuple[Any, ...]], tuple[Any, ...]]


def _research_clients(ctx: ExportContext) -> QuerySet[Client]:
    return scoping.research_clients(ctx.network_ids)


def _in_period(ctx: ExportContext, field: str) -> Q:
    return Q(
        **{
            f"{field}__gte": ctx.day_start(ctx.start),
            f"{field}__lt": ctx.day_start(ctx.end + dt.timedelta(days=1)),
        }
    )


def exported_clients(ctx: ExportContext) -> QuerySet[Client]:
    """Research clients who entered in the period or were screened, asked care, had care
    booked, left or had a follow-up due in it."""
    screened = Screening.objects.filter(
        client=OuterRef("pk"), taken_on__gte=ctx.start, taken_on__lte=ctx.end
    )
    asked = CareRequest.objects.filter(client=OuterRef("pk")).filter(_in_period(ctx, "created_at"))
    booked = Booking.objects.filter(
        request__client=OuterRef("pk"), date__gte=ctx.start, date__lte=ctx.end
    )
    left = Exit.objects.filter(client=OuterRef("pk"), date__gte=ctx.start, date__lte=ctx.end)
    followed = FollowUp.objects.filter(
        client=OuterRef("pk"), due_on__gte=ctx.start, due_on__lte=ctx.end
    )
    return _research_clients(ctx).filter(
        _in_period(ctx, "created_at")
        | Q(Exists(screened))
        | Q(Exists(asked))
        | Q(Exists(booked))
        | Q(Exists(left))
        | Q(Exists(followed))
    )


def _clients_qs(ctx: ExportContext) -> QuerySet[Any]:
    tz = timezone.get_current_timezone()
    place = Postcode.objects.filter(code=OuterRef("postcode")).order_by("name").values("name")[:1]
    return (
        exported_clients(ctx)
        .annotate(
            entry_date=TruncDate("created_at", tzinfo=tz),
            birth_year=ExtractYear("birth_date"),
            place=Coalesce(NullIf(F("municipality"), Value("")), Subquery(place)),
            recipients=Count("care_recipients"),
        )
        .order_by("pk")
    )


def _client_row(ctx: ExportContext, r: tuple[Any, ...]) -> tuple[Any, ...]:
    pk, *rest = r
    return (ctx.pseudonyms.of("client", pk), *rest)


def _recipients_qs(ctx: ExportContext) -> QuerySet[Any]:
    return (
        CareRecipient.objects.filter(client__in=exported_clients(ctx).values("pk"))
        .annotate(birth_year=ExtractYear("birth_date"))
        .order_by("client_id", "pk")
    )


def _recipient_row(ctx: ExportContext, r: tuple[Any, ...]) -> tuple[Any, ...]:
    pk, client_id, *rest = r
    return (ctx.pseudonyms.of("recipient", pk), ctx.pseudonyms.of("client", client_id), *rest)


def _screenings_qs(ctx: ExportContext) -> QuerySet[Any]:
    return Screening.objects.filter(
        client__in=_research_clients(ctx).values("pk"),
        taken_on__gte=ctx.start,
        taken_on__lte=ctx.end,
    ).order_by("client_id", "taken_on", "pk")


def _screening_row(ctx: ExportContext, r: tuple[Any, ...]) -> tuple[Any, ...]:
    pk, client_id, *rest = r
    return (ctx.pseudonyms.of("screening", pk), ctx.pseudonyms.of("client", client_id), *rest)


def _requests_qs(ctx: ExportContext) -> QuerySet[Any]:
    tz = timezone.get_current_timezone()
    return (
        CareRequest.objects.filter(
            network_id__in=ctx.network_ids, client__in=_research_clients(ctx).values("pk")
        )
        .filter(_in_period(ctx, "created_at"))
        .annotate(requested_on=TruncDate("created_at", tzinfo=tz))
        .order_by("pk")
    )


def _request_row(ctx: ExportContext, r: tuple[Any, ...]) -> tuple[Any, ...]:
    pk, client_id, *rest = r
    return (ctx.pseudonyms.of("request", pk), ctx.pseudonyms.of("client", client_id), *rest)


def _bookings_qs(ctx: ExportContext) -> QuerySet[Any]:
    tz = timezone.get_current_timezone()
    measured = Case(
        When(
            Q(arrived_at__isnull=False, picked_up_at__gt=F("arrived_at")),
            then=MinutesBetween(F("arrived_at"), F("picked_up_at")),
        ),
        default=None,
        output_field=IntegerField(),
    )
    return (
        Booking.objects.filter(
            date__gte=ctx.start,
            date__lte=ctx.end,
            request__network_id__in=ctx.network_ids,
            request__client__in=_research_clients(ctx).values("pk"),
        )
        .annotate(booked_on=TruncDate("created_at", tzinfo=tz), minutes_measured=measured)
        .order_by("request_id", "date", "day_part", "pk")
    )


def _booking_row(ctx: ExportContext, r: tuple[Any, ...]) -> tuple[Any, ...]:
    pk, request_id, client_id, recipient_id, *rest = r
    p = ctx.pseudonyms.of
    return (
        p("booking", pk),
        p("request", request_id),
        p("client", client_id),
        p("recipient", recipient_id),
        *rest,
    )


def _of_exported(model: Any, ctx: ExportContext) -> QuerySet[Any]:
    return model.objects.filter(client__in=exported_clients(ctx).values("pk"))


def _steps_qs(ctx: ExportContext) -> QuerySet[Any]:
    return _of_exported(PathwayActivity, ctx).order_by("client_id", "date", "pk")


def _step_row(ctx: ExportContext, r: tuple[Any, ...]) -> tuple[Any, ...]:
    pk, client_id, *rest = r
    hours = rest[-3]
    rest[-3] = None if hours is None else float(hours)
    return (ctx.pseudonyms.of("pathway_step", pk), ctx.pseudonyms.of("client", client_id), *rest)


def _exits_qs(ctx: ExportContext) -> QuerySet[Any]:
    return _of_exported(Exit, ctx).order_by("client_id")


def _exit_row(ctx: ExportContext, r: tuple[Any, ...]) -> tuple[Any, ...]:
    pk, client_id, *rest = r
    return (ctx.pseudonyms.of("exit", pk), ctx.pseudonyms.of("client", client_id), *rest)


def _follow_ups_qs(ctx: ExportContext) -> QuerySet[Any]:
    return _of_exported(FollowUp, ctx).order_by("client_id", "due_on", "pk")


def _follow_up_row(ctx: ExportContext, r: tuple[Any, ...]) -> tuple[Any, ...]:
    pk, client_id, job_start_id, exit_id, *rest = r
    p = ctx.pseudonyms.of
    return (
        p("follow_up", pk),
        p("client", client_id),
        "job_start" if job_start_id else "exit",
        p("pathway_step", job_start_id) if job_start_id else p("exit", exit_id),
        *rest,
    )


def _outcomes_qs(ctx: ExportContext) -> QuerySet[Any]:
    return _of_exported(Outcome, ctx).order_by("client_id", "observed_on", "pk")


def _outcome_row(ctx: ExportContext, r: tuple[Any, ...]) -> tuple[Any, ...]:
    pk, client_id, follow_up_id, *rest = r
    hours = rest[-3]
    rest[-3] = None if hours is None else float(hours)
    p = ctx.pseudonyms.of
    return (p("outcome", pk), p("client", client_id), p("follow_up", follow_up_id), *rest)


def _regular_qs(ctx: ExportContext) -> QuerySet[Any]:
    return (
        _of_exported(RegularCare, ctx)
        .annotate(at_partner=Case(When(provider__isnull=False, then=True), default=False))
        .order_by("client_id", "pk")
    )


def _regular_row(ctx: ExportContext, r: tuple[Any, ...]) -> tuple[Any, ...]:
    pk, client_id, recipient_id, *rest = r
    p = ctx.pseudonyms.of
    return (
        p("regular_care", pk),
        p("client", client_id),
        p("recipient", recipient_id),
        *rest,
    )


def _col(name: str, kind: str, description: Promise) -> ExportColumn:
    return ExportColumn(name, kind, description)


CLIENT_ID = _col(
    "client", "string", gettext_lazy("Pseudonym of the client (stable within the project).")
)

TABLES: tuple[ExportTable, ...] = (
    ExportTable(
        name="clients",
        description=gettext_lazy(
            "One row per client with research consent who entered in the period or was "
            "screened, asked care or had care booked in it. Situation as recorded at export."
        ),
        columns=(
            CLIENT_ID,
            _col("entry_date", "date", gettext_lazy("Day the client was registered (intake).")),
            _col(
                "intake_organisation",
                "string",
                gettext_lazy("Referrer organisation of the intake."),
            ),
            _col(
                "gender", "string", gettext_lazy("female, male, x (non-binary / other) or unknown.")
            ),
            _col("birth_year", "integer", gettext_lazy("Year of birth (never the date).")),
            _col(
                "municipality",
                "string",
                gettext_lazy("Municipality of residence (never the address)."),
            ),
            _col(
                "labour_status",
                "string",
                gettext_lazy(
                    "unemployed (registered job seeker), inactive, employed or in_training."
                ),
            ),
            _col("months_unemployed", "integer", gettext_lazy("Months without work, if recorded.")),
            _col("income_source", "string", gettext_lazy("Main income, as recorded.")),
            _col(
                "education_isced",
                "integer",
                gettext_lazy("Highest completed education, ISCED 0-8."),
            ),
            _col("single_adult_household", "boolean", gettext_lazy("Only adult in the household.")),
            _col(
                "adults_in_household", "integer", gettext_lazy("Number of adults in the household.")
            ),
            _col(
                "children_in_household",
                "integer",
                gettext_lazy("Number of children in the household."),
            ),
            _col(
                "migration_background",
                "boolean",
                gettext_lazy("Recorded only with the client's explicit consent; empty otherwise."),
            ),
            _col("status", "string", gettext_lazy("active or exited.")),
            _col(
                "care_recipients", "integer", gettext_lazy("Children and dependants on the record.")
            ),
        ),
        queryset=_clients_qs,
        fields=(
            "pk",
            "entry_date",
            "intake_organisation__name",
            "gender",
            "birth_year",
            "place",
            "labour_status",
            "months_unemployed",
            "income_source",
            "education_level",
            "single_adult_household",
            "adults_in_household",
            "children_in_household",
            "migration_background",
            "status",
            "recipients",
        ),
        to_row=_client_row,
    ),
    ExportTable(
        name="care_recipients",
        description=gettext_lazy("The children and dependent adults of the exported clients."),
        columns=(
            _col("care_recipient", "string", gettext_lazy("Pseudonym of the child or dependant.")),
            CLIENT_ID,
            _col("kind", "string", gettext_lazy("child or adult (dependent adult).")),
            _col("birth_year", "integer", gettext_lazy("Year of birth.")),
            _col("active", "boolean", gettext_lazy("Still cared for by the client.")),
        ),
        queryset=_recipients_qs,
        fields=("pk", "client_id", "kind", "birth_year", "is_active"),
        to_row=_recipient_row,
    ),
    ExportTable(
        name="screenings",
        description=gettext_lazy(
            "Care-barrier screenings taken in the period (intake and follow-ups)."
        ),
        columns=(
            _col("screening", "string", gettext_lazy("Pseudonym of the screening.")),
            CLIENT_ID,
            _col("taken_on", "date", gettext_lazy("Day of the screening.")),
            _col("occasion", "string", gettext_lazy("intake or follow_up.")),
            _col("questionnaire_version", "string", gettext_lazy("Version of the questionnaire.")),
            _col("stopped_job", "boolean", gettext_lazy("Care duties stopped them taking a job.")),
            _col(
                "stopped_course",
                "boolean",
                gettext_lazy("Care duties stopped them following a course."),
            ),
            _col(
                "stopped_interview",
                "boolean",
                gettext_lazy("Care duties stopped them going to a job interview."),
            ),
            _col(
                "would_accept",
                "string",
                gettext_lazy(
                    "Would accept a job or course within two weeks with care: yes, maybe, no."
                ),
            ),
            _col("refusal_reason", "string", gettext_lazy("Main reason if not (coded).")),
            _col("main_barrier", "string", gettext_lazy("Main barrier to work (coded).")),
            _col("barrier_score", "integer", gettext_lazy("Care-barrier score, 0-10.")),
        ),
        queryset=_screenings_qs,
        fields=(
            "pk",
            "client_id",
            "taken_on",
            "occasion",
            "questionnaire_version",
            "stopped_job",
            "stopped_course",
            "stopped_interview",
            "would_accept",
            "refusal_reason",
            "main_barrier",
            "barrier_score",
        ),
        to_row=_screening_row,
    ),
    ExportTable(
        name="care_requests",
        description=gettext_lazy("Care requests made in the period."),
        columns=(
            _col("care_request", "string", gettext_lazy("Pseudonym of the care request.")),
            CLIENT_ID,
            _col("requested_on", "date", gettext_lazy("Day the request was made.")),
            _col("activity_kind", "string", gettext_lazy("What the care was for (coded).")),
            _col(
                "referrer_organisation", "string", gettext_lazy("Organisation that asked the care.")
            ),
            _col("urgency", "string", gettext_lazy("normal or urgent.")),
            _col("status", "string", gettext_lazy("Status of the request at export (coded).")),
            _col("activity_first_date", "date", gettext_lazy("First day of the activity.")),
            _col("activity_last_date", "date", gettext_lazy("Last day of the activity, if any.")),
        ),
        queryset=_requests_qs,
        fields=(
            "pk",
            "client_id",
            "requested_on",
            "activity__kind",
            "organisation__name",
            "urgency",
            "status",
            "activity__first_date",
            "activity__last_date",
        ),
        to_row=_request_row,
    ),
    ExportTable(
        name="bookings",
        description=gettext_lazy(
            "Every booked day-part of care on a day in the period, per child."
        ),
        columns=(
            _col("booking", "string", gettext_lazy("Pseudonym of the booking.")),
            _col("care_request", "string", gettext_lazy("Pseudonym of the care request.")),
            CLIENT_ID,
            _col("care_recipient", "string", gettext_lazy("Pseudonym of the child or dependant.")),
            _col("date", "date", gettext_lazy("Day of care.")),
            _col("day_part", "string", gettext_lazy("am (07:00-12:30) or pm (12:30-18:30).")),
            _col(
                "status",
                "string",
                gettext_lazy(
                    "pending, confirmed, attended, absent, no_show, cancelled or cancelled_late."
                ),
            ),
            _col("provider_organisation", "string", gettext_lazy("Childcare provider.")),
            _col("uses_vacancy", "boolean", gettext_lazy("Booked on a short-notice vacancy.")),
            _col("booked_on", "date", gettext_lazy("Day the booking was made.")),
            _col(
                "minutes_measured",
                "integer",
                gettext_lazy(
                    "Minutes from arrival to pick-up, where the provider registered both."
                ),
            ),
        ),
        queryset=_bookings_qs,
        fields=(
            "pk",
            "request_id",
            "request__client_id",
            "recipient_id",
            "date",
            "day_part",
            "status",
            "care_site__site__organisation__name",
            "uses_vacancy",
            "booked_on",
            "minutes_measured",
        ),
        to_row=_booking_row,
    ),
    ExportTable(
        name="pathway_steps",
        description=gettext_lazy(
            "The steps on the pathway of the exported clients (courses, interviews, work "
            "trials, job starts), whatever their date."
        ),
        columns=(
            _col("pathway_step", "string", gettext_lazy("Pseudonym of the step.")),
            CLIENT_ID,
            _col(
                "kind",
                "string",
                gettext_lazy("course, job_interview, work_trial, job_start or other."),
            ),
            _col("date", "date", gettext_lazy("Day of the step (the first day of a job).")),
            _col("end_date", "date", gettext_lazy("Last day, if any.")),
            _col("sector", "string", gettext_lazy("Employer's sector of a job start (coded).")),
            _col("contract_type", "string", gettext_lazy("Contract of a job start (coded).")),
            _col("hours_per_week", "float", gettext_lazy("Hours a week of a job start.")),
            _col(
                "first_period_end",
                "date",
                gettext_lazy("End of a job's first period, if recorded."),
            ),
            _col(
                "care_until",
                "date",
                gettext_lazy("Last day of care the covenant pays after a job start."),
            ),
        ),
        queryset=_steps_qs,
        fields=(
            "pk",
            "client_id",
            "kind",
            "date",
            "end_date",
            "sector",
            "contract_type",
            "hours_per_week",
            "first_period_end",
            "care_until",
        ),
        to_row=_step_row,
    ),
    ExportTable(
        name="exits",
        description=gettext_lazy("The exit from the pathway of the exported clients who left."),
        columns=(
            _col("exit", "string", gettext_lazy("Pseudonym of the exit.")),
            CLIENT_ID,
            _col("date", "date", gettext_lazy("Day the client left the pathway.")),
            _col(
                "reason",
                "string",
                gettext_lazy(
                    "employed, training, regular_care, no_longer_needed, moved, health, "
                    "no_contact, dropped_out or other."
                ),
            ),
        ),
        queryset=_exits_qs,
        fields=("pk", "client_id", "date", "reason"),
        to_row=_exit_row,
    ),
    ExportTable(
        name="follow_ups",
        description=gettext_lazy(
            "The follow-ups 3, 6 and 12 months after a job start or an exit, done or still to do."
        ),
        columns=(
            _col("follow_up", "string", gettext_lazy("Pseudonym of the follow-up.")),
            CLIENT_ID,
            _col("after", "string", gettext_lazy("job_start or exit: what the follow-up follows.")),
            _col(
                "after_id",
                "string",
                gettext_lazy("Pseudonym of that job start (a pathway step) or exit."),
            ),
            _col("anchor_date", "date", gettext_lazy("Day of the job start or exit.")),
            _col("months", "integer", gettext_lazy("Months after it.")),
            _col("due_on", "date", gettext_lazy("Day the follow-up is due.")),
            _col("status", "string", gettext_lazy("open or done.")),
        ),
        queryset=_follow_ups_qs,
        fields=(
            "pk",
            "client_id",
            "job_start_id",
            "exit_id",
            "anchor_date",
            "months",
            "due_on",
            "status",
        ),
        to_row=_follow_up_row,
    ),
    ExportTable(
        name="outcomes",
        description=gettext_lazy(
            "Where the exported clients stood: the answers to follow-ups (and outcomes noted "
            "in between)."
        ),
        columns=(
            _col("outcome", "string", gettext_lazy("Pseudonym of the outcome.")),
            CLIENT_ID,
            _col(
                "follow_up",
                "string",
                gettext_lazy("Pseudonym of the follow-up it answers, if any."),
            ),
            _col("observed_on", "date", gettext_lazy("Day of the observation.")),
            _col(
                "status",
                "string",
                gettext_lazy("employed, in_training, seeking_work, inactive or unreachable."),
            ),
            _col("contract_type", "string", gettext_lazy("Contract when employed (coded).")),
            _col("hours_per_week", "float", gettext_lazy("Hours a week when employed.")),
            _col("sector", "string", gettext_lazy("Sector when employed (coded).")),
            _col("same_job", "boolean", gettext_lazy("After a job start: still the same job.")),
        ),
        queryset=_outcomes_qs,
        fields=(
            "pk",
            "client_id",
            "follow_up_id",
            "observed_on",
            "status",
            "contract_type",
            "hours_per_week",
            "sector",
            "same_job",
        ),
        to_row=_outcome_row,
    ),
    ExportTable(
        name="regular_care",
        description=gettext_lazy(
            "The move of the exported clients to regular childcare, per child or for the family."
        ),
        columns=(
            _col("regular_care", "string", gettext_lazy("Pseudonym of the record.")),
            CLIENT_ID,
            _col(
                "care_recipient",
                "string",
                gettext_lazy("Pseudonym of the child, or empty for the whole family."),
            ),
            _col(
                "registered_on",
                "date",
                gettext_lazy("Day of registration at the municipality's childcare desk."),
            ),
            _col("place_from", "date", gettext_lazy("First day of the regular place, if found.")),
            _col(
                "at_partner_provider",
                "boolean",
                gettext_lazy("The place is at a care provider of the network."),
            ),
            _col("provider_organisation", "string", gettext_lazy("That partner provider, if so.")),
        ),
        queryset=_regular_qs,
        fields=(
            "pk",
            "client_id",
            "care_recipient_id",
            "registered_on",
            "place_from",
            "at_partner",
            "provider__name",
        ),
        to_row=_regular_row,
    ),
)

TABLE_BY_NAME = {t.name: t for t in TABLES}

# Never exported, whatever a table definition says: a test checks every table against it.
FORBIDDEN_FIELDS = frozenset(
    {
        "first_name",
        "last_name",
        "insz",
        "phone",
        "email",
        "street",
        "birth_date",
        "latitude",
        "longitude",
        "search_name",
        "special_needs",
        "allergies",
        "pickup_persons",
        "picked_up_by",
        "status_reason",
        "title",
        "location",
        "employer",
        "note",
        "desk",
        "provider_name",
        "cancel_reason",
        "care_note",
    }
)


def table_rows(table: ExportTable, ctx: ExportContext) -> Iterator[tuple[Any, ...]]:
    """The table's rows, streamed from a server-side cursor in chunks."""
    qs = table.queryset(ctx).values_list(*table.fields)
    for raw in qs.iterator(chunk_size=CHUNK_ROWS):
        yield table.to_row(ctx, raw)


def dictionary_rows() -> Iterator[tuple[str, str, str, str]]:
    for table in TABLES:
        for column in table.columns:
            yield (table.name, column.name, column.type, str(column.description))


def _cell_text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, str) and value[:1] in ("=", "+", "-", "@", "\t", "\r"):
        return "'" + value  # a spreadsheet must never run it as a formula
    return str(value)


# --- Writers --------------------------------------------------------------------------


@dataclass(frozen=True)
class About:
    project: str
    network: str
    start: dt.date
    end: dt.date
    made_at: dt.datetime

    def lines(self) -> list[str]:
        return [
            _("Zorgbrug research export"),
            _("Project: %(name)s") % {"name": self.project},
            _("Network: %(name)s") % {"name": self.network},
            _("Period: %(start)s to %(end)s")
            % {"start": self.start.isoformat(), "end": self.end.isoformat()},
            _("Made at: %(when)s") % {"when": timezone.localtime(self.made_at).isoformat()},
            "",
            _(
                "Only clients whose current consent allows research use are included. The "
                "data are pseudonymised: ids are keyed pseudonyms, stable within this project "
                "only; there are no names, national numbers, phone numbers, e-mail addresses "
                "or street addresses, and birth dates are reduced to the year."
            ),
            _("The columns are described in the data dictionary (dictionary.csv)."),
        ]


class Counter:
    def __init__(self, total: int, progress: ProgressFn | None) -> None:
        self.total = max(total, 1)
        self.done = 0
        self.progress = progress

    def step(self, n: int, table: str) -> None:
        self.done += n
        if self.progress:
            self.progress(
                self.done,
                self.total,
                _("%(table)s: %(rows)s rows written") % {"table": table, "rows": self.done},
            )


def _chunks(rows: Iterable[tuple[Any, ...]]) -> Iterator[list[tuple[Any, ...]]]:
    chunk: list[tuple[Any, ...]] = []
    for row in rows:
        chunk.append(row)
        if len(chunk) >= CHUNK_ROWS:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


def write_csv_zip(path: Path, ctx: ExportContext, about: About, counter: Counter) -> dict[str, int]:
    counts: dict[str, int] = {}
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("README.txt", "\n".join(about.lines()) + "\n")
        _write_csv_member(
            archive, "dictionary.csv", ("table", "column", "type", "description"), dictionary_rows()
        )
        for table in TABLES:
            counts[table.name] = _write_csv_member(
                archive,
                f"{table.name}.csv",
                tuple(c.name for c in table.columns),
                table_rows(table, ctx),
                counter=counter,
                table=table.name,
            )
    return counts


def _write_csv_member(
    archive: zipfile.ZipFile,
    name: str,
    header: tuple[str, ...],
    rows: Iterable[tuple[Any, ...]],
    *,
    counter: Counter | None = None,
    table: str = "",
) -> int:
    n = 0
    with archive.open(name, "w", force_zip64=True) as member:
        text = io.TextIOWrapper(member, encoding="utf-8", newline="")
        writer = csv.writer(text)
        writer.writerow(header)
        for chunk in _chunks(rows):
            writer.writerows([_cell_text(v) for v in row] for row in chunk)
            n += len(chunk)
            if counter:
                counter.step(len(chunk), table)
        text.flush()
        text.detach()
    return n


def write_xlsx(path: Path, ctx: ExportContext, about: About, counter: Counter) -> dict[str, int]:
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell

    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet("about")
    for line in about.lines():
        sheet.append([line])
    sheet = workbook.create_sheet("dictionary")
    sheet.append(["table", "column", "type", "description"])
    for row in dictionary_rows():
        sheet.append(list(row))
    counts: dict[str, int] = {}
    for table in TABLES:
        header = [c.name for c in table.columns]
        part = 1
        sheet = workbook.create_sheet(table.name)
        sheet.append(header)
        on_sheet = 0
        n = 0
        for chunk in _chunks(table_rows(table, ctx)):
            for row in chunk:
                if on_sheet == XLSX_MAX_ROWS:  # a sheet is full: continue on the next
                    part += 1
                    sheet = workbook.create_sheet(f"{table.name}_{part}")
                    sheet.append(header)
                    on_sheet = 0
                cells: list[Any] = []
                for value in row:
                    if isinstance(value, str) and value[:1] in ("=", "+", "-", "@"):
                        cell = WriteOnlyCell(sheet, value=value)
                        cell.data_type = "s"  # text, never a formula
                        cells.append(cell)
                    else:
                        cells.append(value)
                sheet.append(cells)
                on_sheet += 1
            n += len(chunk)
            counter.step(len(chunk), table.name)
        counts[table.name] = n
    workbook.save(path)
    return counts


def _arrow_type(kind: str) -> Any:
    import pyarrow as pa

    return {
        "string": pa.string(),
        "integer": pa.int64(),
        "float": pa.float64(),
        "date": pa.date32(),
        "boolean": pa.bool_(),
    }[kind]


def write_parquet_zip(
    path: Path, ctx: ExportContext, about: About, counter: Counter
) -> dict[str, int]:
    import pyarrow as pa
    import pyarrow.parquet as pq

    counts: dict[str, int] = {}
    with (
        tempfile.TemporaryDirectory(prefix="zorgbrug-export-") as tmp,
        zipfile.ZipFile(path, "w", compression=zipfile.ZIP_STORED) as archive,
    ):
        archive.writestr("README.txt", "\n".join(about.lines()) + "\n")
        _write_csv_member(
            archive,
            "dictionary.csv",
            ("table", "column", "type", "description"),
            dictionary_rows(),
        )
        for table in TABLES:
            schema = pa.schema([(c.name, _arrow_type(c.type)) for c in table.columns])
            file = Path(tmp) / f"{table.name}.parquet"
            n = 0
            with pq.ParquetWriter(file, schema, compression="zstd") as writer:
                for chunk in _chunks(table_rows(table, ctx)):
                    columns = list(zip(*chunk, strict=True))
                    writer.write_batch(
                        pa.record_batch(
                            [
                                pa.array(list(col), type=schema.field(i).type)
                                for i, col in enumerate(columns)
                            ],
                            schema=schema,
                        )
                    )
                    n += len(chunk)
                    counter.step(len(chunk), table.name)
                if n == 0:
                    writer.write_table(schema.empty_table())
            counts[table.name] = n
            archive.write(file, f"{table.name}.parquet")
            file.unlink()
    return counts


WRITERS: dict[str, tuple[str, Callable[[Path, ExportContext, About, Counter], dict[str, int]]]] = {
    "csv": ("zip", write_csv_zip),
    "xlsx": ("xlsx", write_xlsx),
    "parquet": ("zip", write_parquet_zip),
}


def export_dir() -> Path:
    configured = getattr(settings, "RESEARCH_EXPORT_DIR", None)
    path = Path(configured) if configured else Path(settings.VAR_DIR) / "research-exports"
    path.mkdir(parents=True, exist_ok=True)
    return path


def write_export(
    *,
    file_format: str,
    target: Path,
    ctx: ExportContext,
    about: About,
    progress: ProgressFn | None = None,
) -> dict[str, int]:
    """Write the export to `target` (atomically: a partial file never appears there)."""
    _suffix, writer = WRITERS[file_format]
    total = sum(table.queryset(ctx).count() for table in TABLES)
    counter = Counter(total, progress)
    partial = target.with_name(target.name + ".part")
    try:
        counts = writer(partial, ctx, about, counter)
        shutil.move(partial, target)
    finally:
        partial.unlink(missing_ok=True)
    return counts
