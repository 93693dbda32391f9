"""Never more people enrolled than seats, whatever the interleaving — on real PostgreSQL.

Thirty referrers' requests arrive at the same moment for a session with ten seats, each on
its own database connection: ten get a seat, twenty land on the waiting list in order, and
the counter matches the rows. The control test switches the lock and the conditional update
off (a naive read-check-write) and shows that the race then really happens.
"""

from __future__ import annotations

import threading
from typing import Any

import pytest
from django.db import connection, connections
from django.db.models import Max, Min

from tests.conftest import require_or_skip
from tests.training.conftest import TrainingWorld, another_client
from zorgbrug.clients.models import CareRecipient
from zorgbrug.training import services
from zorgbrug.training.models import Enrolment, Session

WORKERS = 30
SEATS = 10

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.xdist_group("concurrency"),
    pytest.mark.django_db(transaction=True),
]


def _race(t: TrainingWorld) -> list[BaseException]:
    require_or_skip(
        connection.vendor == "postgresql", "concurrency tests need PostgreSQL (set DATABASE_URL)"
    )
    Session.objects.filter(pk=t.session.pk).update(seats=SEATS)
    clients = [another_client(t.world, n) for n in range(WORKERS)]
    # No children: the race is about seats, not care.
    CareRecipient.objects.filter(client__in=clients).update(is_active=False)
    start = threading.Barrier(WORKERS)
    errors: list[BaseException] = []

    def enrol(client: Any) -> None:
        try:
            start.wait()
            session = Session.objects.get(pk=t.session.pk)
            services.enrolment_create(actor=t.world.referrer, session=session, client=client)
        except BaseException as exc:
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=enrol, args=(c,)) for c in clients]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    return errors


def test_concurrent_enrolments_never_exceed_the_seats(training: TrainingWorld) -> None:
    errors = _race(training)
    assert not errors, errors[:3]
    session = Session.objects.get(pk=training.session.pk)
    enrolled = Enrolment.objects.filter(session=session, status="enrolled")
    waiting = Enrolment.objects.filter(session=session, status="waitlisted")
    assert enrolled.count() == SEATS == session.taken
    assert waiting.count() == WORKERS - SEATS
    # The waiting list is in the order people arrived: enrolled ones came first.
    last_seat = enrolled.aggregate(last=Max("enrolled_at"))["last"]
    first_wait = waiting.aggregate(first=Min("waitlisted_at"))["first"]
    assert last_seat is not None and first_wait is not None and last_seat <= first_wait


def test_control_without_the_lock_the_race_happens(
    training: TrainingWorld, monkeypatch: Any
) -> None:
    monkeypatch.setattr(services, "SEAT_LOCKING", False)
    monkeypatch.setattr(services, "RACE_WINDOW_SECONDS", 0.02)
    _race(training)
    session = Session.objects.get(pk=training.session.pk)
    enrolled = Enrolment.objects.filter(session=session, status="enrolled").count()
    # Lost updates: more people hold a seat than the counter (and the seats) allow.
    assert enrolled > session.taken or enrolled > SEATS
