"""Coordinator pages: covenant versions and rules, months, statements and their downloads,
the preview of a rule change, the covenant as a document."""

from __future__ import annotations

import io
from decimal import Decimal
from typing import Any

import pytest
from django.test import Client
from openpyxl import load_workbook
from pypdf import PdfReader

from tests.covenant.example import MONTH, Example
from zorgbrug.covenant import services
from zorgbrug.covenant.models import Settlement, Statement


def login(user: Any) -> Client:
    client = Client()
    client.force_login(user)
    return client


def pdf_text(data: bytes) -> str:
    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(data)).pages)


def calculated(example: Example) -> Settlement:
    return services.settlement_calculate(
        actor=example.coordinator, network=example.network, month=MONTH
    )


def test_coordinator_pages_render(example: Example) -> None:
    c = login(example.coordinator)
    settlement = calculated(example)
    for url in [
        "/covenant/",
        "/covenant/voorbeeld/",
        f"/covenant/versions/{example.covenant.pk}/",
        f"/covenant/versions/{example.covenant.pk}/rules/",
        f"/covenant/versions/{example.covenant.pk}/tariffs/{example.sites['K'].pk}/",
        f"/covenant/versions/{example.covenant.pk}/years/2026/",
        f"/covenant/versions/{example.covenant.pk}/years/",
        f"/covenant/versions/{example.covenant.pk}/keys/",
        f"/covenant/versions/{example.covenant.pk}/keys/{example.covenant.allocation_keys.get().pk}/",
        f"/covenant/versions/{example.covenant.pk}/new-version/",
        "/covenant/voorbeeld/months/2026-10/",
        "/covenant/voorbeeld/preview/",
        f"/covenant/statements/{settlement.statements.first().pk}/",  # type: ignore[union-attr]
    ]:
        response = c.get(url)
        assert response.status_code == 200, url
    html = c.get("/covenant/voorbeeld/months/2026-10/").content.decode()
    assert "146,61" in html  # the month's total, in Dutch
    assert "Kinderdagverblijf &#x27;t Kriebeltje" in html or "Kriebeltje" in html


def test_month_page_calculates_through_a_job_and_closes(
    example: Example, django_capture_on_commit_callbacks: Any
) -> None:
    c = login(example.coordinator)
    with django_capture_on_commit_callbacks(execute=True):
        response = c.post("/covenant/voorbeeld/months/2026-10/", {"form": "calculate"})
    assert response.status_code == 302
    job_url = response["Location"].replace("/months/2026-10/?job=", "/months/2026-10/jobs/")
    progress = c.get(job_url + "/", headers={"HX-Request": "true"})
    assert progress.status_code == 204 and progress["HX-Redirect"].endswith("/2026-10/")
    settlement = Settlement.objects.get(network=example.network, month=MONTH)
    assert settlement.total == Decimal("146.61")
    response = c.post("/covenant/voorbeeld/months/2026-10/", {"form": "close"})
    assert response.status_code == 302
    settlement.refresh_from_db()
    assert settlement.is_closed
    # Closed: calculating again is refused with a message, nothing changes.
    c.post("/covenant/voorbeeld/months/2026-10/", {"form": "calculate"})
    settlement.refresh_from_db()
    assert settlement.is_closed and settlement.total == Decimal("146.61")


def test_statement_downloads_say_the_same(example: Example) -> None:
    settlement = calculated(example)
    vdab = Statement.objects.get(
        settlement=settlement, partner=example.partners["vdab"], side="payer"
    )
    c = login(example.coordinator)
    pdf = c.get(f"/covenant/statements/{vdab.pk}/download.pdf")
    assert pdf["Content-Type"] == "application/pdf"
    text = pdf_text(pdf.content)
    assert "37,59" in text and "VDAB Eeklo" in text and "146,61" in text
    xlsx = c.get(f"/covenant/statements/{vdab.pk}/download.xlsx")
    sheet = load_workbook(io.BytesIO(xlsx.content)).active
    values = [cell.value for row in sheet.iter_rows() for cell in row]
    assert Decimal("37.59") in [Decimal(str(v)) for v in values if isinstance(v, float | int)]
    csv_text = c.get(f"/covenant/statements/{vdab.pk}/download.csv").content.decode("utf-8-sig")
    assert "37.59" in csv_text
    lines = c.get("/covenant/voorbeeld/months/2026-10/lines.csv")
    body = b"".join(lines.streaming_content).decode("utf-8-sig")  # type: ignore[attr-defined]
    assert len(body.strip().splitlines()) == 1 + settlement.line_count
    assert str(example.bookings["K1"].pk) in body


@pytest.mark.parametrize(
    ("language", "expected"),
    [("nl", "Financier"), ("fr", "Financeur"), ("en", "Funder")],
)
def test_covenant_document_in_three_languages(
    example: Example, language: str, expected: str
) -> None:
    c = login(example.referrer)  # every partner may read the covenant
    response = c.get(f"/covenant/versions/{example.covenant.pk}/document-{language}.pdf")
    assert response.status_code == 200
    text = pdf_text(response.content)
    assert "Convenant occasionele opvang Meetjesland" in text
    assert "VDAB Eeklo" in text and "Stad Eeklo" in text
    assert expected in text  # a role, in the document's language
    assert "12,50" in text or "12.50" in text


def test_rules_form_saves_and_bad_input_changes_nothing(example: Example) -> None:
    c = login(example.coordinator)
    url = f"/covenant/versions/{example.covenant.pk}/rules/"
    form = c.get(url).context["groups"]
    data: dict[str, Any] = {}
    for f in form.values():
        for name in f.fields:
            value = f[name].value()
            data[f.add_prefix(name)] = "" if value is None else value
    data["c-late_cancellation_percent"] = "40"
    data["d-hours_1"], data["d-percent_1"] = "4", "100"
    response = c.post(url, data)
    assert response.status_code == 302
    example.covenant.refresh_from_db()
    assert example.covenant.late_cancellation_percent == Decimal(40)
    assert example.covenant.day_count[1] == {"from_hours": "4", "percent": "100"}
    data["d-hours_0"] = "1"  # the first band must start at 0 hours
    data["c-late_cancellation_percent"] = "10"
    response = c.post(url, data)
    assert response.status_code == 400
    example.covenant.refresh_from_db()
    assert example.covenant.late_cancellation_percent == Decimal(40)


def test_allocation_key_form_refuses_shares_that_do_not_add_up(example: Example) -> None:
    c = login(example.coordinator)
    key = example.covenant.allocation_keys.get()
    url = f"/covenant/versions/{example.covenant.pk}/keys/{key.pk}/"
    response = c.post(
        url,
        {
            "basis": "fixed",
            "valid_from": "2026-09-01",
            "s-partner_0": str(example.partners["provincie"].pk),
            "s-percent_0": "60",
            "s-partner_1": str(example.partners["stad"].pk),
            "s-percent_1": "30",
        },
    )
    assert response.status_code == 400
    assert "90" in response.content.decode()
    key.refresh_from_db()
    assert key.basis == "referrer" and key.shares.count() == 5


def test_preview_shows_a_rule_change_and_saves_nothing(example: Example) -> None:
    settlement = calculated(example)
    c = login(example.coordinator)
    response = c.post(
        "/covenant/voorbeeld/preview/",
        {"month": "2026-10", "no_show_percent": "50"},
        headers={"HX-Request": "true"},
    )
    assert response.status_code == 200
    html = response.content.decode()
    # No-shows: 12.50 at 't Kriebeltje is a place paid anyway; 24.90 at Regenboog halves.
    assert "146,61" in html and "134,16" in html
    settlement.refresh_from_db()
    assert settlement.total == Decimal("146.61")
    example.covenant.refresh_from_db()
    assert example.covenant.no_show_percent == Decimal(100)


def test_adjustment_is_added_and_split(example: Example) -> None:
    calculated(example)
    c = login(example.coordinator)
    response = c.post(
        "/covenant/voorbeeld/months/2026-10/",
        {
            "form": "adjustment",
            "provider": str(example.partners["speelboom"].pk),
            "amount": "10.00",
            "description": "Snack costs",
            "date": "2026-10-20",
        },
    )
    assert response.status_code == 302
    settlement = Settlement.objects.get(network=example.network, month=MONTH)
    assert settlement.total == Decimal("156.61")
    # The fallback shares pay it: 60% province, 40% city.
    province = settlement.statements.get(partner=example.partners["provincie"], side="payer")
    assert province.total == Decimal("36.90")


def test_parent_tariff_page_for_the_referrer(example: Example) -> None:
    c = login(example.referrer)
    url = f"/covenant/clients/{example.clients['A'].pk}/tariff/"
    assert c.get(url).status_code == 200
    response = c.post(
        url, {"valid_from": "2027-01-01", "annual_income": "50000", "dependent_children": "2"}
    )
    assert response.status_code == 302
    assert example.clients["A"].parent_tariffs.count() == 2
    # Another organisation's counsellor cannot open the family's attests.
    assert login(example.provider_staff).get(url).status_code == 404


def test_a_failed_calculation_says_why_and_writes_nothing(
    example: Example, django_capture_on_commit_callbacks: Any
) -> None:
    example.covenant.site_tariffs.filter(care_site=example.sites["R"]).delete()
    c = login(example.coordinator)
    with django_capture_on_commit_callbacks(execute=True):
        response = c.post("/covenant/voorbeeld/months/2026-10/", {"form": "calculate"})
    job_url = response["Location"].replace("/months/2026-10/?job=", "/months/2026-10/jobs/")
    progress = c.get(job_url + "/", headers={"HX-Request": "true"})
    assert progress.status_code == 204
    page = c.get("/covenant/voorbeeld/months/2026-10/").content.decode()
    assert "Regenboog Eeklo" in page  # the message names the site without a tariff
    assert not Settlement.objects.filter(network=example.network).exists()
