"""The booking API's one-statement path (PostgreSQL): a booking call in one round trip.

The full path (`care.api.BookApi` through `services.booking_create`) takes six statements
in a transaction: claim the Idempotency-Key, read the user's memberships, read the request
with its needs, children and age bands, book, store the answer, commit. Each costs a
round trip and Python work, and together they cost two to three times an authenticated
trivial call. Here the call is one statement, committed on its own:

- the option key carries the facts the proposal was made for (the children and their
  birth dates, the network's age bands; `BookingFacts`), so the demand and the order of
  the bookings are worked out in Python before the statement, by the same functions as on
  the full path (`slot_demand`, `booking_order`, `part_started`);
- the statement checks that those facts still hold, together with the user's scope
  (`scoping.clients_sql_inline`) — an unchanged request of a client the user follows —
  and then does what the full path's booking statement does (`services.booking_ctes`:
  counters, request, bookings, audit event, messages job), builds the API's answer, and
  stores it with the Idempotency-Key;
- whatever it refuses, it writes nothing.

This path only answers the common cases: booked (201) and "a place was just taken" (409,
worded in the reader's language and stored with the key by the same statement).
Anything else — a key seen before, a request that changed or is no longer bookable, a
user who may not see it, a child already placed, a lock timeout, a key without facts —
leaves nothing written and returns None, and the caller runs the full path, which gives
the precise answer. Both paths use the same counters and constraints, so the guarantees
(never overbooked, all or nothing, never twice for one key) are the database's in both;
tests hold the two paths' answers, rows and audit events to each other.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.core.exceptions import ValidationError
from django.db import DatabaseError, connection, transaction
from django.utils import timezone

from zorgbrug.access import scoping as access
from zorgbrug.care import services
from zorgbrug.care.models import DayPart, IdempotencyRecord
from zorgbrug.core.db import fetch_prepared, insert_select
from zorgbrug.jobs.services import job_written


def available() -> bool:
    """Whether this path can be used: PostgreSQL, with the atomic counters (the control
    test switches them off to show the race; then only the full path runs)."""
    return connection.vendor == "postgresql" and services.ATOMIC_COUNTERS


@dataclass(frozen=True)
class Booked:
    answer: str  # the API's answer (JSON text), as stored with the Idempotency-Key


@dataclass(frozen=True)
class Refused:
    """A place was taken meanwhile: nothing booked; the answer (409) is stored with the
    Idempotency-Key by the same statement."""

    answer: dict[str, Any]


# Placeholders the statement fills in when it words a refusal (`NoLongerAvailable.text`).
_DATE, _PART, _SITE = "{{date}}", "{{part}}", "{{site}}"


def book(
    *,
    actor: Any,
    request_id: int,
    plan: services.Plan,
    facts: services.BookingFacts,
    key: str | None,
    fingerprint: str,
) -> Booked | Refused | None:
    """Book the request on the plan in one statement: Booked, Refused (a place was taken
    meanwhile; only the answer is stored), or None (nothing written: run the full
    path)."""
    if not available():
        return None
    needs = sorted(plan)
    recipients, bands = facts.objects()
    try:
        demand = services.slot_demand(needs, recipients, plan, bands)
    except ValidationError:
        return None
    now = timezone.now()
    if not demand or any(services.part_started(k[1], k[2], now) for k in demand):
        return None
    rows = services.booking_order(needs, recipients, bands, plan)
    job = services.notify_job(request_id, "confirmation")
    inserts = services.booking_inserts(
        actor=actor,
        request_id=request_id,
        event=services.booking_event(actor, None, request_id, len(rows), demand),
        job=job,
        # The client is not read before the statement: its columns come from `subject`.
        audit_source="claim, subject",
        audit_computed={
            "object_id": "subject.client_id::text",
            "object_label": "subject.label",
            "network_id": "subject.client_network",
        },
    )
    ctes, cte_params = services.booking_ctes(
        request_id=request_id,
        rows=[(r[0].pk, *r[1:]) for r in rows],
        network="(SELECT network_id FROM subject)",
        inserts=inserts,
        now=now,
    )
    scope, scope_params = access.clients_sql_inline(actor, "r.client_id")
    stored, stored_params = "", list[Any]()
    if key:
        record = IdempotencyRecord(user_id=actor.pk, key=key, fingerprint=fingerprint)
        insert_sql, stored_params = insert_select(
            record,
            "outcome",
            {"status_code": "outcome.status_code", "body": "outcome.body::jsonb"},
        )
        stored = f", stored AS ({insert_sql})"
    # A refusal is worded here, in the reader's language, and completed by the statement.
    parts = " ".join("WHEN %s THEN %s" for _ in DayPart.choices)
    refusal_params: list[Any] = [
        services.NoLongerAvailable.text(_DATE, _PART, _SITE),
        *(str(v) for choice in DayPart.choices for v in choice),
        services.NoLongerAvailable.text(),
        [str(s) for s in services.BOOKABLE],
    ]
    # The needs, children and bands compared as text in one array each, in the orders
    # the full path reads them (day-parts bytewise, as Python sorts them).
    sql = f"""
        WITH subject AS (
            SELECT r.status, r.network_id, r.client_id, c.network_id AS client_network,
                   left(c.first_name || ' ' || c.last_name, 200) AS label
            FROM care_carerequest r
            JOIN clients_client c ON c.id = r.client_id
            CROSS JOIN (SELECT set_config('lock_timeout', %s, true)) AS timeout
            WHERE r.id = %s AND {scope}
              AND ARRAY(SELECT to_char(n.date, 'YYYY-MM-DD') || ' ' || n.day_part
                        FROM care_neededslot n WHERE n.request_id = r.id
                        ORDER BY n.date, n.day_part COLLATE "C") = %s::text[]
              AND ARRAY(SELECT x.id || ' ' || to_char(x.birth_date, 'YYYY-MM-DD')
                        FROM clients_carerecipient x
                        JOIN care_carerequest_recipients rr ON rr.carerecipient_id = x.id
                        WHERE rr.carerequest_id = r.id
                        ORDER BY x.birth_date, x.id) = %s::text[]
              AND ARRAY(SELECT b.id || ' ' || b.min_months || ' ' || b.max_months
                        FROM care_ageband b WHERE b.network_id = r.network_id
                        ORDER BY b.min_months, b.id) = %s::text[]
        ), {ctes}, answer AS (
            SELECT json_build_object(
                'request', %s::bigint,
                'status', c.status,
                'bookings', (
                    SELECT json_agg(json_build_object(
                        'id', b.id,
                        'request', %s::bigint,
                        'recipient', json_build_object('id', b.recipient_id,
                                                       'first_name', x.first_name),
                        'care_site', json_build_object('id', b.care_site_id, 'name', l.name),
                        'date', b.date,
                        'day_part', b.day_part,
                        'status', b.status,
                        'uses_vacancy', b.uses_vacancy,
                        'cancelled_at', NULL,
                        'arrived_at', NULL,
                        'picked_up_at', NULL,
                        'picked_up_by', ''
                    ) ORDER BY b.id)
                    FROM booked b
                    JOIN clients_carerecipient x ON x.id = b.recipient_id
                    JOIN locked l ON l.id = b.slot_id
                )
            ) AS body
            FROM claim c
        ), outcome AS (
            SELECT 201 AS status_code, body FROM answer
            UNION ALL
            SELECT 409, json_build_object(
                'detail', CASE WHEN v.complete THEN
                    replace(replace(replace(%s, '{_DATE}', to_char(l.day, 'DD/MM/YYYY')),
                                    '{_PART}', CASE l.part {parts} END), '{_SITE}', l.name)
                    ELSE %s END,
                'code', 'no_longer_available')
            FROM verdict v
            CROSS JOIN subject s
            LEFT JOIN locked l ON l.id = v.full_slot
            WHERE s.status = ANY(%s) AND NOT (v.complete AND v.fits)
        ){stored}
        SELECT (SELECT status FROM subject), v.complete, v.fits,
               (SELECT status FROM claim),
               (SELECT body::text FROM answer),
               (SELECT body FROM outcome WHERE status_code = 409),
               (SELECT count(notified) FROM queued)
        FROM verdict v
    """  # noqa: S608 - the statement's parts are code; values are bound
    params: list[Any] = [
        str(int(services.LOCK_TIMEOUT_MS)),
        request_id,
        *scope_params,
        [f"{day.isoformat()} {part}" for day, part in needs],
        [f"{pk} {birth.isoformat()}" for pk, birth in facts.recipients],
        [f"{pk} {lo} {hi}" for pk, lo, hi in facts.bands],
        *cte_params,
        request_id,
        request_id,
        *refusal_params,
        *stored_params,
    ]
    try:
        if connection.in_atomic_block:  # a caller's transaction (tests): a savepoint
            with transaction.atomic():
                found = fetch_prepared(sql, params)
        else:  # on its own: the statement is its transaction
            found = fetch_prepared(sql, params)
    except DatabaseError:
        # A lock timeout, the key stored by a twin call, a child placed by another
        # request: nothing was written; the full path answers.
        return None
    ((status, complete, fits, claimed, answer, refusal, _),) = found
    if status is None or status not in services.BOOKABLE:
        return None  # not the user's, changed since the proposal, or not bookable
    if not (complete and fits):
        return Refused(answer=refusal)
    if claimed is None:
        return None  # booked by someone else a moment ago: the full path says so
    job_written(job, notified=True)  # its id came with it (a UUID made in Python)
    return Booked(answer=answer)
