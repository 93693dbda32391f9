"""/api/v1/pathways/: activities, follow-ups and outcomes, for those who follow the client."""

from __future__ import annotations

import datetime as dt

import pytest

from tests.pathways.conftest import PathwayWorld, job_start
from zorgbrug.access.models import AuditEvent
from zorgbrug.pathways import services
from zorgbrug.pathways.models import FollowUp, Outcome, PathwayActivity

pytestmark = pytest.mark.django_db


def test_referrer_records_a_job_start_and_an_outcome(pathway: PathwayWorld) -> None:
    api = pathway.world.client_for(pathway.world.referrer)
    response = api.post(
        "/api/v1/pathways/activities/",
        {
            "client": pathway.client.pk,
            "kind": "job_start",
            "date": (pathway.today - dt.timedelta(days=100)).isoformat(),
            "employer": "Meetjesland Logistics",
            "sector": "logistics",
            "contract_type": "fixed_term",
            "hours_per_week": "30.0",
        },
        content_type="application/json",
    )
    assert response.status_code == 201, response.json()
    assert response.json()["care_until"] is not None
    services.follow_ups_schedule(today=pathway.today)
    follow_ups = api.get("/api/v1/pathways/follow-ups/?status=open").json()
    assert follow_ups["count"] == 1
    follow_up_id = follow_ups["results"][0]["id"]
    response = api.post(
        "/api/v1/pathways/outcomes/",
        {
            "client": pathway.client.pk,
            "follow_up": follow_up_id,
            "observed_on": pathway.today.isoformat(),
            "status": "employed",
            "contract_type": "fixed_term",
            "hours_per_week": "30.0",
            "sector": "logistics",
            "same_job": True,
            "screening": {"would_accept": "yes", "main_barrier": "none"},
            "needs": [{"recipient_index": 0, "arrangement": "regular_childcare"}],
        },
        content_type="application/json",
    )
    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["screening"] is not None and body["follow_up"] == follow_up_id
    assert FollowUp.objects.get(pk=follow_up_id).status == "done"
    listed = api.get(f"/api/v1/pathways/outcomes/?client={pathway.client.pk}").json()
    assert listed["count"] == 1


def test_bad_input_is_a_400_with_the_message_and_changes_nothing(pathway: PathwayWorld) -> None:
    api = pathway.world.client_for(pathway.world.referrer)
    # (Reading the client is audited; writing anything would add a "create" event.)
    before = (
        Outcome.objects.count(),
        PathwayActivity.objects.count(),
        AuditEvent.objects.filter(action="create").count(),
    )
    response = api.post(
        "/api/v1/pathways/outcomes/",
        {
            "client": pathway.client.pk,
            "observed_on": (pathway.intake - dt.timedelta(days=3)).isoformat(),
            "status": "seeking_work",
        },
        content_type="application/json",
        HTTP_ACCEPT_LANGUAGE="en",
    )
    assert response.status_code == 400
    assert "before the intake" in response.json()["observed_on"][0]
    response = api.post(
        "/api/v1/pathways/activities/",
        {"client": pathway.client.pk, "kind": "job_start", "date": pathway.today.isoformat()},
        content_type="application/json",
    )
    assert response.status_code == 400
    assert {"sector", "contract_type", "hours_per_week"} <= set(response.json())
    assert (
        Outcome.objects.count(),
        PathwayActivity.objects.count(),
        AuditEvent.objects.filter(action="create").count(),
    ) == before


def test_others_see_and_write_nothing(pathway: PathwayWorld) -> None:
    job_start(pathway, pathway.today - dt.timedelta(days=100))
    services.follow_ups_schedule(today=pathway.today)
    w = pathway.world
    for user in (w.other_referrer, w.trainer, w.provider, w.researcher, w.far_referrer):
        api = w.client_for(user)
        for path in ("activities", "follow-ups", "outcomes"):
            assert api.get(f"/api/v1/pathways/{path}/").json()["count"] == 0, (user, path)
        response = api.post(
            "/api/v1/pathways/outcomes/",
            {
                "client": pathway.client.pk,
                "observed_on": pathway.today.isoformat(),
                "status": "inactive",
            },
            content_type="application/json",
        )
        assert response.status_code == 400
        assert "client" in response.json()
    assert not Outcome.objects.exists()
