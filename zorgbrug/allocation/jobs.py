"""Background job kinds of the allocation: a run, and a what-if comparison."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext as _

from zorgbrug.jobs.registry import JobInputError, job_kind

RUN_JOB = "allocation.run"
WHAT_IF_JOB = "allocation.what_if"


@job_kind(RUN_JOB)
def allocation_run_job(*, run: int, progress: Any) -> dict[str, Any]:
    from zorgbrug.allocation.services import allocation_execute

    return allocation_execute(run_id=run, progress=progress)


@job_kind(WHAT_IF_JOB)
def what_if_job(*, progress: Any, **params: Any) -> dict[str, Any]:
    from zorgbrug.allocation.services import what_if_execute

    try:
        return what_if_execute(progress=progress, **params)
    except (LookupError, ValueError) as exc:
        raise JobInputError(
            _("This comparison cannot be made: a site or age band no longer exists.")
        ) from exc
