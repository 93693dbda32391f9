"""A coordinator adds a partner organisation through the form; the KBO number is checked."""

from __future__ import annotations

from typing import Any

import pytest

from tests.browser.conftest import (
    broken_idrefs,
    describe,
    login,
    screenshot,
    serious_violations,
)

pytestmark = pytest.mark.browser

NAME = "Kinderopvang De Regenboog"


def _open_form_and_fill(page: Any, base_url: str, kbo: str) -> None:
    login(page, base_url, "coordinator@demo.zorgbrug.be")
    page.goto(f"{base_url}/networks/noord-meetjesland/organisations/new/")
    page.fill("#id_name", NAME)
    page.fill("#id_kbo_number", kbo)
    page.select_option("#id_kind", "childcare_provider")
    page.select_option("#id_provider_kind", "daycare")
    page.fill("#id_email", "info@regenboog.example")
    page.check("input[name=roles][value=care_provider]")


def _submit(page: Any) -> None:
    with page.expect_navigation():
        page.locator("main form button[type=submit]").click()


def _assert_lands_on_new_organisation(page: Any, base_url: str) -> None:
    from zorgbrug.network.models import Organisation, Partner

    org = Organisation.objects.get(name=NAME)
    assert page.url == f"{base_url}/organisations/{org.pk}/"
    assert page.locator("main h1").inner_text() == NAME
    assert NAME in page.get_by_role("status").inner_text()  # "… has been added to the network"
    assert "0203.201.340" in page.locator("main").inner_text()
    assert org.kbo_number == "0203201340"
    partner = Partner.objects.get(organisation=org, network__slug="noord-meetjesland")
    assert partner.is_care_provider and not partner.is_referrer


def test_coordinator_adds_partner_with_invalid_then_valid_kbo(
    page: Any, live_server: Any, demo: Any
) -> None:
    from zorgbrug.network.models import Organisation

    # Typed as on a KBO extract, with dots; the check digits should be 49.
    _open_form_and_fill(page, live_server.url, "0123.456.789")
    _submit(page)

    kbo = page.locator("#id_kbo_number")
    error = page.locator("#id_kbo_number_error")
    assert error.is_visible()
    assert "0123.456.789" in error.inner_text()
    assert kbo.get_attribute("aria-invalid") == "true"
    # The error is announced with the field: aria-describedby points at it.
    assert "id_kbo_number_error" in (kbo.get_attribute("aria-describedby") or "").split()
    # What was typed is kept.
    assert page.input_value("#id_name") == NAME
    assert page.is_checked("input[name=roles][value=care_provider]")
    screenshot(page, "organisation-form-kbo-error")
    violations = serious_violations(page)
    assert not violations, describe(violations)
    assert not broken_idrefs(page)
    assert not Organisation.objects.filter(name=NAME).exists()

    page.fill("#id_kbo_number", "0203.201.340")
    _submit(page)
    _assert_lands_on_new_organisation(page, live_server.url)
