"""The evaluation dashboard: coordinators and researchers, filters, SVG charts with tables."""

from __future__ import annotations

import re
from typing import Any

import pytest
from django.urls import reverse

from tests.research.conftest import ResearchWorld

pytestmark = pytest.mark.django_db

URL = "/research/"
PERIOD = {"start": "2026-01-01", "end": "2026-06-30"}


def indicator_cell(html: str, key: str) -> str:
    match = re.search(
        rf'data-indicator="{re.escape(key)}">.*?<td class="num">(.*?)</td>', html, re.S
    )
    assert match, key
    return match.group(1).strip()


def test_coordinator_and_researcher_see_the_dashboard(rw: ResearchWorld) -> None:
    for user in (rw.world.coordinator, rw.world.researcher):
        client = rw.world.client_for(user)
        client.cookies["django_language"] = "en"
        response = client.get(URL, PERIOD)
        assert response.status_code == 200
        html = response.content.decode()
        assert indicator_cell(html, "reach.screened") == "4"
        assert indicator_cell(html, "service.requests") == "7"
        assert indicator_cell(html, "outcome.at_exit") == "50.0 % (2 of 4)"
        assert indicator_cell(html, "cost.total") == "€ 135.00 (5 cost lines)"
        assert indicator_cell(html, "cost.per_hour") == "€ 3.91 (34.50 hours)"
        assert 'data-indicator="esf_result.improved_6m"' in html


def test_others_are_refused(rw: ResearchWorld) -> None:
    for user in (rw.world.referrer, rw.world.provider, rw.world.trainer):
        assert rw.world.client_for(user).get(URL).status_code == 403
    response = rw.world.client_for(None).get(URL)
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]


def test_charts_are_server_side_svg_each_with_a_table(rw: ResearchWorld) -> None:
    html = rw.world.client_for(rw.world.researcher).get(URL, PERIOD).content.decode()
    charts = re.findall(r'<svg role="img" aria-labelledby="(chart-[a-z]+)"', html)
    assert charts == [
        "chart-reach",
        "chart-period",
        "chart-kinds",
        "chart-uptake",
        "chart-outcomes",
        "chart-esf",
    ]
    for chart in charts:
        assert f'id="{chart}"' in html
        assert f'data-chart="{chart[6:]}"' in html
    assert "<canvas" not in html
    # Everything it loads is served here: no CDN. (Not a substring test for "cdn": the
    # page carries a random CSRF token.)
    assets = re.findall(r"<(?:script|link)[^>]*(?:src|href)=\"([^\"]+)\"", html)
    assert any(a.endswith(".js") for a in assets)
    assert all(a.startswith("/static/") for a in assets), assets


def test_filters_narrow_the_figures(rw: ResearchWorld) -> None:
    client = rw.world.client_for(rw.world.coordinator)
    html = client.get(URL, {**PERIOD, "activity_kind": "course"}).content.decode()
    assert indicator_cell(html, "service.requests") == "3"
    assert "Not filtered by" in html or "Niet" in html or "activity kind" in html
    response = client.get(URL, {**PERIOD, "organisation": rw.ocmw.pk, "network": "noord"})
    assert indicator_cell(response.content.decode(), "reach.screened") == "2"


@pytest.mark.parametrize(
    "params",
    [
        {"start": "2026-06-30", "end": "2026-01-01"},
        {"start": "2000-01-01", "end": "2026-01-01"},
        {"start": "gisteren", "end": "2026-01-01"},
        {**PERIOD, "network": "zuid"},
        {**PERIOD, "activity_kind": "holiday"},
        {**PERIOD, "organisation": "999999"},
    ],
)
def test_bad_filters_answer_400_with_a_message(rw: ResearchWorld, params: dict[str, Any]) -> None:
    client = rw.world.client_for(rw.world.researcher)
    client.cookies["django_language"] = "en"
    response = client.get(URL, params)
    assert response.status_code == 400
    assert 'class="errorlist"' in response.content.decode()


def test_organisation_must_refer_in_the_chosen_network(rw: ResearchWorld) -> None:
    client = rw.world.client_for(rw.world.coordinator)
    client.cookies["django_language"] = "en"
    response = client.get(
        URL, {**PERIOD, "network": "noord", "organisation": rw.world.provider_org.pk}
    )
    assert response.status_code == 400


def test_dashboard_queries_do_not_grow_with_the_data(
    rw: ResearchWorld, django_assert_max_num_queries: Any
) -> None:
    client = rw.world.client_for(rw.world.researcher)
    client.get(URL, PERIOD)
    # session and navigation, the evaluation's two temporary tables, a dozen aggregates
    with django_assert_max_num_queries(38):
        client.get(URL, PERIOD)


def test_navigation_shows_the_evaluation_to_researchers_only(rw: ResearchWorld) -> None:
    home = reverse("core:home")
    html = rw.world.client_for(rw.world.researcher).get(home).content.decode()
    assert f'href="{URL}"' in html
    html = rw.world.client_for(rw.world.referrer).get(home).content.decode()
    assert f'href="{URL}"' not in html


def test_dictionary_page(rw: ResearchWorld) -> None:
    response = rw.world.client_for(rw.world.researcher).get(reverse("research:dictionary"))
    assert response.status_code == 200
    assert "minutes_measured" in response.content.decode()
    assert (
        rw.world.client_for(rw.world.referrer).get(reverse("research:dictionary")).status_code
        == 403
    )


def test_shares_and_decimals_are_rounded_not_cut() -> None:
    from django.utils import translation

    from zorgbrug.research.templatetags.research_format import one_decimal, percent

    with translation.override("en"):
        assert percent(2 / 3) == "66.7 %"
        assert percent(0.4444) == "44.4 %"
        assert one_decimal(6.66) == "6.7"
        assert percent(None) == "–"
