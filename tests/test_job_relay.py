"""The job relay (JOBS_BACKEND=celery on PostgreSQL): committed jobs reach the workers
through the database, never from the web process; each is handed over once, and again
only when it was lost."""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Callable
from typing import Any

import pytest
from django.db import connection, transaction
from django.utils import timezone

from tests.conftest import require_or_skip
from tests.test_jobs import echo_job  # noqa: F401 - registers the "tests.echo" kind
from zorgbrug.jobs import relay
from zorgbrug.jobs.models import Job, JobState
from zorgbrug.jobs.services import job_enqueue


@pytest.fixture
def published(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    sent: list[str] = []
    monkeypatch.setattr(relay, "publish", lambda job_id: sent.append(str(job_id)))
    return sent


@pytest.mark.django_db
def test_relay_hands_each_pending_job_over_once_oldest_first(published: list[str]) -> None:
    first = Job.objects.create(kind="tests.echo", title="first")
    second = Job.objects.create(kind="tests.echo", title="second")
    Job.objects.filter(pk=first.pk).update(created_at=timezone.now() - dt.timedelta(minutes=1))
    Job.objects.create(kind="tests.echo", title="running", state=JobState.RUNNING)
    Job.objects.create(kind="tests.echo", title="done", state=JobState.DONE)

    assert relay.relay_pending() == 2
    assert published == [str(first.pk), str(second.pk)]
    assert Job.objects.filter(dispatched_at__isnull=False).count() == 2
    assert relay.relay_pending() == 0  # handed over already: not sent again
    assert len(published) == 2


@pytest.mark.django_db
def test_relay_sends_again_a_job_handed_over_long_ago_and_still_waiting(
    published: list[str],
) -> None:
    lost = Job.objects.create(
        kind="tests.echo",
        title="lost",
        dispatched_at=timezone.now() - relay.REDISPATCH_AFTER - dt.timedelta(minutes=1),
    )
    Job.objects.create(kind="tests.echo", title="recent", dispatched_at=timezone.now())
    assert relay.relay_pending() == 1
    assert published == [str(lost.pk)]


@pytest.mark.django_db
def test_relay_works_in_batches(published: list[str]) -> None:
    for i in range(5):
        Job.objects.create(kind="tests.echo", title=f"job {i}")
    assert relay.relay_pending(limit=2) == 2
    assert relay.relay_pending(limit=2) == 2
    assert relay.relay_pending(limit=2) == 1
    assert len(set(published)) == 5


@pytest.mark.django_db
def test_a_failed_publish_marks_nothing_and_is_retried(monkeypatch: pytest.MonkeyPatch) -> None:
    job = Job.objects.create(kind="tests.echo", title="x")

    def broker_down(job_id: Any) -> None:
        raise ConnectionError("Redis is down")

    monkeypatch.setattr(relay, "publish", broker_down)
    with pytest.raises(ConnectionError):
        relay.relay_pending()
    job.refresh_from_db()
    assert job.dispatched_at is None and job.state == JobState.PENDING

    sent: list[Any] = []
    monkeypatch.setattr(relay, "publish", sent.append)
    assert relay.relay_pending() == 1 and sent == [job.pk]


@pytest.mark.django_db(transaction=True)
def test_a_committed_job_wakes_the_relay_and_the_web_process_publishes_nothing(
    settings: Any, monkeypatch: pytest.MonkeyPatch, job_wakeups: Callable[[], int]
) -> None:
    settings.JOBS_BACKEND = "celery"

    def must_not_publish(job_id: Any) -> None:
        raise AssertionError("the web process published a job")

    monkeypatch.setattr("zorgbrug.jobs.services.publish", must_not_publish)
    with pytest.raises(RuntimeError), transaction.atomic():
        job_enqueue(kind="tests.echo", title="rolled back")
        raise RuntimeError("the request failed")
    assert job_wakeups() == 0  # a rolled-back job wakes nobody
    with transaction.atomic():
        job = job_enqueue(kind="tests.echo", title="committed")
        assert job_wakeups() == 0  # not before the commit
    assert job_wakeups() == 1
    assert list(Job.objects.values_list("pk", flat=True)) == [job.pk]


@pytest.mark.django_db(transaction=True)
def test_the_relay_thread_hands_over_what_commits_while_it_listens(
    settings: Any, published: list[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    require_or_skip(connection.vendor == "postgresql", "the relay needs PostgreSQL")
    settings.JOBS_BACKEND = "celery"
    monkeypatch.setattr(relay, "SWEEP_SECONDS", 60.0)  # only a notification wakes it now
    before = Job.objects.create(kind="tests.echo", title="before the relay started")
    thread = relay.RelayThread()
    try:
        _wait_for(lambda: published == [str(before.pk)])  # the first pass at start
        job = job_enqueue(kind="tests.echo", title="while it listens")
        _wait_for(lambda: published == [str(before.pk), str(job.pk)])
    finally:
        thread.stop()
    assert Job.objects.filter(dispatched_at__isnull=True).count() == 0


def _wait_for(condition: Callable[[], bool], seconds: float = 10) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError("timed out")
        time.sleep(0.05)
