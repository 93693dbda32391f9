"""The coordinator allocates the demo network's contested Wednesday afternoon and accepts
the proposal; the provider finds the children on its day list (issue 8).

The demo has eight babies waiting for that afternoon and at most six free places within
reach. The run is left pending when it is started (dispatch is switched off), so the page
shows the progress bar polling; the test then runs the job itself while the browser
watches the bar finish and the proposal appear.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.utils import timezone

from tests.browser.conftest import describe, login, logout, screenshot, serious_violations
from zorgbrug.allocation.models import AllocationDecision, AllocationRun
from zorgbrug.care.models import Booking, CareSite
from zorgbrug.clients.models import CareRecipient

pytestmark = pytest.mark.browser


def _accessible(page: Any, what: str) -> None:
    violations = serious_violations(page)
    assert not violations, f"axe found problems on {what}:\n{describe(violations)}"


def test_coordinator_allocates_and_the_bookings_reach_the_day_list(
    page: Any, live_server: Any, demo: Any, monkeypatch: Any
) -> None:
    import zorgbrug.jobs.services as jobs

    base = live_server.url
    login(page, base, "coordinator@demo.zorgbrug.be")
    page.locator("[data-testid=home-allocation]").first.click()
    page.wait_for_selector("input[name=first_date]")
    assert "/allocation/networks/noord-meetjesland/" in page.url
    _accessible(page, "the allocation page")

    today = timezone.localdate()
    page.fill("#id_first_date", today.isoformat())
    page.fill("#id_last_date", (today + dt.timedelta(days=13)).isoformat())
    page.fill("#id_time_limit", "5")
    pending: list[Any] = []
    monkeypatch.setattr(jobs, "dispatch", pending.append)  # the job waits for us
    with page.expect_navigation():
        page.locator("main form button[type=submit]").click()
    bar = page.locator("#run-progress progress")
    bar.wait_for()
    assert page.locator("#run-progress [data-testid=run-state]").get_attribute("data-state") == (
        "pending"
    )
    _accessible(page, "the run's progress")
    screenshot(page, "allocation-progress")

    run = AllocationRun.objects.get()
    assert pending == [run.job_id]
    jobs.job_run(job_id=run.job_id)  # the browser keeps polling meanwhile
    page.wait_for_selector("[data-testid=served-row]", timeout=30_000)
    assert page.locator("[data-testid=run-status]").get_attribute("data-state") == "ready"
    run.refresh_from_db()
    served = page.locator("[data-testid=served-row]")
    unserved = page.locator("[data-testid=unserved-row]")
    assert served.count() == run.served_count >= 4
    assert unserved.count() >= 2  # eight babies, at most six places
    for reason in unserved.locator("[data-testid=reason]").all():
        assert reason.inner_text().strip()
    assert page.locator("[data-testid=fcfs-count]").inner_text().strip()
    _accessible(page, "the review")
    screenshot(page, "allocation-review")

    with page.expect_navigation():
        page.locator("[data-testid=accept-all]").click()
    page.wait_for_selector("[data-testid=accept-result]")
    booked_rows = page.locator("[data-testid=decided-row][data-outcome=booked]")
    waiting_rows = page.locator("[data-testid=decided-row][data-outcome=waiting_provider]")
    assert booked_rows.count() + waiting_rows.count() == run.served_count
    _accessible(page, "the result of accepting")
    screenshot(page, "allocation-accepted")

    # Which children were placed at 't Kriebeltje, and when.
    kriebeltje = CareSite.objects.get(site__name="'t Kriebeltje")
    placed = [
        (p["recipient"], dt.date.fromisoformat(p["date"]))
        for d in AllocationDecision.objects.filter(run=run, served=True)
        for p in d.plan
        if p["site"] == kriebeltje.pk
    ]
    assert placed, "the run placed nobody at 't Kriebeltje"
    for recipient, day in placed:
        assert Booking.objects.filter(
            recipient_id=recipient, care_site=kriebeltje, date=day
        ).exists()
    logout(page)

    login(page, base, "provider@demo.zorgbrug.be")
    recipient, day = placed[0]
    name = CareRecipient.objects.get(pk=recipient).first_name
    page.goto(f"{base}/care/sites/{kriebeltje.pk}/day/{day.isoformat()}/")
    child = page.locator("[data-testid=day-child]", has_text=name)
    child.first.wait_for()
    assert child.count() >= 1
    screenshot(page, "allocation-day-list")
