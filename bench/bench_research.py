"""Research: all indicators over 100,000 clients and 2,000,000 bookings; the export of all
bookings in constant memory.

The data are generated in bulk inside the benchmark (COPY on PostgreSQL, bulk_create in
batches elsewhere): one network with referrers and childcare providers, 100,000 clients
over two years (research consent for about 80 %, some of it withdrawn by a later consent),
their children, screenings (with follow-ups), activities and care requests, capacity slots
and exactly `bookings` bookings with realistic statuses and attendance times; then the
pathways (job starts, exits, follow-ups after leaving with their answers, regular
childcare) and a closed settlement per month with a cost line per booking and per slot
with unused reserved places.

Metrics:
- `facts_rebuild_seconds`: building the research facts from all of it (once, like the
  nightly rebuild);
- `dashboard_seconds` (target <= 1 on PostgreSQL): the median time to compute every
  indicator of the dashboard and the cohort comparison for the whole network and both
  years, as a view does it: first the refresh of the facts, then the aggregates. Before
  each view `changes_per_view` bookings change (attendance registered, with the audit
  event the care service records), so the refresh has real work; `dashboard_queries` the
  queries of one view; `dashboard_page_seconds` the dashboard with its charts (their time
  series and the drawing), for information;
- `export_peak_rss_mb` (target <= 300): the peak resident memory of a separate process
  that writes the pseudonymised CSV export of everything (all 2,000,000 bookings) — a
  fresh process, so that nothing of the generation counts: the larger of its VmHWM and
  the resident size sampled every 50 ms while it exports; `export_seconds` its time and
  `export_baseline_rss_mb` the same process before it starts exporting. On SQLite (whose
  scratch database lives in memory) the export runs in this process and its peak is sampled.

`make bench BENCH=research` with DATABASE_URL naming a PostgreSQL database.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import random
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from typing import Any

NAME = "research"
PARAMS = {
    "clients": 100_000,
    "bookings": 2_000_000,
    "referrers": 24,
    "providers": 60,
    "seed": 7,
    "repeat": 5,
    "changes_per_view": 50,
}
TODAY = dt.date(2026, 11, 30)

FIRST_DAY = dt.date(2025, 1, 1)
LAST_ENTRY = dt.date(2026, 10, 31)
STATUSES = (
    ("attended", 0.60),
    ("confirmed", 0.08),
    ("absent", 0.07),
    ("no_show", 0.05),
    ("cancelled", 0.12),
    ("cancelled_late", 0.05),
    ("pending", 0.03),
)
KINDS = (
    ("course", 0.35),
    ("training_session", 0.15),
    ("job_interview", 0.15),
    ("job_start", 0.15),
    ("application", 0.08),
    ("orientation", 0.07),
    ("work_trial", 0.05),
)


# --- Bulk writing -----------------------------------------------------------------------


@contextmanager
def _explicit_timestamps(model: Any) -> Iterator[None]:
    """bulk_create would overwrite auto_now(_add) fields with now(); we set them ourselves."""
    fields = [f for f in model._meta.concrete_fields if getattr(f, "auto_now_add", False)]
    fields += [f for f in model._meta.concrete_fields if getattr(f, "auto_now", False)]
    saved = [(f, f.auto_now, getattr(f, "auto_now_add", False)) for f in fields]
    for f in fields:
        f.auto_now = False
        f.auto_now_add = False
    try:
        yield
    finally:
        for f, now, now_add in saved:
            f.auto_now, f.auto_now_add = now, now_add


def write(model: Any, rows: Iterable[dict[str, Any]], *, batch: int = 20_000) -> int:
    """Insert rows (dicts of attname -> value, ids included): COPY on PostgreSQL, batched
    bulk_create elsewhere. Fields not given get their model default."""
    from django.db import connection
    from django.db.models import JSONField

    fields = list(model._meta.concrete_fields)
    n = 0
    if connection.vendor == "postgresql":
        columns = ", ".join(connection.ops.quote_name(f.column) for f in fields)
        static = {f.attname: f.get_default() for f in fields if not callable(f.default)}
        dynamic = [f for f in fields if callable(f.default)]
        json_fields = {f.attname for f in fields if isinstance(f, JSONField)}
        with connection.cursor() as cursor:
            sql = f"COPY {connection.ops.quote_name(model._meta.db_table)} ({columns}) FROM STDIN"
            with cursor.copy(sql) as copy:
                for row in rows:
                    values = []
                    for f in dynamic:  # e.g. a fresh uuid for every row
                        if f.attname not in row:
                            row[f.attname] = f.get_default()
                    for f in fields:
                        value = row[f.attname] if f.attname in row else static[f.attname]
                        if f.attname in json_fields:
                            value = json.dumps(value)
                        values.append(value)
                    copy.write_row(values)
                    n += 1
        return n
    with _explicit_timestamps(model):
        chunk: list[Any] = []
        for row in rows:
            chunk.append(model(**row))
            if len(chunk) >= batch:
                model.objects.bulk_create(chunk)
                n += len(chunk)
                chunk = []
        if chunk:
            model.objects.bulk_create(chunk)
            n += len(chunk)
    return n


def _reset_sequences(*models: Any) -> None:
    from django.core.management.color import no_style
    from django.db import connection

    with connection.cursor() as cursor:
        for sql in connection.ops.sequence_reset_sql(no_style(), list(models)):
            cursor.execute(sql)


def _pick(rng: random.Random, weighted: tuple[tuple[str, float], ...]) -> str:
    return rng.choices([k for k, _w in weighted], [w for _k, w in weighted])[0]


def _aware(day: dt.date, hour: int = 10) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(hour), tzinfo=dt.UTC)


def _weekdays(first: dt.date, last: dt.date) -> list[dt.date]:
    days = []
    day = first
    while day <= last:
        if day.weekday() < 5:
            days.append(day)
        day += dt.timedelta(days=1)
    return days


# --- The data ---------------------------------------------------------------------------


def generate(params: dict[str, Any]) -> dict[str, Any]:
    from django.db import connection

    from zorgbrug.care.models import (
        Activity,
        AgeBand,
        Booking,
        CapacitySlot,
        CareRequest,
        CareSite,
    )
    from zorgbrug.clients.models import CareRecipient, Client, Consent, Screening
    from zorgbrug.network.models import Network, Organisation, Partner, Site

    rng = random.Random(params["seed"])
    started = time.perf_counter()
    network = Network.objects.create(name="Research bench", slug="research-bench")
    referrers = Organisation.objects.bulk_create(
        Organisation(name=f"Referrer {i:02d}", kind="employment_service")
        for i in range(params["referrers"])
    )
    providers = Organisation.objects.bulk_create(
        Organisation(name=f"Provider {i:02d}", kind="childcare_provider", provider_kind="daycare")
        for i in range(params["providers"])
    )
    Partner.objects.bulk_create(
        [Partner(network=network, organisation=o, is_referrer=True) for o in referrers]
        + [Partner(network=network, organisation=o, is_care_provider=True) for o in providers]
    )
    sites = Site.objects.bulk_create(
        Site(
            organisation=o,
            name=f"{o.name} site",
            street="Kerkstraat 1",
            postcode="9900",
            municipality="Eeklo",
        )
        for o in providers
    )
    band = AgeBand.objects.create(network=network, name="0-12", min_months=0, max_months=144)
    care_sites = CareSite.objects.bulk_create(CareSite(site=s, network=network) for s in sites)

    # Capacity: every weekday of three years, both day-parts, at every site.
    days = _weekdays(FIRST_DAY, dt.date(2027, 12, 31))
    slot_id: dict[tuple[int, dt.date, str], int] = {}

    def slots() -> Iterator[dict[str, Any]]:
        pk = 0
        for cs in care_sites:
            for day in days:
                for part in ("am", "pm"):
                    pk += 1
                    slot_id[(cs.pk, day, part)] = pk
                    reserved = rng.randint(2, 6)
                    yield {
                        "id": pk,
                        "care_site_id": cs.pk,
                        "date": day,
                        "day_part": part,
                        "age_band_id": band.pk,
                        "reserved_places": reserved,
                        "vacancy_places": 0,
                        "places": reserved,
                        "booked": 0,
                        "network_id": network.pk,
                    }

    n_slots = write(CapacitySlot, slots())
    print(f"   {n_slots} capacity slots", flush=True)

    # Clients, consents, children, screenings.
    span = (LAST_ENTRY - FIRST_DAY).days
    entries: list[dt.date] = []

    def clients() -> Iterator[dict[str, Any]]:
        for pk in range(1, params["clients"] + 1):
            entry = FIRST_DAY + dt.timedelta(days=rng.randrange(span))
            entries.append(entry)
            labour = rng.choices(
                ["unemployed", "inactive", "employed", "in_training"], [55, 25, 10, 10]
            )[0]
            single = rng.random() < 0.5
            yield {
                "id": pk,
                "network_id": network.pk,
                "first_name": f"Voornaam{pk}",
                "last_name": f"Achternaam{pk}",
                "birth_date": dt.date(
                    rng.randint(1966, 2008), rng.randint(1, 12), rng.randint(1, 28)
                ),
                "gender": rng.choices(["female", "male", "x", "unknown"], [80, 17, 1, 2])[0],
                "postcode": "9900",
                "municipality": "Eeklo",
                "labour_status": labour,
                "months_unemployed": rng.randint(0, 60) if labour != "employed" else None,
                "income_source": rng.choice(
                    ["unemployment_benefit", "social_integration", "work", "other", "none"]
                ),
                "education_level": rng.choice([None, 0, 1, 2, 2, 2, 3, 3, 4, 5, 6, 7]),
                "single_adult_household": single,
                "adults_in_household": 1 if single else 2,
                "children_in_household": rng.randint(0, 4),
                "migration_background": rng.choice([None, True, False]),
                "status": "active" if rng.random() < 0.92 else "exited",
                "search_name": f"voornaam{pk} achternaam{pk}",
                "intake_organisation_id": rng.choice(referrers).pk,
                "created_at": _aware(entry),
                "updated_at": _aware(entry),
            }

    write(Client, clients())

    def consents() -> Iterator[dict[str, Any]]:
        pk = 0
        for client_id, entry in enumerate(entries, start=1):
            pk += 1
            research = rng.random() < 0.8
            changed = rng.random() < 0.05
            yield {
                "id": pk,
                "client_id": client_id,
                "text_version": "bench",
                "language": "nl",
                "care_support": True,
                "research_use": research,
                "given_at": _aware(entry, 9),
                "withdrawn_at": _aware(entry + dt.timedelta(days=30)) if changed else None,
            }
            if changed:  # a later consent that changes the research answer
                pk += 1
                yield {
                    "id": pk,
                    "client_id": client_id,
                    "text_version": "bench",
                    "language": "nl",
                    "care_support": True,
                    "research_use": not research,
                    "given_at": _aware(entry + dt.timedelta(days=30)),
                }

    write(Consent, consents())
    recipients: dict[int, int] = {}  # client -> first recipient

    def children() -> Iterator[dict[str, Any]]:
        pk = 0
        for client_id in range(1, len(entries) + 1):
            if rng.random() < 0.1:
                continue  # no care recipient recorded
            for _ in range(rng.choice([1, 1, 2])):
                pk += 1
                recipients.setdefault(client_id, pk)
                yield {
                    "id": pk,
                    "client_id": client_id,
                    "first_name": f"Kind{pk}",
                    "birth_date": dt.date(rng.randint(2016, 2025), rng.randint(1, 12), 1),
                }

    write(CareRecipient, children())

    def screenings() -> Iterator[dict[str, Any]]:
        pk = 0
        for client_id, entry in enumerate(entries, start=1):
            if rng.random() < 0.1:
                continue
            for occasion, day in (("intake", entry), ("follow_up", entry + dt.timedelta(days=90))):
                if occasion == "follow_up" and rng.random() < 0.8:
                    break
                pk += 1
                yield {
                    "id": pk,
                    "client_id": client_id,
                    "occasion": occasion,
                    "taken_on": day,
                    "stopped_job": rng.random() < 0.4,
                    "stopped_course": rng.random() < 0.3,
                    "stopped_interview": rng.random() < 0.2,
                    "would_accept": rng.choice(["yes", "yes", "maybe", "no"]),
                    "main_barrier": rng.choice(["care", "care", "health", "language", "other"]),
                    "barrier_score": rng.randint(0, 10),
                    "created_at": _aware(day),
                }

    write(Screening, screenings())
    print(f"   clients and their records: {time.perf_counter() - started:.0f} s", flush=True)

    # Care requests with their activities and bookings, until exactly `bookings` bookings.
    activities: list[dict[str, Any]] = []
    requests: list[dict[str, Any]] = []
    booked: dict[int, int] = {}
    target = params["bookings"]
    with_children = [c for c in range(1, len(entries) + 1) if c in recipients]
    rng.shuffle(with_children)
    total = 0
    plans: list[tuple[int, int, dt.date, str, int]] = []  # request, recipient, day, site
    request_pk = 0
    for client_id in with_children:
        if total >= target:
            break
        next_day = entries[client_id - 1]
        for _ in range(rng.choice([1, 1, 2, 3, 4])):
            if total >= target:
                break
            request_pk += 1
            asked = next_day + dt.timedelta(days=rng.randint(0, 20))
            first = asked + dt.timedelta(days=int(rng.expovariate(1 / 9)))
            kind = _pick(rng, KINDS)
            org = rng.choice(referrers).pk
            activities.append(
                {
                    "id": request_pk,
                    "client_id": client_id,
                    "kind": kind,
                    "title": kind,
                    "first_date": first,
                    "start_time": dt.time(9),
                    "end_time": dt.time(12),
                    "organisation_id": org,
                    "created_at": _aware(asked),
                }
            )
            requests.append(
                {
                    "id": request_pk,
                    "reference": f"00000000-0000-4000-8000-{request_pk:012d}",
                    "client_id": client_id,
                    "activity_id": request_pk,
                    "status": "booked",
                    "organisation_id": org,
                    "network_id": network.pk,
                    "created_at": _aware(asked),
                    "updated_at": _aware(asked),
                }
            )
            n = min(target - total, rng.randint(1, 30))
            site = rng.choice(care_sites).pk
            plans.append((request_pk, recipients[client_id], first, str(site), n))
            total += n
            # the next request starts after this one: one child is in one place at a time
            next_day = first + dt.timedelta(days=n + 3)
    if total < target:
        raise RuntimeError(f"only {total} bookings fit: generate more clients")
    write(Activity, activities)
    write(CareRequest, requests)
    del activities, requests

    def bookings() -> Iterator[dict[str, Any]]:
        pk = 0
        statuses = [s for s, _w in STATUSES]
        weights = [w for _s, w in STATUSES]
        for request_id, recipient_id, first, site, n in plans:
            day = first
            made = _aware(first - dt.timedelta(days=rng.randint(0, 10)))
            part_index = 0
            for _ in range(n):
                while day.weekday() >= 5:
                    day += dt.timedelta(days=1)
                part = ("am", "pm")[part_index]
                status = rng.choices(statuses, weights)[0]
                pk += 1
                measured = status == "attended" and rng.random() < 0.3
                slot = slot_id[(int(site), day, part)]
                if status in ("pending", "confirmed", "attended", "absent", "no_show"):
                    booked[slot] = booked.get(slot, 0) + 1
                yield {
                    "id": pk,
                    "request_id": request_id,
                    "recipient_id": recipient_id,
                    "slot_id": slot,
                    "care_site_id": int(site),
                    "date": day,
                    "day_part": part,
                    "status": status,
                    "created_at": made,
                    "arrived_at": dt.time(8, rng.randint(0, 59)) if measured else None,
                    "picked_up_at": dt.time(12, rng.randint(0, 29)) if measured else None,
                }
                part_index = 1 - part_index
                if part_index == 0:
                    day += dt.timedelta(days=1)

    n_bookings = write(Booking, bookings())
    plans.clear()
    print(f"   {n_bookings} bookings: {time.perf_counter() - started:.0f} s", flush=True)

    # The slot counters follow the bookings (never more booked than places).
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(
                """
                UPDATE care_capacityslot s
                   SET booked = b.n,
                       reserved_places = GREATEST(s.reserved_places, b.n),
                       places = GREATEST(s.reserved_places, b.n) + s.vacancy_places
                  FROM (SELECT slot_id, count(*) AS n FROM care_booking
                         WHERE status IN ('pending','confirmed','attended','absent','no_show')
                         GROUP BY slot_id) b
                 WHERE s.id = b.slot_id
                """
            )
        else:
            for slot, n in booked.items():
                cursor.execute(
                    "UPDATE care_capacityslot SET booked = %s, "
                    "reserved_places = MAX(reserved_places, %s), "
                    "places = MAX(reserved_places, %s) + vacancy_places WHERE id = %s",
                    [n, n, n, slot],
                )
    _reset_sequences(
        CapacitySlot, Client, Consent, CareRecipient, Screening, Activity, CareRequest, Booking
    )
    generate_pathways(rng, entries, referrers)
    print(f"   pathways: {time.perf_counter() - started:.0f} s", flush=True)
    generate_costs(network, providers[0])
    print(f"   settlements and cost lines: {time.perf_counter() - started:.0f} s", flush=True)
    with connection.cursor() as cursor:  # fresh statistics and visibility, as autovacuum gives
        if connection.vendor == "postgresql":
            cursor.execute("VACUUM ANALYZE")
        else:
            cursor.execute("ANALYZE")
    return {
        "network": network,
        "bookings": n_bookings,
        "generation_seconds": round(time.perf_counter() - started, 1),
    }


EXIT_REASONS = (
    ("employed", 0.32),
    ("training", 0.14),
    ("regular_care", 0.06),
    ("no_longer_needed", 0.12),
    ("moved", 0.06),
    ("health", 0.05),
    ("no_contact", 0.12),
    ("dropped_out", 0.10),
    ("other", 0.03),
)
ANSWERS = (
    ("employed", 0.50),
    ("in_training", 0.12),
    ("seeking_work", 0.20),
    ("inactive", 0.06),
    ("unreachable", 0.12),
)
CONTRACTS = ("permanent", "fixed_term", "temp_agency", "social_economy")


def _add_months(day: dt.date, months: int) -> dt.date:
    from zorgbrug.pathways.rules import add_months

    return add_months(day, months)


def generate_pathways(rng: random.Random, entries: list[dt.date], referrers: list[Any]) -> None:
    """Job starts, exits (about 40 % of the clients), the follow-ups after leaving due by
    "today" with an answer for most, and regular childcare for some leavers."""
    from zorgbrug.clients.models import Client
    from zorgbrug.pathways.models import Exit, FollowUp, Outcome, PathwayActivity, RegularCare

    intake = dict(Client.objects.values_list("pk", "intake_organisation_id"))
    exits: list[dict[str, Any]] = []
    jobs: list[dict[str, Any]] = []
    follow_ups: list[dict[str, Any]] = []
    outcomes: list[dict[str, Any]] = []
    regular: list[dict[str, Any]] = []
    for client_id, entry in enumerate(entries, start=1):
        if rng.random() >= 0.4:
            continue
        day = entry + dt.timedelta(days=rng.randint(20, 420))
        if day > TODAY:
            continue
        org = intake[client_id]
        reason = _pick(rng, EXIT_REASONS)
        exit_id = len(exits) + 1
        exits.append(
            {
                "id": exit_id,
                "client_id": client_id,
                "date": day,
                "reason": reason,
                "organisation_id": org,
                "created_at": _aware(day),
            }
        )
        anchor: dict[str, Any] = {"exit_id": exit_id, "job_start_id": None}
        anchor_day = day
        if reason == "employed":
            start = max(entry, day - dt.timedelta(days=rng.randint(0, 120)))
            job_id = len(jobs) + 1
            jobs.append(
                {
                    "id": job_id,
                    "client_id": client_id,
                    "kind": "job_start",
                    "date": start,
                    "sector": "retail",
                    "contract_type": rng.choice(CONTRACTS),
                    "hours_per_week": rng.choice([19, 24, 30, 38]),
                    "organisation_id": org,
                    "created_at": _aware(start),
                }
            )
            if (day - start).days <= 92:  # the job start's follow-ups ask how it goes
                anchor, anchor_day = {"exit_id": None, "job_start_id": job_id}, start
        for months in (3, 6, 12):
            due = _add_months(anchor_day, months)
            if due > TODAY:
                break
            follow_id = len(follow_ups) + 1
            answered = rng.random() < 0.85
            follow_ups.append(
                {
                    "id": follow_id,
                    "client_id": client_id,
                    **anchor,
                    "anchor_date": anchor_day,
                    "months": months,
                    "due_on": due,
                    "status": "done" if answered else "open",
                    "responsible_organisation_id": org,
                    "created_at": _aware(due - dt.timedelta(days=14)),
                }
            )
            if answered:
                status = _pick(rng, ANSWERS)
                employed = status == "employed"
                outcomes.append(
                    {
                        "id": len(outcomes) + 1,
                        "client_id": client_id,
                        "follow_up_id": follow_id,
                        "observed_on": due,
                        "status": status,
                        "contract_type": rng.choice(CONTRACTS) if employed else "",
                        "hours_per_week": rng.choice([19, 24, 30, 38]) if employed else None,
                        "sector": "retail" if employed else "",
                        "organisation_id": org,
                        "created_at": _aware(due),
                    }
                )
        if rng.random() < 0.3:
            regular.append(
                {
                    "id": len(regular) + 1,
                    "client_id": client_id,
                    "place_from": day + dt.timedelta(days=rng.randint(-30, 60)),
                    "provider_name": "Kinderdagverblijf",
                    "organisation_id": org,
                    "created_at": _aware(day),
                    "updated_at": _aware(day),
                }
            )
    write(Exit, exits)
    write(PathwayActivity, jobs)
    write(FollowUp, follow_ups)
    write(Outcome, outcomes)
    write(RegularCare, regular)
    _reset_sequences(Exit, PathwayActivity, FollowUp, Outcome, RegularCare)
    print(
        f"   {len(exits)} exits, {len(jobs)} job starts, {len(follow_ups)} follow-ups, "
        f"{len(outcomes)} answers, {len(regular)} regular places",
        flush=True,
    )


def generate_costs(network: Any, provider_org: Any) -> None:
    """A closed settlement per month up to October 2026 (November stays open) with a cost
    line per booking that costs (made in SQL, like the engine's bulk write) and one per slot
    with unused reserved places."""
    from django.db import connection
    from django.utils import timezone

    from zorgbrug.covenant.models import CostLine, Settlement
    from zorgbrug.network.models import Partner

    provider = Partner.objects.get(network=network, organisation=provider_org)
    now = timezone.now()
    month = FIRST_DAY
    while month <= dt.date(2026, 11, 1):
        closed = month < dt.date(2026, 11, 1)
        Settlement.objects.create(
            network=network,
            month=month,
            status="closed" if closed else "open",
            calculated_at=now,
            closed_at=now if closed else None,
        )
        month = dt.date(month.year + month.month // 12, month.month % 12 + 1, 1)
    month_of = (
        "CAST(date_trunc('month', {d}) AS date)"
        if connection.vendor == "postgresql"
        else "date({d}, 'start of month')"
    )
    columns = (
        "settlement_id, kind, date, day_part, unit, quantity, unit_price, charge_percent, "
        "gross, parent, amount, activity_kind, postcode, municipality, description, "
        "booking_id, care_site_id, provider_id, referrer_id, slot_id"
    )
    table = CostLine._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {table} ({columns}) "  # noqa: S608
            "SELECT s.id, CASE b.status WHEN 'no_show' THEN 'no_show' "
            "WHEN 'cancelled_late' THEN 'late_cancellation' ELSE 'reserved_used' END, "
            "b.date, b.day_part, 'day_part', 1, 25, 100, 20 + b.id %% 17, b.id %% 5, "
            "20 + b.id %% 17 - b.id %% 5, a.kind, '9900', 'Eeklo', '', b.id, b.care_site_id, "
            "%s, r.organisation_id, b.slot_id "
            "FROM care_booking b JOIN care_carerequest r ON r.id = b.request_id "
            "JOIN care_activity a ON a.id = r.activity_id "
            f"JOIN covenant_settlement s ON s.network_id = r.network_id "
            f"AND s.month = {month_of.format(d='b.date')} "
            "WHERE b.status IN ('confirmed', 'attended', 'absent', 'no_show', 'cancelled_late')",
            [provider.pk],
        )
        cursor.execute(
            f"INSERT INTO {table} ({columns}) "  # noqa: S608
            "SELECT s.id, 'reserved_unused', c.date, c.day_part, 'day_part', "
            "c.reserved_places - c.booked, 25, 100, 25 * (c.reserved_places - c.booked), 0, "
            "25 * (c.reserved_places - c.booked), '', '', '', '', NULL, c.care_site_id, %s, "
            "NULL, c.id FROM care_capacityslot c JOIN covenant_settlement s "
            f"ON s.network_id = c.network_id AND s.month = {month_of.format(d='c.date')} "
            "WHERE c.booked < c.reserved_places",
            [provider.pk],
        )


# --- Measurements -----------------------------------------------------------------------


def _filters(network_id: int) -> Any:
    from zorgbrug.research.indicators import Filters

    return Filters(
        start=FIRST_DAY,
        end=dt.date(2026, 12, 31),
        network_ids=(network_id,),
        today=TODAY,
    )


def simulate_changes(rng: random.Random, n: int) -> None:
    """`n` bookings get their attendance registered, as the care service does it: the row
    changes and an audit event names the booking (bookings keep no timestamp of it)."""
    from django.utils import timezone

    from zorgbrug.access.models import AuditEvent
    from zorgbrug.care.models import Booking

    top = Booking.objects.order_by("-pk").values_list("pk", flat=True).first() or 0
    ids = sorted({rng.randint(1, top) for _ in range(n)})
    Booking.objects.filter(pk__in=ids).update(status="attended")
    now = timezone.now()
    AuditEvent.objects.bulk_create(
        AuditEvent(
            at=now,
            actor_label="bench",
            action="update",
            object_type="care.caresite",
            object_id="1",
            detail={"booking": pk, "attendance": "attended"},
        )
        for pk in ids
    )


def measure_dashboard(network: Any, params: dict[str, Any]) -> dict[str, Any]:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from zorgbrug.research import facts, selectors

    filters = _filters(network.pk)
    rng = random.Random(params["seed"] + 1)

    def compute() -> None:
        selectors.dashboard(filters=filters, with_charts=False)

    start = time.perf_counter()
    built = facts.rebuild()
    rebuild_seconds = time.perf_counter() - start
    print(f"   facts rebuilt: {built.as_dict()}", flush=True)
    if connection.vendor == "postgresql":  # statistics and visibility, as autovacuum gives
        with connection.cursor() as cursor:
            for table in ("clientfact", "requestfact", "requestmonthfact", "costfact"):
                cursor.execute(f"VACUUM ANALYZE research_{table}")
    compute()  # warm-up: plans and caches, as on a running server
    samples, refreshed = [], []
    for _ in range(params["repeat"]):
        simulate_changes(rng, params["changes_per_view"])
        start = time.perf_counter()
        compute()
        samples.append(time.perf_counter() - start)
        state = facts.state()
        refreshed.append(state.last_requests if state else 0)
    with CaptureQueriesContext(connection) as queries:
        compute()
    selectors.dashboard(filters=filters, with_charts=True)  # loads matplotlib once
    start = time.perf_counter()
    selectors.dashboard(filters=filters, with_charts=True)
    page = time.perf_counter() - start
    return {
        "facts_rebuild_seconds": round(rebuild_seconds, 1),
        "facts_clients": built.clients,
        "facts_requests": built.requests,
        "dashboard_seconds": round(statistics.median(samples), 3),
        "dashboard_max_seconds": round(max(samples), 3),
        "dashboard_refreshed_requests": round(statistics.mean(refreshed), 1),
        "dashboard_queries": len(queries.captured_queries),
        "dashboard_page_seconds": round(page, 3),
    }


def _database_url() -> str:
    from django.db import connection

    s = connection.settings_dict
    auth = s["USER"] or ""
    if s.get("PASSWORD"):
        auth += f":{s['PASSWORD']}"
    host = f"{s['HOST'] or '127.0.0.1'}:{s['PORT'] or 5432}"
    return f"postgres://{auth}@{host}/{s['NAME']}"


def _new_export(network: Any) -> Any:
    from django.utils import timezone

    from zorgbrug.access.models import User
    from zorgbrug.network.models import Membership, Partner
    from zorgbrug.research.models import ExportProject, ResearchExport

    user = User.objects.create_user("bench.research@example.org", "x" * 12, full_name="Bench")
    coordinator_org = Partner.objects.filter(network=network).first()
    assert coordinator_org is not None
    Partner.objects.filter(pk=coordinator_org.pk).update(is_coordinator=True)
    Membership.objects.create(
        user=user, organisation_id=coordinator_org.organisation_id, role="coordinator"
    )
    project = ExportProject.objects.create(
        network=network, name="Bench", purpose="Benchmark", created_by=user
    )
    return ResearchExport.objects.create(
        project=project,
        file_format="csv",
        period_start=FIRST_DAY,
        period_end=dt.date(2027, 12, 31),
        created_by=user,
        expires_at=timezone.now() + dt.timedelta(days=1),
    )


def measure_export(network: Any) -> dict[str, Any]:
    from django.db import connection

    item = _new_export(network)
    if connection.vendor == "postgresql":
        env = {
            **os.environ,
            "DATABASE_URL": _database_url(),
            "ZORGBRUG_TESTING": "1",
            "DJANGO_SETTINGS_MODULE": "zorgbrug.settings",
        }
        env.pop("TEST_DATABASE_NAME", None)
        done = subprocess.run(
            [sys.executable, "-m", "bench.bench_research", "export", str(item.pk)],
            env=env,
            capture_output=True,
            text=True,
            check=False,
        )
        if done.returncode != 0:
            raise RuntimeError(done.stderr[-3000:])
        return dict(json.loads(done.stdout.strip().splitlines()[-1]))
    return _export_in_process(str(item.pk))


def _rss_mb() -> float:
    with open("/proc/self/statm") as f:
        pages = int(f.read().split()[1])
    return pages * os.sysconf("SC_PAGE_SIZE") / 2**20


def _export_in_process(export_id: str) -> dict[str, Any]:
    from django.conf import settings

    from zorgbrug.research.models import ResearchExport
    from zorgbrug.research.services import export_run

    peak = [_rss_mb()]
    baseline = peak[0]
    stop = threading.Event()

    def sample() -> None:
        while not stop.is_set():
            peak[0] = max(peak[0], _rss_mb())
            time.sleep(0.05)

    with tempfile.TemporaryDirectory() as tmp:
        settings.RESEARCH_EXPORT_DIR = tmp
        thread = threading.Thread(target=sample, daemon=True)
        thread.start()
        start = time.perf_counter()
        result = export_run(export_id=export_id)
        seconds = time.perf_counter() - start
        stop.set()
        thread.join()
        item = ResearchExport.objects.get(pk=export_id)
        size = item.file_size
    return {
        "export_peak_rss_mb": round(peak[0], 1),
        "export_baseline_rss_mb": round(baseline, 1),
        "export_seconds": round(seconds, 1),
        "export_rows": result["rows"],
        "export_bookings": item.row_counts.get("bookings", 0),
        "export_file_mb": round(size / 2**20, 1),
    }


def export_child(export_id: str) -> None:
    """Run in a fresh process: write one export, report memory and time as JSON."""
    from bench.common import setup_django

    setup_django()
    from zorgbrug.research.models import ResearchExport

    ResearchExport.objects.filter(pk=export_id).update(state="pending")
    metrics = _export_in_process(export_id)
    # This process's own high-water mark, next to the peak sampled while it exported. Not
    # getrusage's ru_maxrss: Linux copies the old memory map's high-water mark into it at
    # execve, and subprocess starts children with vfork, so it would report the parent's.
    with open("/proc/self/status") as status:
        hwm_kb = next(int(line.split()[1]) for line in status if line.startswith("VmHWM:"))
    metrics["export_sampled_peak_rss_mb"] = metrics["export_peak_rss_mb"]
    metrics["export_peak_rss_mb"] = round(max(metrics["export_peak_rss_mb"], hwm_kb / 1024), 1)
    print(json.dumps(metrics))


def run(params: dict[str, Any]) -> dict[str, Any]:
    data = generate(params)
    network = data["network"]
    metrics: dict[str, Any] = {"generation_seconds": data["generation_seconds"]}
    metrics.update(measure_dashboard(network, params))
    print(f"   dashboard: {metrics}", flush=True)
    metrics.update(measure_export(network))
    return metrics


if __name__ == "__main__":
    if len(sys.argv) == 3 and sys.argv[1] == "export":
        export_child(sys.argv[2])
    else:
        print("usage: python -m bench.bench_research export <export id>", file=sys.stderr)
        raise SystemExit(2)
