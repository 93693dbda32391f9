"""Writes of the care domain: capacity, activities, care requests, bookings, attendance.

Locking rules (docs/booking.md has the long version):
- A booking takes places with one conditional UPDATE per capacity slot,
  `booked = booked + n WHERE booked + n <= places`, inside one transaction, slots in
  ascending id order so that two bookings never wait for each other in a cycle. If any
  slot is full the transaction rolls back: all day-parts and all siblings, or nothing.
- PostgreSQL re-checks the WHERE clause on the row it waited for, so concurrent bookings of
  the last place cannot both succeed; the CHECK constraint booked <= places backs it up.
- Waiting for a row lock is bounded (lock_timeout); a timeout becomes `Busy`, which pages
  and the API show as "busy, try again".
- Freeing places (cancellations) needs no lock beyond the UPDATE itself.
"""

from __future__ import annotations

import datetime as dt
import functools
import hashlib
import json
import time
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, OperationalError, connection, transaction
from django.db.models import F
from django.utils import timezone
from django.utils.crypto import salted_hmac
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from zorgbrug.access import audit
from zorgbrug.access import scoping as access
from zorgbrug.access.models import AuditEvent
from zorgbrug.care import calendar as cal
from zorgbrug.care import policy
from zorgbrug.care.capacity import capacity_rebuild
from zorgbrug.care.models import (
    HOLDING,
    Activity,
    ActivityKind,
    AgeBand,
    Booking,
    BookingStatus,
    CapacitySlot,
    CareRequest,
    CareSite,
    Closure,
    DayPart,
    NeededSlot,
    RequestStatus,
    ReservedCapacity,
    Vacancy,
)
from zorgbrug.clients.models import CareRecipient, Client
from zorgbrug.core.db import fetch_prepared, insert, row_insert, sql_literal
from zorgbrug.jobs.models import Job
from zorgbrug.jobs.services import NOTIFY_SQL, job_enqueue, job_values, job_written, relayed
from zorgbrug.network.models import Organisation, Site
from zorgbrug.network.services import postcode_lookup

# Switched off only by the control test that shows the race this prevents; the window
# widens the gap between the naive read and write so that the race shows reliably.
ATOMIC_COUNTERS = True
RACE_WINDOW_SECONDS = 0.0
LOCK_TIMEOUT_MS = 3000
# The defaults until a covenant says otherwise; the rules in force come from `policy`.
FREE_CANCELLATION_HOURS = policy.DEFAULT_FREE_CANCELLATION_HOURS
MAX_JOB_START_DAYS = policy.DEFAULT_MAX_CARE_DAYS[ActivityKind.JOB_START]
MAX_DATES_PER_REQUEST = 120

Plan = dict[tuple[dt.date, str], int]  # (date, day-part) -> care site id


class Busy(Exception):
    """The places are being booked by someone else right now: try again in a moment."""

    message = "busy"


class NoLongerAvailable(ValidationError):
    def __init__(self, slot: CapacitySlot | None = None) -> None:
        if slot is None:
            text = self.text()
        else:
            date = slot.date.strftime("%d/%m/%Y")
            text = self.text(date, slot.get_day_part_display(), slot.care_site.site.name)
        super().__init__(text, code="no_longer_available")

    @staticmethod
    def text(date: str | None = None, part: str = "", site: str = "") -> str:
        """The message, in the active language: which place was taken, when known. (The
        booking API's one statement fills in the same message with placeholders.)"""
        if date is None:
            return _("A place in this proposal is no longer free. Search again.")
        return _(
            "The last place on %(date)s (%(part)s) at %(site)s was just taken. Search again."
        ) % {"date": date, "part": part, "site": site}


# --- Permissions ----------------------------------------------------------------------


def _require_manage_site(actor: Any, care_site: CareSite) -> None:
    if not access.care_sites(actor, manage=True).filter(pk=care_site.pk).exists():
        raise PermissionDenied


def _require_request(actor: Any, request: CareRequest) -> None:
    if not access.care_requests(actor).filter(pk=request.pk).exists():
        raise PermissionDenied


# --- Capacity -------------------------------------------------------------------------


def _horizon(first: dt.date, last: dt.date) -> tuple[dt.date, dt.date]:
    today = timezone.localdate()
    return max(first, today), max(last, today)


@transaction.atomic
def reservation_save(
    *, actor: Any, care_site: CareSite, reservation: ReservedCapacity | None = None, **fields: Any
) -> ReservedCapacity:
    _require_manage_site(actor, care_site)
    old_span = (reservation.valid_from, reservation.valid_until) if reservation else None
    reservation = reservation or ReservedCapacity(care_site=care_site)
    for name, value in fields.items():
        setattr(reservation, name, value)
    reservation.full_clean(exclude=["care_site"])
    if reservation.age_band.network_id != care_site.network_id:
        raise ValidationError({"age_band": _("This age band belongs to another network.")})
    if not care_site.age_bands.filter(pk=reservation.age_band_id).exists():
        raise ValidationError({"age_band": _("The site does not take children of this age.")})
    if not _open_for(care_site, reservation.weekday, reservation.day_part):
        raise ValidationError(
            {"day_part": _("The site is not open then: check its opening hours.")}
        )
    reservation.save()
    first, last = reservation.valid_from, reservation.valid_until
    if old_span:
        first, last = min(first, old_span[0]), max(last, old_span[1])
    capacity_rebuild(
        care_site=care_site, first=_horizon(first, last)[0], last=_horizon(first, last)[1]
    )
    audit.record(
        actor=actor,
        action="update",
        obj=care_site,
        detail={"reservation": reservation.pk, "places": reservation.places},
    )
    # More places may let a waiting request through.
    transaction.on_commit(lambda: _serve_waitlist_later(care_site.network_id))
    return reservation


def _open_for(care_site: CareSite, weekday: int, part: str) -> bool:
    window = cal.WINDOW_BY_PART[part]
    return any(
        h.opens < window.end and h.closes > window.start
        for h in care_site.opening_hours.filter(weekday=weekday)
    )


@transaction.atomic
def vacancy_publish(
    *,
    actor: Any,
    care_site: CareSite,
    age_band: AgeBand,
    date: dt.date,
    day_part: str,
    places: int,
    price: Any = 0,
) -> Vacancy:
    _require_manage_site(actor, care_site)
    if part_started(date, day_part):
        raise ValidationError({"date": _("This day-part has already started.")})
    if not care_site.age_bands.filter(pk=age_band.pk).exists():
        raise ValidationError({"age_band": _("The site does not take children of this age.")})
    if is_closed(care_site, date):
        raise ValidationError({"date": _("The site is closed that day.")})
    vacancy = Vacancy(
        care_site=care_site,
        age_band=age_band,
        date=date,
        day_part=day_part,
        places=places,
        price=price,
        published_by=actor,
    )
    vacancy.full_clean(exclude=["care_site", "published_by"])
    vacancy.save()
    capacity_rebuild(care_site=care_site, first=date, last=date)
    audit.record(
        actor=actor,
        action="create",
        obj=care_site,
        detail={"vacancy": vacancy.pk, "places": places},
    )
    transaction.on_commit(lambda: _serve_waitlist_later(care_site.network_id))
    return vacancy


@transaction.atomic
def vacancy_withdraw(*, actor: Any, vacancy: Vacancy) -> None:
    _require_manage_site(actor, vacancy.care_site)
    vacancy.withdrawn_at = timezone.now()
    vacancy.save(update_fields=["withdrawn_at"])
    capacity_rebuild(care_site=vacancy.care_site, first=vacancy.date, last=vacancy.date)
    audit.record(
        actor=actor,
        action="update",
        obj=vacancy.care_site,
        detail={"vacancy_withdrawn": vacancy.pk},
    )


@transaction.atomic
def closure_add(
    *, actor: Any, care_site: CareSite, first_day: dt.date, last_day: dt.date, reason: str = ""
) -> Closure:
    _require_manage_site(actor, care_site)
    closure = Closure(care_site=care_site, first_day=first_day, last_day=last_day, reason=reason)
    closure.full_clean(exclude=["care_site"])
    booked = Booking.objects.filter(
        care_site=care_site, date__gte=first_day, date__lte=last_day, status__in=HOLDING
    ).count()
    if booked:
        raise ValidationError(
            _("%(n)s bookings fall in this closure: move or cancel them first.") % {"n": booked}
        )
    closure.save()
    capacity_rebuild(
        care_site=care_site,
        first=_horizon(first_day, last_day)[0],
        last=_horizon(first_day, last_day)[1],
    )
    audit.record(actor=actor, action="create", obj=care_site, detail={"closure": closure.pk})
    return closure


def is_closed(care_site: CareSite, day: dt.date) -> bool:
    return (
        cal.is_public_holiday(day)
        or care_site.closures.filter(first_day__lte=day, last_day__gte=day).exists()
    )


def part_started(day: dt.date, part: str, now: dt.datetime | None = None) -> bool:
    now = timezone.localtime(now or timezone.now())
    start = dt.datetime.combine(
        day, cal.WINDOW_BY_PART[part].start, tzinfo=timezone.get_current_timezone()
    )
    return now >= start


# --- Activities and care requests -----------------------------------------------------

ACTIVITY_FIELDS = {
    "kind",
    "title",
    "location",
    "postcode",
    "first_date",
    "last_date",
    "recurrence",
    "start_time",
    "end_time",
    "travel_minutes",
}


def activity_create(
    *, actor: Any, client: Client, organisation: Organisation, **fields: Any
) -> Activity:
    if not access.clients(actor).filter(pk=client.pk).exists():
        raise PermissionDenied
    if organisation.pk not in access.client_organisation_ids(actor):
        raise PermissionDenied
    unknown = set(fields) - ACTIVITY_FIELDS
    if unknown:
        raise ValueError(f"unknown activity fields {sorted(unknown)}")
    activity = Activity(client=client, organisation=organisation, created_by=actor, **fields)
    errors: dict[str, list[str]] = {}
    try:
        activity.recurrence = cal.validate_rule(activity.recurrence)
    except (ValueError, TypeError):
        errors.setdefault("recurrence", []).append(
            _("This repeat rule cannot be read. Example: FREQ=WEEKLY;BYDAY=MO,TH")
        )
    if activity.recurrence and not activity.last_date:
        errors.setdefault("last_date", []).append(_("A repeating activity needs a last date."))
    if activity.first_date and activity.first_date < timezone.localdate():
        errors.setdefault("first_date", []).append(_("The activity cannot start in the past."))
    if activity.postcode:
        match = postcode_lookup(code=activity.postcode)
        if match is None:
            errors.setdefault("postcode", []).append(
                _("Unknown postcode %(code)s: enter a Belgian postcode, e.g. 9900.")
                % {"code": activity.postcode}
            )
        else:
            activity.latitude, activity.longitude = match.latitude, match.longitude
    max_days = (
        policy.current().max_care_days(
            network_id=client.network_id, kind=activity.kind, day=activity.first_date
        )
        if activity.kind and activity.first_date
        else None
    )
    if (
        max_days is not None
        and activity.last_date
        and activity.first_date
        and (activity.last_date - activity.first_date).days > max_days
    ):
        if activity.kind == ActivityKind.JOB_START and max_days == MAX_JOB_START_DAYS:
            message = _(
                "Care after a job start lasts at most three months; after that the client moves "
                "to regular childcare."
            )
        else:
            message = _(
                "Under the covenant, care for this kind of activity lasts at most %(days)s days."
            ) % {"days": max_days}
        errors.setdefault("last_date", []).append(message)
    try:
        activity.full_clean(exclude=["client", "organisation", "created_by"])
    except ValidationError as exc:
        for field, messages in exc.message_dict.items():
            errors.setdefault(field, []).extend(messages)
    if errors:
        raise ValidationError(errors)
    activity.save()
    audit.record(actor=actor, action="create", obj=client, detail={"activity": activity.pk})
    return activity


def needed_slots(activity: Activity) -> list[tuple[dt.date, str]]:
    dates = cal.occurrences(
        start=activity.first_date,
        rule=activity.recurrence,
        until=activity.last_date,
        limit=MAX_DATES_PER_REQUEST,
    )
    parts = cal.day_parts_for(
        activity.start_time, activity.end_time, travel_minutes=activity.travel_minutes
    )
    return [(d, p) for d in dates for p in parts]


def care_request_create(
    *,
    actor: Any,
    activity: Activity,
    recipients: Iterable[CareRecipient],
    urgency: str = "normal",
    preference: str = "home",
    language: str = "",
) -> CareRequest:
    """Ask care for some of the client's care recipients during an activity."""
    client = activity.client
    if not access.clients(actor).filter(pk=client.pk).exists():
        raise PermissionDenied
    recipients = list(recipients)
    if not recipients:
        raise ValidationError(
            {"recipients": _("Choose the children (or dependants) who need care.")}
        )
    if any(r.client_id != client.pk or not r.is_active for r in recipients):
        raise ValidationError({"recipients": _("A chosen person does not belong to this client.")})
    slots = needed_slots(activity)
    if not slots:
        raise ValidationError(
            {
                "activity": _(
                    "The activity has no dates left that need care (public holidays are skipped)."
                )
            }
        )
    past = [d for d, p in slots if part_started(d, p)]
    if past:
        raise ValidationError(
            {
                "activity": _("Care cannot be asked for the past (%(date)s).")
                % {"date": past[0].strftime("%d/%m/%Y")}
            }
        )
    request = CareRequest(
        client=client,
        activity=activity,
        urgency=urgency,
        preference=preference,
        language=language,
        organisation=activity.organisation,
        network_id=client.network_id,
        created_by=actor,
    )
    request.full_clean(exclude=["client", "activity", "organisation", "network", "created_by"])
    with transaction.atomic():
        request.save()
        request.recipients.set(recipients)
        NeededSlot.objects.bulk_create(
            [NeededSlot(request=request, date=d, day_part=p) for d, p in slots]
        )
        audit.record(
            actor=actor,
            action="create",
            obj=client,
            detail={"care_request": request.pk, "day_parts": len(slots)},
        )
    return request


# --- Booking --------------------------------------------------------------------------


def band_for(bands: list[AgeBand], birth: dt.date, on: dt.date) -> AgeBand | None:
    months = cal.age_in_months(birth, on)
    return next((b for b in bands if b.contains(months)), None)


def slot_demand(
    needs: list[tuple[dt.date, str]],
    recipients: list[CareRecipient],
    plan: Plan,
    bands: list[AgeBand],
) -> Counter[tuple[int, dt.date, str, int]]:
    """How many places the plan takes per (site, date, day-part, age band)."""
    demand: Counter[tuple[int, dt.date, str, int]] = Counter()
    for day, part in needs:
        site_id = plan.get((day, part))
        if site_id is None:
            raise ValidationError(
                _("The proposal does not cover %(date)s (%(part)s).")
                % {"date": day.strftime("%d/%m/%Y"), "part": DayPart(part).label}
            )
        for recipient in recipients:
            band = band_for(bands, recipient.birth_date, day)
            if band is None:
                raise ValidationError(
                    _("No age band of the network fits %(name)s on %(date)s.")
                    % {"name": recipient.first_name, "date": day.strftime("%d/%m/%Y")}
                )
            demand[(site_id, day, part, band.pk)] += 1
    return demand


def _take_places(slots: dict[int, CapacitySlot], demand: dict[int, int]) -> None:
    for slot_id in sorted(demand):
        n = demand[slot_id]
        if ATOMIC_COUNTERS:
            taken = CapacitySlot.objects.filter(pk=slot_id, booked__lte=F("places") - n).update(
                booked=F("booked") + n
            )
        else:  # the naive read-check-write the control test uses to show the race
            current = CapacitySlot.objects.get(pk=slot_id)
            time.sleep(RACE_WINDOW_SECONDS)
            taken = 0
            if current.booked + n <= current.places:
                CapacitySlot.objects.filter(pk=slot_id).update(booked=current.booked + n)
                taken = 1
        if taken != 1:
            raise NoLongerAvailable(slots[slot_id])


BOOKABLE = (RequestStatus.OPEN, RequestStatus.WAITLISTED, RequestStatus.REFUSED)
# The statuses the booking statements test and write, as SQL text: code, not bound.
BOOKABLE_SQL = ", ".join(sql_literal(status) for status in BOOKABLE)
_WAITING_SQL = sql_literal(RequestStatus.WAITING_PROVIDER)
_BOOKED_SQL = sql_literal(RequestStatus.BOOKED)
_PENDING_SQL = sql_literal(BookingStatus.PENDING)
_CONFIRMED_SQL = sql_literal(BookingStatus.CONFIRMED)


@dataclass
class _Taken:
    """What the counters said once our places were taken."""

    status: str  # the request's new status
    # slot id -> (site id, date, day part, band id, booked after, reserved places, site name)
    slots: dict[int, tuple[int, dt.date, str, int, int, int, str]]


@dataclass(frozen=True)
class Inserts:
    """The rows a booking statement writes besides the counters: its bookings (from the
    CTE `booking_rows`), the audit event and the messages job (one each, from `claim`) —
    each as (SQL, parameters) of its `core.db.row_insert`."""

    bookings: tuple[str, list[Any]]
    audit: tuple[str, list[Any]]
    job: tuple[str, list[Any]]


# The bookings' columns that the statement works out, over the CTE `booking_rows`.
_BOOKING_COLUMNS = (
    ("recipient_id", "recipient_id"),
    ("slot_id", "slot_id"),
    ("care_site_id", "site_id"),
    ("date", "day"),
    ("day_part", "part"),
    ("status", "status"),
    ("uses_vacancy", "uses_vacancy"),
)


def booking_inserts(
    *,
    actor: Any,
    request_id: int,
    event: dict[str, Any],
    job: dict[str, Any],
    now: dt.datetime,
    audit_source: str = "claim",
    audit_computed: tuple[tuple[str, str], ...] = (),
) -> Inserts:
    """The inserts of a booking statement: the bookings' other columns as `_write_bookings`
    writes them on the portable path (the model's defaults, created by the actor at
    `now`), the audit event's and the job's columns as given (`booking_event`,
    `notify_job`), less those `audit_computed` takes from `audit_source`."""
    computed = {name for name, _sql in audit_computed}
    bookings = row_insert(
        Booking, "booking_rows ORDER BY ord", _BOOKING_COLUMNS, ("request_id", "created_by_id")
    )
    audited = row_insert(
        AuditEvent, audit_source, audit_computed, tuple(k for k in event if k not in computed)
    )
    queued = row_insert(Job, "claim", (), tuple(job))
    created_by = actor.pk if getattr(actor, "pk", None) else None
    return Inserts(
        bookings=(
            bookings.sql,
            bookings.params({"request_id": request_id, "created_by_id": created_by}, now),
        ),
        audit=(audited.sql, audited.params(event, now)),
        job=(queued.sql, queued.params(job, now)),
    )


def booking_ctes(
    *,
    request_id: int,
    rows: list[tuple[int, int, dt.date, str, int]],
    network: int | str,
    inserts: Inserts,
    now: dt.datetime,
) -> tuple[str, list[Any]]:
    """The common part of the booking statements (PostgreSQL): the `WITH` items that claim
    the request, take every place and write the bookings, the audit event and the
    parent's messages job — or nothing — with their parameters, in text order.

    `rows` are the bookings in the order they are written: (child id, site id, date,
    day-part, age band id), sent as one JSON parameter (cheaper to send than an array per
    column); the places each counter must give are counted from them. `network` is the
    request's network id, or an SQL expression for it (the one-statement API path reads
    it in the same statement, and no counter is taken when that finds no request).

    The counter rows of the demand are locked in ascending id order (FOR UPDATE under
    ORDER BY locks rows as they are returned), so two bookings never wait in a cycle; once
    locked they are the latest versions, and the statement takes all of them only if every
    one still fits and every one exists at an active site of the request's network — and
    only if the request could be claimed (compare-and-set on its status: of two identical
    calls the second finds it booked). Whatever it refuses, nothing is written, without a
    savepoint; the CHECK constraint booked <= places stays the last line of defence.

    A booking uses a short-notice place when its position on the counter (the places
    booked before it, plus its rank among this request's children on that counter) is
    beyond the reserved places.
    """
    network_sql, network_params = ("%s", [network]) if isinstance(network, int) else (network, [])
    # With the job relay, the job wakes it when this transaction commits.
    notify = NOTIFY_SQL if relayed() else "NULL"
    sql = f"""
        wanted AS (
            SELECT (e->>0)::bigint AS recipient_id, (e->>1)::bigint AS site_id,
                   (e->>2)::date AS day, e->>3 AS part, (e->>4)::bigint AS band_id, ord
            FROM json_array_elements(%s::json) WITH ORDINALITY AS x(e, ord)
        ), want AS (
            SELECT site_id, day, part, band_id, count(*)::int AS n
            FROM wanted GROUP BY site_id, day, part, band_id
        ), locked AS (
            SELECT s.id, s.booked, s.places, s.reserved_places, w.n, w.site_id, w.day, w.part,
                   w.band_id, cs.needs_confirmation, st.name
            FROM care_capacityslot s
            JOIN want w ON s.care_site_id = w.site_id AND s.date = w.day
                AND s.day_part = w.part AND s.age_band_id = w.band_id
            JOIN care_caresite cs ON cs.id = s.care_site_id
            JOIN network_site st ON st.id = cs.site_id
            WHERE cs.network_id = {network_sql} AND cs.is_active
            ORDER BY s.id
            FOR UPDATE OF s
        ), verdict AS (
            SELECT count(*) = (SELECT count(*) FROM want) AS complete,
                   coalesce(bool_and(booked + n <= places), false) AS fits,
                   coalesce(bool_or(needs_confirmation), false) AS confirm,
                   min(id) FILTER (WHERE booked + n > places) AS full_slot
            FROM locked
        ), claim AS (
            UPDATE care_carerequest r
            SET status = CASE WHEN v.confirm THEN {_WAITING_SQL} ELSE {_BOOKED_SQL} END,
                status_reason = '', updated_at = %s
            FROM verdict v
            WHERE r.id = %s AND r.status IN ({BOOKABLE_SQL}) AND v.complete AND v.fits
            RETURNING r.status
        ), taken AS (
            UPDATE care_capacityslot s SET booked = s.booked + l.n
            FROM locked l
            WHERE s.id = l.id AND EXISTS (SELECT 1 FROM claim)
            RETURNING s.id, s.booked
        ), booking_rows AS (
            SELECT b.ord, b.recipient_id, l.id AS slot_id, l.site_id, l.day, l.part,
                   t.booked - l.n + row_number() OVER (PARTITION BY l.id ORDER BY b.ord)
                       > l.reserved_places AS uses_vacancy,
                   CASE WHEN (SELECT status FROM claim) = {_WAITING_SQL} THEN {_PENDING_SQL}
                        ELSE {_CONFIRMED_SQL} END AS status
            FROM wanted b
            JOIN locked l ON l.site_id = b.site_id AND l.day = b.day AND l.part = b.part
                AND l.band_id = b.band_id
            JOIN taken t ON t.id = l.id
        ), booked AS (
            {inserts.bookings[0]}
            RETURNING id, recipient_id, slot_id, care_site_id, date, day_part, status,
                      uses_vacancy
        ), audited AS (
            {inserts.audit[0]}
        ), queued AS (
            {inserts.job[0]}
            RETURNING id, {notify} AS notified
        )
    """  # noqa: S608 - table names and the inserts' columns are code; values are bound
    wanted = json.dumps([[r[0], r[1], r[2].isoformat(), r[3], r[4]] for r in rows])
    params: list[Any] = [
        wanted,
        *network_params,
        now,
        request_id,
        *inserts.bookings[1],
        *inserts.audit[1],
        *inserts.job[1],
    ]
    return sql, params


def _book_pg(
    *,
    actor: Any,
    subject: _Subject,
    plan: Plan,
    demand: Counter[tuple[int, dt.date, str, int]],
    now: dt.datetime,
) -> tuple[list[Booking], str] | ValidationError:
    """Book the request in one statement (PostgreSQL): claim it, take every place, and
    write the bookings, the audit event and the parent's messages job — or nothing
    (`booking_ctes`)."""
    rows = booking_order(subject.needs, subject.recipients, subject.bands, plan)
    job = notify_job(subject.pk, "confirmation")
    inserts = booking_inserts(
        actor=actor,
        request_id=subject.pk,
        event=booking_event(actor, subject.client, subject.pk, len(rows), demand),
        job=job,
        now=now,
    )
    ctes, params = booking_ctes(
        request_id=subject.pk,
        rows=[(r[0].pk, *r[1:]) for r in rows],
        network=subject.network_id,
        inserts=inserts,
        now=now,
    )
    sql = f"""
        WITH {ctes}
        SELECT v.complete, v.fits, v.full_slot, (SELECT status FROM claim),
               (SELECT json_agg(json_build_array(l.id, l.site_id, l.day, l.part, l.band_id,
                                                 t.booked, l.reserved_places, l.name))
                FROM taken t JOIN locked l ON l.id = t.id),
               (SELECT json_agg(json_build_array(id, recipient_id, slot_id, date, day_part,
                                                 status, uses_vacancy) ORDER BY id)
                FROM booked),
               (SELECT count(notified) FROM queued)
        FROM verdict v
    """  # noqa: S608 - the statement's parts are code; values are bound
    # The lock timeout was set with the request's read, in the same transaction.
    ((complete, fits, full_slot, status, taken, written, _),) = fetch_prepared(sql, params)
    if not complete:
        return NoLongerAvailable()
    if not fits:
        return NoLongerAvailable(
            CapacitySlot.objects.select_related("care_site__site").get(pk=full_slot)
        )
    if status is None:
        return ValidationError(_("This request has just been booked by someone else."))
    job_written(job["id"], notified=True)
    slot_sites = {row[0]: (row[1], row[7]) for row in _json(taken)}
    sites = {
        site_id: CareSite(pk=site_id, site=Site(name=name)) for site_id, name in slot_sites.values()
    }
    recipients = {r.pk: r for r in subject.recipients}
    created_by = actor if getattr(actor, "pk", None) else None
    return [
        Booking(
            pk=pk,
            request_id=subject.pk,
            recipient=recipients[recipient_id],
            slot_id=slot_id,
            care_site=sites[slot_sites[slot_id][0]],
            date=dt.date.fromisoformat(day),
            day_part=part,
            status=booking_status,
            uses_vacancy=uses_vacancy,
            created_by=created_by,
            created_at=now,
        )
        for pk, recipient_id, slot_id, day, part, booking_status, uses_vacancy in _json(written)
    ], status


def _json(value: Any) -> list[Any]:
    return json.loads(value) if isinstance(value, str) else (value or [])


def _book_places_portable(
    *, request: _Subject, demand: Counter[tuple[int, dt.date, str, int]], now: dt.datetime
) -> _Taken | ValidationError:
    """The same, statement by statement (SQLite, and the control test's naive counters).

    SQLite runs one writer at a time, so the transaction is serialised there; on
    PostgreSQL this path is only used to show the race the single statement prevents.
    """
    slot_rows: dict[tuple[int, dt.date, str, int], CapacitySlot] = {}
    sites: dict[int, CareSite] = {}
    for slot in CapacitySlot.objects.select_related("care_site__site").filter(
        care_site_id__in={k[0] for k in demand},
        care_site__network_id=request.network_id,
        care_site__is_active=True,
        date__in={k[1] for k in demand},
    ):
        slot_rows[(slot.care_site_id, slot.date, slot.day_part, slot.age_band_id)] = slot
        sites[slot.care_site_id] = slot.care_site
    if any(key not in slot_rows for key in demand):
        return NoLongerAvailable()
    by_id = {slot_rows[key].pk: slot_rows[key] for key in demand}
    demand_by_id = {slot_rows[key].pk: n for key, n in demand.items()}
    status = (
        RequestStatus.WAITING_PROVIDER
        if any(sites[k[0]].needs_confirmation for k in demand)
        else RequestStatus.BOOKED
    )
    try:
        with transaction.atomic():  # a savepoint: a full slot undoes the ones taken before
            if connection.vendor == "postgresql":
                with connection.cursor() as cursor:
                    cursor.execute(f"SET LOCAL lock_timeout = {int(LOCK_TIMEOUT_MS)}")
            claimed = CareRequest.objects.filter(pk=request.pk, status__in=BOOKABLE).update(
                status=status, status_reason="", updated_at=now
            )
            if claimed != 1:
                raise ValidationError(_("This request has just been booked by someone else."))
            _take_places(by_id, demand_by_id)
            after = dict(CapacitySlot.objects.filter(pk__in=by_id).values_list("pk", "booked"))
    except ValidationError as refused:
        return refused
    return _Taken(
        status=status,
        slots={
            pk: (
                slot.care_site_id,
                slot.date,
                slot.day_part,
                slot.age_band_id,
                after[pk],
                slot.reserved_places,
                slot.care_site.site.name,
            )
            for pk, slot in by_id.items()
        },
    )


@dataclass
class _Subject:
    """A request as booking needs it, read in one query."""

    pk: int
    status: str
    network_id: int
    client: Client
    needs: list[tuple[dt.date, str]]
    recipients: list[CareRecipient]
    bands: list[AgeBand]

    def status_display(self) -> str:
        return str(RequestStatus(self.status).label)


def _booking_subject(actor: Any, pk: int, *, check_access: bool) -> _Subject | None:
    """The request with its client, needed day-parts, children and the network's age bands
    — one query; None when it does not exist or (check_access) is not the actor's to book:
    the requests of the clients they follow (`access.clients_sql`)."""
    pg = connection.vendor == "postgresql"
    agg, arr = ("json_agg", "json_build_array") if pg else ("json_group_array", "json_array")
    condition, params = (
        access.clients_sql(actor, "c.id", array=pg) if check_access else ("1 = 1", [])
    )
    # On PostgreSQL the same read bounds how long this transaction will wait for a lock.
    timeout = "set_config('lock_timeout', %s, true)" if pg else "NULL"
    # json_group_array has no ORDER BY of its own: its rows come ordered from a subquery.
    sql = f"""
        SELECT r.status, r.network_id, c.id, c.first_name, c.last_name, c.network_id,
            (SELECT {agg}({arr}(n.date, n.day_part)) FROM (
                SELECT date, day_part FROM care_neededslot WHERE request_id = r.id
                ORDER BY date, day_part) n),
            (SELECT {agg}({arr}(cr.id, cr.first_name, cr.birth_date)) FROM (
                SELECT x.id, x.first_name, x.birth_date FROM clients_carerecipient x
                JOIN care_carerequest_recipients rr ON rr.carerecipient_id = x.id
                WHERE rr.carerequest_id = r.id ORDER BY x.birth_date, x.id) cr),
            (SELECT {agg}({arr}(b.id, b.name, b.min_months, b.max_months)) FROM (
                SELECT id, name, min_months, max_months FROM care_ageband
                WHERE network_id = r.network_id ORDER BY min_months, id) b),
            {timeout}
        FROM care_carerequest r JOIN clients_client c ON c.id = r.client_id
        WHERE r.id = %s AND {condition}
    """  # noqa: S608 - table names and the scope's condition are code; values are bound
    if pg:
        found = fetch_prepared(sql, [str(int(LOCK_TIMEOUT_MS)), pk, *params])
        row = found[0] if found else None
    else:
        with connection.cursor() as cursor:
            cursor.execute(sql, [pk, *params])
            row = cursor.fetchone()
    if row is None:
        return None

    def rows(value: Any) -> list[Any]:
        if value is None:
            return []
        return list(json.loads(value) if isinstance(value, str) else value)

    status, network_id, client_id, first, last, client_network, needs, children, bands, _ = row
    return _Subject(
        pk=pk,
        status=status,
        network_id=network_id,
        client=Client(pk=client_id, first_name=first, last_name=last, network_id=client_network),
        needs=[(dt.date.fromisoformat(d), part) for d, part in rows(needs)],
        recipients=[
            CareRecipient(
                pk=i, client_id=client_id, first_name=name, birth_date=dt.date.fromisoformat(b)
            )
            for i, name, b in rows(children)
        ],
        bands=[
            AgeBand(pk=i, network_id=network_id, name=name, min_months=lo, max_months=hi)
            for i, name, lo, hi in rows(bands)
        ],
    )


def booking_create(
    *,
    actor: Any,
    request: CareRequest,
    plan: Plan,
    check_access: bool = True,
    savepoint: bool = True,
) -> list[Booking]:
    """Book a whole request on the plan's sites: every day-part for every child, or nothing.

    With check_access, only requests of the clients the actor follows can be booked
    (PermissionDenied otherwise); system work (the waiting list) passes False.
    Raises NoLongerAvailable when a place was taken meanwhile, Busy on lock contention.

    Inside a caller's transaction a database error (a lock timeout, a child booked at the
    same time by another request) undoes only this booking, by a savepoint. A caller that
    rolls its whole transaction back on such errors anyway (the booking API) passes
    savepoint=False and saves the round trips; refusals (NoLongerAvailable…) never need
    one, as they are decided before anything is written.
    """
    now = timezone.now()
    one_statement = connection.vendor == "postgresql" and ATOMIC_COUNTERS
    # Refusals are returned, not raised, inside the block: raising there would mark a
    # caller's transaction for rollback when there is no savepoint. They are all decided
    # before anything is written.
    outcome: tuple[list[Booking], str] | Exception
    try:
        with transaction.atomic(savepoint=savepoint):
            subject = _booking_subject(actor, request.pk, check_access=check_access)
            checked = _check_bookable(subject, plan, check_access=check_access)
            if isinstance(checked, Exception):
                outcome = checked
            elif one_statement:
                assert subject is not None
                outcome = _book_pg(actor=actor, subject=subject, plan=plan, demand=checked, now=now)
            else:
                assert subject is not None
                taken = _book_places_portable(request=subject, demand=checked, now=now)
                outcome = (
                    taken
                    if isinstance(taken, ValidationError)
                    else (
                        _write_bookings(
                            actor=actor, subject=subject, plan=plan, demand=checked, taken=taken
                        ),
                        taken.status,
                    )
                )
    except OperationalError as exc:
        text = str(exc).lower()
        if "lock timeout" in text or "could not obtain lock" in text or "deadlock" in text:
            raise Busy from exc
        raise
    except IntegrityError as exc:
        # A child already holds a place at one of these day-parts (another request, maybe
        # booked a moment ago): the savepoint undid this booking; say so. Without one the
        # caller's transaction is broken and the caller answers (the booking API: 409).
        if savepoint and is_child_already_placed(exc):
            raise ValidationError(CHILD_ALREADY_PLACED) from exc
        raise
    if isinstance(outcome, Exception):
        raise outcome
    bookings, request.status = outcome  # the caller's object shows the new state
    request.status_reason = ""
    return bookings


CHILD_ALREADY_PLACED = gettext_lazy(
    "A child of this request already has care at one of these day-parts, through another "
    "request: cancel that care or search again."
)


def is_child_already_placed(exc: IntegrityError) -> bool:
    """Whether the error is the one-place-per-child-and-day-part constraint."""
    text = str(exc)
    return "booking_one_place_per_child_and_day_part" in text or (
        "care_booking.recipient_id, care_booking.date, care_booking.day_part" in text
    )


@dataclass(frozen=True)
class BookingFacts:
    """What booking a request rests on besides its needs: its children (id, birth date),
    oldest first, and the network's age bands (id, from and to months) in the order
    `band_for` tries them.

    Proposals work out from them which age band each child takes on each day-part
    (`rows`); the booking API's one-statement path (`care.direct`) then books those rows
    and checks, in the same statement, that the facts are unchanged by comparing their
    `digest` — a hash keyed with a secret of the server, so that an option key that
    carries it reveals no birth date."""

    recipients: tuple[tuple[int, dt.date], ...]
    bands: tuple[tuple[int, int, int], ...]

    @classmethod
    def of(cls, recipients: Iterable[CareRecipient], bands: Iterable[AgeBand]) -> BookingFacts:
        return cls(
            recipients=tuple(
                (r.pk, r.birth_date) for r in sorted(recipients, key=lambda r: (r.birth_date, r.pk))
            ),
            bands=tuple(
                (b.pk, b.min_months, b.max_months)
                for b in sorted(bands, key=lambda b: (b.min_months, b.pk))
            ),
        )

    def rows(self, plan: Plan) -> list[tuple[int, int, dt.date, str, int]] | None:
        """The bookings the plan makes, in the order they are written: (child id, site id,
        date, day-part, age band id); None when it cannot be booked (a day-part the plan
        does not cover, a child outside every age band)."""
        recipients = [CareRecipient(pk=i, first_name="", birth_date=b) for i, b in self.recipients]
        bands = [AgeBand(pk=i, name="", min_months=lo, max_months=hi) for i, lo, hi in self.bands]
        needs = sorted(plan)
        try:
            slot_demand(needs, recipients, plan, bands)
        except ValidationError:
            return None
        return [
            (child.pk, site, day, part, band)
            for child, site, day, part, band in booking_order(needs, recipients, bands, plan)
        ]

    def digest(self) -> str:
        """A keyed hash of the facts, as `FACTS_DIGEST_SQL` computes it from the database."""
        text = facts_secret() + self.canonical()
        return hashlib.sha256(text.encode()).hexdigest()

    def canonical(self) -> str:
        children = ",".join(f"{pk} {birth.isoformat()}" for pk, birth in self.recipients)
        bands = ",".join(f"{pk} {lo} {hi}" for pk, lo, hi in self.bands)
        return f"{children}|{bands}"


def facts_secret() -> str:
    """The key of `BookingFacts.digest`, derived from the project's secret key."""
    return _facts_secret(settings.SECRET_KEY)


@functools.lru_cache(maxsize=4)
def _facts_secret(secret_key: str) -> str:
    return salted_hmac("zorgbrug.care.facts", "digest", secret=secret_key).hexdigest()


# `BookingFacts.digest` of request `r` (the secret bound first): the same text, made from
# the request's children and its network's age bands as they are now.
FACTS_DIGEST_SQL = """encode(sha256(convert_to(%s
    || coalesce((SELECT string_agg(x.id || ' ' || to_char(x.birth_date, 'YYYY-MM-DD'), ','
                                   ORDER BY x.birth_date, x.id)
                 FROM clients_carerecipient x
                 JOIN care_carerequest_recipients rr ON rr.carerecipient_id = x.id
                 WHERE rr.carerequest_id = r.id), '')
    || '|'
    || coalesce((SELECT string_agg(b.id || ' ' || b.min_months || ' ' || b.max_months, ','
                                   ORDER BY b.min_months, b.id)
                 FROM care_ageband b WHERE b.network_id = r.network_id), ''),
    'UTF8')), 'hex')"""


def booking_facts(request: CareRequest) -> BookingFacts:
    """The request's booking facts as they are now."""
    return BookingFacts.of(
        request.recipients.all(), AgeBand.objects.filter(network_id=request.network_id)
    )


def _check_bookable(
    subject: _Subject | None, plan: Plan, *, check_access: bool
) -> Counter[tuple[int, dt.date, str, int]] | Exception:
    """The places the plan takes, or why the request cannot be booked on it."""
    if subject is None:
        return PermissionDenied() if check_access else CareRequest.DoesNotExist()
    if subject.status not in BOOKABLE:
        return ValidationError(
            _("This request is %(status)s; it cannot be booked again.")
            % {"status": subject.status_display()}
        )
    try:
        demand = slot_demand(subject.needs, subject.recipients, plan, subject.bands)
    except ValidationError as exc:
        return exc
    started = [k for k in demand if part_started(k[1], k[2])]
    if started:
        return ValidationError(
            _("Care cannot be booked for the past (%(date)s).")
            % {"date": started[0][1].strftime("%d/%m/%Y")}
        )
    return demand


def booking_order(
    needs: list[tuple[dt.date, str]],
    recipients: list[CareRecipient],
    bands: list[AgeBand],
    plan: Plan,
) -> list[tuple[CareRecipient, int, dt.date, str, int]]:
    """A request's bookings in the order they are written: (child, site id, date,
    day-part, age band id) per needed day-part, then per child (oldest first)."""
    out = []
    for day, part in needs:
        for recipient in recipients:
            band = band_for(bands, recipient.birth_date, day)
            assert band is not None  # checked in slot_demand
            out.append((recipient, plan[(day, part)], day, part, band.pk))
    return out


def _slot_objects(
    slots: dict[int, tuple[int, dt.date, str, int, int, int, str]],
) -> dict[int, CapacitySlot]:
    """The counters as the new bookings carry them (with their site's name)."""
    return {
        pk: CapacitySlot(
            pk=pk,
            care_site=CareSite(pk=site_id, site=Site(name=name)),
            date=day,
            day_part=part,
            age_band_id=band_id,
            booked=booked,
            reserved_places=reserved,
        )
        for pk, (site_id, day, part, band_id, booked, reserved, name) in slots.items()
    }


def booking_event(
    actor: Any,
    client: Client | None,
    request_id: int,
    count: int,
    demand: Counter[tuple[int, dt.date, str, int]],
) -> dict[str, Any]:
    """The audit event's columns of a booking, on the client (None: the caller's statement
    fills in the client's columns)."""
    return audit.event_values(
        actor=actor,
        action="create",
        obj=client,
        object_type=Client._meta.label_lower,
        detail={
            "care_request": request_id,
            "bookings": count,
            "sites": sorted({k[0] for k in demand}),
        },
    )


def _write_bookings(
    *,
    actor: Any,
    subject: _Subject,
    plan: Plan,
    demand: Counter[tuple[int, dt.date, str, int]],
    taken: _Taken,
) -> list[Booking]:
    """The portable path's writes, after `_book_places_portable` took the places: what
    `_book_pg` writes in its one statement."""
    status = (
        BookingStatus.PENDING
        if taken.status == RequestStatus.WAITING_PROVIDER
        else BookingStatus.CONFIRMED
    )
    slot_by_key = {(v[0], v[1], v[2], v[3]): pk for pk, v in taken.slots.items()}
    # The places we took are the last `n` of each counter; those beyond the
    # reserved ones are short-notice places.
    position = {pk: taken.slots[pk][4] - demand[key] for key, pk in slot_by_key.items()}
    slots = _slot_objects(taken.slots)
    created_by = actor if getattr(actor, "pk", None) else None
    bookings = []
    for recipient, site_id, day, part, band_id in booking_order(
        subject.needs, subject.recipients, subject.bands, plan
    ):
        slot_id = slot_by_key[(site_id, day, part, band_id)]
        position[slot_id] += 1
        bookings.append(
            Booking(
                request_id=subject.pk,
                recipient=recipient,
                slot=slots[slot_id],
                care_site=slots[slot_id].care_site,
                date=day,
                day_part=part,
                status=status,
                uses_vacancy=position[slot_id] > taken.slots[slot_id][5],
                created_by=created_by,
            )
        )
    insert(bookings)
    insert([AuditEvent(**booking_event(actor, subject.client, subject.pk, len(bookings), demand))])
    # Queued in the same transaction: the parent hears of it exactly when it holds.
    _notify(subject.pk, "confirmation")
    return bookings


def _release(bookings: list[Booking]) -> None:
    freed = Counter(b.slot_id for b in bookings)
    # In id order, like bookings take them, so that the two never wait in a cycle.
    for slot_id, n in sorted(freed.items()):
        CapacitySlot.objects.filter(pk=slot_id).update(booked=F("booked") - n)


def cancellation_is_late(
    day: dt.date,
    part: str,
    now: dt.datetime | None = None,
    *,
    network_id: int | None = None,
    hours: int | None = None,
) -> bool:
    """Whether cancelling now is late: within the covenant's free-cancellation window."""
    now = now or timezone.now()
    start = dt.datetime.combine(
        day, cal.WINDOW_BY_PART[part].start, tzinfo=timezone.get_current_timezone()
    )
    if hours is None:
        hours = (
            policy.current().free_cancellation_hours(network_id=network_id, day=day)
            if network_id is not None
            else FREE_CANCELLATION_HOURS
        )
    return now > start - dt.timedelta(hours=hours)


@transaction.atomic
def booking_cancel(
    *,
    actor: Any,
    request: CareRequest,
    bookings: Iterable[Booking] | None = None,
    reason: str = "",
    free: bool = False,
    notice: str = "cancellation",
) -> int:
    """Cancel some or all future bookings of a request; late ones are marked as such —
    unless `free`: the cancellation is not the family's doing (the training session it
    was for moved), so it never counts as late, however close the day. `notice` is the
    parent's message (`Notification.Kind`): "moved" tells them why."""
    _require_request(actor, request)
    qs = Booking.objects.select_for_update().filter(
        request=request, status__in=(BookingStatus.PENDING, BookingStatus.CONFIRMED)
    )
    if bookings is not None:
        qs = qs.filter(pk__in=[b.pk for b in bookings])
    rows = [b for b in qs if not part_started(b.date, b.day_part)]
    if not rows:
        raise ValidationError(_("There is nothing left to cancel."))
    now = timezone.now()
    rules = policy.current()
    hours = {
        day: rules.free_cancellation_hours(network_id=request.network_id, day=day)
        for day in {b.date for b in rows}
    }
    for b in rows:
        b.status = (
            BookingStatus.CANCELLED_LATE
            if not free and cancellation_is_late(b.date, b.day_part, now, hours=hours[b.date])
            else BookingStatus.CANCELLED
        )
        b.cancelled_at, b.cancelled_by = now, actor
    Booking.objects.bulk_update(rows, ["status", "cancelled_at", "cancelled_by"])
    _release(rows)
    if not Booking.objects.filter(request=request, status__in=HOLDING).exists():
        request.status = RequestStatus.CANCELLED
        request.status_reason = reason[:300]
        request.save(update_fields=["status", "status_reason", "updated_at"])
    audit.record(
        actor=actor,
        action="update",
        obj=request.client,
        detail={
            "care_request": request.pk,
            "cancelled": len(rows),
            **({"free": True} if free else {}),
        },
    )
    transaction.on_commit(lambda: _notify(request.pk, notice))
    transaction.on_commit(lambda: _serve_waitlist_later(request.network_id))
    return len(rows)


@transaction.atomic
def request_waitlist(*, actor: Any, request: CareRequest) -> CareRequest:
    _require_request(actor, request)
    if request.status not in (RequestStatus.OPEN, RequestStatus.REFUSED):
        raise ValidationError(_("Only a request without a place can go on the waiting list."))
    request.status = RequestStatus.WAITLISTED
    request.save(update_fields=["status", "updated_at"])
    audit.record(
        actor=actor,
        action="update",
        obj=request.client,
        detail={"care_request": request.pk, "waitlisted": True},
    )
    return request


def waitlist_serve(*, network_id: int) -> int:
    """Book waiting requests, urgent and oldest first, wherever one site now covers them."""
    from zorgbrug.care.selectors import best_plan

    served = 0
    waiting = CareRequest.objects.filter(
        network_id=network_id, status=RequestStatus.WAITLISTED
    ).order_by("-urgency", "created_at", "pk")
    for request in waiting:
        plan = best_plan(request)
        if plan is None:
            continue
        try:
            booking_create(actor=None, request=request, plan=plan, check_access=False)
        except (ValidationError, Busy):
            continue
        served += 1
    return served


def _serve_waitlist_later(network_id: int) -> None:
    from zorgbrug.jobs.services import job_enqueue

    if CareRequest.objects.filter(network_id=network_id, status=RequestStatus.WAITLISTED).exists():
        job_enqueue(
            kind="care.waitlist_serve",
            title=_("Serve the waiting list"),
            params={"network_id": network_id},
        )


# --- Provider side --------------------------------------------------------------------


@transaction.atomic
def provider_decide(
    *, actor: Any, request: CareRequest, care_site: CareSite, accept: bool, reason: str = ""
) -> None:
    _require_manage_site(actor, care_site)
    rows = list(
        Booking.objects.select_for_update().filter(
            request=request, care_site=care_site, status=BookingStatus.PENDING
        )
    )
    if not rows:
        raise ValidationError(_("Nothing is waiting for your decision."))
    if accept:
        Booking.objects.filter(pk__in=[b.pk for b in rows]).update(status=BookingStatus.CONFIRMED)
        if not Booking.objects.filter(request=request, status=BookingStatus.PENDING).exists():
            CareRequest.objects.filter(pk=request.pk).update(status=RequestStatus.BOOKED)
        transaction.on_commit(lambda: _notify(request.pk, "confirmation"))
    else:
        now = timezone.now()
        Booking.objects.filter(request=request, status__in=HOLDING).update(
            status=BookingStatus.CANCELLED, cancelled_at=now, cancelled_by=actor
        )
        _release(list(Booking.objects.filter(request=request, cancelled_at=now)))
        CareRequest.objects.filter(pk=request.pk).update(
            status=RequestStatus.OPEN,
            status_reason=(
                _("Refused by %(site)s") % {"site": care_site.site.name}
                + (f": {reason}" if reason else "")
            )[:300],
        )
        transaction.on_commit(lambda: _notify(request.pk, "change"))
    audit.record(
        actor=actor,
        action="update",
        obj=care_site,
        detail={"care_request": request.pk, "accepted": accept},
    )


ATTENDANCE = {BookingStatus.ATTENDED, BookingStatus.ABSENT, BookingStatus.NO_SHOW}


@transaction.atomic
def attendance_register(
    *,
    actor: Any,
    booking: Booking,
    status: str,
    arrived_at: dt.time | None = None,
    picked_up_at: dt.time | None = None,
    picked_up_by: str = "",
) -> Booking:
    _require_manage_site(actor, booking.care_site)
    if status not in ATTENDANCE:
        raise ValidationError(_("Choose attended, absent or no-show."))
    if booking.status not in (BookingStatus.CONFIRMED, *ATTENDANCE):
        raise ValidationError(_("Only a confirmed booking can get its attendance."))
    if booking.date > timezone.localdate():
        raise ValidationError(_("Attendance can be registered on the day itself, not before."))
    if arrived_at and picked_up_at and picked_up_at < arrived_at:
        raise ValidationError({"picked_up_at": _("Picked up before arriving?")})
    booking.status = status
    booking.arrived_at = arrived_at if status == BookingStatus.ATTENDED else None
    booking.picked_up_at = picked_up_at if status == BookingStatus.ATTENDED else None
    booking.picked_up_by = picked_up_by[:200] if status == BookingStatus.ATTENDED else ""
    booking.attendance_by = actor
    booking.save(
        update_fields=["status", "arrived_at", "picked_up_at", "picked_up_by", "attendance_by"]
    )
    audit.record(
        actor=actor,
        action="update",
        obj=booking.care_site,
        detail={"booking": booking.pk, "attendance": status},
    )
    return booking


def _notify(request_id: int, kind: str) -> None:
    """Send the parent's messages as background work: rendering and delivering them is a
    third of a booking's cost and must not hold up the counsellor (or the API client)."""
    job_enqueue(**_notify_job(request_id, kind))


def notify_job(request_id: int, kind: str) -> dict[str, Any]:
    """The columns of the job that sends the parent's messages, for a statement that writes
    it with the bookings (`jobs.services.job_values`)."""
    return job_values(**_notify_job(request_id, kind))


def _notify_job(request_id: int, kind: str) -> dict[str, Any]:
    return {
        "kind": "care.notify",
        "title": _("Messages to the parent"),
        "params": {"request_id": request_id, "kind": kind},
    }


# --- Set-up by the coordinator --------------------------------------------------------


@transaction.atomic
def age_band_create(
    *, actor: Any, network: Any, name: str, min_months: int, max_months: int
) -> AgeBand:
    if not access.can_manage_network(actor, network):
        raise PermissionDenied
    band = AgeBand(network=network, name=name, min_months=min_months, max_months=max_months)
    band.full_clean(exclude=["network"], validate_constraints=False)
    if max_months <= min_months:
        raise ValidationError({"max_months": _("The upper age must be above the lower age.")})
    if AgeBand.objects.filter(
        network=network, min_months__lt=max_months, max_months__gt=min_months
    ).exists():
        raise ValidationError(_("This age band overlaps another one of the network."))
    band.save()
    audit.record(actor=actor, action="create", obj=band, network_id=network.pk)
    return band


@transaction.atomic
def care_site_enable(*, actor: Any, site: Any, network: Any) -> CareSite:
    """Make a partner's site bookable: default opening hours Monday–Friday 7:00–18:30 and
    every age band of the network; the provider refines them afterwards."""
    from zorgbrug.care.models import OpeningHours

    if not access.can_manage_network(actor, network):
        raise PermissionDenied
    if not site.organisation.partnerships.filter(network=network, is_care_provider=True).exists():
        raise ValidationError(_("Only a care provider's site can take bookings."))
    care_site, created = CareSite.objects.get_or_create(site=site, defaults={"network": network})
    if created:
        care_site.age_bands.set(AgeBand.objects.filter(network=network))
        OpeningHours.objects.bulk_create(
            [
                OpeningHours(
                    care_site=care_site, weekday=d, opens=dt.time(7), closes=dt.time(18, 30)
                )
                for d in range(5)
            ]
        )
        audit.record(actor=actor, action="create", obj=care_site, network_id=network.pk)
    return care_site
