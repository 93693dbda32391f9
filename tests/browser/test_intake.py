"""A referrer does two intakes — one in Dutch, one in English — and finds both clients.

The pages are checked with axe on the way (caseload, the intake form empty and with errors,
the client page), and screenshots of the intake form and the client page are taken on a
desktop and on a phone (ZORGBRUG_SHOTS, /tmp/zorgbrug-shots by default) to look at.
"""

from __future__ import annotations

import importlib
import re
from typing import Any

import pytest
from django.utils import timezone

from tests.browser.conftest import (
    DESKTOP,
    PHONE,
    broken_idrefs,
    describe,
    login,
    screenshot,
    serious_violations,
)
from zorgbrug.clients.consent_texts import VERSION

pytestmark = pytest.mark.browser

REFERRER = "referrer@demo.zorgbrug.be"
WEEKDAYS = {"mon": 0, "tue": 1, "wed": 2, "thu": 3, "fri": 4}


def _assert_accessible(page: Any, what: str) -> None:
    violations = serious_violations(page)
    assert not violations, f"axe found problems on {what} ({page.url}):\n{describe(violations)}"
    broken = broken_idrefs(page)
    assert not broken, f"references to missing elements on {what} ({page.url}): {broken}"


def _lang(page: Any) -> str | None:
    return page.locator("html").get_attribute("lang")


def _no_sideways_scroll(page: Any, what: str) -> None:
    overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
    assert overflow <= 0, f"{what} scrolls sideways by {overflow}px on a phone"


def _open_intake(page: Any, base_url: str) -> None:
    page.goto(f"{base_url}/clients/")
    with page.expect_navigation():
        page.locator("main a[href$='/clients/new/']").first.click()
    page.locator("form.intake-form").wait_for()


def _submit(page: Any) -> None:
    with page.expect_navigation():
        page.get_by_test_id("register").click()


def _register(page: Any) -> None:
    """Send the intake and expect the new client's page; else say what the form refused."""
    _submit(page)
    summary = page.get_by_test_id("error-summary")
    duplicates = page.get_by_test_id("duplicates")
    assert not summary.count() and not duplicates.count(), (
        summary.all_inner_texts() + duplicates.all_inner_texts()
    )
    assert re.search(r"/clients/\d+/(#.*)?$", page.url), page.url  # (a #fragment survives)


def _fill_person(page: Any, n: int, person: dict[str, Any]) -> None:
    block = page.get_by_test_id(f"person-{n + 1}")
    if block.get_attribute("open") is None:
        block.locator("summary").click()
    prefix = f"#id_recipients-{n}-"
    page.select_option(f"{prefix}kind", person.get("kind", "child"))
    page.fill(f"{prefix}first_name", person["first_name"])
    page.fill(f"{prefix}birth_date", person["birth_date"])
    for name in ("allergies", "special_needs", "pickup_persons"):
        if name in person:
            page.fill(f"{prefix}{name}", person[name])
    if "adult_care_kind" in person:
        page.select_option(f"{prefix}adult_care_kind", person["adult_care_kind"])
    page.select_option(f"{prefix}arrangement", person["arrangement"])
    for day in person["days"]:
        page.check(f"{prefix}days_{WEEKDAYS[day]}")
    page.fill(f"{prefix}hours_per_week", str(person["hours"]))


def _fill_intake(page: Any, data: dict[str, Any]) -> None:
    page.select_option("#id_consent-language", data["consent_language"])
    page.check("#id_consent-care_support")
    if data.get("share"):
        page.check("#id_consent-share_with_partners")
    if data.get("research"):
        page.check("#id_consent-research_use")
    c = "#id_client-"
    page.fill(f"{c}first_name", data["first_name"])
    page.fill(f"{c}last_name", data["last_name"])
    page.fill(f"{c}birth_date", data["birth_date"])
    page.select_option(f"{c}gender", data["gender"])
    page.fill(f"{c}insz", data.get("insz", ""))
    page.fill(f"{c}phone", data["phone"])
    page.fill(f"{c}street", data["street"])
    page.fill(f"{c}postcode", "9900")
    page.fill(f"{c}languages", data["languages"])
    page.select_option(f"{c}labour_status", data["labour_status"])
    page.fill(f"{c}months_unemployed", str(data["months_unemployed"]))
    page.select_option(f"{c}income_source", data["income_source"])
    page.fill(f"{c}adults_in_household", str(data["adults"]))
    page.fill(f"{c}children_in_household", str(data["children"]))
    if data["adults"] == 1:
        page.check(f"{c}single_adult_household")
    for n, person in enumerate(data["people"]):
        _fill_person(page, n, person)
    assert page.is_checked("#id_with_screening")  # the screening is done by default
    for stopped in data["stopped"]:
        page.check(f"#id_screening-stopped_{stopped}")
    page.check(f"#id_screening-would_accept_{['yes', 'maybe', 'no'].index(data['accept'])}")
    if "refusal_reason" in data:
        page.select_option("#id_screening-refusal_reason", data["refusal_reason"])
    page.select_option("#id_screening-main_barrier", data["main_barrier"])


MOTHER = {
    "consent_language": "nl",
    "share": True,
    "research": True,
    "first_name": "Leila",
    "last_name": "Bouchtaoui",
    "birth_date": "1990-02-15",
    "gender": "female",
    "phone": "0471 98 76 54",
    "street": "Stationsstraat 12",
    "languages": "ar, nl",
    "labour_status": "unemployed",
    "months_unemployed": 14,
    "income_source": "social_integration",
    "adults": 1,
    "children": 2,
    "people": [
        {
            "first_name": "Ilyas",
            "birth_date": "2021-05-01",
            "pickup_persons": "Oma Fatima",
            "arrangement": "none",
            "days": ["mon", "tue", "wed", "thu", "fri"],
            "hours": 30,
        },
        {
            "first_name": "Nour",
            "birth_date": "2023-09-12",
            "allergies": "pinda's",
            "arrangement": "family",
            "days": ["mon", "tue"],
            "hours": 12,
        },
    ],
    "stopped": ["job", "course"],
    "accept": "yes",
    "main_barrier": "care",
}

FATHER = {
    "consent_language": "en",
    "share": False,
    "research": True,
    "first_name": "Tomasz",
    "last_name": "Kowalczyk",
    "birth_date": "1986-11-03",
    "gender": "male",
    "phone": "+48 512 345 678",
    "street": "Molenstraat 3",
    "languages": "pl, en",
    "labour_status": "inactive",
    "months_unemployed": 30,
    "income_source": "none",
    "adults": 2,
    "children": 1,
    "people": [
        {
            "first_name": "Zofia",
            "birth_date": "2019-01-20",
            "special_needs": "Speech therapy on Wednesdays",
            "arrangement": "regular_childcare",
            "days": ["wed"],
            "hours": 4,
        },
        {
            "kind": "adult",
            "first_name": "Halina",
            "birth_date": "1948-06-30",
            "adult_care_kind": "supervision",
            "arrangement": "none",
            "days": ["mon", "thu"],
            "hours": 10,
        },
    ],
    "stopped": ["interview"],
    "accept": "no",
    "refusal_reason": "trust",
    "main_barrier": "language",
}


@pytest.fixture
def consent_texts(demo: Any) -> None:
    """The consent texts come from a data migration, which the flushes between
    transactional tests remove: load them again, as the migration does."""
    from django.apps import apps

    migration = importlib.import_module("zorgbrug.clients.migrations.0002_consent_texts")
    migration.load(apps, None)


def test_two_intakes_in_dutch_and_english_and_both_in_the_caseload(
    page: Any, live_server: Any, consent_texts: None
) -> None:
    from zorgbrug.clients.models import Client

    base = live_server.url
    clients_before = Client.objects.count()  # the demo region has a few
    login(page, base, REFERRER)
    assert _lang(page) == "nl"

    # --- The empty caseload and the empty intake form -------------------------------
    page.goto(f"{base}/clients/")
    _assert_accessible(page, "the caseload")
    _open_intake(page, base)
    _assert_accessible(page, "the empty intake form")
    screenshot(page, "intake-empty-desktop")
    page.set_viewport_size(PHONE)
    _assert_accessible(page, "the empty intake form on a phone")
    _no_sideways_scroll(page, "the intake form")
    screenshot(page, "intake-empty-phone")
    page.set_viewport_size(DESKTOP)
    # Only the first person's block is open: the form stays short until it is needed.
    assert page.get_by_test_id("person-1").get_attribute("open") is not None
    assert page.get_by_test_id("person-2").get_attribute("open") is None
    # The consent text to read is open in the language of the page.
    assert page.locator("details[lang=nl]").get_attribute("open") is not None
    assert page.locator("details[lang=fr]").get_attribute("open") is None
    # Skipping the screening folds its questions away (CSS only).
    page.uncheck("#id_with_screening")
    assert not page.is_visible("#id_screening-main_barrier")
    page.check("#id_with_screening")
    assert page.is_visible("#id_screening-main_barrier")

    # --- Sent empty: every problem is listed at the top, with a link to its field -----
    _submit(page)
    summary = page.get_by_test_id("error-summary")
    assert summary.is_visible()
    assert summary.locator("a[href='#id_client-first_name']").count() == 1
    assert summary.locator("a[href='#id_consent-care_support']").count() == 1
    _assert_accessible(page, "the intake form with errors")
    screenshot(page, "intake-errors-desktop")
    summary.locator("a[href='#id_client-last_name']").click()
    assert page.evaluate("document.activeElement.id") == "id_client-last_name"
    assert Client.objects.count() == clients_before

    # --- Dutch intake: a mother with two children ------------------------------------
    _fill_intake(page, MOTHER)
    _register(page)
    assert page.locator("main h1").inner_text().strip() == "Leila Bouchtaoui"
    people = page.locator("main table").first.inner_text()
    assert "Ilyas" in people and "Nour" in people
    _assert_accessible(page, "the client page")
    screenshot(page, "client-desktop")
    page.set_viewport_size(PHONE)
    _assert_accessible(page, "the client page on a phone")
    _no_sideways_scroll(page, "the client page")
    screenshot(page, "client-phone")
    page.set_viewport_size(DESKTOP)

    mother = Client.objects.get(last_name="Bouchtaoui")
    assert mother.phone == "+32471987654" and mother.municipality == "Eeklo"
    assert mother.languages == ["ar", "nl"] and mother.single_adult_household
    consent = mother.consents.get()
    assert consent.language == "nl" and consent.text_version == VERSION
    assert consent.share_with_partners and consent.research_use
    screening = mother.screenings.get()
    assert screening.stopped_job and screening.stopped_course and not screening.stopped_interview
    needs = {n.care_recipient.first_name: n for n in screening.needs.all()}
    assert needs["Ilyas"].arrangement == "none" and needs["Ilyas"].days_needed == "1111100"
    assert needs["Nour"].arrangement == "family" and float(needs["Nour"].hours_per_week) == 12
    assert {r.first_name: r.allergies for r in mother.care_recipients.all()} == {
        "Ilyas": "",
        "Nour": "pinda's",
    }
    screenings = page.locator("section[aria-labelledby=scr-h]").inner_text()
    assert f" {screening.barrier_score} " in screenings
    assert "ma, di, wo, do, vr" in screenings  # Ilyas's days, in Dutch
    assert "0471 98 76 54" in page.locator("main").inner_text()

    # --- Switch to English with the language switcher --------------------------------
    with page.expect_navigation():
        page.select_option("#language-select", "en")
    assert _lang(page) == "en"
    assert page.url.endswith(f"/clients/{mother.pk}/"), "the switcher returns to the same page"

    # --- English intake: a father with a child and his mother; first with a bad INSZ --
    _open_intake(page, base)
    assert page.locator("main h1").inner_text().strip() == "New intake"
    _fill_intake(page, {**FATHER, "insz": "86.11.03-123.45"})
    _submit(page)
    summary = page.get_by_test_id("error-summary")
    assert "national register" in summary.inner_text()  # an English message
    assert page.input_value("#id_client-last_name") == "Kowalczyk"  # nothing typed is lost
    assert page.get_by_test_id("person-2").get_attribute("open") is not None
    _assert_accessible(page, "the intake form with a refused INSZ")
    page.set_viewport_size(PHONE)
    screenshot(page, "intake-errors-phone")
    page.set_viewport_size(DESKTOP)
    assert Client.objects.count() == clients_before + 1

    # Typed as on the identity card, with dots and a dash; the record keeps the 11 digits.
    page.fill("#id_client-insz", "86.11.03-123.21")
    _register(page)
    assert page.locator("main h1").inner_text().strip() == "Tomasz Kowalczyk"
    father = Client.objects.get(last_name="Kowalczyk")
    assert father.phone == "+48512345678" and father.insz == "86110312321"
    assert father.consents.get().language == "en"
    assert father.consents.get().text_version == VERSION
    assert not father.consents.get().share_with_partners
    screening = father.screenings.get()
    assert screening.would_accept == "no" and screening.refusal_reason == "trust"
    assert {r.first_name: r.kind for r in father.care_recipients.all()} == {
        "Zofia": "child",
        "Halina": "adult",
    }
    assert screening.taken_on == timezone.localdate()

    # --- Both clients in the caseload, found by name ---------------------------------
    page.goto(f"{base}/clients/")
    table = page.locator("#caseload")
    assert "Bouchtaoui" in table.inner_text() and "Kowalczyk" in table.inner_text()
    _assert_accessible(page, "the caseload")
    for query, found, not_found in [
        ("bouchtaoui", "Leila", "Kowalczyk"),
        ("Kowalczyk", "Tomasz", "Bouchtaoui"),
        ("leila", "Bouchtaoui", "Kowalczyk"),
    ]:
        with page.expect_response(lambda r: "/clients/?" in r.url and "q=" in r.url):
            page.fill("#q", query)
        page.wait_for_function(
            "([text]) => !document.querySelector('#caseload').innerText.includes(text)",
            arg=[not_found],
        )
        text = table.inner_text()
        assert found in text and not_found not in text, query
    with page.expect_navigation():
        table.get_by_role("link", name="Bouchtaoui, Leila").click()
    assert page.locator("main h1").inner_text().strip() == "Leila Bouchtaoui"
