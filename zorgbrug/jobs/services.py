"""Starting and running background jobs.

One mechanism for all long work. `job_enqueue` stores a Job row and, once the transaction
commits, hands its id to the configured backend:
- "celery": a Celery task on Redis; workers may run on other machines (production). On
  PostgreSQL the web process does not publish it: the row and a NOTIFY commit together, and
  the relay in the workers (`jobs.relay`) hands it to Celery — a transactional outbox, so a
  committed job is never lost to a Redis hiccup and a request never pays for the publish;
- "thread": a daemon thread in this process (the embedded local default);
- "inline": run at once in this thread (tests).
Whoever runs it first claims it by compare-and-set on its state, so a job delivered twice
(a retried Celery message, a restarted worker) runs once.
"""

from __future__ import annotations

import logging
import socket
import threading
import traceback
import uuid
from typing import Any

from django.conf import settings
from django.db import close_old_connections, connection, transaction
from django.db.models import F
from django.utils import timezone, translation

from zorgbrug.core.db import insert
from zorgbrug.jobs import registry
from zorgbrug.jobs.models import Job, JobState

log = logging.getLogger(__name__)

MAX_ATTEMPTS = 3

# The PostgreSQL channel on which committed jobs wake the relay (jobs.relay).
JOBS_CHANNEL = "zorgbrug_jobs"
# For a statement that writes a job itself: wake the relay when it commits.
NOTIFY_SQL = f"pg_notify('{JOBS_CHANNEL}', '')"


def job_enqueue(
    *, kind: str, title: str, params: dict[str, Any] | None = None, user: Any = None
) -> Job:
    job = job_prepare(kind=kind, title=title, params=params, user=user)
    insert([job])  # a plain INSERT: bookings queue their messages on the hot path
    job_written(job.pk)
    return job


def job_values(
    *, kind: str, title: str, params: dict[str, Any] | None = None, user: Any = None
) -> dict[str, Any]:
    """The columns (by attname) of a job not yet written, its id included: `job_prepare`
    makes the job of them, and the booking statement writes them with its own rows
    (`core.db.row_insert`) and then calls `job_written`."""
    registry.get(kind)  # fail now, not in the worker, for an unknown kind
    return {
        "id": uuid.uuid4(),
        "kind": kind,
        "title": title[:200],
        "params": params or {},
        "created_by_id": user.pk if getattr(user, "pk", None) else None,
        "language": translation.get_language() or settings.LANGUAGE_CODE,
    }


def job_prepare(
    *, kind: str, title: str, params: dict[str, Any] | None = None, user: Any = None
) -> Job:
    """A job not yet written (`job_enqueue` writes it and calls `job_written`)."""
    job = Job(**job_values(kind=kind, title=title, params=params, user=user))
    if job.created_by_id is not None:
        job.created_by = user
    return job


def relayed() -> bool:
    """Whether jobs reach the workers through the database (Celery on PostgreSQL): the
    relay in the workers hands committed jobs to Celery, the web process never does."""
    return settings.JOBS_BACKEND == "celery" and connection.vendor == "postgresql"


def job_written(job_id: Any, *, notified: bool = False) -> None:
    """The job's row is in the current transaction: hand it to the backend once that
    commits (a rolled-back job is never run). With the relay, a NOTIFY in the same
    transaction wakes it at commit; `notified` says the caller's statement sent it
    (`NOTIFY_SQL`)."""
    if relayed():
        if not notified:
            with connection.cursor() as cursor:
                cursor.execute(f"SELECT {NOTIFY_SQL}")
        return
    transaction.on_commit(lambda: dispatch(job_id))


def dispatch(job_id: Any) -> None:
    backend = settings.JOBS_BACKEND
    if backend == "celery":
        publish(job_id)
    elif backend == "thread":
        thread = threading.Thread(
            target=_run_in_thread, args=(job_id,), daemon=True, name=f"job-{job_id}"
        )
        thread.start()
    elif backend == "inline":
        job_run(job_id=job_id)
    else:
        raise ValueError(f"Unknown JOBS_BACKEND {backend!r}")


def publish(job_id: Any) -> None:
    """Hand a job to the Celery workers through the broker."""
    from zorgbrug.jobs.tasks import run_job_task

    run_job_task.delay(str(job_id))


def _run_in_thread(job_id: Any) -> None:
    try:
        job_run(job_id=job_id)
    finally:
        close_old_connections()


def _claim(job_id: Any) -> bool:
    claimed = Job.objects.filter(pk=job_id, state=JobState.PENDING).update(
        state=JobState.RUNNING,
        started_at=timezone.now(),
        attempts=F("attempts") + 1,
        worker=f"{socket.gethostname()}:{threading.get_ident()}"[:200],
    )
    return claimed == 1


def job_run(*, job_id: Any) -> Job | None:
    """Claim and run one job; returns it, or None when another worker had it already."""
    if not _claim(job_id):
        return None
    job = Job.objects.get(pk=job_id)
    func = registry.get(job.kind)

    def progress(done: int, total: int, message: str = "") -> None:
        Job.objects.filter(pk=job.pk).update(
            progress_done=max(0, done), progress_total=max(0, total), message=str(message)[:300]
        )

    with translation.override(job.language):
        try:
            result = func(progress=progress, **job.params)
        except registry.TRANSIENT_ERRORS as exc:
            if job.attempts < MAX_ATTEMPTS:
                Job.objects.filter(pk=job.pk).update(state=JobState.PENDING, message=str(exc)[:300])
                raise
            _fail(job, exc)
            return Job.objects.get(pk=job.pk)
        except Exception as exc:
            log.exception("job %s (%s) failed", job.pk, job.kind)
            _fail(job, exc)
            return Job.objects.get(pk=job.pk)
    Job.objects.filter(pk=job.pk).update(
        state=JobState.DONE, result=result or {}, finished_at=timezone.now(), error=""
    )
    return Job.objects.get(pk=job.pk)


def _fail(job: Job, exc: BaseException) -> None:
    user_message = getattr(exc, "user_message", None) or str(exc)
    Job.objects.filter(pk=job.pk).update(
        state=JobState.FAILED,
        finished_at=timezone.now(),
        message=str(user_message)[:300],
        error="".join(traceback.format_exception(exc))[-5000:],
        result=getattr(exc, "job_result", None) or {},
    )
