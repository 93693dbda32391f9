"""Each role logs in through the real form, finds its own home section, and logs out."""

from __future__ import annotations

from typing import Any

import pytest

from tests.browser.conftest import DEMO_ROLES, PHONE, login, logout, screenshot

pytestmark = pytest.mark.browser


@pytest.mark.parametrize(
    ("role", "email", "name", "section"), DEMO_ROLES, ids=[r[0] for r in DEMO_ROLES]
)
def test_role_logs_in_sees_home_and_logs_out(
    page: Any, live_server: Any, demo: Any, role: str, email: str, name: str, section: str
) -> None:
    login(page, live_server.url, email)

    assert page.url == f"{live_server.url}/"
    home = page.get_by_test_id(section)
    assert home.is_visible(), f"{role} should see the {section} section"
    # Greeted by name in the heading, and named in the footer.
    assert name.split()[0] in page.locator("main h1").inner_text()
    assert name in page.locator("footer").inner_text()
    # Only the sections of one's own role.
    others = {r[3] for r in DEMO_ROLES} - {section}
    for other in others:
        assert page.get_by_test_id(other).count() == 0, f"{role} must not see {other}"
    screenshot(page, f"home-{role}-desktop")

    page.set_viewport_size(PHONE)
    screenshot(page, f"home-{role}-phone")
    # Nothing may stick out sideways on a phone.
    overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
    assert overflow <= 0, f"{role}'s home page scrolls sideways by {overflow}px on a phone"

    logout(page)
    assert page.url == f"{live_server.url}/accounts/login/"
    assert page.locator("#id_username").is_visible()
    assert page.locator("form.logout-form").count() == 0
    page.goto(f"{live_server.url}/")
    assert "/accounts/login/" in page.url, "after logging out, home must ask to log in again"


def test_wrong_password_shows_an_error(page: Any, live_server: Any, demo: Any) -> None:
    page.goto(f"{live_server.url}/accounts/login/")
    page.fill("#id_username", "coordinator@demo.zorgbrug.be")
    page.fill("#id_password", "not-the-password")
    # The form posts and the log-in page comes back with the error; wait for that page,
    # not the one still on screen when the click returns.
    with page.expect_navigation():
        page.locator("main form button[type=submit]").click()
    alert = page.get_by_role("alert")
    alert.wait_for()
    assert alert.is_visible()
    assert "/accounts/login/" in page.url
    assert page.locator("#id_password").input_value() == ""  # never echoed back
