"""A client's pathway: steps and job starts, regular childcare, exit and outcomes — and bad
input, which answers with a message and changes nothing."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import translation

from tests.pathways.conftest import PathwayWorld, exit_on, job_start
from zorgbrug.access.models import AuditEvent
from zorgbrug.clients.models import Client, Screening
from zorgbrug.pathways import services
from zorgbrug.pathways.models import (
    Exit,
    FollowUp,
    Outcome,
    PathwayActivity,
    RegularCare,
)

pytestmark = pytest.mark.django_db

SCREENING = {
    "taken_on": None,
    "stopped_job": False,
    "stopped_course": False,
    "stopped_interview": False,
    "would_accept": "yes",
    "refusal_reason": "",
    "main_barrier": "none",
}


def _counts() -> tuple[int, ...]:
    return (
        PathwayActivity.objects.count(),
        Outcome.objects.count(),
        Screening.objects.count(),
        Exit.objects.count(),
        RegularCare.objects.count(),
        FollowUp.objects.filter(status="done").count(),
        AuditEvent.objects.count(),
    )


def test_job_start_gets_the_last_day_of_care(pathway: PathwayWorld) -> None:
    start = pathway.today - dt.timedelta(days=10)
    activity = job_start(pathway, start, first_period_end=start + dt.timedelta(days=180))
    # Without a covenant in force: the care policy's default, 92 days after the start.
    assert activity.care_until == start + dt.timedelta(days=92)
    assert activity.care_until > pathway.today
    assert activity.organisation == pathway.world.org


def test_job_start_needs_sector_contract_and_hours(pathway: PathwayWorld) -> None:
    before = _counts()
    with translation.override("en"), pytest.raises(ValidationError) as exc:
        job_start(pathway, pathway.today, sector="", contract_type="", hours_per_week=None)
    assert set(exc.value.message_dict) >= {"sector", "contract_type", "hours_per_week"}
    with pytest.raises(ValidationError) as exc:
        job_start(pathway, pathway.today, hours_per_week=Decimal("70"))
    assert "hours_per_week" in exc.value.message_dict
    assert _counts() == before


def test_a_step_before_the_intake_is_refused(pathway: PathwayWorld) -> None:
    before = _counts()
    with translation.override("en"), pytest.raises(ValidationError) as exc:
        services.pathway_activity_create(
            actor=pathway.world.referrer,
            client=pathway.client,
            kind="course",
            date=pathway.intake - dt.timedelta(days=1),
        )
    assert "comes before the intake" in exc.value.message_dict["date"][0]
    assert _counts() == before


def test_outcome_dated_before_the_intake_changes_nothing(pathway: PathwayWorld) -> None:
    before = _counts()
    for language, text in [
        ("en", "The outcome cannot be dated before the intake"),
        ("nl", None),
    ]:
        with translation.override(language), pytest.raises(ValidationError) as exc:
            services.outcome_record(
                actor=pathway.world.referrer,
                client=pathway.client,
                observed_on=pathway.intake - dt.timedelta(days=1),
                status="seeking_work",
                screening=dict(SCREENING, taken_on=pathway.today),
                needs=[],
            )
        message = exc.value.message_dict["observed_on"][0]
        assert pathway.intake.strftime("%d/%m/%Y") in message
        if text:
            assert text in message
    assert _counts() == before


def test_employed_outcome_needs_contract_hours_and_sector(pathway: PathwayWorld) -> None:
    before = _counts()
    with pytest.raises(ValidationError) as exc:
        services.outcome_record(
            actor=pathway.world.referrer,
            client=pathway.client,
            observed_on=pathway.today,
            status="employed",
        )
    assert {"contract_type", "sector", "hours_per_week"} <= set(exc.value.message_dict)
    with pytest.raises(ValidationError):
        services.outcome_record(
            actor=pathway.world.referrer,
            client=pathway.client,
            observed_on=pathway.today + dt.timedelta(days=3),
            status="seeking_work",
        )
    assert _counts() == before


def test_outcome_answers_the_follow_up_with_a_repeated_screening(pathway: PathwayWorld) -> None:
    start = pathway.today - dt.timedelta(days=200)
    activity = job_start(pathway, start)
    services.follow_ups_schedule(today=pathway.today)
    follow_up = FollowUp.objects.get(job_start=activity, months=6)
    outcome = services.outcome_record(
        actor=pathway.world.referrer,
        client=pathway.client,
        follow_up=follow_up,
        observed_on=pathway.today,
        status="employed",
        contract_type="permanent",
        hours_per_week=Decimal("24"),
        sector="logistics",
        same_job=True,
        screening=dict(SCREENING, taken_on=pathway.today),
        needs=[{"recipient_index": 0, "arrangement": "regular_childcare", "hours_per_week": 20}],
    )
    follow_up.refresh_from_db()
    assert follow_up.status == "done"
    assert outcome.screening is not None
    assert outcome.screening.occasion == "follow_up"
    assert outcome.same_job is True
    assert pathway.client.screenings.count() == 2
    # A second answer to the same follow-up is refused.
    before = _counts()
    with pytest.raises(ValidationError):
        services.outcome_record(
            actor=pathway.world.referrer,
            client=pathway.client,
            follow_up=follow_up,
            observed_on=pathway.today,
            status="inactive",
        )
    assert _counts() == before


def test_an_unreachable_client_answers_no_screening(pathway: PathwayWorld) -> None:
    before = _counts()
    with pytest.raises(ValidationError):
        services.outcome_record(
            actor=pathway.world.referrer,
            client=pathway.client,
            observed_on=pathway.today,
            status="unreachable",
            screening=dict(SCREENING, taken_on=pathway.today),
        )
    assert _counts() == before
    outcome = services.outcome_record(
        actor=pathway.world.referrer,
        client=pathway.client,
        observed_on=pathway.today,
        status="unreachable",
        contract_type="permanent",  # ignored: only an employed outcome keeps it
    )
    assert outcome.contract_type == ""


def test_regular_care_is_recorded_and_updated(pathway: PathwayWorld) -> None:
    lina = pathway.client.care_recipients.get(first_name="Lina")
    row = services.regular_care_record(
        actor=pathway.world.referrer,
        client=pathway.client,
        care_recipient=lina,
        registered_on=pathway.today - dt.timedelta(days=30),
        desk="Loket Kinderopvang Eeklo",
    )
    assert row.place_from is None
    row = services.regular_care_record(
        actor=pathway.world.referrer,
        client=pathway.client,
        care_recipient=lina,
        registered_on=pathway.today - dt.timedelta(days=30),
        desk="Loket Kinderopvang Eeklo",
        place_from=pathway.today + dt.timedelta(days=14),
        provider=pathway.world.provider_org,
    )
    assert RegularCare.objects.count() == 1
    assert row.provider == pathway.world.provider_org


def test_regular_care_bad_input_changes_nothing(pathway: PathwayWorld) -> None:
    before = _counts()
    bad: list[dict[str, Any]] = [
        {},  # neither a registration nor a place
        {"place_from": pathway.today},  # a place, but where?
        {"registered_on": pathway.today + dt.timedelta(days=2)},  # the future
        {
            "registered_on": pathway.today,
            "place_from": pathway.today,
            "provider": pathway.world.org,
        },
    ]
    for kwargs in bad:
        with pytest.raises(ValidationError):
            services.regular_care_record(
                actor=pathway.world.referrer, client=pathway.client, **kwargs
            )
    assert _counts() == before


def test_exit_marks_the_client_and_happens_once(pathway: PathwayWorld) -> None:
    exit_on(pathway, pathway.today, reason="employed")
    assert Client.objects.get(pk=pathway.client.pk).status == "exited"
    before = _counts()
    with pytest.raises(ValidationError):
        exit_on(pathway, pathway.today)
    assert _counts() == before


def test_only_those_who_follow_the_client_write_the_pathway(pathway: PathwayWorld) -> None:
    w = pathway.world
    for outsider in (w.other_referrer, w.trainer, w.provider, w.researcher, w.far_referrer):
        with pytest.raises(PermissionDenied):
            services.pathway_activity_create(
                actor=outsider, client=pathway.client, kind="course", date=pathway.today
            )
        with pytest.raises(PermissionDenied):
            services.outcome_record(
                actor=outsider,
                client=pathway.client,
                observed_on=pathway.today,
                status="inactive",
            )
        with pytest.raises(PermissionDenied):
            services.exit_record(
                actor=outsider, client=pathway.client, date=pathway.today, reason="moved"
            )
