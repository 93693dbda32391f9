"""Never more children booked than places, whatever the interleaving — on real PostgreSQL.

32 workers with their own database connections try 2,000 bookings on 50 contested
day-parts. Afterwards no day-part holds more bookings than places, every successful call
made exactly one booking and every refused call none. The control test switches the atomic
counter off (a naive read-check-write) and shows that the race then really happens.
"""

from __future__ import annotations

import datetime as dt
import queue
import threading
from collections import Counter
from typing import Any

import pytest
from django.db import connection, connections
from django.db.models import Count

from tests.care.conftest import CareWorld
from tests.conftest import require_or_skip
from zorgbrug.care import direct, services
from zorgbrug.care.models import (
    HOLDING,
    Activity,
    AgeBand,
    Booking,
    CapacitySlot,
    CareRequest,
    IdempotencyRecord,
    NeededSlot,
)
from zorgbrug.clients.models import CareRecipient, Client, FollowingOrganisation

WORKERS = 32
ATTEMPTS = 2000
CONTESTED = 50
PLACES = 10

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.xdist_group("concurrency"),
    pytest.mark.django_db(transaction=True),
]


def _contested_requests(
    care: CareWorld,
) -> tuple[list[tuple[int, dict[Any, int]]], list[CapacitySlot]]:
    """50 slots with 10 places each, and 2,000 one-child requests spread over them."""
    slots = list(
        CapacitySlot.objects.filter(
            care_site__in=[care.near, care.ibo], age_band=care.school, date__gte=care.monday
        ).order_by("date", "day_part", "care_site_id")[:CONTESTED]
    )
    assert len(slots) == CONTESTED
    CapacitySlot.objects.filter(pk__in=[s.pk for s in slots]).update(
        reserved_places=PLACES, places=PLACES
    )
    template = care.family
    activity = Activity.objects.create(
        client=template,
        kind="course",
        title="Contest",
        first_date=care.monday,
        start_time=dt.time(9),
        end_time=dt.time(12),
        organisation=care.world.org,
    )
    clients = Client.objects.bulk_create(
        [
            Client(
                network=template.network,
                first_name=f"P{i}",
                last_name="Race",
                birth_date=template.birth_date,
                gender="female",
                postcode="9900",
                labour_status="unemployed",
                income_source="none",
                intake_organisation=care.world.org,
                search_name=f"p{i} race",
            )
            for i in range(ATTEMPTS)
        ]
    )
    children = CareRecipient.objects.bulk_create(
        [
            CareRecipient(client=c, first_name=f"K{i}", birth_date=dt.date(2020, 1, 1))
            for i, c in enumerate(clients)
        ]
    )
    requests = CareRequest.objects.bulk_create(
        [
            CareRequest(
                client=c, activity=activity, organisation=care.world.org, network=care.world.network
            )
            for c in clients
        ]
    )
    through = CareRequest.recipients.through
    through.objects.bulk_create(
        [
            through(carerequest_id=r.pk, carerecipient_id=k.pk)
            for r, k in zip(requests, children, strict=True)
        ]
    )
    work = []
    needs = []
    per_slot = ATTEMPTS // CONTESTED
    for i, request in enumerate(requests):
        # Consecutive attempts aim at the same day-part, so that the 32 workers really
        # compete for the same places at the same moment.
        target = slots[min(i // per_slot, CONTESTED - 1)]
        needs.append(NeededSlot(request=request, date=target.date, day_part=target.day_part))
        work.append((request.pk, {(target.date, target.day_part): target.care_site_id}))
    NeededSlot.objects.bulk_create(needs)
    return work, slots


def _follow(care: CareWorld, work: list[tuple[int, dict[Any, int]]]) -> None:
    """The one-statement path books only for a referrer who follows the client."""
    client_ids = CareRequest.objects.filter(pk__in=[w[0] for w in work]).values_list(
        "client_id", flat=True
    )
    FollowingOrganisation.objects.bulk_create(
        [FollowingOrganisation(client_id=c, organisation=care.world.org) for c in client_ids]
    )


def _book_direct(care: CareWorld, request_id: int, plan: dict[Any, int]) -> str:
    """One booking through the booking API's one statement: its outcome's name."""
    facts = services.BookingFacts.of(
        CareRecipient.objects.filter(care_requests=request_id),
        AgeBand.objects.filter(network=care.world.network),
    )
    rows = facts.rows(plan)
    assert rows is not None
    outcome = direct.book(
        actor=care.world.referrer,
        request_id=request_id,
        prepared=direct.Prepared(rows=rows, digest=facts.digest()),
        key=f"race-{request_id}",
        fingerprint="f",
    )
    if isinstance(outcome, direct.Booked):
        return "booked"
    # None: a lock waited for too long (the API would then take the full path).
    return type(outcome).__name__


def _hammer(
    work: list[tuple[int, dict[Any, int]]], book: Any = None
) -> tuple[Counter[str], list[int]]:
    jobs: queue.Queue[tuple[int, dict[Any, int]]] = queue.Queue()
    for item in work:
        jobs.put(item)
    outcome: Counter[str] = Counter()
    succeeded: list[int] = []
    lock = threading.Lock()
    errors: list[BaseException] = []
    start = threading.Barrier(WORKERS)

    def worker() -> None:
        try:
            start.wait()
            while True:
                try:
                    request_id, plan = jobs.get_nowait()
                except queue.Empty:
                    return
                if book is not None:
                    result = book(request_id, plan)
                    with lock:
                        outcome[result] += 1
                        if result == "booked":
                            succeeded.append(request_id)
                    continue
                request = CareRequest(pk=request_id)
                try:
                    services.booking_create(
                        actor=None, request=request, plan=plan, check_access=False
                    )
                except (services.NoLongerAvailable, services.Busy) as exc:
                    with lock:
                        outcome[type(exc).__name__] += 1
                else:
                    with lock:
                        outcome["booked"] += 1
                        succeeded.append(request_id)
        except BaseException as exc:  # surfaced below
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=worker) for _ in range(WORKERS)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=300)
    assert not errors, errors[:3]
    return outcome, succeeded


def _require_postgres() -> None:
    require_or_skip(
        connection.vendor == "postgresql", "concurrency tests need PostgreSQL (set DATABASE_URL)"
    )


@pytest.mark.parametrize("path", ["service", "api_statement"])
def test_concurrent_bookings_never_overbook(care: CareWorld, path: str) -> None:
    """Both ways of booking: `booking_create` (pages, the waiting list, the API's full
    path) and the booking API's one statement (`care.direct`)."""
    _require_postgres()
    work, slots = _contested_requests(care)
    if path == "api_statement":
        _follow(care, work)
        outcome, succeeded = _hammer(work, lambda r, p: _book_direct(care, r, p))
        assert outcome["NoneType"] == 0, outcome  # no lock waited 3 s
        assert IdempotencyRecord.objects.filter(status_code=201).count() == outcome["booked"]
    else:
        outcome, succeeded = _hammer(work)
    assert sum(outcome.values()) == ATTEMPTS
    per_slot = dict(
        Booking.objects.filter(status__in=HOLDING)
        .values_list("slot")
        .annotate(n=Count("pk"))
        .values_list("slot", "n")
    )
    for s in CapacitySlot.objects.filter(pk__in=[x.pk for x in slots]):
        assert per_slot.get(s.pk, 0) <= s.places
        assert s.booked == per_slot.get(s.pk, 0)
    # Every place was taken (more demand than places) and nothing more.
    assert outcome["booked"] == CONTESTED * PLACES
    per_request = Counter(Booking.objects.values_list("request_id", flat=True))
    assert set(per_request) == set(succeeded)
    assert all(n == 1 for n in per_request.values())


def test_control_without_atomic_counters_the_race_happens(
    care: CareWorld, monkeypatch: Any
) -> None:
    _require_postgres()
    monkeypatch.setattr(services, "ATOMIC_COUNTERS", False)
    monkeypatch.setattr(services, "RACE_WINDOW_SECONDS", 0.002)
    work, slots = _contested_requests(care)
    _hammer(work)
    per_slot = Counter(Booking.objects.values_list("slot_id", flat=True))
    overbooked = [s for s in slots if per_slot[s.pk] > PLACES]
    assert overbooked, "the naive read-check-write should overbook under contention"
