"""Researchers cannot reach any identity: not on the research pages, not through the API,
not in an export, and not through the client and care pages of other domains."""

from __future__ import annotations

import io
import re
import zipfile
from typing import Any

import pyarrow.parquet as pq
import pytest
from django.urls import reverse
from django.utils.html import escape
from openpyxl import load_workbook
from pypdf import PdfReader

from tests.research.conftest import END, START, ResearchWorld
from zorgbrug.access.models import User
from zorgbrug.clients.models import Client
from zorgbrug.research import services
from zorgbrug.research.models import EvaluationReport, ResearchExport

pytestmark = pytest.mark.django_db


def identities(rw: ResearchWorld) -> list[str]:
    """Every direct identifier in the world: names, INSZ, phone, e-mail, street, birth
    dates (in both the ISO and the Belgian notation)."""
    out: set[str] = set()
    for c in Client.objects.all():
        out |= {c.first_name, c.last_name, c.phone, c.email, c.street}
        out |= {c.birth_date.isoformat(), c.birth_date.strftime("%d/%m/%Y")}
        if c.insz:
            out.add(c.insz)
        out |= {r.first_name for r in c.care_recipients.all()}
    return sorted(v for v in out if v)


def assert_no_identity(text: str, rw: ResearchWorld, where: str) -> None:
    # Staff names (the "logged in as" line, the home page's greeting by first name) are no
    # client identity, but they come from a list of common Belgian names and could look
    # like one. Pages show them HTML-escaped: "Eva D&#x27;hondt" must go as a whole, not
    # leave "Eva". Full names go first, then the short ones the greeting uses.
    users = list(User.objects.all())
    for name in [u.full_name for u in users] + [u.get_short_name() for u in users]:
        if name:
            text = text.replace(name, "").replace(escape(name), "")
    leaked = [v for v in identities(rw) if re.search(rf"(?<!\w){re.escape(v)}(?!\w)", text)]
    assert not leaked, f"{where} shows {leaked}"


def export_text(item: ResearchExport) -> str:
    path = services.export_path(item)
    if item.file_format == "xlsx":
        workbook = load_workbook(path, read_only=True)
        return " ".join(
            str(v)
            for ws in workbook.worksheets
            for row in ws.iter_rows(values_only=True)
            for v in row
            if v is not None
        )
    chunks = []
    with zipfile.ZipFile(path) as archive:
        for name in archive.namelist():
            data = archive.read(name)
            if name.endswith(".parquet"):
                chunks.append(str(pq.read_table(io.BytesIO(data)).to_pylist()))
            else:
                chunks.append(data.decode("utf-8"))
    return "\n".join(chunks)


def test_research_pages_and_api_show_no_identity(
    rw: ResearchWorld, django_capture_on_commit_callbacks: Any
) -> None:
    client = rw.world.client_for(rw.world.researcher)
    project = services.export_project_create(
        actor=rw.world.researcher, network=rw.network, name="Leak test", purpose="Evaluatie"
    )
    with django_capture_on_commit_callbacks(execute=True):
        item = services.export_request(
            actor=rw.world.researcher, project=project, file_format="csv", start=START, end=END
        )
    pages = [
        "/research/?start=2026-01-01&end=2026-06-30",
        "/research/?start=2026-01-01&end=2026-06-30&activity_kind=course",
        f"/research/?start=2026-01-01&end=2026-06-30&organisation={rw.vdab.pk}",
        reverse("research:dictionary"),
        reverse("research:exports"),
        reverse("research:reports") + "?start=2026-01-01&end=2026-06-30&network=noord",
        reverse("research:project_detail", args=[project.pk]),
        reverse("research:public", args=["noord"]) + "?year=2026",
        reverse("jobs:job_detail", args=[item.job_id]),
        "/api/v1/research/indicators/?start=2026-01-01&end=2026-06-30",
        "/api/v1/research/indicators/definitions/",
        reverse("core:home"),
    ]
    for url in pages:
        response = client.get(url)
        assert response.status_code == 200, url
        assert_no_identity(response.content.decode(), rw, url)


@pytest.mark.parametrize("file_format", ["csv", "xlsx", "parquet"])
def test_exports_hold_no_identity(
    rw: ResearchWorld, django_capture_on_commit_callbacks: Any, file_format: str
) -> None:
    project = services.export_project_create(
        actor=rw.world.researcher, network=rw.network, name="Leak", purpose="Evaluatie"
    )
    with django_capture_on_commit_callbacks(execute=True):
        item = services.export_request(
            actor=rw.world.researcher,
            project=project,
            file_format=file_format,
            start=dt_min(),
            end=dt_max(),
        )
    item.refresh_from_db()
    text = export_text(item)
    assert_no_identity(text, rw, f"the {file_format} export")
    # Clients without current research consent are not in it at all, even pseudonymised.
    p = services.export.Pseudonymiser(project.secret)
    for name in ("C6", "C7", "C8"):
        assert str(p.of("client", rw.clients[name].pk)) not in text
    assert str(p.of("client", rw.clients["C1"].pk)) in text


def test_the_evaluation_report_shows_no_identity(
    rw: ResearchWorld, django_capture_on_commit_callbacks: Any
) -> None:
    client = rw.world.client_for(rw.world.researcher)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            reverse("research:reports"),
            {"start": "2020-01-01", "end": "2026-12-31", "network": "noord"},
        )
    assert response.status_code == 302
    item = EvaluationReport.objects.get()
    pdf = client.get(reverse("research:report_download", args=[item.pk]))
    assert pdf.status_code == 200
    data = b"".join(pdf.streaming_content)  # type: ignore[attr-defined]
    text = "\n".join(page.extract_text() or "" for page in PdfReader(io.BytesIO(data)).pages)
    assert "Noord" in text  # the text is readable, so the check below means something
    assert_no_identity(text, rw, "the evaluation report")
    page = client.get(reverse("research:reports")).content.decode()
    assert_no_identity(page, rw, "the reports page")


def dt_min() -> Any:
    import datetime as dt

    return dt.date(2020, 1, 1)


def dt_max() -> Any:
    import datetime as dt

    return dt.date(2026, 12, 31)


def test_researchers_cannot_open_client_or_care_records(rw: ResearchWorld) -> None:
    client = rw.world.client_for(rw.world.researcher)
    c1 = rw.clients["C1"]
    request = rw.requests["R1"]
    refused = [
        reverse("clients:caseload"),
        reverse("clients:client_detail", args=[c1.pk]),
        reverse("clients:caseload_export") + "?format=csv",
        reverse("care:client_care", args=[c1.pk]),
        reverse("care:request_detail", args=[request.pk]),
        f"/api/v1/clients/{c1.pk}/",
        f"/api/v1/care-requests/{request.pk}/",
    ]
    for url in refused:
        response = client.get(url)
        assert response.status_code in (403, 404), (url, response.status_code)
        assert_no_identity(response.content.decode(), rw, url)
    for url in ("/api/v1/clients/", "/api/v1/care-requests/"):
        response = client.get(url)
        assert response.status_code in (200, 403, 404), url
        assert_no_identity(response.content.decode(), rw, url)


def test_exports_of_another_network_are_out_of_reach(
    rw: ResearchWorld, django_capture_on_commit_callbacks: Any
) -> None:
    project = services.export_project_create(
        actor=rw.world.coordinator, network=rw.network, name="Noord", purpose="Evaluatie"
    )
    with django_capture_on_commit_callbacks(execute=True):
        item = services.export_request(
            actor=rw.world.coordinator, project=project, file_format="csv", start=START, end=END
        )
    outsider = rw.world.client_for(rw.world.far_coordinator)
    assert outsider.get(reverse("research:project_detail", args=[project.pk])).status_code == 404
    assert outsider.get(reverse("research:export_download", args=[item.pk])).status_code == 404
    assert outsider.get(reverse("jobs:job_detail", args=[item.job_id])).status_code == 404
    # The far coordinator's dashboard covers only their own network.
    html = outsider.get("/research/?start=2026-01-01&end=2026-06-30").content.decode()
    assert "Noord" not in html.split('name="network"')[1].split("</select>")[0]
