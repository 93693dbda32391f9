"""Background job kinds of the research domain."""

from __future__ import annotations

from typing import Any

from zorgbrug.jobs.registry import job_kind


@job_kind("research.export")
def export_job(*, export_id: str, progress: Any) -> dict[str, Any]:
    from zorgbrug.research.services import export_run

    return export_run(export_id=export_id, progress=progress)


@job_kind("research.expire_exports")
def expire_exports_job(*, progress: Any) -> dict[str, Any]:
    from zorgbrug.research.services import exports_expire, reports_expire

    return {"deleted": exports_expire(), "reports_deleted": reports_expire()}


@job_kind("research.rebuild_facts")
def rebuild_facts_job(*, progress: Any) -> dict[str, Any]:
    """Recompute the research facts from the source tables (nightly, or after a bulk load)."""
    from zorgbrug.research import facts

    progress(0, 1, "")
    result = facts.rebuild().as_dict()
    progress(1, 1, "")
    return result


@job_kind("research.report")
def report_job(*, report_id: str, progress: Any) -> dict[str, Any]:
    from zorgbrug.research.services import report_run

    return report_run(report_id=report_id, progress=progress)
