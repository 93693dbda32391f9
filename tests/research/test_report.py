"""The evaluation report (PDF): made in the background, audited, for coordinators and
researchers of the network; its text (read back with pypdf) carries the figures of the
hand-counted world, the charts and the definitions."""

from __future__ import annotations

import datetime as dt
import io
import re
from typing import Any

import pytest
from django.urls import reverse
from django.utils import timezone
from pypdf import PdfReader

from tests.research.conftest import ResearchWorld
from zorgbrug.access.models import AuditEvent
from zorgbrug.jobs.models import Job, JobState
from zorgbrug.research import services
from zorgbrug.research.models import EvaluationReport, ReportState

pytestmark = pytest.mark.django_db

PERIOD = {"start": "2026-01-01", "end": "2026-06-30", "network": "noord"}


def ask_report(rw: ResearchWorld, capture: Any, user: Any = None, **extra: str) -> Any:
    client = rw.world.client_for(user or rw.world.coordinator)
    client.cookies["django_language"] = "en"
    with capture(execute=True):
        response = client.post(reverse("research:reports"), {**PERIOD, **extra})
    return client, response


def pdf_text(data: bytes) -> str:
    reader = PdfReader(io.BytesIO(data))
    return "\n".join(page.extract_text() or "" for page in reader.pages)


def flat(text: str) -> str:
    return " ".join(text.split())


def test_report_is_made_in_the_background_and_carries_the_figures(
    rw: ResearchWorld, django_capture_on_commit_callbacks: Any
) -> None:
    client, response = ask_report(rw, django_capture_on_commit_callbacks)
    item = EvaluationReport.objects.get()
    assert response.status_code == 302 and response["Location"].endswith(f"/jobs/{item.job_id}/")
    item.refresh_from_db()
    assert item.state == ReportState.READY
    job = Job.objects.get(pk=item.job_id)
    assert job.state == JobState.DONE and job.kind == "research.report"
    assert job.result["pages"] >= 3 and job.percent == 100

    download = client.get(reverse("research:report_download", args=[item.pk]))
    assert download.status_code == 200 and download["Content-Type"] == "application/pdf"
    data = b"".join(download.streaming_content)
    assert data.startswith(b"%PDF")
    text = flat(pdf_text(data))
    assert "Evaluation report: Noord" in text
    # figures of the hand-counted world (tests/research/test_indicators.py)
    assert re.search(r"Clients screened 4 people", text)
    assert re.search(r"Care requests 7 care requests", text)
    assert re.search(r"Share of requests served 71[.,]4 % \(5 of 7\)", text)
    assert re.search(r"Clients who left 4 people", text)
    assert re.search(r"In work or training at exit 50[.,]0 % \(2 of 4\)", text)
    assert re.search(r"Total cost paid by the network € 135[.,]00 \(5 cost lines\)", text)
    assert re.search(r"Cost per client served € 45[.,]00 \(3 clients\)", text)
    # the tables, the ESF+ tables, the cohort comparison with its caveat
    assert "Uptake and outcomes by referrer organisation" in text
    assert "VDAB Noord" in text and "OCMW Noord" in text
    assert "ESF+ result indicators, by gender" in text
    assert "This is not a randomised comparison" in text
    # the dashboard's charts, as drawn text (the SVG keeps its text), with their numbers
    for title in (
        "Reach: screened clients and their care barriers",
        "Outcomes: in work or training at exit and after leaving",
        "ESF+ participants by gender",
    ):
        assert title in text, title
    # the definitions
    assert "count(clients whose first screening falls in the period)" in text
    assert "total cost / count(clients with attended care on a day in the period)" in text
    assert "Gaining a qualification upon leaving" in text  # listed as not computed


def test_report_follows_the_filters(
    rw: ResearchWorld, django_capture_on_commit_callbacks: Any
) -> None:
    ask_report(rw, django_capture_on_commit_callbacks, organisation=str(rw.ocmw.pk))
    item = EvaluationReport.objects.get()
    assert item.organisation == rw.ocmw
    data = services.report_path(item).read_bytes()
    text = flat(pdf_text(data))
    assert re.search(r"Clients screened 2 people", text)  # C3, C4
    assert re.search(r"Clients who left 2 people", text)  # C3, C4


def test_report_is_audited(rw: ResearchWorld, django_capture_on_commit_callbacks: Any) -> None:
    client, _response = ask_report(rw, django_capture_on_commit_callbacks)
    item = EvaluationReport.objects.get()
    client.get(reverse("research:report_download", args=[item.pk]))
    events = AuditEvent.objects.filter(
        object_type="research.evaluationreport", object_id=str(item.pk)
    )
    assert sorted(events.values_list("action", flat=True)) == ["create", "export", "export"]
    assert events.filter(action="export", detail__download=True).count() == 1


def test_who_may_ask_and_download(
    rw: ResearchWorld, django_capture_on_commit_callbacks: Any
) -> None:
    _client, _response = ask_report(rw, django_capture_on_commit_callbacks)
    item = EvaluationReport.objects.get()
    url = reverse("research:report_download", args=[item.pk])
    researcher = rw.world.client_for(rw.world.researcher)
    assert researcher.get(url).status_code == 200
    assert researcher.get(reverse("research:reports")).status_code == 200
    for user in (rw.world.referrer, rw.world.provider, rw.world.trainer):
        client = rw.world.client_for(user)
        assert client.get(reverse("research:reports")).status_code == 403
        assert client.get(url).status_code in (403, 404)
    outsider = rw.world.client_for(rw.world.far_coordinator)
    assert outsider.get(url).status_code == 404
    # the far coordinator cannot ask a report of another network
    response = outsider.post(reverse("research:reports"), PERIOD)
    assert response.status_code == 400
    assert EvaluationReport.objects.count() == 1


def test_bad_filters_are_refused(rw: ResearchWorld) -> None:
    client = rw.world.client_for(rw.world.coordinator)
    client.cookies["django_language"] = "en"
    response = client.post(
        reverse("research:reports"), {**PERIOD, "start": "2026-06-30", "end": "2026-01-01"}
    )
    assert response.status_code == 400
    assert "The end of the period comes before its start." in response.content.decode()
    response = client.post(
        reverse("research:reports"), {**PERIOD, "organisation": str(rw.world.provider_org.pk)}
    )
    assert response.status_code == 400
    assert not EvaluationReport.objects.exists()


def test_expired_reports_are_deleted(
    rw: ResearchWorld, django_capture_on_commit_callbacks: Any
) -> None:
    client, _response = ask_report(rw, django_capture_on_commit_callbacks)
    item = EvaluationReport.objects.get()
    path = services.report_path(item)
    assert path.exists()
    assert services.reports_expire(now=timezone.now() + dt.timedelta(days=365)) == 1
    item.refresh_from_db()
    assert item.state == ReportState.EXPIRED and not path.exists()
    response = client.get(reverse("research:report_download", args=[item.pk]))
    assert response.status_code == 302


def test_job_fails_when_the_requester_lost_access(
    rw: ResearchWorld, django_capture_on_commit_callbacks: Any
) -> None:
    from zorgbrug.network.models import Membership

    item = services.report_request(
        actor=rw.world.researcher,
        network=rw.network,
        start=dt.date(2026, 1, 1),
        end=dt.date(2026, 6, 30),
    )
    Membership.objects.filter(user=rw.world.researcher).delete()
    from zorgbrug.jobs.registry import JobInputError

    with pytest.raises(JobInputError):
        services.report_run(report_id=str(item.pk))
    item.refresh_from_db()
    assert item.state == ReportState.FAILED
