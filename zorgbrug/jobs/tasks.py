"""Celery entry point: one task that runs any registered job kind, with retries."""

from __future__ import annotations

from typing import Any

from celery import shared_task

from zorgbrug.jobs import registry


@shared_task(
    name="zorgbrug.run_job",
    autoretry_for=registry.TRANSIENT_ERRORS,
    retry_backoff=True,
    retry_backoff_max=300,
    max_retries=3,
    acks_late=True,
)
def run_job_task(job_id: str) -> Any:
    from zorgbrug.jobs.services import job_run

    job = job_run(job_id=job_id)
    return None if job is None else job.state
