"""Who sees what: partners only their own statements, coordinators of another network
nothing, researchers only aggregates — on the pages and in the API."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest
from django.test import Client

from tests.covenant.example import MONTH, Example
from tests.factories import NetworkFactory, OrganisationFactory, PartnerFactory, staff
from zorgbrug.access import scoping
from zorgbrug.access.models import User
from zorgbrug.covenant import services
from zorgbrug.covenant.models import Settlement, Statement


def login(user: Any) -> Client:
    client = Client()
    if user is not None:
        client.force_login(user)
    return client


@pytest.fixture
def closed(example: Example) -> Settlement:
    settlement = services.settlement_calculate(
        actor=example.coordinator, network=example.network, month=MONTH
    )
    return services.settlement_close(actor=example.coordinator, settlement=settlement)


@pytest.fixture
def far_coordinator(db: Any) -> User:
    org = OrganisationFactory(name="Agora")
    PartnerFactory(network=NetworkFactory(slug="elders"), organisation=org, is_coordinator=True)
    return staff(org, "coordinator", email="agora@example.org")


def statement(settlement: Settlement, example: Example, key: str, side: str) -> Statement:
    return Statement.objects.get(settlement=settlement, partner=example.partners[key], side=side)


def test_partners_see_only_their_own_statements(example: Example, closed: Settlement) -> None:
    own = statement(closed, example, "kriebeltje", "provider")
    others = Statement.objects.filter(settlement=closed).exclude(pk=own.pk)
    assert set(scoping.statements(example.provider_staff)) == {own}
    c = login(example.provider_staff)
    for fmt in ("", "download.pdf", "download.xlsx", "download.csv"):
        assert c.get(f"/covenant/statements/{own.pk}/{fmt}").status_code == 200
        for other in others:
            assert c.get(f"/covenant/statements/{other.pk}/{fmt}").status_code == 404
    html = c.get("/covenant/").content.decode()
    assert "38,64" in html and "37,59" not in html
    vdab = statement(closed, example, "vdab", "payer")
    assert set(scoping.statements(example.referrer)) == {vdab}
    api = login(example.referrer).get("/api/v1/statements/").json()
    assert [s["id"] for s in api] == [vdab.pk] and api[0]["total"] == "37.59"
    assert login(example.referrer).get(f"/api/v1/statements/{own.pk}/").status_code == 404


def test_statements_of_an_open_month_are_for_the_coordinators_only(example: Example) -> None:
    settlement = services.settlement_calculate(
        actor=example.coordinator, network=example.network, month=MONTH
    )
    own = statement(settlement, example, "kriebeltje", "provider")
    assert login(example.provider_staff).get(f"/covenant/statements/{own.pk}/").status_code == 404
    assert login(example.coordinator).get(f"/covenant/statements/{own.pk}/").status_code == 200


def test_partners_do_not_see_settlements_or_cost_lines(
    example: Example, closed: Settlement
) -> None:
    for user in (example.provider_staff, example.referrer, example.researcher):
        c = login(user)
        assert c.get("/covenant/voorbeeld/").status_code == 404
        assert c.get("/covenant/voorbeeld/months/2026-10/").status_code == 404
        assert c.get("/covenant/voorbeeld/months/2026-10/lines.csv").status_code == 404
        assert c.get("/covenant/voorbeeld/preview/").status_code == 404
        assert c.get("/api/v1/settlements/").json() == []
        assert c.get(f"/api/v1/settlements/{closed.pk}/").status_code == 404
        assert c.get(f"/api/v1/settlements/{closed.pk}/cost-lines/").status_code == 404
        assert c.post(f"/api/v1/settlements/{closed.pk}/close/").status_code == 404
        response = c.post("/api/v1/settlements/", {"network": "voorbeeld", "month": "2026-10"})
        assert response.status_code == 404


def test_coordinators_of_another_network_see_nothing(
    example: Example, closed: Settlement, far_coordinator: User
) -> None:
    c = login(far_coordinator)
    for url in [
        "/covenant/voorbeeld/",
        "/covenant/voorbeeld/months/2026-10/",
        f"/covenant/versions/{example.covenant.pk}/",
        f"/covenant/versions/{example.covenant.pk}/document-nl.pdf",
        f"/covenant/versions/{example.covenant.pk}/rules/",
        f"/covenant/statements/{closed.statements.first().pk}/",  # type: ignore[union-attr]
        f"/api/v1/covenants/{example.covenant.pk}/",
        f"/api/v1/settlements/{closed.pk}/",
    ]:
        assert c.get(url).status_code == 404, url
    assert c.get("/api/v1/covenants/").json() == []
    assert c.get("/api/v1/statements/").json() == []
    assert c.get("/api/v1/settlement-figures/").json() == []
    assert not scoping.statements(far_coordinator).exists()


def test_researchers_see_only_aggregates(example: Example, closed: Settlement) -> None:
    c = login(example.researcher)
    figures = c.get("/api/v1/settlement-figures/").json()
    assert figures == [
        {
            "network": "voorbeeld",
            "month": "2026-10",
            "total": "146.61",
            "care_costs": "193.73",
            "parent_contributions": "47.12",
            "cost_lines": 12,
        }
    ]
    assert c.get("/api/v1/statements/").json() == []
    assert c.get("/api/v1/covenants/").json() == []
    assert not scoping.statements(example.researcher).exists()
    for s in closed.statements.all():
        assert c.get(f"/covenant/statements/{s.pk}/").status_code == 404
    html = c.get("/covenant/").content.decode()
    assert "146,61" in html and "VDAB" not in html


def test_anonymous_gets_nothing(example: Example, closed: Settlement) -> None:
    c = login(None)
    assert c.get("/covenant/").status_code == 302
    assert c.get(f"/covenant/statements/{closed.statements.first().pk}/").status_code == 302  # type: ignore[union-attr]
    for url in ["/api/v1/covenants/", "/api/v1/statements/", "/api/v1/settlements/"]:
        assert c.get(url).status_code in (401, 403)


def test_every_partner_reads_the_covenant(example: Example) -> None:
    for user in (example.referrer, example.provider_staff):
        c = login(user)
        assert c.get(f"/covenant/versions/{example.covenant.pk}/").status_code == 200
        assert c.get(f"/covenant/versions/{example.covenant.pk}/rules/").status_code == 404
        data = c.get(f"/api/v1/covenants/{example.covenant.pk}/").json()
        assert data["late_cancellation_percent"] == "50.00"
        assert len(data["site_tariffs"]) == 3 and len(data["parties"]) == 11


def test_coordinator_api_calculates_lists_lines_and_closes(example: Example) -> None:
    c = login(example.coordinator)
    response = c.post(
        "/api/v1/settlements/",
        {"network": "voorbeeld", "month": "2026-10"},
        content_type="application/json",
    )
    assert response.status_code == 200, response.content
    data = response.json()
    assert data["total"] == "146.61" and data["status"] == "open"
    assert sum(Decimal(s["total"]) for s in data["statements"] if s["side"] == "payer") == Decimal(
        "146.61"
    )
    lines = c.get(f"/api/v1/settlements/{data['id']}/cost-lines/?kind=care").json()
    assert lines["count"] == 4
    assert {line["booking"] for line in lines["results"]} == {
        example.bookings[n].pk for n in ("S1", "S2", "S3", "R1")
    }
    bad = c.post(
        "/api/v1/settlements/",
        {"network": "voorbeeld", "month": "oktober"},
        content_type="application/json",
    )
    assert bad.status_code == 400
    closed = c.post(f"/api/v1/settlements/{data['id']}/close/")
    assert closed.status_code == 200 and closed.json()["status"] == "closed"
    again = c.post(f"/api/v1/settlements/{data['id']}/close/", headers={"Accept-Language": "en"})
    assert again.status_code == 400
    assert "closed" in again.content.decode()
    recalc = c.post(
        "/api/v1/settlements/",
        {"network": "voorbeeld", "month": "2026-10"},
        content_type="application/json",
    )
    assert recalc.status_code == 400
