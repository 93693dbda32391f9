"""Writes of the research domain: export projects, exports, evaluation reports, their expiry.

Each function checks access through `zorgbrug.access.scoping`, validates, writes in one
transaction and leaves an audit event: who asked which pseudonymised data, who downloaded
it, when it was deleted.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from zorgbrug.access import audit, scoping
from zorgbrug.care.models import ActivityKind
from zorgbrug.jobs.services import job_enqueue
from zorgbrug.network.models import Network, Organisation, Partner
from zorgbrug.research import export
from zorgbrug.research.forms import MAX_PERIOD_DAYS
from zorgbrug.research.indicators import Filters
from zorgbrug.research.models import (
    EvaluationReport,
    ExportFormat,
    ExportProject,
    ExportState,
    ReportState,
    ResearchExport,
    StoredFile,
)

EXPORT_JOB = "research.export"
EXPIRE_JOB = "research.expire_exports"


def _queue_file_job(
    item: StoredFile, *, kind: str, title: str, params: dict[str, Any], user: Any
) -> None:
    """Queue the job that makes `item`'s file and link the two (same transaction)."""
    item.job = job_enqueue(kind=kind, title=title, params=params, user=user)
    type(item).objects.filter(pk=item.pk).update(job=item.job)  # type: ignore[attr-defined]


def _require_network(actor: Any, network_id: int) -> None:
    if network_id not in scoping.research_network_ids(actor):
        raise PermissionDenied


@transaction.atomic
def export_project_create(
    *, actor: Any, network: Network, name: str, purpose: str, keep_days: int = 30
) -> ExportProject:
    _require_network(actor, network.pk)
    project = ExportProject(
        network=network,
        name=name.strip(),
        purpose=purpose.strip(),
        keep_days=keep_days,
        created_by=actor,
    )
    project.full_clean()
    project.save()
    audit.record(actor=actor, action="create", obj=project, detail={"research_project": True})
    return project


@transaction.atomic
def export_project_close(*, actor: Any, project: ExportProject) -> ExportProject:
    """Close a project: its key is destroyed (its pseudonyms can never be linked again)
    and its files are deleted."""
    _require_network(actor, project.network_id)
    if not project.is_open:
        raise ValidationError(_("This project is already closed."))
    now = timezone.now()
    ExportProject.objects.filter(pk=project.pk).update(closed_at=now, secret="")
    for item in ResearchExport.objects.filter(project=project, deleted_at__isnull=True):
        _delete_file(item, now)
    audit.record(actor=actor, action="update", obj=project, detail={"closed": True})
    project.refresh_from_db()
    return project


@transaction.atomic
def export_request(
    *,
    actor: Any,
    project: ExportProject,
    file_format: str,
    start: dt.date,
    end: dt.date,
) -> ResearchExport:
    """Ask for a pseudonymised export; it is written in the background."""
    _require_network(actor, project.network_id)
    errors: dict[str, list[str]] = {}
    if not project.is_open:
        raise ValidationError(_("This project is closed; start a new one."))
    if file_format not in ExportFormat.values:
        errors["file_format"] = [_("Choose CSV, XLSX or Parquet.")]
    if end < start:
        errors["end"] = [_("The end of the period comes before its start.")]
    elif (end - start).days > MAX_PERIOD_DAYS:
        errors["end"] = [_("Choose a period of at most ten years.")]
    if errors:
        raise ValidationError(errors)
    now = timezone.now()
    item = ResearchExport.objects.create(
        project=project,
        file_format=file_format,
        period_start=start,
        period_end=end,
        created_by=actor,
        created_at=now,
        expires_at=now + dt.timedelta(days=project.keep_days),
    )
    _queue_file_job(
        item,
        kind=EXPORT_JOB,
        title=_("Research export: %(project)s") % {"project": project.name},
        params={"export_id": str(item.pk)},
        user=actor,
    )
    audit.record(
        actor=actor,
        action="create",
        obj=item,
        object_label=str(project),
        network_id=project.network_id,
        detail={
            "research_export": str(item.pk),
            "format": file_format,
            "period": [start.isoformat(), end.isoformat()],
        },
    )
    return item


def export_path(item: ResearchExport) -> Path:
    return export.export_dir() / item.file_name


def export_run(*, export_id: str, progress: export.ProgressFn | None = None) -> dict[str, Any]:
    """Write the file of one export (the job's work). Safe to run again after a crash."""
    item = ResearchExport.objects.select_related("project__network", "created_by").get(pk=export_id)
    project = item.project
    if item.state != ExportState.PENDING:
        return {"state": item.state}
    user = item.created_by
    if (
        user is None
        or not user.is_active
        or project.network_id not in scoping.research_network_ids(user)
        or not project.is_open
    ):
        ResearchExport.objects.filter(pk=item.pk).update(
            state=ExportState.FAILED, finished_at=timezone.now()
        )
        from zorgbrug.jobs.registry import JobInputError

        raise JobInputError(_("The export was not made: you no longer have access to it."))
    suffix, _writer = export.WRITERS[item.file_format]
    name = f"{item.pk}.{suffix}"
    target = export.export_dir() / name
    ctx = export.ExportContext(
        network_ids=(project.network_id,),
        start=item.period_start,
        end=item.period_end,
        pseudonyms=export.Pseudonymiser(project.secret),
    )
    about = export.About(
        project=project.name,
        network=project.network.name,
        start=item.period_start,
        end=item.period_end,
        made_at=timezone.now(),
    )
    try:
        counts = export.write_export(
            file_format=item.file_format, target=target, ctx=ctx, about=about, progress=progress
        )
    except Exception:
        ResearchExport.objects.filter(pk=item.pk).update(
            state=ExportState.FAILED, finished_at=timezone.now()
        )
        raise
    ResearchExport.objects.filter(pk=item.pk).update(
        state=ExportState.READY,
        file_name=name,
        file_size=target.stat().st_size,
        row_counts=counts,
        finished_at=timezone.now(),
    )
    audit.record(
        actor=user,
        action="export",
        object_type="research.researchexport",
        object_id=str(item.pk),
        object_label=str(project)[:200],
        network_id=project.network_id,
        detail={"research_export": str(item.pk), "rows": counts, "format": item.file_format},
    )
    return {"rows": sum(counts.values()), "format": item.file_format}


def export_download(*, actor: Any, item: ResearchExport) -> Path:
    """The file to send; every download is audited."""
    _require_network(actor, item.project.network_id)
    if not item.is_downloadable:
        raise ValidationError(_("This export is not available (any more)."))
    path = export_path(item)
    if not path.exists():
        raise ValidationError(_("This export is not available (any more)."))
    audit.record(
        actor=actor,
        action="export",
        object_type="research.researchexport",
        object_id=str(item.pk),
        object_label=str(item.project)[:200],
        network_id=item.project.network_id,
        detail={"research_export": str(item.pk), "download": True},
    )
    return path


def _delete_file(item: ResearchExport, now: dt.datetime) -> None:
    if item.file_name:
        (export.export_dir() / item.file_name).unlink(missing_ok=True)
    ResearchExport.objects.filter(pk=item.pk).update(
        deleted_at=now, state=ExportState.EXPIRED, file_name=""
    )


def exports_expire(*, now: dt.datetime | None = None) -> int:
    """Delete the files of every export past its expiry date; returns how many."""
    now = now or timezone.now()
    expired = list(ResearchExport.objects.filter(expires_at__lte=now, deleted_at__isnull=True))
    for item in expired:
        with transaction.atomic():
            _delete_file(item, now)
            audit.record(
                actor=None,
                action="delete",
                object_type="research.researchexport",
                object_id=str(item.pk),
                detail={"research_export": str(item.pk), "expired": True},
            )
    # Stray files (a crash between writing and recording) go too, once a day old.
    known = set(ResearchExport.objects.exclude(file_name="").values_list("file_name", flat=True))
    cutoff = now.timestamp() - 24 * 3600
    for path in export.export_dir().iterdir():
        if path.name not in known and path.stat().st_mtime < cutoff:
            path.unlink(missing_ok=True)
    return len(expired)


# --- Evaluation reports (PDF) ---------------------------------------------------------------

REPORT_JOB = "research.report"
DEFAULT_REPORT_KEEP_DAYS = 90


def report_dir() -> Path:
    configured = getattr(settings, "RESEARCH_REPORT_DIR", None)
    path = Path(configured) if configured else export.export_dir() / "reports"
    path.mkdir(parents=True, exist_ok=True)
    return path


def report_path(item: EvaluationReport) -> Path:
    return report_dir() / item.file_name


@transaction.atomic
def report_request(
    *,
    actor: Any,
    network: Network,
    start: dt.date,
    end: dt.date,
    organisation: Organisation | None = None,
    activity_kind: str = "",
) -> EvaluationReport:
    """Ask for the evaluation report of a network for a period (and, if chosen, a referrer
    and an activity kind); it is written in the background."""
    _require_network(actor, network.pk)
    errors: dict[str, list[str]] = {}
    if end < start:
        errors["end"] = [_("The end of the period comes before its start.")]
    elif (end - start).days > MAX_PERIOD_DAYS:
        errors["end"] = [_("Choose a period of at most ten years.")]
    if (
        organisation is not None
        and not Partner.objects.filter(
            network=network, organisation=organisation, is_referrer=True
        ).exists()
    ):
        errors["organisation"] = [_("This organisation is not a referrer in that network.")]
    if activity_kind and activity_kind not in ActivityKind.values:
        errors["activity_kind"] = [_("Choose an activity kind from the list.")]
    if errors:
        raise ValidationError(errors)
    now = timezone.now()
    keep = getattr(settings, "RESEARCH_REPORT_KEEP_DAYS", DEFAULT_REPORT_KEEP_DAYS)
    item = EvaluationReport.objects.create(
        network=network,
        period_start=start,
        period_end=end,
        organisation=organisation,
        activity_kind=activity_kind,
        language=translation.get_language() or settings.LANGUAGE_CODE,
        created_by=actor,
        created_at=now,
        expires_at=now + dt.timedelta(days=keep),
    )
    _queue_file_job(
        item,
        kind=REPORT_JOB,
        title=_("Evaluation report: %(network)s") % {"network": network.name},
        params={"report_id": str(item.pk)},
        user=actor,
    )
    audit.record(
        actor=actor,
        action="create",
        object_type="research.evaluationreport",
        object_id=str(item.pk),
        object_label=str(network)[:200],
        network_id=network.pk,
        detail={
            "research_report": str(item.pk),
            "period": [start.isoformat(), end.isoformat()],
            "organisation": getattr(organisation, "pk", None),
            "activity_kind": activity_kind,
        },
    )
    return item


def report_filters(item: EvaluationReport) -> Filters:
    return Filters(
        start=item.period_start,
        end=item.period_end,
        network_ids=(item.network_id,),
        organisation_id=item.organisation_id,
        activity_kind=item.activity_kind or None,
    )


def report_run(*, report_id: str, progress: export.ProgressFn | None = None) -> dict[str, Any]:
    """Compute the figures, draw the charts and write the PDF of one report (the job's
    work). Safe to run again after a crash: a report that is no longer pending is left."""
    from zorgbrug.research import report as pdf

    item = EvaluationReport.objects.select_related("network", "organisation", "created_by").get(
        pk=report_id
    )
    if item.state != ReportState.PENDING:
        return {"state": item.state}
    user = item.created_by
    if (
        user is None
        or not user.is_active
        or item.network_id not in scoping.research_network_ids(user)
    ):
        EvaluationReport.objects.filter(pk=item.pk).update(
            state=ReportState.FAILED, finished_at=timezone.now()
        )
        from zorgbrug.jobs.registry import JobInputError

        raise JobInputError(_("The report was not made: you no longer have access to it."))
    name = f"{item.pk}.pdf"
    target = report_dir() / name
    partial = target.with_name(name + ".part")
    try:
        with translation.override(item.language):
            data, pages = pdf.report_pdf(item, report_filters(item), progress=progress)
        partial.write_bytes(data)
        partial.replace(target)
    except Exception:
        partial.unlink(missing_ok=True)
        EvaluationReport.objects.filter(pk=item.pk).update(
            state=ReportState.FAILED, finished_at=timezone.now()
        )
        raise
    EvaluationReport.objects.filter(pk=item.pk).update(
        state=ReportState.READY,
        file_name=name,
        file_size=target.stat().st_size,
        finished_at=timezone.now(),
    )
    audit.record(
        actor=user,
        action="export",
        object_type="research.evaluationreport",
        object_id=str(item.pk),
        object_label=str(item.network)[:200],
        network_id=item.network_id,
        detail={"research_report": str(item.pk), "bytes": target.stat().st_size},
    )
    return {"pages": pages, "bytes": len(data)}


def report_download(*, actor: Any, item: EvaluationReport) -> Path:
    """The PDF to send; every download is audited."""
    _require_network(actor, item.network_id)
    path = report_path(item) if item.file_name else None
    if not item.is_downloadable or path is None or not path.exists():
        raise ValidationError(_("This report is not available (any more)."))
    audit.record(
        actor=actor,
        action="export",
        object_type="research.evaluationreport",
        object_id=str(item.pk),
        object_label=str(item.network)[:200],
        network_id=item.network_id,
        detail={"research_report": str(item.pk), "download": True},
    )
    return path


def reports_expire(*, now: dt.datetime | None = None) -> int:
    """Delete the PDFs of every report past its expiry date; returns how many."""
    now = now or timezone.now()
    expired = list(EvaluationReport.objects.filter(expires_at__lte=now, deleted_at__isnull=True))
    for item in expired:
        with transaction.atomic():
            if item.file_name:
                (report_dir() / item.file_name).unlink(missing_ok=True)
            EvaluationReport.objects.filter(pk=item.pk).update(
                deleted_at=now, state=ReportState.EXPIRED, file_name=""
            )
            audit.record(
                actor=None,
                action="delete",
                object_type="research.evaluationreport",
                object_id=str(item.pk),
                network_id=item.network_id,
                detail={"research_report": str(item.pk), "expired": True},
            )
    return len(expired)
