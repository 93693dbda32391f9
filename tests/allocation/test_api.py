"""The allocation API under /api/v1/allocation-runs/: start, follow, read, accept; access."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone
from openapi_spec_validator import validate

from tests.allocation.conftest import Contested
from tests.care.test_api import api_for, ok
from zorgbrug.allocation.models import AllocationRun
from zorgbrug.care.models import Booking

pytestmark = pytest.mark.django_db

API = "/api/v1/allocation-runs/"


def start_over_api(contested: Contested, capture: Any, api: Any) -> dict[str, Any]:
    with capture(execute=True):
        response = api.post(
            API,
            {
                "network": contested.care.world.network.pk,
                "first_date": contested.first.isoformat(),
                "last_date": contested.last.isoformat(),
                "time_limit": 5,
                "seed": 3,
            },
            format="json",
        )
    return ok(response, 202)


def test_the_whole_flow_over_the_api(
    contested: Contested, django_capture_on_commit_callbacks: Any
) -> None:
    api = api_for(contested.care.world.coordinator)
    started = start_over_api(contested, django_capture_on_commit_callbacks, api)
    assert started["network"]["slug"] == "noord" and started["seed"] == 3
    run = ok(api.get(f"{API}{started['id']}/"))
    assert run["state"] == "ready" and run["progress"]["percent"] == 100
    figures = run["figures"]
    assert figures["requests"] == 6 and figures["served"] >= figures["fcfs_served"] - 1
    assert figures["value_gain"] > 0 and figures["solve_status"] == "optimal"
    assert len(run["instance_digest"]) == 64
    listed = ok(api.get(API))
    assert [r["id"] for r in listed["results"]] == [started["id"]]

    decisions = ok(api.get(f"{API}{started['id']}/decisions/"))["results"]
    assert len(decisions) == 6
    served = [d for d in decisions if d["served"]]
    unserved = [d for d in decisions if not d["served"]]
    assert all(d["plan"] and d["reason"] is None for d in served)
    assert all(d["reason"]["code"] and d["reason"]["text"] for d in unserved)
    job_start = next(d for d in decisions if d["request"] == contested.pk("job_start"))
    assert job_start["served"] and not job_start["fcfs_served"]
    assert job_start["priority"] == "job_start"
    assert {p["day_part"] for p in job_start["plan"]} == {"am"}
    # The reason in the caller's language (English here).
    assert any("0–2.5" in d["reason"]["text"] for d in unserved)

    # Accept two, then the rest.
    chosen = [contested.pk("job_start"), contested.pk("interview")]
    with django_capture_on_commit_callbacks(execute=True):
        accepted = ok(
            api.post(f"{API}{started['id']}/accept/", {"requests": chosen}, format="json")
        )
    assert sorted(accepted["booked"]) == sorted(chosen) and accepted["skipped"] == []
    assert set(Booking.objects.values_list("request_id", flat=True)) == set(chosen)
    with django_capture_on_commit_callbacks(execute=True):
        rest = ok(api.post(f"{API}{started['id']}/accept/", {"all": True}, format="json"))
    assert len(rest["booked"]) == len(served) - 2
    decisions = ok(api.get(f"{API}{started['id']}/decisions/"))["results"]
    assert {d["outcome"] for d in decisions if d["served"]} == {"booked"}
    assert ok(api.get(f"{API}{started['id']}/"))["state"] == "accepted"
    # Nothing left: a clear 400.
    again = api.post(f"{API}{started['id']}/accept/", {"all": True}, format="json")
    assert again.status_code == 400


def test_bad_input_is_a_400_and_starts_nothing(contested: Contested) -> None:
    api = api_for(contested.care.world.coordinator)
    today = timezone.localdate()
    network = contested.care.world.network.pk
    for body in (
        {"network": network, "first_date": str(today - dt.timedelta(1)), "last_date": str(today)},
        {"network": network, "first_date": str(today), "last_date": str(today + dt.timedelta(40))},
        {"network": network, "first_date": str(today + dt.timedelta(5)), "last_date": str(today)},
        {"network": network, "first_date": "tomorrow", "last_date": str(today)},
        {"network": network, "first_date": str(today), "last_date": str(today), "time_limit": 0},
    ):
        response = api.post(API, body, format="json")
        assert response.status_code == 400, (body, response.content)
    assert not AllocationRun.objects.exists()
    response = api.post(
        API,
        {
            "network": contested.care.world.other_network.pk,
            "first_date": str(today),
            "last_date": str(today),
        },
        format="json",
    )
    assert response.status_code == 404
    assert not AllocationRun.objects.exists()


def test_accept_needs_all_or_a_list(
    contested: Contested, django_capture_on_commit_callbacks: Any
) -> None:
    api = api_for(contested.care.world.coordinator)
    started = start_over_api(contested, django_capture_on_commit_callbacks, api)
    url = f"{API}{started['id']}/accept/"
    unserved = AllocationRun.objects.get().decisions.filter(served=False).first()
    assert unserved is not None
    for body in ({}, {"all": True, "requests": [1]}, {"requests": [unserved.care_request_id]}):
        assert api.post(url, body, format="json").status_code == 400, body
    assert not Booking.objects.exists()


def test_others_see_nothing(contested: Contested, django_capture_on_commit_callbacks: Any) -> None:
    world = contested.care.world
    started = start_over_api(
        contested, django_capture_on_commit_callbacks, api_for(world.coordinator)
    )
    run_url = f"{API}{started['id']}/"
    for outsider in (world.referrer, world.provider, world.researcher, world.far_coordinator):
        api = api_for(outsider)
        for url in (run_url, f"{run_url}decisions/"):
            response = api.get(url)
            assert response.status_code in (403, 404), (outsider, url)
        assert api.post(f"{run_url}accept/", {"all": True}, format="json").status_code in (
            403,
            404,
        )
        body = {
            "network": world.network.pk,
            "first_date": str(contested.first),
            "last_date": str(contested.last),
        }
        assert api.post(API, body, format="json").status_code in (403, 404)
        listed = api.get(API)
        assert listed.status_code == 403 or listed.json()["results"] == []
    assert api_for(None).get(run_url).status_code in (401, 403)
    assert AllocationRun.objects.count() == 1 and not Booking.objects.exists()


def test_the_schema_documents_the_allocation_api(db: Any) -> None:
    schema = Client().get("/api/schema/?format=json").json()
    validate(schema)
    paths = schema["paths"]
    assert {"get", "post"} <= set(paths["/api/v1/allocation-runs/"])
    assert "202" in paths["/api/v1/allocation-runs/"]["post"]["responses"]
    assert "get" in paths["/api/v1/allocation-runs/{id}/"]
    assert "get" in paths["/api/v1/allocation-runs/{id}/decisions/"]
    accept = paths["/api/v1/allocation-runs/{id}/accept/"]["post"]
    assert {"200", "400", "404"} <= set(accept["responses"])
    components = schema["components"]["schemas"]
    assert "AllocationRunStateEnum" in components and "AllocationOutcomeEnum" in components
    assert {"figures", "progress", "instance_digest"} <= set(
        components["AllocationRunOutput"]["properties"]
    )
