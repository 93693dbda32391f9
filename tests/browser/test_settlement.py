"""The coordinator calculates and closes a month, then downloads a partner's statement as a
PDF whose text holds the right totals (the worked example of docs/covenant.md)."""

from __future__ import annotations

import io
from typing import Any

import pytest
from pypdf import PdfReader

from tests.browser.conftest import (
    DEMO_PASSWORD,
    describe,
    login,
    screenshot,
    serious_violations,
)
from tests.covenant.example import build_example

pytestmark = pytest.mark.browser


@pytest.fixture
def example(transactional_db: Any) -> Any:
    return build_example(password=DEMO_PASSWORD)


def test_coordinator_closes_a_month_and_downloads_a_partners_pdf(
    page: Any, live_server: Any, example: Any
) -> None:
    from zorgbrug.covenant.models import Settlement

    login(page, live_server.url, example.coordinator.email)
    page.locator('nav a[href="/covenant/"]').click()
    page.locator('main a[href="/covenant/voorbeeld/"]').click()
    page.fill("#id_month", "2026-10")
    with page.expect_navigation():
        page.locator("main form:has(#id_month) button[type=submit]").click()
    assert page.url.endswith("/covenant/voorbeeld/months/2026-10/")

    # Calculate: a background job (inline in tests), then back to the month.
    with page.expect_navigation():
        page.locator("main form:has(input[value=calculate]) button").click()
    assert page.get_by_test_id("settlement-total").inner_text() == "€ 146,61"
    violations = serious_violations(page)
    assert not violations, describe(violations)
    screenshot(page, "settlement-month")

    # Close: the browser asks for confirmation first.
    page.once("dialog", lambda dialog: dialog.accept())
    with page.expect_navigation():
        page.locator("main form:has(input[value=close]) button").click()
    settlement = Settlement.objects.get(network=example.network, month="2026-10-01")
    assert settlement.is_closed
    assert page.locator("main form:has(input[value=calculate])").count() == 0

    # VDAB's statement: what the referrer pays, adding up with the others to the total.
    vdab = example.partners["vdab"]
    with page.expect_download() as download:
        page.get_by_test_id(f"pdf-payer-{vdab.pk}").click()
    data = open(download.value.path(), "rb").read()  # noqa: SIM115
    text = "\n".join(p.extract_text() for p in PdfReader(io.BytesIO(data)).pages)
    assert "VDAB Eeklo" in text
    assert "€ 37,59" in text  # VDAB's share
    assert "€ 146,61" in text  # the network's total that month
    assert "oktober 2026" in text.lower()

    # And a provider's: what the network owes 't Kriebeltje.
    kriebeltje = example.partners["kriebeltje"]
    with page.expect_download() as download:
        page.get_by_test_id(f"pdf-provider-{kriebeltje.pk}").click()
    data = open(download.value.path(), "rb").read()  # noqa: SIM115
    text = "\n".join(p.extract_text() for p in PdfReader(io.BytesIO(data)).pages)
    assert "€ 38,64" in text and "€ 50,00" in text and "€ 11,36" in text
