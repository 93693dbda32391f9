"""The language switcher: Arabic turns the page right-to-left, Dutch turns it back."""

from __future__ import annotations

from typing import Any

import pytest

from tests.browser.conftest import PHONE, login, screenshot

pytestmark = pytest.mark.browser


def _html(page: Any) -> tuple[str | None, str | None]:
    html = page.locator("html")
    return html.get_attribute("dir"), html.get_attribute("lang")


def test_switch_to_arabic_and_back(page: Any, live_server: Any, demo: Any) -> None:
    login(page, live_server.url, "coordinator@demo.zorgbrug.be")
    assert _html(page) == ("ltr", "nl")

    with page.expect_navigation():
        page.select_option("#language-select", "ar")
    assert _html(page) == ("rtl", "ar")
    assert page.url == f"{live_server.url}/", "the switcher should return to the same page"
    assert page.get_by_test_id("home-coordinator").is_visible()
    screenshot(page, "home-coordinator-ar-desktop")
    page.set_viewport_size(PHONE)
    screenshot(page, "home-coordinator-ar-phone")
    overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
    assert overflow <= 0, f"the Arabic home page scrolls sideways by {overflow}px on a phone"

    # The choice sticks while navigating.
    page.goto(f"{live_server.url}/networks/noord-meetjesland/")
    assert _html(page) == ("rtl", "ar")

    with page.expect_navigation():
        page.select_option("#language-select", "nl")
    assert _html(page) == ("ltr", "nl")
    assert page.url == f"{live_server.url}/networks/noord-meetjesland/"


def test_anonymous_visitor_can_switch_language(page: Any, live_server: Any) -> None:
    page.goto(f"{live_server.url}/accounts/login/")
    with page.expect_navigation():
        page.select_option("#language-select", "ar")
    assert _html(page) == ("rtl", "ar")
    with page.expect_navigation():
        page.select_option("#language-select", "nl")
    assert _html(page) == ("ltr", "nl")
