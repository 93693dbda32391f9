"""Export projects and their exports, evaluation reports, and the research facts.

Export projects say who may receive pseudonymised data, under which key.

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


class StoredFile(models.Model):
    """A file a background job makes for a user, kept until it expires (exports, reports).
    The subclass has a `state` whose finished value is "ready"."""

    job = models.ForeignKey(
        "jobs.Job", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    file_name = models.CharField(max_length=200, blank=True, default="")
    file_size = models.BigIntegerField(default=0)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    finished_at = models.DateTimeField(null=True, blank=True)
    expires_at = models.DateTimeField(db_index=True)
    deleted_at = models.DateTimeField(null=True, blank=True)

    state: str

    class Meta:
        abstract = True

    @property
    def is_downloadable(self) -> bool:
        return (
            self.state == "ready" and self.deleted_at is None and self.expires_at > timezone.now()
        )


class ExportFormat(models.TextChoices):
    CSV = "csv", _("CSV files (zip)")
    XLSX = "xlsx", _("Excel workbook (XLSX)")
    PARQUET = "parquet", _("Parquet files (zip)")


class ExportState(models.TextChoices):
    PENDING = "pending", _("Being prepared")
    READY = "ready", _("Ready to download")
    FAILED = "failed", _("Failed")
    EXPIRED = "expired", _("Expired and deleted")


class ResearchExport(StoredFile):
    """One pseudonymised export file of a project, made in the background."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    project = models.ForeignKey(ExportProject, on_delete=models.CASCADE, related_name="exports")
    file_format = models.CharField(_("format"), max_length=10, choices=ExportFormat.choices)
    period_start = models.DateField(_("from"))
    period_end = models.DateField(_("until"))
    state = models.CharField(
        max_length=10, choices=ExportState.choices, default=ExportState.PENDING, db_index=True
    )
    row_counts = models.JSONField(default=dict, blank=True)

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


# --- The research facts ---------------------------------------------------------------------
# Maintained tables that the indicators aggregate instead of the bookings and the client
# records: one row per client, one per care request, one per care request and month of care,
# one per closed settlement, day, referrer and activity kind. `facts.refresh()` brings the
# rows of what changed since its last run up to date (bounded work); `facts.rebuild()`
# recomputes everything. Every indicator must give the same figure on the facts as on the
# source tables (tests/research/test_facts.py).


class FactsState(models.Model):
    """When the facts were last brought up to date (one row)."""

    key = models.CharField(primary_key=True, max_length=20)
    # The start of the last refresh: every change stamped before it (minus a margin for
    # transactions still running then) is in the facts.
    refreshed_at = models.DateTimeField(null=True)
    rebuilt_at = models.DateTimeField(null=True)
    last_clients = models.IntegerField(default=0)
    last_requests = models.IntegerField(default=0)

    class Meta:
        verbose_name = _("state of the research facts")
        verbose_name_plural = _("state of the research facts")

    def __str__(self) -> str:
        return f"{self.key} {self.refreshed_at}"


class ClientFact(models.Model):
    """What the indicators ask of one client: consent, the record at entry, the first
    screening, whether care was received, the activities, the exit and the follow-ups
    after leaving."""

    client = models.OneToOneField(
        "clients.Client", primary_key=True, on_delete=models.CASCADE, related_name="+"
    )
    network_id = models.BigIntegerField()
    intake_organisation_id = models.BigIntegerField()
    research = models.BooleanField()  # the current consent allows research use
    entered_on = models.DateField()  # the day the record was made (Europe/Brussels)
    gender = models.CharField(max_length=10)
    age = models.IntegerField(null=True)  # at entry
    labour_status = models.CharField(max_length=20)
    months_unemployed = models.IntegerField(null=True)
    education_level = models.IntegerField(null=True)
    migration_background = models.BooleanField(null=True)
    single_adult_household = models.BooleanField()
    children_in_household = models.IntegerField()
    income_source = models.CharField(max_length=30)
    status = models.CharField(max_length=10)
    # The first screening, ever (null: never screened).
    screened_on = models.DateField(null=True)
    care_duties = models.BooleanField()  # at least one care recipient on the record
    care_main_barrier = models.BooleanField()
    would_accept_yes = models.BooleanField()
    held_back = models.BooleanField()
    received_care = models.BooleanField()  # attended at least one day-part, ever
    # The kinds of activity care was asked for, ever: bit i for facts.ASKED_KINDS[i] (a new
    # kind of activity in the care domain needs a rebuild of the facts).
    asked_kinds = models.IntegerField(default=0)
    job_start_activity = models.BooleanField()
    training_activity = models.BooleanField()
    job_search_activity = models.BooleanField()
    # The pathway: exit, regular childcare, the job left for and the follow-ups after
    # leaving (due date and status only once a follow-up has its answer).
    exit_on = models.DateField(null=True)
    exit_reason = models.CharField(max_length=20, default="")
    regular_place = models.BooleanField()
    job_contract = models.CharField(max_length=20, default="")
    job_hours = models.DecimalField(max_digits=4, decimal_places=1, null=True)
    fu3_due = models.DateField(null=True)
    fu3_status = models.CharField(max_length=20, default="")
    fu6_due = models.DateField(null=True)
    fu6_status = models.CharField(max_length=20, default="")
    fu6_contract = models.CharField(max_length=20, default="")
    fu6_hours = models.DecimalField(max_digits=4, decimal_places=1, null=True)
    fu12_due = models.DateField(null=True)
    fu12_status = models.CharField(max_length=20, default="")

    class Meta:
        verbose_name = _("research client fact")
        verbose_name_plural = _("research client facts")
        indexes = [models.Index(fields=["network_id", "research"])]

    def __str__(self) -> str:
        return f"client fact {self.pk}"


class RequestFact(models.Model):
    """One care request: who asked it for what, and what its bookings add up to, ever."""

    request = models.OneToOneField(
        "care.CareRequest",
        primary_key=True,
        on_delete=models.CASCADE,
        related_name="research_fact",
    )
    # The client's facts (a join, no constraint: both are rewritten by the refresh).
    client = models.ForeignKey(
        ClientFact,
        on_delete=models.DO_NOTHING,
        db_constraint=False,
        related_name="requests",
    )
    network_id = models.BigIntegerField()
    organisation_id = models.BigIntegerField()
    kind = models.CharField(max_length=20)
    research = models.BooleanField()
    asked_on = models.DateField()
    first_placed = models.DateField(null=True)  # first day a place was given, ever
    attended_ever = models.IntegerField()  # attended day-parts, ever

    class Meta:
        verbose_name = _("research care-request fact")
        verbose_name_plural = _("research care-request facts")

    def __str__(self) -> str:
        return f"request fact {self.pk}"


class RequestMonthFact(models.Model):
    """One care request in one calendar month of care: its booked day-parts by status, and
    the minutes of care attended. Whole months of a period are summed from these rows; the
    days of a month the period covers only in part are read from the bookings."""

    id = models.BigAutoField(primary_key=True)
    request = models.ForeignKey("care.CareRequest", on_delete=models.CASCADE, related_name="+")
    client_id = models.BigIntegerField()
    network_id = models.BigIntegerField()
    organisation_id = models.BigIntegerField()
    kind = models.CharField(max_length=20)
    research = models.BooleanField()
    month = models.DateField()  # its first day
    placed = models.IntegerField()  # day-parts with a place given (see indicators.PLACED)
    attended = models.IntegerField()
    no_show = models.IntegerField()
    cancelled_late = models.IntegerField()
    minutes = models.IntegerField()  # of care attended

    class Meta:
        verbose_name = _("research care-month fact")
        verbose_name_plural = _("research care-month facts")

    def __str__(self) -> str:
        return f"request {self.request_id} in {self.month:%Y-%m}"


class CostFact(models.Model):
    """The cost lines of one closed settlement, summed per day, referrer and activity kind."""

    id = models.BigAutoField(primary_key=True)
    settlement = models.ForeignKey(
        "covenant.Settlement", on_delete=models.CASCADE, related_name="+"
    )
    network_id = models.BigIntegerField()
    date = models.DateField()
    referrer_id = models.BigIntegerField(null=True)
    activity_kind = models.CharField(max_length=20, default="")
    lines = models.IntegerField()
    gross = models.DecimalField(max_digits=24, decimal_places=10)
    parent = models.DecimalField(max_digits=24, decimal_places=10)
    amount = models.DecimalField(max_digits=24, decimal_places=10)

    class Meta:
        verbose_name = _("research cost fact")
        verbose_name_plural = _("research cost facts")

    def __str__(self) -> str:
        return f"costs of settlement {self.settlement_id} on {self.date}"


class FactsSeenEvent(models.Model):
    """An audit event a refresh has already taken into the facts. Events are read again for
    a margin of time (a transaction may commit after the refresh that began before it);
    the ones seen once are skipped, and forgotten when they leave the margin."""

    id = models.BigIntegerField(primary_key=True)  # the audit event's
    at = models.DateTimeField(db_index=True)

    class Meta:
        verbose_name = _("audit event in the research facts")
        verbose_name_plural = _("audit events in the research facts")

    def __str__(self) -> str:
        return str(self.pk)


class NewEvent(models.Model):
    """The audit events a refresh takes in, with the client, request or booking each names
    (a TEMPORARY table of `facts.refresh`, like `StaleClient`)."""

    id = models.BigIntegerField(primary_key=True)
    at = models.DateTimeField()
    client_id = models.BigIntegerField(null=True)
    request_id = models.BigIntegerField(null=True)
    booking_id = models.BigIntegerField(null=True)

    class Meta:
        managed = False
        db_table = "research_new_event"

    def __str__(self) -> str:
        return str(self.pk)


class StaleClient(models.Model):
    """The clients a refresh recomputes (a TEMPORARY table of `facts.refresh`, dropped at its
    end; the model lets the ORM read it)."""

    id = models.BigIntegerField(primary_key=True)

    class Meta:
        managed = False
        db_table = "research_stale_client"

    def __str__(self) -> str:
        return str(self.pk)


class StaleRequest(models.Model):
    """The care requests a refresh recomputes (TEMPORARY, like `StaleClient`)."""

    id = models.BigIntegerField(primary_key=True)

    class Meta:
        managed = False
        db_table = "research_stale_request"

    def __str__(self) -> str:
        return str(self.pk)


# --- Evaluation reports ---------------------------------------------------------------------


class ReportState(models.TextChoices):
    PENDING = "pending", _("Being prepared")
    READY = "ready", _("Ready to download")
    FAILED = "failed", _("Failed")
    EXPIRED = "expired", _("Expired and deleted")


class EvaluationReport(StoredFile):
    """The evaluation report (PDF) of one network for a period, written in the background."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    network = models.ForeignKey(
        "network.Network", on_delete=models.PROTECT, related_name="research_reports"
    )
    period_start = models.DateField(_("from"))
    period_end = models.DateField(_("until"))
    organisation = models.ForeignKey(
        "network.Organisation",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("referrer organisation"),
    )
    activity_kind = models.CharField(_("activity kind"), max_length=20, blank=True, default="")
    language = models.CharField(max_length=10, default="nl")
    state = models.CharField(
        max_length=10, choices=ReportState.choices, default=ReportState.PENDING, db_index=True
    )

    class Meta:
        verbose_name = _("evaluation report")
        verbose_name_plural = _("evaluation reports")
        ordering = ["-created_at"]
        constraints = [
            models.CheckConstraint(
                condition=Q(period_end__gte=models.F("period_start")),
                name="research_report_period_order",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.network_id} {self.period_start}-{self.period_end}"
