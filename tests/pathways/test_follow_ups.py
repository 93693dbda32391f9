"""Follow-up tasks come from a scheduled job, exactly once however often (and however
concurrently) it runs."""

from __future__ import annotations

import datetime as dt
import threading
from io import StringIO
from typing import Any

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection, connections
from django.utils import timezone

from tests.conftest import require_or_skip
from tests.pathways.conftest import PathwayWorld, another_client, exit_on, job_start
from zorgbrug.clients.models import Consent
from zorgbrug.jobs.models import Job
from zorgbrug.jobs.services import job_enqueue
from zorgbrug.pathways import rules, services
from zorgbrug.pathways.jobs import FOLLOW_UPS_SCHEDULE
from zorgbrug.pathways.models import FollowUp


def _rows() -> list[tuple[Any, ...]]:
    return sorted(
        FollowUp.objects.values_list("client_id", "job_start_id", "exit_id", "months", "due_on")
    )


@pytest.mark.django_db
def test_follow_ups_come_when_due_and_only_once(pathway: PathwayWorld) -> None:
    start = pathway.today - dt.timedelta(days=100)
    activity = job_start(pathway, start)
    first = services.follow_ups_schedule(today=pathway.today)
    assert first["created"] == 1  # 3 months: due; 6 and 12 months: not yet
    follow_up = FollowUp.objects.get()
    assert (follow_up.job_start, follow_up.months) == (activity, 3)
    assert follow_up.due_on == rules.add_months(start, 3)
    assert follow_up.responsible_user == pathway.world.referrer
    assert follow_up.responsible_organisation == pathway.world.org
    again = services.follow_ups_schedule(today=pathway.today)
    assert again["created"] == 0 and FollowUp.objects.count() == 1
    # Later on, the 6- and 12-month follow-ups come, each once.
    later = rules.add_months(start, 12)
    assert services.follow_ups_schedule(today=later)["created"] == 2
    assert services.follow_ups_schedule(today=later)["created"] == 0
    assert sorted(FollowUp.objects.values_list("months", flat=True)) == [3, 6, 12]


@pytest.mark.django_db
def test_follow_ups_appear_two_weeks_before_they_are_due(pathway: PathwayWorld) -> None:
    start = pathway.today - dt.timedelta(days=10)
    job_start(pathway, start)
    due = rules.add_months(start, 3)
    day_before_lead = due - dt.timedelta(days=rules.FOLLOW_UP_LEAD_DAYS + 1)
    assert services.follow_ups_schedule(today=day_before_lead)["created"] == 0
    assert (
        services.follow_ups_schedule(today=day_before_lead + dt.timedelta(days=1))["created"] == 1
    )


@pytest.mark.django_db
def test_exits_get_their_own_follow_ups_unless_a_job_start_has_them(
    pathway: PathwayWorld,
) -> None:
    exit_on(pathway, pathway.today - dt.timedelta(days=200))
    other = another_client(pathway, 1)
    job_start(pathway, pathway.today - dt.timedelta(days=220), client=other)
    exit_on(pathway, pathway.today - dt.timedelta(days=200), client=other, reason="employed")
    services.follow_ups_schedule(today=pathway.today)
    assert sorted(FollowUp.objects.filter(exit__isnull=False).values_list("months", flat=True)) == [
        3,
        6,
    ]
    assert not FollowUp.objects.filter(client=other, exit__isnull=False).exists()
    assert FollowUp.objects.filter(client=other, job_start__isnull=False).count() == 2


@pytest.mark.django_db
def test_no_follow_up_without_consent(pathway: PathwayWorld) -> None:
    job_start(pathway, pathway.today - dt.timedelta(days=100))
    Consent.objects.filter(client=pathway.client).update(withdrawn_at=timezone.now())
    assert services.follow_ups_schedule(today=pathway.today)["created"] == 0


@pytest.mark.django_db
def test_the_months_are_configurable(pathway: PathwayWorld, settings: Any) -> None:
    job_start(pathway, pathway.today - dt.timedelta(days=100))
    settings.FOLLOW_UP_MONTHS = "1,2"
    assert services.follow_ups_schedule(today=pathway.today)["created"] == 2
    assert sorted(FollowUp.objects.values_list("months", flat=True)) == [1, 2]


@pytest.mark.django_db
def test_the_command_and_the_job_create_them_exactly_once(
    pathway: PathwayWorld, django_capture_on_commit_callbacks: Any
) -> None:
    job_start(pathway, pathway.today - dt.timedelta(days=200))
    exit_on(pathway, pathway.today - dt.timedelta(days=150))  # covered by the job start
    out = StringIO()
    call_command("schedule_follow_ups", stdout=out)
    assert "Follow-ups created: 2" in out.getvalue()
    rows = _rows()
    call_command("schedule_follow_ups", stdout=out)
    assert "Follow-ups created: 0" in out.getvalue()
    # As production runs it: a background job (inline in tests), twice.
    for _ in range(2):
        with django_capture_on_commit_callbacks(execute=True):
            call_command("schedule_follow_ups", "--background", stdout=out)
    jobs = list(Job.objects.filter(kind=FOLLOW_UPS_SCHEDULE).order_by("pk"))
    assert [j.state for j in jobs] == ["done", "done"]
    assert [j.result["created"] for j in jobs] == [0, 0]
    assert _rows() == rows
    with django_capture_on_commit_callbacks(execute=True):
        job = job_enqueue(kind=FOLLOW_UPS_SCHEDULE, title="t", params={"today": None})
    job.refresh_from_db()
    assert job.state == "done" and _rows() == rows


@pytest.mark.django_db
def test_the_command_checks_its_arguments() -> None:
    with pytest.raises(CommandError):
        call_command("schedule_follow_ups", "--months", "0,3")
    with pytest.raises(CommandError):
        call_command("schedule_follow_ups", "--today", "yesterday")


@pytest.mark.postgres
@pytest.mark.xdist_group("concurrency")
@pytest.mark.django_db(transaction=True)
def test_concurrent_runs_create_each_follow_up_once(pathway: PathwayWorld) -> None:
    """Eight schedulers at the same moment, on their own connections, on PostgreSQL."""
    require_or_skip(
        connection.vendor == "postgresql", "concurrency tests need PostgreSQL (set DATABASE_URL)"
    )
    clients = [pathway.client] + [another_client(pathway, n) for n in range(1, 12)]
    for n, client in enumerate(clients):
        job_start(pathway, pathway.today - dt.timedelta(days=380 + n), client=client)
    start = threading.Barrier(8)
    results: list[int] = []
    errors: list[BaseException] = []
    lock = threading.Lock()

    def run() -> None:
        try:
            start.wait()
            created = services.follow_ups_schedule(today=pathway.today)["created"]
            with lock:
                results.append(created)
        except BaseException as exc:
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    assert not errors, errors[:3]
    assert FollowUp.objects.count() == len(clients) * 3
    assert sum(results) == len(clients) * 3  # every row created by exactly one run
    keys = list(FollowUp.objects.values_list("job_start_id", "months"))
    assert len(keys) == len(set(keys))
