"""Allocation runs end to end: start, the background job, the explanations, accepting.

Jobs run inline in tests; `run_inline` lets the run's job run when its transaction commits.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import F
from django.utils import timezone, translation

from tests.allocation.conftest import Contested, ask, run_inline
from zorgbrug.access.models import AuditEvent
from zorgbrug.allocation import explain, services
from zorgbrug.allocation.models import AllocationDecision, AllocationRun, Outcome, RunState
from zorgbrug.care import services as care_services
from zorgbrug.care.models import (
    Booking,
    BookingStatus,
    CapacitySlot,
    NeededSlot,
    RequestStatus,
)
from zorgbrug.jobs.models import Job, JobState

pytestmark = pytest.mark.django_db


def start(contested: Contested, capture: Any, **kwargs: Any) -> AllocationRun:
    return run_inline(
        capture,
        actor=kwargs.pop("actor", contested.care.world.coordinator),
        network=contested.care.world.network,
        first=kwargs.pop("first", contested.first),
        last=kwargs.pop("last", contested.last),
        time_limit=kwargs.pop("time_limit", 5.0),
        **kwargs,
    )


def decision(run: AllocationRun, contested: Contested, label: str) -> AllocationDecision:
    return run.decisions.get(care_request_id=contested.pk(label))


def test_a_run_serves_the_covenant_priorities_and_explains_the_rest(
    contested: Contested, django_capture_on_commit_callbacks: Any
) -> None:
    run = start(contested, django_capture_on_commit_callbacks)
    assert run.state == RunState.READY, run.message
    assert run.requests_total == 6 == run.decisions.count()
    served = {d.care_request_id for d in run.decisions.filter(served=True)}
    # The first day of a job and the interview, asked last, are served; first come, first
    # served would have given their places to the courses asked earlier.
    assert contested.pk("job_start") in served and contested.pk("interview") in served
    assert not decision(run, contested, "job_start").fcfs_served
    assert decision(run, contested, "course1").fcfs_served
    # Five places, seven babies: never more than the capacity.
    babies = sum(
        len(contested.requests[k].recipients.all())
        for k in contested.requests
        if contested.pk(k) in served
    )
    assert babies <= 5
    assert run.served_count == len(served) and run.fcfs_served_count >= 1
    assert run.priority_value is not None and run.fcfs_priority_value is not None
    assert run.priority_value > run.fcfs_priority_value
    assert run.value_gain is not None and run.value_gain > 0
    assert run.solve_status == "optimal" and run.gap is not None and run.gap <= 0.001
    assert run.objective is not None and run.bound is not None
    assert run.objective <= run.bound + 1e-6
    assert len(run.instance_digest) == 64 and run.snapshot["requests"] == 6
    # Every served request has a whole plan (every child, every day-part) at places that
    # exist; every other one a reason.
    for d in run.decisions.all():
        if d.served:
            children = set(d.care_request.recipients.values_list("pk", flat=True))
            assert {p["recipient"] for p in d.plan} == children
            assert {p["site"] for p in d.plan} <= {
                contested.care.near.pk,
                contested.care.far.pk,
            }
            assert d.reason_code == "" and d.value > 0
        else:
            assert d.reason_code and d.plan == []
    twins = decision(run, contested, "twins")
    assert not twins.served
    with translation.override("en"):
        text = explain.reason_text(twins.reason_code, twins.reason_params)
    assert "Monday" in text and "0–2.5" in text, text
    # Nothing is booked before the coordinator accepts.
    assert not Booking.objects.exists()
    # The job reported its steps and finished.
    job = Job.objects.get(pk=run.job_id)
    assert job.state == JobState.DONE and job.percent == 100
    assert job.result["served"] == run.served_count
    assert AuditEvent.objects.filter(object_type="allocation.allocationrun").exists()


def test_accepting_books_every_served_request_through_the_booking_service(
    contested: Contested, django_capture_on_commit_callbacks: Any
) -> None:
    run = start(contested, django_capture_on_commit_callbacks)
    before = dict(CapacitySlot.objects.values_list("pk", "booked"))
    with django_capture_on_commit_callbacks(execute=True):
        report = services.allocation_accept(actor=contested.care.world.coordinator, run=run)
    served = list(run.decisions.filter(served=True))
    assert {d.care_request_id for d in report.booked} == {d.care_request_id for d in served}
    assert report.skipped == []
    for d in served:
        d.refresh_from_db()
        assert d.outcome == Outcome.BOOKED and d.decided_at is not None
        request = d.care_request
        request.refresh_from_db()
        assert request.status == RequestStatus.BOOKED
        booked = {
            (b.date.isoformat(), b.day_part, b.care_site_id, b.recipient_id)
            for b in Booking.objects.filter(request=request)
        }
        assert booked == {(p["date"], p["part"], p["site"], p["recipient"]) for p in d.plan}
        assert all(
            b.status == BookingStatus.CONFIRMED for b in Booking.objects.filter(request=request)
        )
    after = dict(CapacitySlot.objects.values_list("pk", "booked"))
    taken = sum(after[k] - before[k] for k in after)
    assert taken == Booking.objects.count() == sum(len(d.plan) for d in served)
    assert all(s.booked <= s.places for s in CapacitySlot.objects.all())
    run.refresh_from_db()
    assert run.state == RunState.ACCEPTED and run.accepted_by == contested.care.world.coordinator
    # Unserved requests stay where they were.
    twins = contested.requests["twins"]
    twins.refresh_from_db()
    assert twins.status == RequestStatus.OPEN
    # Nothing left to accept.
    with pytest.raises(ValidationError):
        services.allocation_accept(actor=contested.care.world.coordinator, run=run)


def test_what_changed_since_the_run_is_reported_and_never_overwritten(
    contested: Contested, django_capture_on_commit_callbacks: Any
) -> None:
    care = contested.care
    run = start(contested, django_capture_on_commit_callbacks)
    served = {d.care_request_id: d for d in run.decisions.filter(served=True)}
    job_start, interview = (decision(run, contested, k) for k in ("job_start", "interview"))
    others = [d for d in served.values() if d.pk not in (job_start.pk, interview.pk)]
    assert len(others) >= 2
    # 1. A counsellor books the job start herself, at the other site.
    own_site = care.far.pk if job_start.site_ids == [care.near.pk] else care.near.pk
    # (one more place there, so that her booking takes nobody else's)
    CapacitySlot.objects.filter(care_site_id=own_site, date=care.monday).update(
        places=F("places") + 1, reserved_places=F("reserved_places") + 1
    )
    care_services.booking_create(
        actor=care.world.referrer,
        request=job_start.care_request,
        plan={(care.monday, "am"): own_site},
    )
    # 2. The interview is cancelled.
    interview_request = interview.care_request
    interview_request.status = RequestStatus.CANCELLED
    interview_request.save(update_fields=["status"])
    # 3. Other families take the places left at the site of the first other request.
    victim = others[0]
    site = victim.site_ids[0]
    slot = CapacitySlot.objects.get(
        care_site_id=site, date=care.monday, day_part="am", age_band=care.baby
    )
    CapacitySlot.objects.filter(pk=slot.pk).update(booked=slot.places)
    # 4. The second other request now needs another day too.
    changed = others[1]
    NeededSlot.objects.create(
        request_id=changed.care_request_id, date=care.monday + dt.timedelta(days=1), day_part="am"
    )

    with django_capture_on_commit_callbacks(execute=True):
        report = services.allocation_accept(actor=care.world.coordinator, run=run)
    outcomes = {d.care_request_id: d.outcome for d in run.decisions.filter(served=True)}
    expected = {}
    for d in served.values():
        if d.pk in (job_start.pk, interview.pk):
            expected[d.care_request_id] = Outcome.REQUEST_CHANGED
        elif d.pk == changed.pk:
            expected[d.care_request_id] = Outcome.PLAN_INVALID
        elif site in d.site_ids:
            expected[d.care_request_id] = Outcome.CAPACITY_TAKEN
        else:
            expected[d.care_request_id] = Outcome.BOOKED
    assert outcomes == expected
    assert outcomes[victim.care_request_id] == Outcome.CAPACITY_TAKEN
    assert {d.care_request_id for d in report.skipped} == {
        k for k, v in expected.items() if v != Outcome.BOOKED
    }
    messages = {d.care_request_id: d.outcome_message for d in report.skipped}
    assert all(messages.values())
    # Never overwritten: the counsellor's booking stands where she made it, the cancelled
    # request stays cancelled and gets no booking, the full slot is not overbooked.
    assert set(
        Booking.objects.filter(request_id=job_start.care_request_id).values_list(
            "care_site_id", flat=True
        )
    ) == {own_site}
    assert not Booking.objects.filter(request_id=interview.care_request_id).exists()
    interview_request.refresh_from_db()
    assert interview_request.status == RequestStatus.CANCELLED
    slot.refresh_from_db()
    assert slot.booked == slot.places
    assert not Booking.objects.filter(request_id=victim.care_request_id).exists()
    # The rest was booked.
    for request_id, outcome in expected.items():
        assert Booking.objects.filter(request_id=request_id).exists() == (
            outcome == Outcome.BOOKED or request_id == job_start.care_request_id
        )


def test_accepting_a_selection(
    contested: Contested, django_capture_on_commit_callbacks: Any
) -> None:
    coordinator = contested.care.world.coordinator
    run = start(contested, django_capture_on_commit_callbacks)
    job_start = contested.pk("job_start")
    unserved = run.decisions.filter(served=False).first()
    assert unserved is not None
    # Bad choices change nothing.
    for bad in ([], [unserved.care_request_id], [job_start, 999_999]):
        with pytest.raises(ValidationError):
            services.allocation_accept(actor=coordinator, run=run, request_ids=bad)
    assert not Booking.objects.exists()
    assert not run.decisions.exclude(outcome="").exists()
    report = services.allocation_accept(actor=coordinator, run=run, request_ids=[job_start])
    assert [d.care_request_id for d in report.booked] == [job_start]
    assert set(Booking.objects.values_list("request_id", flat=True)) == {job_start}
    # Accepting the same again: nothing left; the others can still be accepted.
    with pytest.raises(ValidationError):
        services.allocation_accept(actor=coordinator, run=run, request_ids=[job_start])
    report = services.allocation_accept(actor=coordinator, run=run)
    assert job_start not in {d.care_request_id for d in report.booked}
    assert len(report.booked) == run.decisions.filter(served=True).count() - 1


def test_only_the_networks_coordinators_allocate(
    contested: Contested, django_capture_on_commit_callbacks: Any
) -> None:
    world = contested.care.world
    for outsider in (world.referrer, world.provider, world.far_coordinator, world.researcher):
        with pytest.raises(PermissionDenied):
            services.allocation_start(
                actor=outsider, network=world.network, first=contested.first, last=contested.last
            )
    assert not AllocationRun.objects.exists()
    run = start(contested, django_capture_on_commit_callbacks)
    for outsider in (world.referrer, world.provider, world.far_coordinator):
        with pytest.raises(PermissionDenied):
            services.allocation_accept(actor=outsider, run=run)
    assert not Booking.objects.exists()


@pytest.mark.parametrize(
    ("first_offset", "last_offset", "field"),
    [(-1, 3, "first_date"), (0, 31, "last_date"), (5, 2, "last_date")],
)
def test_bad_periods_are_refused_and_change_nothing(
    contested: Contested, first_offset: int, last_offset: int, field: str
) -> None:
    today = timezone.localdate()
    with translation.override("en"), pytest.raises(ValidationError) as caught:
        services.allocation_start(
            actor=contested.care.world.coordinator,
            network=contested.care.world.network,
            first=today + dt.timedelta(days=first_offset),
            last=today + dt.timedelta(days=last_offset),
        )
    assert field in caught.value.message_dict
    assert not AllocationRun.objects.exists() and not Job.objects.exists()


def test_a_failing_run_is_marked_failed(
    contested: Contested, django_capture_on_commit_callbacks: Any, monkeypatch: Any
) -> None:
    def broken(*args: Any, **kwargs: Any) -> Any:
        raise RuntimeError("solver crashed")

    monkeypatch.setattr(services, "allocate", broken)
    run = start(contested, django_capture_on_commit_callbacks)
    assert run.state == RunState.FAILED and run.message
    assert Job.objects.get(pk=run.job_id).state == JobState.FAILED
    assert not run.decisions.exists()
    with pytest.raises(ValidationError):
        services.allocation_accept(actor=contested.care.world.coordinator, run=run)


def test_a_period_without_waiting_requests(
    contested: Contested, django_capture_on_commit_callbacks: Any
) -> None:
    later = contested.first + dt.timedelta(days=7)
    run = start(contested, django_capture_on_commit_callbacks, first=later, last=later)
    assert run.state == RunState.READY and run.requests_total == 0 == run.served_count


def test_what_if_more_or_moved_places(
    contested: Contested, django_capture_on_commit_callbacks: Any
) -> None:
    care = contested.care
    change = services.PlannedChange(site=care.far, places=2, band=care.baby)
    with django_capture_on_commit_callbacks(execute=True):
        job = services.what_if_start(
            actor=care.world.coordinator,
            network=care.world.network,
            first=contested.first,
            last=contested.last,
            change=change,
        )
    job.refresh_from_db()
    assert job.state == JobState.DONE, job.error
    result = job.result
    assert result["requests"] == 6
    assert result["changed_served"] == result["base_served"] + result["extra_requests"]
    assert result["extra_requests"] >= 1 and result["extra_points"] > 0
    # Moving places between two sites in the same town serves as many as before.
    move = services.PlannedChange(site=care.near, to_site=care.ibo, places=2, band=care.baby)
    with django_capture_on_commit_callbacks(execute=True):
        job = services.what_if_start(
            actor=care.world.coordinator,
            network=care.world.network,
            first=contested.first,
            last=contested.last,
            change=move,
        )
    job.refresh_from_db()
    assert job.state == JobState.DONE, job.error
    assert job.result["extra_requests"] == 0
    assert job.result["changed_served"] == result["base_served"]
    # Bad input: places moved to the same site, too many places.
    for bad in (
        services.PlannedChange(site=care.near, to_site=care.near, places=1),
        services.PlannedChange(site=care.near, places=500),
    ):
        with pytest.raises(ValidationError):
            services.what_if_start(
                actor=care.world.coordinator,
                network=care.world.network,
                first=contested.first,
                last=contested.last,
                change=bad,
            )
    with pytest.raises(PermissionDenied):
        services.what_if_start(
            actor=care.world.referrer,
            network=care.world.network,
            first=contested.first,
            last=contested.last,
            change=change,
        )


def test_a_job_delivered_twice_runs_once(
    contested: Contested, django_capture_on_commit_callbacks: Any
) -> None:
    run = start(contested, django_capture_on_commit_callbacks)
    decisions = list(run.decisions.values_list("pk", flat=True))
    assert services.allocation_execute(run_id=run.pk) == {"run": run.pk, "skipped": True}
    assert list(run.decisions.values_list("pk", flat=True)) == decisions
    # A run interrupted mid-way (still running) is redone from scratch, without duplicates.
    AllocationRun.objects.filter(pk=run.pk).update(state=RunState.RUNNING)
    services.allocation_execute(run_id=run.pk)
    assert run.decisions.count() == len(decisions)
    run.refresh_from_db()
    assert run.state == RunState.READY


def test_a_child_booked_meanwhile_through_another_request_is_reported(
    contested: Contested, django_capture_on_commit_callbacks: Any
) -> None:
    care = contested.care
    run = start(contested, django_capture_on_commit_callbacks)
    job_start = decision(run, contested, "job_start")
    client = job_start.care_request.client
    # The same child, the same morning, asked again by a counsellor and booked at once.
    other = ask(care, client, "course", title="Another course")
    care_services.booking_create(
        actor=care.world.referrer, request=other, plan={(care.monday, "am"): care.far.pk}
    )
    with django_capture_on_commit_callbacks(execute=True):
        report = services.allocation_accept(
            actor=care.world.coordinator, run=run, request_ids=[contested.pk("job_start")]
        )
    (skipped,) = report.skipped
    assert skipped.outcome == Outcome.PLAN_INVALID and skipped.outcome_message
    assert not Booking.objects.filter(request_id=contested.pk("job_start")).exists()
    assert Booking.objects.filter(request=other).count() == 1
