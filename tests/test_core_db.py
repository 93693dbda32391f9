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


def test_insert_select_writes_computed_columns_and_the_templates_values(world: World) -> None:
    """Works on both databases (INSERT … SELECT without a CTE): the computed columns come
    from the source, every other column from the template, defaults and dates included."""
    from django.db import connection

    from zorgbrug.core.db import insert_select

    template = AuditEvent(actor=world.referrer, actor_label="t", action="create", detail={"x": 1})
    sql, params = insert_select(
        template,
        "(SELECT 'a' AS label UNION ALL SELECT 'b') AS source",
        {"object_label": "source.label"},
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
    rows = list(AuditEvent.objects.filter(actor_label="t").order_by("object_label"))
    assert [r.object_label for r in rows] == ["a", "b"]
    for row in rows:
        assert row.actor_id == world.referrer.pk and row.detail == {"x": 1}
        assert row.at == template.at and row.path == "" and row.ip_address is None
    # Built once per shape: the same text the next time, with the next template's values.
    again, params_again = insert_select(
        AuditEvent(actor_label="u", action="view"),
        "(SELECT 'a' AS label UNION ALL SELECT 'b') AS source",
        {"object_label": "source.label"},
    )
    assert again == sql and params_again != params


def test_insert_select_writes_a_value_that_differs_from_the_default(world: World) -> None:
    """Defaults are prepared once per process; a template that sets another value (or a
    value equal to it but of another type) still gets its own."""
    from django.db import connection

    from zorgbrug.core.db import insert_select

    for attempts, state, message in [(0, JobState.PENDING, ""), (3, "done", "twice")]:
        job = Job(kind="care.notify", title="t", attempts=attempts, state=state, message=message)
        sql, params = insert_select(job, "(SELECT 1) AS one", {})
        with connection.cursor() as cursor:
            cursor.execute(sql, params)
        written = Job.objects.get(pk=job.pk)
        assert (written.attempts, written.state, written.message) == (attempts, state, message)


def test_insert_select_refuses_a_column_the_model_does_not_have() -> None:
    from zorgbrug.core.db import insert_select

    with pytest.raises(ValueError, match="no column nonsense"):
        insert_select(Job(kind="care.notify", title="x"), "source", {"nonsense": "1"})


def test_numbered_placeholders_for_raw_statements() -> None:
    from zorgbrug.core.db import _numbered

    assert _numbered("SELECT %s, '100%%', %s") == "SELECT $1, '100%', $2"
