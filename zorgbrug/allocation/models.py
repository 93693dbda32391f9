"""Allocation runs and their per-request decisions (issue 8).

A run allocates a network's pending care requests of a period (see `selectors.py` for which
requests and places it reads) with the pure core (`core/`), in a background job. It keeps the
solver's figures, the first-come-first-served comparison and a snapshot of what it ran on
(a digest of the instance and, per request, a fingerprint of its status, dates and
children), so that accepting it later can tell what changed since. Each request of the run
gets one `AllocationDecision`: served with its plan, or not with a structured reason (a code
plus parameters, rendered in the reader's language by `explain.py`). Accepting books the
served ones through the booking service and records, per decision, what happened.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _


class RunState(models.TextChoices):
    PENDING = "pending", _("Waiting")
    RUNNING = "running", _("Running")
    READY = "ready", _("Ready for review")
    ACCEPTED = "accepted", _("Accepted")
    FAILED = "failed", _("Failed")


class AllocationRun(models.Model):
    network = models.ForeignKey(
        "network.Network", on_delete=models.CASCADE, related_name="allocation_runs"
    )
    first_date = models.DateField(_("first day"))
    last_date = models.DateField(_("last day"))
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    job = models.ForeignKey(
        "jobs.Job", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    state = models.CharField(
        _("state"), max_length=10, choices=RunState.choices, default=RunState.PENDING
    )
    message = models.CharField(max_length=300, blank=True, default="")
    # How hard to try; the same instance, seed and budget give the same allocation.
    seed = models.PositiveIntegerField(default=0)
    time_limit = models.FloatField(default=10.0)
    # The solver's figures (covenant points).
    solve_status = models.CharField(max_length=10, blank=True, default="")
    objective = models.FloatField(null=True, blank=True)
    bound = models.FloatField(null=True, blank=True)
    gap = models.FloatField(null=True, blank=True)
    seconds = models.FloatField(null=True, blank=True)
    priority_value = models.FloatField(null=True, blank=True)
    requests_total = models.PositiveIntegerField(default=0)
    served_count = models.PositiveIntegerField(default=0)
    # First come, first served on the same input, for comparison.
    fcfs_served_count = models.PositiveIntegerField(default=0)
    fcfs_objective = models.FloatField(null=True, blank=True)
    fcfs_priority_value = models.FloatField(null=True, blank=True)
    # What the run ran on: a digest of the whole instance (requests, places, weights) and
    # the counts behind it; per request a fingerprint on its decision.
    instance_digest = models.CharField(max_length=64, blank=True, default="")
    snapshot = models.JSONField(default=dict, blank=True)
    stats = models.JSONField(default=dict, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    accepted_at = models.DateTimeField(null=True, blank=True)
    accepted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )

    class Meta:
        verbose_name = _("allocation run")
        verbose_name_plural = _("allocation runs")
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(last_date__gte=F("first_date")), name="allocation_run_period_order"
            ),
        ]

    def __str__(self) -> str:
        return f"allocation {self.pk} ({self.first_date}–{self.last_date})"

    @property
    def has_result(self) -> bool:
        return self.state in (RunState.READY, RunState.ACCEPTED)

    @property
    def is_finished(self) -> bool:
        return self.state not in (RunState.PENDING, RunState.RUNNING)

    @property
    def served_share(self) -> float | None:
        return self.served_count / self.requests_total if self.requests_total else None

    @property
    def fcfs_served_share(self) -> float | None:
        return self.fcfs_served_count / self.requests_total if self.requests_total else None

    @property
    def value_gain(self) -> float | None:
        """Covenant points served, relative to first come, first served (0.05 = 5% more)."""
        if self.priority_value is None or not self.fcfs_priority_value:
            return None
        return self.priority_value / self.fcfs_priority_value - 1


class Outcome(models.TextChoices):
    """What accepting did with a served decision."""

    BOOKED = "booked", _("Booked")
    WAITING_PROVIDER = "waiting_provider", _("Booked, waiting for the provider")
    REQUEST_CHANGED = "request_changed", _("Skipped: the request changed since the run")
    CAPACITY_TAKEN = "capacity_taken", _("Skipped: a place was taken since the run")
    PLAN_INVALID = "plan_invalid", _("Skipped: the plan is no longer valid")
    BUSY = "busy", _("Skipped: the places were busy, try again")


BOOKED_OUTCOMES = (Outcome.BOOKED, Outcome.WAITING_PROVIDER)


class AllocationDecision(models.Model):
    run = models.ForeignKey(AllocationRun, on_delete=models.CASCADE, related_name="decisions")
    care_request = models.ForeignKey(
        "care.CareRequest", on_delete=models.CASCADE, related_name="allocation_decisions"
    )
    served = models.BooleanField(default=False)
    fcfs_served = models.BooleanField(default=False)
    # [{"date": "2026-12-02", "part": "pm", "site": <care site id>, "recipient": <id>}, …]
    plan = models.JSONField(default=list, blank=True)
    reason_code = models.CharField(max_length=30, blank=True, default="")
    reason_params = models.JSONField(default=dict, blank=True)
    priority = models.CharField(max_length=20)  # the core's priority class
    points = models.FloatField(default=0)  # request and day-part points if served
    value = models.FloatField(default=0)  # contribution to the objective (0 if not served)
    distance_km = models.FloatField(null=True, blank=True)
    arrival = models.DateTimeField()  # when the request was made (first come, first served)
    # Status, dates and children of the request when the run read it.
    fingerprint = models.CharField(max_length=64)
    outcome = models.CharField(max_length=20, choices=Outcome.choices, blank=True, default="")
    outcome_message = models.CharField(max_length=500, blank=True, default="")
    decided_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("allocation decision")
        verbose_name_plural = _("allocation decisions")
        ordering = ["run", "-served", "-value", "arrival", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["run", "care_request"], name="allocation_decision_once_per_run"
            ),
        ]

    def __str__(self) -> str:
        return f"decision {self.pk}: request {self.care_request_id} served={self.served}"

    @property
    def site_ids(self) -> list[int]:
        return sorted({int(p["site"]) for p in self.plan})

    def plan_by_slot(self) -> dict[tuple[str, str], int]:
        """(ISO date, day-part) -> care site id: the shape the booking service books."""
        return {(p["date"], p["part"]): int(p["site"]) for p in self.plan}
