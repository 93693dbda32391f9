"""Fixtures for the end-to-end tests: one headless Chromium per session, a fresh context per test.

The app is served by pytest-django's `live_server` (a thread in this process) on a
transactional database, so every test loads the demo region itself (`demo`). Playwright's
sync API runs an event loop in the test thread, which makes Django's async-safety check
refuse ORM calls from fixtures: DJANGO_ALLOW_ASYNC_UNSAFE switches that check off.
Chromium is Debian's (/usr/bin/chromium): never `playwright install` on these machines.
"""

from __future__ import annotations

import os

os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import require_or_skip

CHROMIUM = os.environ.get("ZORGBRUG_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
DEMO_PASSWORD = "demo-password-123"
SHOTS = Path(os.environ.get("ZORGBRUG_SHOTS", "/tmp/zorgbrug-shots"))
DESKTOP = {"width": 1280, "height": 900}
PHONE = {"width": 390, "height": 844}

# One demo user per role: (role, e-mail, full name, data-testid of the home section).
# A trainer's work is shown in the referrer section ("Your training work").
DEMO_ROLES = [
    ("coordinator", "coordinator@demo.zorgbrug.be", "Katrien Van Damme", "home-coordinator"),
    ("referrer", "referrer@demo.zorgbrug.be", "Sarah Claeys", "home-referrer"),
    ("provider", "provider@demo.zorgbrug.be", "Nadia El Amrani", "home-provider"),
    ("trainer", "trainer@demo.zorgbrug.be", "Joris Martens", "home-referrer"),
    ("researcher", "researcher@demo.zorgbrug.be", "Leen Vermeulen", "home-researcher"),
]


@pytest.fixture(scope="session")
def playwright_instance() -> Iterator[Any]:
    require_or_skip(
        os.access(CHROMIUM, os.X_OK), f"Chromium not found at {CHROMIUM} (apt-get install chromium)"
    )
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:  # pragma: no cover - depends on the environment
        require_or_skip(False, "playwright is not installed (pip install playwright)")
        raise
    with sync_playwright() as pw:
        yield pw


@pytest.fixture(scope="session")
def browser(playwright_instance: Any) -> Iterator[Any]:
    browser = playwright_instance.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
    yield browser
    browser.close()


@pytest.fixture
def viewport() -> dict[str, int]:
    return DESKTOP


@pytest.fixture
def context(browser: Any, viewport: dict[str, int]) -> Iterator[Any]:
    # A Dutch-speaking visitor, so Accept-Language does not depend on the machine's locale.
    context = browser.new_context(viewport=viewport, locale="nl-BE")
    context.set_default_timeout(10_000)
    yield context
    context.close()


@pytest.fixture
def page(context: Any) -> Any:
    return context.new_page()


@pytest.fixture
def demo(transactional_db: Any, settings: Any) -> dict[str, Any]:
    """The demo region, loaded into the live server's database (the loader wants DEBUG)."""
    from zorgbrug.demo.loader import load_demo

    settings.DEBUG = True
    try:
        result = load_demo(password=DEMO_PASSWORD)
    finally:
        settings.DEBUG = False
    return result


def login(page: Any, base_url: str, email: str, password: str = DEMO_PASSWORD) -> None:
    """Log in through the real form and wait for the home page."""
    page.goto(f"{base_url}/accounts/login/")
    page.fill("#id_username", email)
    page.fill("#id_password", password)
    with page.expect_navigation():
        page.locator("main form button[type=submit]").click()
    page.wait_for_selector("main h1")


def logout(page: Any) -> None:
    with page.expect_navigation():
        page.locator("form.logout-form button[type=submit]").click()


def screenshot(page: Any, name: str) -> Path:
    SHOTS.mkdir(parents=True, exist_ok=True)
    path = SHOTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    return path


def serious_violations(page: Any) -> list[dict[str, Any]]:
    from axe_playwright_python.sync_playwright import Axe

    result = Axe().run(page)
    return [v for v in result.response["violations"] if v.get("impact") in {"serious", "critical"}]


def describe(violations: list[dict[str, Any]]) -> str:
    lines = []
    for v in violations:
        lines.append(f"[{v['impact']}] {v['id']}: {v['help']} ({v.get('helpUrl', '')})")
        for node in v.get("nodes", [])[:5]:
            lines.append(f"    {node.get('target')}: {node.get('failureSummary', '').strip()}")
            lines.append(f"      {node.get('html', '')[:200]}")
    return "\n".join(lines)


def broken_idrefs(page: Any) -> list[str]:
    """aria-describedby/-labelledby and label[for] references that point at no element.

    axe only lists these as "incomplete" (needs review), yet a broken reference means that
    an error or help text is never announced with its field.
    """
    return page.evaluate("""() => {
        const broken = [];
        for (const attr of ["aria-describedby", "aria-labelledby", "aria-controls"]) {
            for (const el of document.querySelectorAll(`[${attr}]`)) {
                for (const id of el.getAttribute(attr).split(/\\s+/).filter(Boolean)) {
                    if (!document.getElementById(id)) {
                        broken.push(`${el.id || el.tagName} ${attr}=${id}`);
                    }
                }
            }
        }
        for (const label of document.querySelectorAll("label[for]")) {
            if (!document.getElementById(label.htmlFor)) broken.push(`label for=${label.htmlFor}`);
        }
        return broken;
    }""")
