"""`zorgbrug.core.db`: plain INSERTs that write what the ORM would have written."""

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


def test_row_insert_writes_computed_given_and_default_columns(world: World) -> None:
    """Works on both databases (INSERT … SELECT without a CTE): the computed columns come
    from the source, the given ones from the call, the rest are the model's defaults —
    constants in the text, the time and fresh defaults bound."""
    import datetime as dt

    from django.db import connection
    from django.utils import timezone

    from zorgbrug.core.db import row_insert

    source = "(SELECT 'a' AS label UNION ALL SELECT 'b') AS source"
    shape = row_insert(
        AuditEvent,
        source,
        (("object_label", "source.label"),),
        ("actor_id", "actor_label", "action", "detail"),
    )
    # Constant defaults (the path's empty string, the address's NULL) are in the text.
    assert "CAST('' AS" in shape.sql and "CAST(NULL AS" in shape.sql
    assert [f.attname for f in shape.bound] == ["at", "actor_id", "actor_label", "action", "detail"]
    now = timezone.now() - dt.timedelta(minutes=5)
    values = {
        "actor_id": world.referrer.pk,
        "actor_label": "t",
        "action": "create",
        "detail": {"x": 1},
    }
    with connection.cursor() as cursor:
        cursor.execute(shape.sql, shape.params(values, now))
    rows = list(AuditEvent.objects.filter(actor_label="t").order_by("object_label"))
    assert [r.object_label for r in rows] == ["a", "b"]
    for row in rows:
        assert row.actor_id == world.referrer.pk and row.detail == {"x": 1}
        assert row.path == "" and row.ip_address is None and row.object_type == ""
        # `at` defaults to the time it is written (a callable default): made on the call.
        assert row.at > now
    # Built once per shape: the same object the next time.
    again = row_insert(
        AuditEvent,
        source,
        (("object_label", "source.label"),),
        ("actor_id", "actor_label", "action", "detail"),
    )
    assert again is shape


def test_row_insert_binds_automatic_dates_and_fresh_defaults(world: World) -> None:
    """`auto_now_add` takes the call's time, a UUID default is made anew on each call, and
    a given value that differs from the default is written as given."""
    import datetime as dt

    from django.db import connection
    from django.utils import timezone

    from zorgbrug.core.db import row_insert

    shape = row_insert(Job, "(SELECT 1) AS one", (), ("kind", "title", "attempts", "message"))
    now = timezone.now() - dt.timedelta(hours=1)
    for attempts, message in [(0, ""), (3, "it's 100%")]:
        values = {"kind": "care.notify", "title": "t", "attempts": attempts, "message": message}
        with connection.cursor() as cursor:
            cursor.execute(shape.sql, shape.params(values, now))
    jobs = list(Job.objects.filter(title="t").order_by("attempts"))
    assert [(j.attempts, j.message) for j in jobs] == [(0, ""), (3, "it's 100%")]
    assert all(j.created_at == now and j.state == JobState.PENDING for j in jobs)
    assert len({j.pk for j in jobs}) == 2  # a fresh UUID each time


def test_row_insert_refuses_unknown_columns_and_columns_without_a_value() -> None:
    from zorgbrug.core.db import row_insert

    with pytest.raises(ValueError, match="no column nonsense"):
        row_insert(Job, "source", (("nonsense", "1"),))
    with pytest.raises(ValueError, match="no column other"):
        row_insert(Job, "source", (), ("other",))
    # A booking's request has no default (an empty string would do for a text column, as
    # the ORM writes it): it must be given or computed.
    from zorgbrug.care.models import Booking

    with pytest.raises(ValueError, match=r"Booking\.request_id has no default"):
        row_insert(Booking, "source", (), ("created_by_id",))


def test_sql_literal_quotes_constants_for_statements_with_parameters() -> None:
    from django.db import connection

    from zorgbrug.core.db import sql_literal

    assert sql_literal(None) == "NULL" and sql_literal(True) == "TRUE" and sql_literal(7) == "7"
    assert sql_literal(JobState.PENDING) == "'pending'"
    text = "l'accueil est complet à 100%"
    literal = sql_literal(text)
    assert literal == "'l''accueil est complet à 100%%'"
    with connection.cursor() as cursor:  # read back as written, through a parameterised statement
        cursor.execute(f"SELECT {literal}, %s", [1])
        assert cursor.fetchone() == (text, 1)
    for value in ["a\\b", 1.5, {"a": 1}]:
        with pytest.raises(TypeError):
            sql_literal(value)


def test_numbered_placeholders_for_raw_statements() -> None:
    from zorgbrug.core.db import _numbered

    assert _numbered("SELECT %s, '100%%', %s") == "SELECT $1, '100%', $2"


def test_row_insert_leaves_a_database_default_to_the_database(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A column with `db_default` that the caller does not give is not in the INSERT, so
    the database fills it in; given, it is bound like any other."""
    from zorgbrug.core.db import row_insert

    worker = Job._meta.get_field("worker")
    monkeypatch.setattr(worker, "has_db_default", lambda: True)
    row_insert.cache_clear()
    try:
        left = row_insert(Job, "(SELECT 1) AS one", (), ("kind", "title"))
        assert '"worker"' not in left.sql and '"kind"' in left.sql
        given = row_insert(Job, "(SELECT 1) AS one", (), ("kind", "title", "worker"))
        assert '"worker"' in given.sql and "worker" in [f.attname for f in given.bound]
    finally:
        row_insert.cache_clear()
