"""The referrer's worklist and a client's pathway page: what they show, to whom, and with a
fixed number of queries."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from tests.pathways.conftest import PathwayWorld, another_client, job_start
from zorgbrug.care import services as care_services
from zorgbrug.care.models import Activity
from zorgbrug.pathways import services
from zorgbrug.pathways.models import FollowUp, Outcome, PathwayActivity

pytestmark = pytest.mark.django_db


def _waiting_request(p: PathwayWorld, client: Any) -> None:
    activity = care_services.activity_create(
        actor=p.world.referrer,
        client=client,
        organisation=p.world.org,
        kind="job_interview",
        title=f"Sollicitatie {client.first_name}",
        first_date=p.care.monday,
        last_date=p.care.monday,
        start_time=dt.time(9),
        end_time=dt.time(11),
    )
    care_services.care_request_create(
        actor=p.world.referrer, activity=activity, recipients=client.care_recipients.all()
    )


def _fill(p: PathwayWorld, n: int, offset: int = 0) -> None:
    """n clients with a job start whose care ends soon, a due follow-up and a waiting request."""
    for i in range(offset, offset + n):
        client = another_client(p, 500 + i)
        job_start(p, p.today - dt.timedelta(days=85), client=client)
        _waiting_request(p, client)
    services.follow_ups_schedule(today=p.today)


def test_worklist_shows_due_follow_ups_care_ending_and_waiting_requests(
    pathway: PathwayWorld,
) -> None:
    _fill(pathway, 1)
    page = (
        pathway.world.client_for(pathway.world.referrer)
        .get(reverse("pathways:worklist"))
        .content.decode()
    )
    assert page.count('data-testid="follow-up-row"') == 1
    assert page.count('data-testid="care-ending-row"') == 1
    assert page.count('data-testid="waiting-row"') == 1
    assert "Client500" in page


def test_worklist_of_another_referrer_is_empty(pathway: PathwayWorld) -> None:
    _fill(pathway, 1)
    other = pathway.world.client_for(pathway.world.other_referrer)
    page = other.get(reverse("pathways:worklist")).content.decode()
    assert "Client500" not in page
    assert 'data-testid="follow-up-row"' not in page
    for user in (pathway.world.trainer, pathway.world.provider, pathway.world.researcher):
        assert pathway.world.client_for(user).get(reverse("pathways:worklist")).status_code == 403


def test_worklist_query_count_is_constant(
    pathway: PathwayWorld, django_assert_max_num_queries: Any
) -> None:
    client = pathway.world.client_for(pathway.world.referrer)
    url = reverse("pathways:worklist")
    _fill(pathway, 1)
    client.get(url)
    with CaptureQueriesContext(connection) as one:
        client.get(url)
    _fill(pathway, 5, offset=1)
    with django_assert_max_num_queries(len(one.captured_queries)):
        page = client.get(url).content.decode()
    assert page.count('data-testid="waiting-row"') == 6


def test_pathway_page_records_a_step_and_refuses_bad_input(pathway: PathwayWorld) -> None:
    client = pathway.world.client_for(pathway.world.referrer)
    url = reverse("pathways:client_pathway", args=[pathway.client.pk])
    assert client.get(url).status_code == 200
    response = client.post(
        url,
        {
            "form": "activity",
            "act-kind": "job_start",
            "act-date": pathway.today.isoformat(),
            "act-employer": "Colruyt",
            "act-sector": "retail",
            "act-contract_type": "permanent",
            "act-hours_per_week": "19",
        },
    )
    assert response.status_code == 302
    page = client.get(url).content.decode()
    assert 'data-testid="care-warning"' not in page  # three months away
    assert 'data-kind="care_end"' in page
    before = PathwayActivity.objects.count()
    response = client.post(
        url,
        {
            "form": "activity",
            "act-kind": "course",
            "act-date": (pathway.intake - dt.timedelta(days=5)).isoformat(),
        },
        HTTP_ACCEPT_LANGUAGE="en",
    )
    assert response.status_code == 400
    assert "This date comes before the intake" in response.content.decode()
    assert PathwayActivity.objects.count() == before


def test_pathway_page_warns_before_care_ends(pathway: PathwayWorld) -> None:
    job_start(pathway, pathway.today - dt.timedelta(days=85))
    page = (
        pathway.world.client_for(pathway.world.referrer)
        .get(reverse("pathways:client_pathway", args=[pathway.client.pk]))
        .content.decode()
    )
    assert 'data-testid="care-warning"' in page


def test_outcome_page_with_the_repeated_screening(pathway: PathwayWorld) -> None:
    job_start(pathway, pathway.today - dt.timedelta(days=100))
    services.follow_ups_schedule(today=pathway.today)
    follow_up = FollowUp.objects.get()
    client = pathway.world.client_for(pathway.world.referrer)
    url = reverse("pathways:outcome_new", args=[pathway.client.pk])
    assert client.get(f"{url}?follow_up={follow_up.pk}").status_code == 200
    data = {
        "follow_up": str(follow_up.pk),
        "out-observed_on": (pathway.intake - dt.timedelta(days=1)).isoformat(),
        "out-status": "employed",
        "out-contract_type": "temp_agency",
        "out-hours_per_week": "25",
        "out-sector": "logistics",
        "out-same_job": "yes",
        "out-repeat_screening": "on",
        "scr-occasion": "follow_up",
        "scr-taken_on": pathway.today.isoformat(),
        "scr-would_accept": "yes",
        "scr-main_barrier": "none",
        "need-0-arrangement": "regular_childcare",
        "need-0-hours_per_week": "20",
        "need-1-arrangement": "family",
        "need-1-hours_per_week": "10",
    }
    response = client.post(url, data, HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 400
    assert "The outcome cannot be dated before the intake" in response.content.decode()
    assert not Outcome.objects.exists()
    assert pathway.client.screenings.count() == 1
    data["out-observed_on"] = pathway.today.isoformat()
    assert client.post(url, data).status_code == 302
    outcome = Outcome.objects.get()
    assert outcome.follow_up == follow_up and outcome.same_job is True
    assert outcome.screening is not None and outcome.screening.needs.count() == 2
    # Another referrer cannot open the page, nor answer the follow-up.
    other = pathway.world.client_for(pathway.world.other_referrer)
    assert other.get(f"{url}?follow_up={follow_up.pk}").status_code == 404


def test_pathway_page_query_count_is_constant(
    pathway: PathwayWorld, django_assert_max_num_queries: Any
) -> None:
    client = pathway.world.client_for(pathway.world.referrer)
    url = reverse("pathways:client_pathway", args=[pathway.client.pk])
    job_start(pathway, pathway.today - dt.timedelta(days=400))
    _waiting_request(pathway, pathway.client)
    services.follow_ups_schedule(today=pathway.today)
    client.get(url)
    with CaptureQueriesContext(connection) as one:
        client.get(url)
    for n in range(4):
        job_start(pathway, pathway.today - dt.timedelta(days=300 - n))
    Activity.objects.filter(client=pathway.client).update(title="Sollicitatie")
    services.follow_ups_schedule(today=pathway.today)
    with django_assert_max_num_queries(len(one.captured_queries)):
        assert client.get(url).status_code == 200
