"""/api/v1/research/indicators/: JSON for a period and filters; aggregates only."""

from __future__ import annotations

import json
from typing import Any

import pytest
from django.test import Client
from openapi_spec_validator import validate

from tests.research.conftest import ResearchWorld

pytestmark = pytest.mark.django_db

URL = "/api/v1/research/indicators/"
PERIOD = {"start": "2026-01-01", "end": "2026-06-30"}


def get(rw: ResearchWorld, user: Any, params: dict[str, Any] | None = None) -> Any:
    client = rw.world.client_for(user)
    client.cookies["django_language"] = "en"
    return client.get(URL, params or {})


def by_key(body: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {i["key"]: i for i in body["indicators"]}


def test_indicators_as_json(rw: ResearchWorld) -> None:
    response = get(rw, rw.world.researcher, PERIOD)
    assert response.status_code == 200
    body = response.json()
    assert body["start"] == "2026-01-01" and body["networks"] == [
        {"slug": "noord", "name": "Noord"}
    ]
    items = by_key(body)
    assert items["reach.screened"]["value"] == 4 and isinstance(
        items["reach.screened"]["value"], int
    )
    served = items["service.served"]
    assert (served["numerator"], served["denominator"]) == (5, 7)
    assert served["value"] == pytest.approx(5 / 7)
    assert items["service.wait_p90"]["value"] == pytest.approx(22.0)
    assert items["service.wait_p90"]["n"] == 5
    assert items["esf.participants"]["by_gender"] == {
        "female": 3,
        "male": 1,
        "x": 1,
        "unknown": 0,
        "total": 5,
    }
    table = items["uptake.by_activity_kind"]["table"]
    course = next(r for r in table["rows"] if r["key"] == "course")
    assert course["values"][:2] == [3, 2]
    assert body["cohorts"]["care_n"] == 1
    assert "not a randomised comparison" in body["cohorts"]["caveat"]
    # outcomes, costs (exact to the cent, as a decimal string) and ESF+ results
    at_exit = items["outcome.at_exit"]
    assert (at_exit["numerator"], at_exit["denominator"], at_exit["value"]) == (2, 4, 0.5)
    cost = items["cost.per_client"]
    assert (cost["amount"], cost["value"], cost["basis"], cost["basis_unit"]) == (
        "45.00",
        45.0,
        "3",
        "clients",
    )
    assert items["cost.total"]["amount"] == "135.00" and items["cost.total"]["unit"] == "euros"
    assert items["esf_result.employed_6m"]["by_gender"]["female"] == 1
    rows = {r["key"]: r["label"] for r in body["cohorts"]["rows"]}
    assert rows["left_work_or_training"] == "Left for work or training"


def test_filters_and_not_applicable(rw: ResearchWorld) -> None:
    body = get(rw, rw.world.coordinator, {**PERIOD, "activity_kind": "course"}).json()
    items = by_key(body)
    assert items["service.requests"]["value"] == 3
    assert items["reach.screened"]["not_applicable"] == ["activity_kind"]


def test_without_a_period_the_last_twelve_months(rw: ResearchWorld) -> None:
    body = get(rw, rw.world.researcher).json()
    assert body["start"] < body["end"]
    body = get(rw, rw.world.researcher, {"start": "2026-01-01"}).json()
    assert body["start"] == "2026-01-01"


def test_bad_filters_are_400_with_translated_messages(rw: ResearchWorld) -> None:
    response = get(rw, rw.world.researcher, {"start": "2026-06-30", "end": "2026-01-01"})
    assert response.status_code == 400
    assert "The end of the period comes before its start." in json.dumps(response.json())
    assert get(rw, rw.world.researcher, {**PERIOD, "network": "zuid"}).status_code == 400


def test_only_coordinators_and_researchers(rw: ResearchWorld) -> None:
    for user in (rw.world.referrer, rw.world.provider):
        assert get(rw, user, PERIOD).status_code == 403
    assert Client().get(URL).status_code in (401, 403)
    assert get(rw, rw.world.referrer).status_code == 403


def test_definitions(rw: ResearchWorld) -> None:
    client = rw.world.client_for(rw.world.researcher)
    body = client.get(URL + "definitions/").json()
    assert {d["key"] for d in body} >= {"reach.screened", "esf.jobless_with_children"}
    assert rw.world.client_for(rw.world.provider).get(URL + "definitions/").status_code == 403


def test_schema_documents_the_research_api(db: Any) -> None:
    schema = Client().get("/api/schema/?format=json").json()
    validate(schema)
    assert "/api/v1/research/indicators/" in schema["paths"]
    params = {
        p["name"] for p in schema["paths"]["/api/v1/research/indicators/"]["get"]["parameters"]
    }
    assert params == {"start", "end", "network", "organisation", "activity_kind"}
