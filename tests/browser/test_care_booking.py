"""A referrer asks care for a three-week course for two siblings and books it; the provider
sees the children on its day list and registers attendance (issue 4).

Attendance can only be registered on the day itself, so the test travels in time to the
first course day by patching `django.utils.timezone.now`, which the live server (a thread of
this process) reads too.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.utils import timezone

from tests.browser.conftest import describe, login, logout, screenshot, serious_violations
from zorgbrug.care.calendar import is_public_holiday
from zorgbrug.care.models import Booking, CareRequest

pytestmark = pytest.mark.browser


def _course_start() -> dt.date:
    """The Monday after next, with three weeks of Mondays and Wednesdays free of holidays."""
    day = timezone.localdate() + dt.timedelta(days=8)
    while day.weekday() != 0 or any(
        is_public_holiday(day + dt.timedelta(days=i)) for i in range(21)
    ):
        day += dt.timedelta(days=1)
    return day


def _accessible(page: Any, what: str) -> None:
    violations = serious_violations(page)
    assert not violations, f"axe found problems on {what}:\n{describe(violations)}"


def test_referrer_books_a_course_for_two_siblings_and_the_provider_registers_attendance(
    page: Any, live_server: Any, demo: Any, monkeypatch: Any
) -> None:
    base = live_server.url
    start = _course_start()
    login(page, base, "referrer@demo.zorgbrug.be")
    page.goto(f"{base}/clients/?q=El+Idrissi")
    page.get_by_role("link", name="El Idrissi, Amina").click()
    page.wait_for_selector("#client-care")  # the care section arrives with htmx
    page.locator("#client-care a[href$='/ask/']").click()
    _accessible(page, "the ask-care form")

    page.select_option("#id_kind", "course")
    page.fill("#id_title", "Opleiding magazijnier")
    page.fill("#id_postcode", "9900")
    page.fill("#id_first_date", start.isoformat())
    page.check("#id_repeat_days_0")  # Monday
    page.check("#id_repeat_days_2")  # Wednesday
    page.fill("#id_last_date", (start + dt.timedelta(days=18)).isoformat())
    page.fill("#id_start_time", "13:30")
    page.fill("#id_end_time", "16:00")
    for box in page.locator("input[name=recipients]").all():
        box.check()
    with page.expect_navigation():
        page.locator("main form button[type=submit]").click()

    options = page.locator("[data-testid=option]")
    assert options.count() >= 1
    _accessible(page, "the proposals")
    screenshot(page, "care-proposals")
    kriebeltje = options.filter(has_text="Kriebeltje").first
    with page.expect_navigation():
        kriebeltje.get_by_role("button").click()
    status = page.locator("[data-testid=request-status]")
    assert status.get_attribute("data-status") == "booked"
    assert page.locator("[data-testid=booking-row]").count() == 12  # 6 afternoons × 2
    request = CareRequest.objects.get(activity__title="Opleiding magazijnier")
    names = set(
        Booking.objects.filter(request=request).values_list("recipient__first_name", flat=True)
    )
    assert names == {"Yusuf", "Lina"}
    logout(page)

    # The first course day, a quarter to one.
    moment = dt.datetime.combine(start, dt.time(12, 45), tzinfo=timezone.get_current_timezone())
    monkeypatch.setattr(timezone, "now", lambda: moment)
    login(page, base, "provider@demo.zorgbrug.be")
    page.goto(f"{base}/care/sites/")  # one site: straight to today's day list
    page.wait_for_selector("[data-testid=day-child]")
    assert start.strftime("%d") in page.locator("main h1").inner_text()
    _accessible(page, "the day list")
    screenshot(page, "care-day-list")
    card = page.locator("[data-testid=day-child]", has_text="Yusuf")
    card.locator("input[name=arrived_at]").fill("13:20")
    card.locator("button[name=status][value=attended]").click()
    page.wait_for_selector("[data-testid=day-child][data-status=attended]")
    booking = Booking.objects.get(request=request, recipient__first_name="Yusuf", date=start)
    assert booking.status == "attended" and booking.arrived_at == dt.time(13, 20)
