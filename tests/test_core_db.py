"""`zorgbrug.core.db.insert`: a plain INSERT that writes what the ORM would have written."""

from __future__ import annotations

import uuid

import pytest

from tests.conftest import World
from zorgbrug.access.models import AuditEvent
from zorgbrug.core.db import insert
from zorgbrug.jobs.models import Job, JobState

pytestmark = pytest.mark.django_db


def test_insert_writes_every_field_with_defaults_and_returns_keys(world: World) -> None:
    events = [
        AuditEvent(actor=world.referrer, actor_label="a", action="create", detail={"n": i})
        for i in range(3)
    ]
    insert(events)
    assert all(e.pk is not None and not e._state.adding for e in events)
    assert len({e.pk for e in events}) == 3
    for event in events:
        stored = AuditEvent.objects.get(pk=event.pk)  # each instance got its own row's key
        assert stored.detail == event.detail
        assert stored.at is not None and stored.at == event.at  # auto_now_add, as save() does
        assert stored.actor_id == world.referrer.pk
        assert stored.path == "" and stored.ip_address is None  # field defaults


def test_insert_keeps_a_primary_key_made_in_python(world: World) -> None:
    job = Job(kind="care.notify", title="x", params={"request_id": 1})
    assert isinstance(job.pk, uuid.UUID)
    insert([job])
    stored = Job.objects.get(pk=job.pk)
    assert stored.state == JobState.PENDING and stored.params == {"request_id": 1}
    assert stored.created_at is not None


def test_insert_refuses_a_mix_of_models(world: World) -> None:
    with pytest.raises(TypeError):
        insert([Job(kind="care.notify", title="x"), AuditEvent(action="create")])
    assert not Job.objects.exists()


def test_insert_of_nothing_is_nothing() -> None:
    assert list(insert([])) == []


@pytest.mark.postgres
def test_fetch_prepared_really_prepares_on_postgresql(world: World) -> None:
    """Django turns psycopg's prepared statements off unless the settings turn them on;
    the booking's hot statements rely on them. The statement must be in the session's
    prepared statements after it ran, and give the same rows the next time."""
    from django.db import connection

    from tests.conftest import require_or_skip
    from zorgbrug.core.db import fetch_prepared

    require_or_skip(connection.vendor == "postgresql", "prepared statements need PostgreSQL")
    sql = "SELECT count(*) FROM access_user WHERE id >= %s"
    first = fetch_prepared(sql, [0])
    assert fetch_prepared(sql, [0]) == first
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM pg_prepared_statements WHERE statement LIKE %s",
            ["SELECT count(*) FROM access_user WHERE id >= $1%"],
        )
        assert cursor.fetchone()[0] == 1
