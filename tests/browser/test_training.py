"""A trainer plans an ONKI-day; a referrer enrols a mother of two and care requests appear
for both children; on the day the trainer registers attendance, and the certificate of
participation opens as a PDF with her name and the module (issue 5).

Attendance is registered on the day, so the test travels in time to the session by patching
`django.utils.timezone.now`, which the live server (a thread of this process) reads too.
"""

from __future__ import annotations

import datetime as dt
import io
from typing import Any

import pytest
from django.utils import timezone
from pypdf import PdfReader

from tests.browser.conftest import (
    broken_idrefs,
    describe,
    login,
    logout,
    screenshot,
    serious_violations,
)
from zorgbrug.access.models import User
from zorgbrug.care.calendar import is_public_holiday
from zorgbrug.care.models import CareRequest
from zorgbrug.clients import services as client_services
from zorgbrug.clients.models import Client
from zorgbrug.network.models import Membership, Network, Partner, Site
from zorgbrug.training.models import Enrolment, Module, Session

pytestmark = pytest.mark.browser

TRAINER = "trainer@demo.zorgbrug.be"
REFERRER = "referrer@demo.zorgbrug.be"


def _accessible(page: Any, what: str) -> None:
    violations = serious_violations(page)
    assert not violations, f"axe found problems on {what} ({page.url}):\n{describe(violations)}"
    broken = broken_idrefs(page)
    assert not broken, f"references to missing elements on {what}: {broken}"


def _session_day() -> dt.date:
    """A Tuesday at least a week ahead that is not a public holiday."""
    day = timezone.localdate() + dt.timedelta(days=7)
    while day.weekday() != 1 or is_public_holiday(day):
        day += dt.timedelta(days=1)
    return day


def _mother_of_two() -> Client:
    """Registered through the intake service, so the test does not hang on the demo's
    families: a mother with a toddler and a pre-schooler, followed by the demo referrer."""
    referrer = User.objects.get(email=REFERRER)
    organisation = Membership.objects.get(user=referrer, role="referrer").organisation
    today = timezone.localdate()
    return client_services.client_register(
        actor=referrer,
        organisation=organisation,
        network=Network.objects.get(slug="noord-meetjesland"),
        client={
            "first_name": "Fatima",
            "last_name": "Benali",
            "birth_date": dt.date(1993, 6, 2),
            "gender": "female",
            "postcode": "9900",
            "languages": ["nl", "ar"],
            "labour_status": "unemployed",
            "income_source": "social_integration",
            "single_adult_household": True,
            "children_in_household": 2,
        },
        consent={
            "care_support": True,
            "share_with_partners": False,
            "research_use": True,
            "language": "nl",
            "text_version": "2026-1",
        },
        recipients=[
            {"kind": "child", "first_name": "Sami", "birth_date": today - dt.timedelta(days=730)},
            {"kind": "child", "first_name": "Nour", "birth_date": today - dt.timedelta(days=1550)},
        ],
    )


def test_onki_day_from_planning_to_certificate(
    page: Any, live_server: Any, demo: Any, monkeypatch: Any
) -> None:
    base = live_server.url
    day = _session_day()
    mother = _mother_of_two()
    trainer = User.objects.get(email=TRAINER)
    centre = Membership.objects.get(user=trainer, role="trainer").organisation
    network = Network.objects.get(slug="noord-meetjesland")
    assert Partner.objects.filter(
        network=network, organisation=centre, is_training_provider=True
    ).exists()
    site = Site.objects.get(organisation=centre, name="Werkwijzer Eeklo")

    # 1. The trainer adds the ONKI-day to the catalogue and plans a session.
    login(page, base, TRAINER)
    with page.expect_navigation():
        page.locator(".site-header .nav a[href='/training/']").click()  # the menu item
    with page.expect_navigation():
        page.locator("main a[href='/training/modules/new/']").click()
    _accessible(page, "the new-module form")
    page.select_option("#id_provider", f"{network.pk}-{centre.pk}")
    page.select_option("#id_kind", "onki_day")
    page.fill("#id_name_nl", "ONKI-dag")
    page.fill("#id_name_fr", "Journée ONKI")
    page.fill("#id_description_nl", "Een dag over opvoeden, opvang en werk.")
    with page.expect_navigation():
        page.get_by_test_id("save-module").click()
    module = Module.objects.get(names__nl="ONKI-dag")
    assert page.url.endswith(f"/training/modules/{module.pk}/")
    page.fill("#id_session-date", day.isoformat())
    page.fill("#id_session-start_time", "09:00")
    page.fill("#id_session-end_time", "15:00")
    page.select_option("#id_session-site", str(site.pk))
    page.fill("#id_session-seats", "12")
    with page.expect_navigation():
        page.get_by_test_id("plan-session").click()
    session = Session.objects.get(module=module)
    assert session.date == day and session.trainer == trainer
    assert page.url.endswith(f"/training/sessions/{session.pk}/")
    _accessible(page, "the session page (trainer)")
    logout(page)

    # 2. The referrer enrols the mother of two; care is asked for both children.
    login(page, base, REFERRER)
    page.goto(f"{base}/training/")
    with page.expect_navigation():
        # The catalogue lists the demo network's sessions too: this one by its link.
        page.get_by_test_id("session-row").filter(has_text="ONKI-dag").locator(
            f"a[href='/training/sessions/{session.pk}/']"
        ).click()
    page.select_option("#id_enrol-client", str(mother.pk))
    with page.expect_navigation():
        page.get_by_test_id("enrol").click()
    row = page.get_by_test_id("enrolment-row").filter(has_text="Fatima Benali")
    assert row.get_attribute("data-status") == "enrolled"
    assert row.get_by_test_id("care-cell").get_attribute("data-care") == "asked"
    _accessible(page, "the session page (referrer)")
    screenshot(page, "training-session-referrer")
    with page.expect_navigation():
        row.get_by_test_id("care-cell").get_by_role("link").click()
    assert "Sami" in page.locator("main").inner_text()
    assert "Nour" in page.locator("main").inner_text()
    enrolment = Enrolment.objects.get(client=mother, session=session)
    request = CareRequest.objects.get(pk=enrolment.care_request_id)
    assert sorted(r.first_name for r in request.recipients.all()) == ["Nour", "Sami"]
    assert request.activity.kind == "training_session" and request.activity.first_date == day
    # The request waits for a place: it is on the referrer's worklist, and on her pathway.
    page.goto(f"{base}/pathways/worklist/")
    assert page.get_by_test_id("waiting-row").filter(has_text="Fatima Benali").count() == 1
    _accessible(page, "the worklist")
    screenshot(page, "pathways-worklist")
    page.goto(f"{base}/pathways/clients/{mother.pk}/")
    assert "ONKI-dag" in page.locator("main").inner_text()
    _accessible(page, "the pathway page")
    screenshot(page, "pathways-client")
    logout(page)

    # 3. The day of the session, at half past three: the trainer registers attendance.
    moment = dt.datetime.combine(day, dt.time(15, 30), tzinfo=timezone.get_current_timezone())
    monkeypatch.setattr(timezone, "now", lambda: moment)
    login(page, base, TRAINER)
    page.goto(f"{base}/training/sessions/{session.pk}/")
    row = page.get_by_test_id("enrolment-row").filter(has_text="Fatima Benali")
    row.get_by_test_id("attendance-present").click()  # htmx swaps the row
    page.wait_for_selector("[data-testid=enrolment-row][data-attendance=present]")
    enrolment.refresh_from_db()
    assert enrolment.attendance == "present"
    _accessible(page, "the session page on the day")
    screenshot(page, "training-attendance")

    # 4. The certificate opens as a PDF with her name and the module.
    link = (
        page.get_by_test_id("enrolment-row")
        .filter(has_text="Fatima Benali")
        .get_by_test_id("certificate-link")
    )
    href = link.get_attribute("href")
    response = page.request.get(f"{base}{href}")
    assert response.ok
    assert response.headers["content-type"] == "application/pdf"
    body = response.body()
    assert body.startswith(b"%PDF")
    text = "\n".join(p.extract_text() for p in PdfReader(io.BytesIO(body)).pages)
    assert "Fatima Benali" in text
    assert "ONKI-dag" in text
