"""Export projects (who may receive pseudonymised data, under which key) and their exports.

Everything that leaves Zorgbrug for researchers goes through an `ExportProject`: its secret
keys the pseudonyms (HMAC), so the same client gets the same pseudonym in every export of
one project and an unrelated one in any other project. The secret never leaves the server:
it is not shown, not exported and not in the API. Deleting a project's secret (or the
project) makes its pseudonyms unlinkable for good.
"""

from __future__ import annotations

import secrets
import uuid

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

DEFAULT_KEEP_DAYS = 30


def new_project_secret() -> str:
    return secrets.token_hex(32)


class ExportProject(models.Model):
    """A research project that receives pseudonymised data from one network."""

    network = models.ForeignKey(
        "network.Network", on_delete=models.PROTECT, related_name="research_projects"
    )
    name = models.CharField(_("name"), max_length=200)
    purpose = models.TextField(
        _("purpose"), help_text=_("What the data are used for (purpose limitation).")
    )
    keep_days = models.PositiveSmallIntegerField(
        _("days an export file is kept"),
        default=DEFAULT_KEEP_DAYS,
        help_text=_("Files are deleted from the server after this many days."),
    )
    # The HMAC key of the pseudonyms. Server-side only: never rendered, exported or serialised.
    secret = models.CharField(max_length=64, default=new_project_secret, editable=False)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    closed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("research export project")
        verbose_name_plural = _("research export projects")
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(keep_days__gte=1, keep_days__lte=365), name="export_keep_days_range"
            ),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def is_open(self) -> bool:
        return self.closed_at is None


class ExportFormat(models.TextChoices):
    CSV = "csv", _("CSV files (zip)")
    XLSX = "xlsx", _("Excel workbook (XLSX)")
    PARQUET = "parquet", _("Parquet files (zip)")


class ExportState(models.TextChoices):
    PENDING = "pending", _("Being prepared")
    READY = "ready", _("Ready to download")
    FAILED = "failed", _("Failed")
    EXPIRED = "expired", _("Expired and deleted")


class ResearchExport(models.Model):
    """One pseudonymised export file of a project, made in the background."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    project = models.ForeignKey(ExportProject, on_delete=models.CASCADE, related_name="exports")
    file_format = models.CharField(_("format"), max_length=10, choices=ExportFormat.choices)
    period_start = models.DateField(_("from"))
    period_end = models.DateField(_("until"))
    state = models.CharField(
        max_length=10, choices=ExportState.choices, default=ExportState.PENDING, db_index=True
    )
    job = models.ForeignKey(
        "jobs.Job", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    file_name = models.CharField(max_length=200, blank=True, default="")
    file_size = models.BigIntegerField(default=0)
    row_counts = models.JSONField(default=dict, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    finished_at = models.DateTimeField(null=True, blank=True)
    expires_at = models.DateTimeField(db_index=True)
    deleted_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("research export")
        verbose_name_plural = _("research exports")
        ordering = ["-created_at"]
        constraints = [
            models.CheckConstraint(
                condition=Q(period_end__gte=models.F("period_start")),
                name="research_export_period_order",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.project} {self.file_format} {self.created_at:%Y-%m-%d}"

    @property
    def is_downloadable(self) -> bool:
        return (
            self.state == ExportState.READY
            and self.deleted_at is None
            and self.expires_at > timezone.now()
        )


# --- Per-evaluation temporary tables ------------------------------------------------------
# Not tables of the database schema: `indicators.Evaluation` creates them as TEMPORARY tables
# inside its own transaction (visible to that connection only) and drops them at the end.
# The models let the ORM aggregate over them.


class EvaluationClient(models.Model):
    """The clients whose current consent allows research use, for one evaluation."""

    client_id = models.BigIntegerField(primary_key=True)

    class Meta:
        managed = False
        db_table = "research_eval_client"

    def __str__(self) -> str:
        return str(self.client_id)


class EvaluationRequest(models.Model):
    """One row per care request of a research client: what its bookings add up to."""

    id = models.BigIntegerField(primary_key=True)
    client_id = models.BigIntegerField()
    organisation_id = models.BigIntegerField()
    kind = models.CharField(max_length=20)
    asked_on = models.DateField()
    first_placed = models.DateField(null=True)  # first day a place was given, ever
    attended_ever = models.IntegerField()  # attended day-parts, ever
    due = models.IntegerField()  # in the period, up to today, with a place
    attended = models.IntegerField()  # in the period
    no_show = models.IntegerField()
    cancelled_late = models.IntegerField()
    minutes = models.IntegerField()  # of care attended in the period

    class Meta:
        managed = False
        db_table = "research_eval_request"

    def __str__(self) -> str:
        return str(self.pk)


class EvaluationScreened(models.Model):
    """Each research client screened in the period once, at their first screening."""

    client_id = models.BigIntegerField(primary_key=True)
    screening_id = models.BigIntegerField()
    intake_organisation_id = models.BigIntegerField()
    care_duties = models.BooleanField()
    care_main_barrier = models.BooleanField()
    would_accept_yes = models.BooleanField()
    held_back = models.BooleanField()

    class Meta:
        managed = False
        db_table = "research_eval_screened"

    def __str__(self) -> str:
        return str(self.client_id)
