"""The job relay: hands committed jobs to the Celery workers (JOBS_BACKEND=celery on
PostgreSQL).

A job's row commits together with the work that queued it (a booking and its parent's
confirmation, an export request) and with a NOTIFY on `JOBS_CHANNEL`. The relay — a thread
in every Celery worker (`zorgbrug.celery`) — LISTENs on that channel and, when woken and
at least every SWEEP_SECONDS, publishes the pending jobs that were not handed over yet.
This is a transactional outbox:
- the web process never talks to Redis: a request does not pay for the publish, and a
  job whose transaction committed is not lost when Redis was unreachable at that moment;
- a job is published and marked (`dispatched_at`) in one transaction, its row locked with
  FOR UPDATE SKIP LOCKED, so that several workers relay side by side without sending the
  same job twice;
- a job marked but never run (Redis lost the message, a crash between publishing and
  marking) is sent again after REDISPATCH_AFTER. Sending twice is harmless: whoever runs a
  job claims it by compare-and-set first (`jobs.services.job_run`).
"""

from __future__ import annotations

import datetime as dt
import logging
import threading
import time

from django.db import connection, transaction
from django.db.models import Q
from django.utils import timezone

from zorgbrug.jobs.models import Job, JobState
from zorgbrug.jobs.services import JOBS_CHANNEL, publish

log = logging.getLogger(__name__)

BATCH = 200
SWEEP_SECONDS = 10.0
WAIT_SECONDS = 1.0
REDISPATCH_AFTER = dt.timedelta(minutes=30)
RETRY_SECONDS = 5.0


def relay_pending(*, limit: int = BATCH) -> int:
    """Publish up to `limit` pending jobs not handed over yet (or handed over longer than
    REDISPATCH_AFTER ago), oldest first; returns how many. A failed publish (Redis down)
    raises and leaves them all for the next pass."""
    now = timezone.now()
    with transaction.atomic():
        ids = list(
            Job.objects.select_for_update(skip_locked=True)
            .filter(state=JobState.PENDING)
            .filter(Q(dispatched_at__isnull=True) | Q(dispatched_at__lt=now - REDISPATCH_AFTER))
            .order_by("created_at")
            .values_list("pk", flat=True)[:limit]
        )
        for job_id in ids:
            publish(job_id)
        if ids:
            Job.objects.filter(pk__in=ids).update(dispatched_at=now)
    return len(ids)


def relay_until(stop: threading.Event) -> None:
    """Relay until `stop` is set; a lost database or broker is retried every RETRY_SECONDS."""
    while not stop.is_set():
        try:
            _listen_and_relay(stop)
        except Exception:
            log.exception("job relay failed; retrying in %s s", RETRY_SECONDS)
            stop.wait(RETRY_SECONDS)
        finally:
            connection.close()


def _listen_and_relay(stop: threading.Event) -> None:
    listener = connection.get_new_connection(connection.get_connection_params())
    try:
        listener.autocommit = True
        listener.execute(f"LISTEN {JOBS_CHANNEL}")
        woken, next_sweep = True, 0.0  # listening before the first pass: nothing is missed
        while not stop.is_set():
            if woken or time.monotonic() >= next_sweep:
                while relay_pending() == BATCH:
                    pass
                next_sweep = time.monotonic() + SWEEP_SECONDS
            # Short waits, so that stopping is prompt.
            woken = any(True for _ in listener.notifies(timeout=WAIT_SECONDS, stop_after=1))
            if woken:  # a burst of commits is one pass: drop the notifications already here
                for _ in listener.notifies(timeout=0):
                    pass
    finally:
        listener.close()


class RelayThread:
    """The relay in a daemon thread of this process (a Celery worker's)."""

    def __init__(self) -> None:
        self._stop = threading.Event()
        self._thread = threading.Thread(
            target=relay_until, args=(self._stop,), name="job-relay", daemon=True
        )
        self._thread.start()

    def stop(self, timeout: float = 2 * WAIT_SECONDS + 1) -> None:
        self._stop.set()
        self._thread.join(timeout)
