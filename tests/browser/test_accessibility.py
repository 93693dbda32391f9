"""axe-core finds no serious or critical WCAG problem on the main pages."""

from __future__ import annotations

from typing import Any

import pytest

from tests.browser.conftest import (
    DEMO_ROLES,
    DESKTOP,
    PHONE,
    broken_idrefs,
    describe,
    login,
    serious_violations,
)

pytestmark = pytest.mark.browser


def _assert_accessible(page: Any, what: str) -> None:
    violations = serious_violations(page)
    assert not violations, f"axe found problems on {what} ({page.url}):\n{describe(violations)}"
    broken = broken_idrefs(page)
    assert not broken, f"references to missing elements on {what} ({page.url}): {broken}"


def test_login_page(page: Any, live_server: Any) -> None:
    page.goto(f"{live_server.url}/accounts/login/")
    _assert_accessible(page, "the log-in page")


def test_login_page_with_error(page: Any, live_server: Any, demo: Any) -> None:
    page.goto(f"{live_server.url}/accounts/login/")
    page.fill("#id_username", "nobody@example.org")
    page.fill("#id_password", "wrong")
    page.locator("main form button[type=submit]").click()
    page.get_by_role("alert").wait_for()
    _assert_accessible(page, "the log-in page with an error")


@pytest.mark.parametrize(
    ("role", "email"), [(r[0], r[1]) for r in DEMO_ROLES], ids=[r[0] for r in DEMO_ROLES]
)
def test_home_page(page: Any, live_server: Any, demo: Any, role: str, email: str) -> None:
    login(page, live_server.url, email)
    _assert_accessible(page, f"the {role}'s home page")
    # Some problems only exist on a small screen (a table that has to scroll sideways).
    page.set_viewport_size(PHONE)
    _assert_accessible(page, f"the {role}'s home page on a phone")


def test_coordinator_network_and_organisation_pages(page: Any, live_server: Any, demo: Any) -> None:
    login(page, live_server.url, "coordinator@demo.zorgbrug.be")
    page.goto(f"{live_server.url}/networks/noord-meetjesland/")
    page.locator("main h1").wait_for()
    _assert_accessible(page, "the network page")

    page.set_viewport_size(PHONE)
    _assert_accessible(page, "the network page on a phone")

    page.locator("main table a").first.click()
    page.wait_for_url("**/organisations/*/")
    _assert_accessible(page, "an organisation page on a phone")
    page.set_viewport_size(DESKTOP)
    _assert_accessible(page, "an organisation page")

    page.goto(f"{live_server.url}/networks/noord-meetjesland/organisations/new/")
    _assert_accessible(page, "the new-organisation form")
    with page.expect_navigation():  # empty: every required field gets an error
        page.locator("main form button[type=submit]").click()
    page.locator(".errorlist").first.wait_for()
    _assert_accessible(page, "the new-organisation form with errors")


def test_home_page_in_arabic(page: Any, live_server: Any, demo: Any) -> None:
    login(page, live_server.url, "coordinator@demo.zorgbrug.be")
    with page.expect_navigation():
        page.select_option("#language-select", "ar")
    _assert_accessible(page, "the coordinator's home page in Arabic")
