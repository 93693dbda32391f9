"""The covenant governs care's rules through care's own policy hook, and gives the allocation
engine its priorities."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from tests.care.conftest import CareWorld
from tests.care.test_booking import ask
from zorgbrug.care import policy, selectors
from zorgbrug.care import services as care_services
from zorgbrug.care.models import BookingStatus
from zorgbrug.covenant import services
from zorgbrug.covenant.models import Covenant
from zorgbrug.covenant.policy import CovenantCarePolicy, allocation_priorities

pytestmark = pytest.mark.django_db


def covenant_for(care: CareWorld, **rules: object) -> Covenant:
    covenant = services.covenant_create(
        actor=care.world.coordinator,
        network=care.world.network,
        title="Convenant",
        valid_from=timezone.localdate() - dt.timedelta(days=30),
    )
    return services.covenant_update(actor=care.world.coordinator, covenant=covenant, **rules)


def test_the_covenant_app_registers_its_policy() -> None:
    assert isinstance(policy.current(), CovenantCarePolicy)


def test_without_a_covenant_the_defaults_apply(care: CareWorld) -> None:
    rules = policy.current()
    today = timezone.localdate()
    assert rules.free_cancellation_hours(network_id=care.world.network.pk, day=today) == 24
    assert rules.max_care_days(network_id=care.world.network.pk, kind="job_start", day=today) == 92
    assert rules.max_care_days(network_id=care.world.network.pk, kind="course", day=today) is None


def test_the_cancellation_window_comes_from_the_covenant(care: CareWorld) -> None:
    network_id = care.world.network.pk
    start = dt.datetime.combine(care.monday, dt.time(7), tzinfo=timezone.get_current_timezone())
    thirty_hours_before = start - dt.timedelta(hours=30)
    assert not care_services.cancellation_is_late(
        care.monday, "am", thirty_hours_before, network_id=network_id
    )
    covenant_for(care, free_cancellation_hours=48)
    assert care_services.cancellation_is_late(
        care.monday, "am", thirty_hours_before, network_id=network_id
    )
    # Another network keeps its own rule.
    assert not care_services.cancellation_is_late(
        care.monday, "am", thirty_hours_before, network_id=care.world.other_network.pk
    )


def test_booking_cancel_marks_late_by_the_covenant(care: CareWorld) -> None:
    covenant_for(care, free_cancellation_hours=336)  # two weeks
    request = ask(care)
    care_services.booking_create(
        actor=care.world.referrer,
        request=request,
        plan=selectors.options_for_request(request).options[0].plan,
    )
    first = request.bookings.order_by("date").first()
    assert first is not None
    care_services.booking_cancel(actor=care.world.referrer, request=request, bookings=[first])
    first.refresh_from_db()
    assert first.status == BookingStatus.CANCELLED_LATE


def test_the_maximum_care_period_comes_from_the_covenant(care: CareWorld) -> None:
    covenant_for(care, max_care_days={"job_start": 30, "course": 60})

    def activity(kind: str, days: int) -> object:
        return care_services.activity_create(
            actor=care.world.referrer,
            client=care.family,
            organisation=care.world.org,
            kind=kind,
            title="Nieuwe job",
            first_date=care.monday,
            last_date=care.monday + dt.timedelta(days=days),
            recurrence="FREQ=WEEKLY;BYDAY=MO",
            start_time=dt.time(9),
            end_time=dt.time(12),
        )

    with pytest.raises(ValidationError) as job:
        activity("job_start", 31)
    assert "30" in str(job.value.message_dict["last_date"])
    with pytest.raises(ValidationError):
        activity("course", 61)
    assert activity("job_start", 30)
    assert activity("work_trial", 200)  # no maximum for this kind


def test_allocation_priorities_are_plain_weights(care: CareWorld) -> None:
    today = timezone.localdate()
    defaults = allocation_priorities(network_id=care.world.network.pk, on=today)
    assert list(defaults) == ["job_start", "job_interview", "work_trial", "course", "other"]
    assert defaults["job_start"] > defaults["job_interview"] > defaults["work_trial"]
    assert defaults["work_trial"] > defaults["course"] > defaults["other"]
    covenant_for(
        care,
        priorities={
            "job_start": Decimal(10),
            "job_interview": Decimal(80),
            "work_trial": Decimal(5),
            "course": Decimal(4),
            "other": Decimal(1),
        },
    )
    mine = allocation_priorities(network_id=care.world.network.pk, on=today)
    assert mine["job_interview"] == 80.0 and mine["job_start"] == 10.0
    assert allocation_priorities(network_id=care.world.other_network.pk, on=today) == defaults


def test_the_pathway_s_last_day_of_care_follows_the_covenant(care: CareWorld) -> None:
    """A job start's last day of care on the pathway is the covenant's maximum for a job
    start's care — the same rule booking applies — not a number of its own."""
    from tests.pathways.conftest import PathwayWorld, job_start

    start = timezone.localdate()
    pathway = PathwayWorld(
        care=care, world=care.world, client=care.family, intake=start, today=start
    )
    assert job_start(pathway, start).care_until == start + dt.timedelta(days=92)  # default
    covenant = covenant_for(care, max_care_days={"job_start": 30})
    assert job_start(pathway, start).care_until == start + dt.timedelta(days=30)
    services.covenant_update(
        actor=care.world.coordinator, covenant=covenant, max_care_days={"course": 60}
    )
    # A covenant without a maximum for a job start: no last day.
    assert job_start(pathway, start).care_until is None
