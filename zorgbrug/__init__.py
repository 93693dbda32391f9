"""Zorgbrug: a care-support network for job-seeking parents."""

from zorgbrug.celery import app as celery_app

__all__ = ["celery_app"]
