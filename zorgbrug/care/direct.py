"""The booking API's one-statement path (PostgreSQL): a booking call in one round trip.

The full path (`care.api.BookApi` through `services.booking_create`) takes six statements
in a transaction: claim the Idempotency-Key, read the user's memberships, read the request
with its needs, children and age bands, book, store the answer, commit. Each costs a
round trip and Python work, and together they cost two to three times an authenticated
trivial call. Here the call is one statement, committed on its own:

- the option key carries the bookings its proposal worked out (the child, site, day-part
  and age band of each, by the same functions as the full path: `BookingFacts.rows`) and
  a keyed digest of the facts they rest on (the children's birth dates, the network's
  age bands; no birth date is in the key);
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

import datetime as dt
import functools
from collections import Counter
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.db import DatabaseError, connection, transaction
from django.utils import timezone, translation

from zorgbrug.access import scoping as access
from zorgbrug.care import services
from zorgbrug.care.models import DayPart, IdempotencyRecord
from zorgbrug.core.db import fetch_prepared, row_insert, sql_literal
from zorgbrug.jobs.services import job_written


def available() -> bool:
    """Whether this path can be used: PostgreSQL, with the atomic counters (the control
    test switches them off to show the race; then only the full path runs)."""
    return connection.vendor == "postgresql" and services.ATOMIC_COUNTERS


@dataclass(frozen=True)
class Prepared:
    """What an option key carries for the statement (`care.api.prepared_from_key`)."""

    rows: list[tuple[int, int, dt.date, str, int]]  # (child, site, date, day-part, band)
    digest: str  # `BookingFacts.digest` of the facts the rows were worked out from


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

# The audit event's columns the statement takes from the request and its client, which
# are not read before it.
_AUDIT_COMPUTED = (
    ("object_id", "subject.client_id::text"),
    ("object_label", "subject.label"),
    ("network_id", "subject.client_network"),
)
# The stored answer (with the Idempotency-Key) is the statement's outcome.
_STORED_COMPUTED = (("status_code", "outcome.status_code"), ("body", "outcome.body::jsonb"))
_STORED_GIVEN = ("user_id", "key", "fingerprint")


@functools.lru_cache(maxsize=16)
def _refusal(language: str) -> str:
    """The refusal's wording in the reader's language, as an SQL expression that completes
    it with the full place's date, day-part and site (`locked l`, `verdict v`); its texts
    are the translations', written into the statement once per process and language."""
    with translation.override(language):
        parts = " ".join(
            f"WHEN {sql_literal(str(value))} THEN {sql_literal(str(label))}"
            for value, label in DayPart.choices
        )
        detailed = sql_literal(services.NoLongerAvailable.text(_DATE, _PART, _SITE))
        general = sql_literal(services.NoLongerAvailable.text())
    return f"""CASE WHEN v.complete THEN
                    replace(replace(replace({detailed}, '{_DATE}', to_char(l.day, 'DD/MM/YYYY')),
                                    '{_PART}', CASE l.part {parts} END), '{_SITE}', l.name)
                    ELSE {general} END"""


def book(
    *,
    actor: Any,
    request_id: int,
    prepared: Prepared,
    key: str | None,
    fingerprint: str,
) -> Booked | Refused | None:
    """Book the request on the plan in one statement: Booked, Refused (a place was taken
    meanwhile; only the answer is stored), or None (nothing written: run the full
    path)."""
    if not available():
        return None
    rows = prepared.rows
    needs = sorted({(day, part) for _child, _site, day, part, _band in rows})
    demand = Counter((site, day, part, band) for _child, site, day, part, band in rows)
    now = timezone.now()
    if not demand or any(services.part_started(day, part, now) for day, part in needs):
        return None
    job = services.notify_job(request_id, "confirmation")
    inserts = services.booking_inserts(
        actor=actor,
        request_id=request_id,
        event=services.booking_event(actor, None, request_id, len(rows), demand),
        job=job,
        now=now,
        # The client is not read before the statement: its columns come from `subject`.
        audit_source="claim, subject",
        audit_computed=_AUDIT_COMPUTED,
    )
    ctes, cte_params = services.booking_ctes(
        request_id=request_id,
        rows=rows,
        network="(SELECT network_id FROM subject)",
        inserts=inserts,
        now=now,
    )
    scope, scope_params = access.clients_sql_inline(actor, "r.client_id")
    stored, stored_params = "", list[Any]()
    if key:
        record = row_insert(IdempotencyRecord, "outcome", _STORED_COMPUTED, _STORED_GIVEN)
        values = {"user_id": actor.pk, "key": key, "fingerprint": fingerprint}
        stored, stored_params = f", stored AS ({record.sql})", record.params(values, now)
    refusal_sql = _refusal(translation.get_language() or settings.LANGUAGE_CODE)
    lock_timeout = sql_literal(str(int(services.LOCK_TIMEOUT_MS)))
    # The needs compared as text, in the order Python sorts them (day-parts bytewise);
    # the children and bands by their digest.
    sql = f"""
        WITH subject AS (
            SELECT r.status, r.network_id, r.client_id, c.network_id AS client_network,
                   left(c.first_name || ' ' || c.last_name, 200) AS label
            FROM care_carerequest r
            JOIN clients_client c ON c.id = r.client_id
            CROSS JOIN (SELECT set_config('lock_timeout', {lock_timeout}, true)) AS timeout
            WHERE r.id = %s AND {scope}
              AND ARRAY(SELECT to_char(n.date, 'YYYY-MM-DD') || ' ' || n.day_part
                        FROM care_neededslot n WHERE n.request_id = r.id
                        ORDER BY n.date, n.day_part COLLATE "C") = %s::text[]
              AND {services.FACTS_DIGEST_SQL} = %s
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
            SELECT 409, json_build_object('detail', {refusal_sql}, 'code', 'no_longer_available')
            FROM verdict v
            CROSS JOIN subject s
            LEFT JOIN locked l ON l.id = v.full_slot
            WHERE s.status IN ({services.BOOKABLE_SQL}) AND NOT (v.complete AND v.fits)
        ){stored}
        SELECT (SELECT status FROM subject), v.complete, v.fits,
               (SELECT status FROM claim),
               (SELECT body::text FROM answer),
               (SELECT body FROM outcome WHERE status_code = 409),
               (SELECT count(notified) FROM queued)
        FROM verdict v
    """  # noqa: S608 - the statement's parts are code; values are bound
    params: list[Any] = [
        request_id,
        *scope_params,
        [f"{day.isoformat()} {part}" for day, part in needs],
        services.facts_secret(),
        prepared.digest,
        *cte_params,
        request_id,
        request_id,
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
    job_written(job["id"], notified=True)  # its id came with it (a UUID made in Python)
    return Booked(answer=answer)
