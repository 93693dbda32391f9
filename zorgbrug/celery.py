"""Celery application: the production queue for long work (see zorgbrug.jobs).

Every worker also runs the job relay (`zorgbrug.jobs.relay`) when the database is
PostgreSQL: it hands the jobs committed by the web processes to the queue.
"""

from __future__ import annotations

import os
from typing import Any

from celery import Celery, bootsteps

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "zorgbrug.settings")

app = Celery("zorgbrug")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


class JobRelay(bootsteps.StartStopStep):
    """The worker's relay thread: started with the worker, stopped with it."""

    requires = ("celery.worker.components:Pool",)

    def __init__(self, worker: Any, **kwargs: Any) -> None:
        super().__init__(worker, **kwargs)
        self.relay: Any = None

    def start(self, worker: Any) -> None:
        from zorgbrug.jobs.services import relayed

        if not relayed():
            return  # SQLite: the web process publishes after commit (jobs.services)
        from zorgbrug.jobs.relay import RelayThread

        self.relay = RelayThread()

    def stop(self, worker: Any) -> None:
        if self.relay is not None:
            self.relay.stop()


app.steps["worker"].add(JobRelay)
