"""The pseudonymised export: content, pseudonyms, formats, background job, audit, expiry."""

from __future__ import annotations

import csv
import datetime as dt
import io
import zipfile
from pathlib import Path
from typing import Any

import pyarrow.parquet as pq
import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone
from openpyxl import load_workbook

from tests.research.conftest import END, START, ResearchWorld
from zorgbrug.access.models import AuditEvent
from zorgbrug.jobs.models import Job, JobState
from zorgbrug.pathways.models import PathwayActivity
from zorgbrug.research import export, services
from zorgbrug.research.models import ExportProject, ExportState, ResearchExport

pytestmark = pytest.mark.django_db


def project_for(rw: ResearchWorld, name: str = "Evaluatie 2026") -> ExportProject:
    return services.export_project_create(
        actor=rw.world.researcher,
        network=rw.network,
        name=name,
        purpose="Effect van opvang op werk en opleiding",
        keep_days=10,
    )


def run_export(
    rw: ResearchWorld, capture: Any, project: ExportProject, file_format: str = "csv"
) -> ResearchExport:
    with capture(execute=True):
        item = services.export_request(
            actor=rw.world.researcher,
            project=project,
            file_format=file_format,
            start=START,
            end=END,
        )
    item.refresh_from_db()
    return item


def csv_tables(path: Path) -> dict[str, list[dict[str, str]]]:
    with zipfile.ZipFile(path) as archive:
        out = {}
        for name in archive.namelist():
            if name.endswith(".csv"):
                text = archive.read(name).decode("utf-8")
                out[name[:-4]] = list(csv.DictReader(io.StringIO(text)))
        return out


def all_text(path: Path) -> str:
    """Everything in the file, as text (zip members decoded, workbooks unpacked)."""
    chunks = []
    with zipfile.ZipFile(path) as archive:
        for name in archive.namelist():
            data = archive.read(name)
            if name.endswith(".parquet"):
                table = pq.read_table(io.BytesIO(data))
                chunks.append(str(table.to_pylist()))
            else:
                chunks.append(data.decode("utf-8", errors="replace"))
    return "\n".join(chunks)


IDENTIFIERS = [
    "Fatima",
    "Benali",
    "Vermeulen",
    "Desmet",
    "Janssens",
    "90031003328",  # C1's INSZ
    "+32470112233",
    "@example.org",
    "Kerkstraat",
    "1990-03-10",  # C1's birth date
    "2008-05-20",
    "Kind0",  # children's first names
]


def test_csv_export_holds_research_clients_only_without_identifiers(
    rw: ResearchWorld, django_capture_on_commit_callbacks: Any
) -> None:
    item = run_export(rw, django_capture_on_commit_callbacks, project_for(rw))
    assert item.state == ExportState.READY
    path = services.export_path(item)
    tables = csv_tables(path)
    # C1 C2 C3 C4 C9 entered in the period, C5 had care in it, C11's follow-up was due in
    # it; not C6/C7 (consent), C8 (other network), C10 (after the period)
    assert len(tables["clients"]) == 7
    assert {r["birth_year"] for r in tables["clients"]} == {
        "1990",
        "2008",
        "1970",
        "2000",
        "1996",
        "1988",
    }
    assert {r["municipality"] for r in tables["clients"]} == {"Eeklo"}
    # R1 5, R2 1, R3 1, R4 2, R6 2, R8 1 (R5 is in July, R7's client has no research use)
    assert len(tables["bookings"]) == 12
    assert len(tables["care_requests"]) == 7
    assert item.row_counts["bookings"] == 12
    text = all_text(path)
    for identifier in IDENTIFIERS:
        assert identifier not in text, identifier
    client_pseudonyms = {r["client"] for r in tables["clients"]}
    assert {r["client"] for r in tables["bookings"]} <= client_pseudonyms
    assert {r["client"] for r in tables["care_requests"]} <= client_pseudonyms
    assert all(len(p) == 20 for p in client_pseudonyms)
    with zipfile.ZipFile(path) as archive:
        assert "README.txt" in archive.namelist()


def test_pathway_tables_hold_the_whole_pathway_of_the_exported_clients(
    rw: ResearchWorld, django_capture_on_commit_callbacks: Any
) -> None:
    item = run_export(rw, django_capture_on_commit_callbacks, project_for(rw))
    tables = csv_tables(services.export_path(item))
    p = export.Pseudonymiser(item.project.secret)
    c = {name: str(p.of("client", rw.clients[name].pk)) for name in rw.clients}
    # job starts of C1 (2026) and C5 (2025: before the period, but part of her pathway)
    steps = tables["pathway_steps"]
    assert sorted(
        (r["client"], r["date"], r["contract_type"], r["hours_per_week"]) for r in steps
    ) == sorted(
        [
            (c["C1"], "2026-01-26", "fixed_term", "20.0"),
            (c["C5"], "2025-12-21", "fixed_term", "19.0"),
        ]
    )
    # exits of C1 C2 C3 C4, C5 (2025) and C11; not C6 (consent) or C8 (other network)
    exits = {r["client"]: r["reason"] for r in tables["exits"]}
    assert exits == {
        c["C1"]: "employed",
        c["C2"]: "training",
        c["C3"]: "moved",
        c["C4"]: "no_longer_needed",
        c["C5"]: "employed",
        c["C11"]: "dropped_out",
    }
    follow_ups = tables["follow_ups"]
    assert len(follow_ups) == 5  # C1 3 months; C5 3 and 6; C11 3 and 6 (open)
    c1 = next(r for r in follow_ups if r["client"] == c["C1"])
    job = PathwayActivity.objects.get(client=rw.clients["C1"])
    assert (c1["after"], c1["after_id"], c1["months"], c1["due_on"], c1["status"]) == (
        "job_start",
        p.of("pathway_step", job.pk),
        "3",
        "2026-04-26",
        "done",
    )
    assert {r["status"] for r in follow_ups if r["client"] == c["C11"]} == {"open", "done"}
    outcomes = tables["outcomes"]
    assert sorted(r["status"] for r in outcomes) == [
        "employed",
        "employed",
        "employed",
        "seeking_work",
    ]
    assert {r["follow_up"] for r in outcomes} <= {r["follow_up"] for r in follow_ups}
    regular = {r["client"]: r for r in tables["regular_care"]}
    assert set(regular) == {c["C1"], c["C2"], c["C3"]}
    assert (regular[c["C1"]]["at_partner_provider"], regular[c["C1"]]["place_from"]) == (
        "true",
        "2026-03-01",
    )
    assert regular[c["C1"]]["provider_organisation"] == "Kinderopvang Noord"
    assert (
        regular[c["C2"]]["place_from"] == "" and regular[c["C2"]]["registered_on"] == "2026-05-01"
    )
    assert (regular[c["C3"]]["at_partner_provider"], regular[c["C3"]]["provider_organisation"]) == (
        "false",
        "",
    )
    text = all_text(services.export_path(item))
    for free_text in ("Werkgever NV", "Crèche elders"):  # employer, a provider written out
        assert free_text not in text


def test_data_dictionary_describes_every_column(
    rw: ResearchWorld, django_capture_on_commit_callbacks: Any
) -> None:
    item = run_export(rw, django_capture_on_commit_callbacks, project_for(rw))
    tables = csv_tables(services.export_path(item))
    described = {(r["table"], r["column"]) for r in tables["dictionary"]}
    for name in ("clients", "care_recipients", "screenings", "care_requests", "bookings"):
        header = set(tables[name][0]) if tables[name] else set()
        assert header <= {c for t, c in described if t == name}
    assert all(r["description"] for r in tables["dictionary"])


def test_no_table_names_a_direct_identifier() -> None:
    for table in export.TABLES:
        for column in table.columns:
            assert column.name not in export.FORBIDDEN_FIELDS, (table.name, column.name)
        for field in table.fields:
            assert field.split("__")[-1] not in export.FORBIDDEN_FIELDS, (table.name, field)


def test_pseudonyms_are_stable_within_a_project_and_differ_between_projects(
    rw: ResearchWorld, django_capture_on_commit_callbacks: Any
) -> None:
    project = project_for(rw)
    first = csv_tables(
        services.export_path(run_export(rw, django_capture_on_commit_callbacks, project))
    )
    again = csv_tables(
        services.export_path(run_export(rw, django_capture_on_commit_callbacks, project))
    )
    other = csv_tables(
        services.export_path(
            run_export(rw, django_capture_on_commit_callbacks, project_for(rw, "Ander project"))
        )
    )

    def ids(tables: dict[str, list[dict[str, str]]]) -> list[str]:
        return sorted(r["client"] for r in tables["clients"])

    assert ids(first) == ids(again)
    assert not set(ids(first)) & set(ids(other))


def test_pseudonym_is_a_keyed_hmac() -> None:
    a = export.Pseudonymiser("secret-one")
    b = export.Pseudonymiser("secret-two")
    assert a.of("client", 7) == a.of("client", 7) != b.of("client", 7)
    assert a.of("client", 7) != a.of("recipient", 7)
    assert a.of("client", None) is None
    with pytest.raises(ValueError, match="secret"):
        export.Pseudonymiser("")


def test_xlsx_export_has_about_dictionary_and_tables(
    rw: ResearchWorld, django_capture_on_commit_callbacks: Any
) -> None:
    item = run_export(rw, django_capture_on_commit_callbacks, project_for(rw), "xlsx")
    workbook = load_workbook(services.export_path(item), read_only=True)
    assert workbook.sheetnames[:2] == ["about", "dictionary"]
    bookings = list(workbook["bookings"].iter_rows(values_only=True))
    assert bookings[0][:3] == ("booking", "care_request", "client")
    assert len(bookings) == 13  # header + 12
    text = " ".join(
        str(v)
        for ws in workbook.worksheets
        for row in ws.iter_rows(values_only=True)
        for v in row
        if v is not None
    )
    for identifier in IDENTIFIERS:
        assert identifier not in text, identifier


def test_xlsx_continues_a_full_sheet_on_the_next(
    rw: ResearchWorld, django_capture_on_commit_callbacks: Any, monkeypatch: Any
) -> None:
    monkeypatch.setattr(export, "XLSX_MAX_ROWS", 5)
    item = run_export(rw, django_capture_on_commit_callbacks, project_for(rw), "xlsx")
    workbook = load_workbook(services.export_path(item), read_only=True)
    parts = [n for n in workbook.sheetnames if n.startswith("bookings")]
    assert parts == ["bookings", "bookings_2", "bookings_3"]
    rows = sum(len(list(workbook[n].iter_rows())) - 1 for n in parts)
    assert rows == 12


def test_parquet_export_keeps_types(
    rw: ResearchWorld, django_capture_on_commit_callbacks: Any, monkeypatch: Any
) -> None:
    monkeypatch.setattr(export, "CHUNK_ROWS", 3)  # several row groups and cursor chunks
    item = run_export(rw, django_capture_on_commit_callbacks, project_for(rw), "parquet")
    with zipfile.ZipFile(services.export_path(item)) as archive:
        table = pq.read_table(io.BytesIO(archive.read("bookings.parquet")))
        clients = pq.read_table(io.BytesIO(archive.read("clients.parquet")))
        assert "dictionary.csv" in archive.namelist()
    assert table.num_rows == 12
    assert str(table.schema.field("date").type) == "date32[day]"
    assert str(clients.schema.field("birth_year").type) == "int64"
    minutes = [m for m in table.column("minutes_measured").to_pylist() if m is not None]
    assert sorted(minutes) == [150, 240]
    for identifier in IDENTIFIERS:
        assert identifier not in all_text(services.export_path(item)), identifier


def test_export_runs_as_a_job_with_progress_and_audit(
    rw: ResearchWorld, django_capture_on_commit_callbacks: Any
) -> None:
    item = run_export(rw, django_capture_on_commit_callbacks, project_for(rw))
    job = Job.objects.get(pk=item.job_id)
    assert job.kind == "research.export" and job.state == JobState.DONE
    assert job.progress_done == job.progress_total > 0
    actions = set(
        AuditEvent.objects.filter(detail__research_export=str(item.pk)).values_list(
            "action", flat=True
        )
    )
    assert actions == {"create", "export"}


def test_download_is_audited_and_out_of_scope_is_404(
    rw: ResearchWorld, django_capture_on_commit_callbacks: Any
) -> None:
    item = run_export(rw, django_capture_on_commit_callbacks, project_for(rw))
    url = reverse("research:export_download", args=[item.pk])
    response = rw.world.client_for(rw.world.researcher).get(url)
    assert response.status_code == 200
    assert response["Cache-Control"] == "no-store"
    assert response.getvalue()[:2] == b"PK"
    assert AuditEvent.objects.filter(
        action="export", detail__research_export=str(item.pk), detail__download=True
    ).exists()
    for outsider in (rw.world.far_coordinator, rw.world.referrer, rw.world.provider):
        assert rw.world.client_for(outsider).get(url).status_code == 404
    assert rw.world.client_for(None).get(url).status_code == 302  # to the log-in


def test_expired_files_are_deleted_by_the_command(
    rw: ResearchWorld, django_capture_on_commit_callbacks: Any
) -> None:
    item = run_export(rw, django_capture_on_commit_callbacks, project_for(rw))
    path = services.export_path(item)
    assert path.exists()
    assert services.exports_expire() == 0  # not yet
    ResearchExport.objects.filter(pk=item.pk).update(expires_at=timezone.now())
    call_command("research_expire_exports")
    item.refresh_from_db()
    assert not path.exists()
    assert item.state == ExportState.EXPIRED and item.deleted_at is not None
    assert AuditEvent.objects.filter(action="delete", detail__research_export=str(item.pk)).exists()
    response = rw.world.client_for(rw.world.researcher).get(
        reverse("research:export_download", args=[item.pk])
    )
    assert response.status_code == 302  # back to the project, with a message


def test_closing_a_project_destroys_its_key_and_files(
    rw: ResearchWorld, django_capture_on_commit_callbacks: Any
) -> None:
    project = project_for(rw)
    item = run_export(rw, django_capture_on_commit_callbacks, project)
    path = services.export_path(item)
    services.export_project_close(actor=rw.world.coordinator, project=project)
    project.refresh_from_db()
    assert project.secret == "" and not project.is_open
    assert not path.exists()
    with pytest.raises(ValidationError):
        services.export_request(
            actor=rw.world.researcher, project=project, file_format="csv", start=START, end=END
        )


def test_export_needs_research_access(rw: ResearchWorld) -> None:
    for outsider in (rw.world.referrer, rw.world.provider, rw.world.far_coordinator):
        with pytest.raises(PermissionDenied):
            services.export_project_create(
                actor=outsider, network=rw.network, name="x", purpose="y"
            )
    project = project_for(rw)
    with pytest.raises(PermissionDenied):
        services.export_request(
            actor=rw.world.far_coordinator,
            project=project,
            file_format="csv",
            start=START,
            end=END,
        )


def test_bad_export_input_is_refused_with_messages(rw: ResearchWorld) -> None:
    project = project_for(rw)
    with pytest.raises(ValidationError) as exc:
        services.export_request(
            actor=rw.world.researcher,
            project=project,
            file_format="sav",
            start=END,
            end=START,
        )
    assert set(exc.value.message_dict) == {"file_format", "end"}
    assert not ResearchExport.objects.exists()
    client = rw.world.client_for(rw.world.researcher)
    response = client.post(
        reverse("research:project_detail", args=[project.pk]),
        {"file_format": "csv", "start": "2026-06-30", "end": "2026-01-01"},
    )
    assert response.status_code == 400
    assert not ResearchExport.objects.exists()


def test_job_fails_when_the_requester_lost_access(
    rw: ResearchWorld, django_capture_on_commit_callbacks: Any
) -> None:
    project = project_for(rw)
    rw.world.researcher.memberships.update(is_active=False)
    item = ResearchExport.objects.create(
        project=project,
        file_format="csv",
        period_start=START,
        period_end=END,
        created_by=rw.world.researcher,
        expires_at=timezone.now() + dt.timedelta(days=1),
    )
    from zorgbrug.jobs.services import job_enqueue

    with django_capture_on_commit_callbacks(execute=True):
        job = job_enqueue(kind="research.export", title="x", params={"export_id": str(item.pk)})
    job.refresh_from_db()
    item.refresh_from_db()
    assert job.state == JobState.FAILED and item.state == ExportState.FAILED
    assert not item.file_name


def test_export_pages(rw: ResearchWorld, django_capture_on_commit_callbacks: Any) -> None:
    client = rw.world.client_for(rw.world.researcher)
    page = client.get(reverse("research:exports"))
    assert page.status_code == 200
    response = client.post(
        reverse("research:exports"),
        {"network": rw.network.pk, "name": "Studie", "purpose": "Evaluatie", "keep_days": 14},
    )
    assert response.status_code == 302
    project = ExportProject.objects.get(name="Studie")
    assert project.secret not in client.get(response["Location"]).content.decode()
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            reverse("research:project_detail", args=[project.pk]),
            {"file_format": "parquet", "start": "2026-01-01", "end": "2026-06-30"},
        )
    assert response.status_code == 302
    item = ResearchExport.objects.get(project=project)
    assert item.state == ExportState.READY
    html = client.get(reverse("research:project_detail", args=[project.pk])).content.decode()
    assert reverse("research:export_download", args=[item.pk]) in html
    bad = client.post(reverse("research:exports"), {"network": rw.world.other_network.pk})
    assert bad.status_code == 400
    assert (
        rw.world.client_for(rw.world.referrer).get(reverse("research:exports")).status_code == 403
    )
