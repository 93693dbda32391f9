"""Celery application: the production queue for long work (see zorgbrug.jobs)."""

from __future__ import annotations

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "zorgbrug.settings")

app = Celery("zorgbrug")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
