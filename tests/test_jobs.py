"""Background jobs: one mechanism, claimed once, progress visible, real Celery worker in CI."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest
from django.db import connection

from tests.conftest import require_or_skip
from zorgbrug.jobs import registry
from zorgbrug.jobs.models import Job, JobState
from zorgbrug.jobs.services import job_enqueue, job_run

ROOT = Path(__file__).resolve().parent.parent
CALLS: list[dict[str, Any]] = []


@registry.job_kind("tests.echo")
def echo_job(*, progress: Any, value: int = 0, fail: str = "") -> dict[str, Any]:
    CALLS.append({"value": value})
    progress(1, 2, "half way")
    if fail == "input":
        raise registry.JobInputError("bad input", {"errors": ["line 2: wrong"]})
    if fail == "bug":
        raise RuntimeError("boom")
    if fail == "transient":
        raise ConnectionError("database went away")
    return {"double": value * 2}


@pytest.fixture(autouse=True)
def _clear_calls() -> None:
    CALLS.clear()


@pytest.mark.django_db
def test_inline_job_runs_on_commit_and_records_result(
    django_capture_on_commit_callbacks: Any,
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        job = job_enqueue(kind="tests.echo", title="Echo", params={"value": 21})
        assert CALLS == []  # nothing runs before the transaction commits
    job.refresh_from_db()
    assert job.state == JobState.DONE
    assert job.result == {"double": 42}
    assert job.percent == 100
    assert job.attempts == 1


@pytest.mark.django_db
def test_job_runs_once_however_often_it_is_delivered() -> None:
    job = Job.objects.create(kind="tests.echo", title="x", params={"value": 1})
    assert job_run(job_id=job.pk) is not None
    assert job_run(job_id=job.pk) is None
    assert len(CALLS) == 1


@pytest.mark.django_db
def test_input_error_fails_job_with_user_message_and_is_not_retried() -> None:
    job = Job.objects.create(kind="tests.echo", title="x", params={"fail": "input"})
    job_run(job_id=job.pk)
    job.refresh_from_db()
    assert job.state == JobState.FAILED
    assert job.message == "bad input"
    assert job.result == {"errors": ["line 2: wrong"]}
    assert job.progress_done == 1 and job.progress_total == 2


@pytest.mark.django_db
def test_bug_fails_job_with_traceback() -> None:
    job = Job.objects.create(kind="tests.echo", title="x", params={"fail": "bug"})
    job_run(job_id=job.pk)
    job.refresh_from_db()
    assert job.state == JobState.FAILED
    assert "RuntimeError: boom" in job.error


@pytest.mark.django_db
def test_transient_error_puts_job_back_for_a_retry_then_gives_up() -> None:
    job = Job.objects.create(kind="tests.echo", title="x", params={"fail": "transient"})
    for _attempt in range(2):
        with pytest.raises(ConnectionError):
            job_run(job_id=job.pk)
        job.refresh_from_db()
        assert job.state == JobState.PENDING
    job_run(job_id=job.pk)
    job.refresh_from_db()
    assert job.state == JobState.FAILED and job.attempts == 3


@pytest.mark.django_db
def test_unknown_job_kind_is_refused_at_once() -> None:
    with pytest.raises(LookupError):
        job_enqueue(kind="no.such.kind", title="x")
    assert not Job.objects.exists()


def _redis_up() -> bool:
    try:
        with socket.create_connection(("127.0.0.1", 6379), timeout=1):
            return True
    except OSError:
        return False


@pytest.mark.redis
@pytest.mark.xdist_group("celery")
@pytest.mark.django_db(transaction=True)
def test_job_runs_on_a_real_celery_worker_through_redis(settings: Any) -> None:
    """The production path: enqueue → Redis → a worker in another process → database."""
    require_or_skip(_redis_up(), "Redis is not running on 127.0.0.1:6379")
    if connection.vendor == "sqlite" and connection.settings_dict["NAME"].startswith(
        ("file:memorydb", ":memory:")
    ):
        pytest.skip("the worker process cannot share an in-memory SQLite test database")
    queue = f"zorgbrug-test-{os.getpid()}"
    settings.JOBS_BACKEND = "celery"
    from zorgbrug.celery import app

    app.conf.task_default_queue = queue
    db_url = _database_url_for_worker()
    env = {
        **os.environ,
        "DATABASE_URL": db_url,
        "JOBS_BACKEND": "celery",
        "CELERY_QUEUE": queue,
        "ZORGBRUG_TESTING": "1",
    }
    worker = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "celery",
            "-A",
            "zorgbrug",
            "worker",
            "--pool=solo",
            "--concurrency=1",
            "-Q",
            queue,
            "--loglevel=WARNING",
            "--without-heartbeat",
            "--without-gossip",
            "--without-mingle",
        ],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        job = job_enqueue(
            kind="network.postcodes_import",
            title="Postcodes via Celery",
            params={"data": "postal,name,lat,lng\n9000,Gent,51.05,3.72\n"},
        )
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            job.refresh_from_db()
            if job.is_finished:
                break
            time.sleep(0.3)
        assert job.state == JobState.DONE, (job.state, job.error)
        assert job.result["created"] == 1
        assert job.worker and job.worker.split(":")[0] == socket.gethostname()
        # On PostgreSQL the worker's relay handed it over (jobs.relay), not this process.
        assert (job.dispatched_at is not None) == (connection.vendor == "postgresql")
    finally:
        worker.terminate()
        try:
            out, _ = worker.communicate(timeout=20)
        except subprocess.TimeoutExpired:
            worker.kill()
            out, _ = worker.communicate()
        app.conf.task_default_queue = "zorgbrug"
    assert "Traceback" not in out, out


def _database_url_for_worker() -> str:
    s = connection.settings_dict
    if connection.vendor == "postgresql":
        user = s.get("USER") or ""
        password = f":{s['PASSWORD']}" if s.get("PASSWORD") else ""
        auth = f"{user}{password}@" if user else ""
        host = f"{s.get('HOST') or '127.0.0.1'}:{s.get('PORT') or 5432}"
        return f"postgres://{auth}{host}/{s['NAME']}"
    return f"sqlite:///{s['NAME']}"
