from __future__ import annotations

from typing import Any

from django.db.models import QuerySet

from zorgbrug.jobs.models import Job


def jobs_for(user: Any) -> QuerySet[Job]:
    """A user sees the progress of the jobs they started."""
    if not getattr(user, "is_authenticated", False):
        return Job.objects.none()
    return Job.objects.filter(created_by=user)
