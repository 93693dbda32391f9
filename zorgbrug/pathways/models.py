"""A client's pathway to work: activities and milestones, the bridge to regular childcare,
the exit, and the follow-ups at 3, 6 and 12 months with their outcomes.

Follow-ups are created by a scheduled job (`schedule_follow_ups`), exactly once however
often it runs: each (job start, months) and (exit, months) pair is unique in the database,
and the job inserts with ON CONFLICT DO NOTHING — see `services.follow_ups_schedule`.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _


class PathwayActivityKind(models.TextChoices):
    COURSE = "course", _("Course or training")
    JOB_INTERVIEW = "job_interview", _("Job interview")
    WORK_TRIAL = "work_trial", _("Work trial")
    JOB_START = "job_start", _("Job start")
    OTHER = "other", _("Other step")


class ContractType(models.TextChoices):
    PERMANENT = "permanent", _("Permanent contract")
    FIXED_TERM = "fixed_term", _("Fixed-term contract")
    TEMP_AGENCY = "temp_agency", _("Temporary agency work")
    SOCIAL_ECONOMY = "social_economy", _("Social economy or article 60")
    SELF_EMPLOYED = "self_employed", _("Self-employed")
    OTHER = "other", _("Other")


class Sector(models.TextChoices):
    CARE = "care", _("Care and social profit")
    CHILDCARE = "childcare", _("Childcare and education")
    LOGISTICS = "logistics", _("Logistics and transport")
    RETAIL = "retail", _("Retail")
    CLEANING = "cleaning", _("Cleaning")
    HOSPITALITY = "hospitality", _("Hotels and catering")
    INDUSTRY = "industry", _("Industry and construction")
    PUBLIC = "public", _("Public sector")
    OFFICE = "office", _("Office and services")
    OTHER = "other", _("Other")


class PathwayActivity(models.Model):
    """A step on the way to work: a course, an interview, a work trial, a job start."""

    client = models.ForeignKey(
        "clients.Client", on_delete=models.CASCADE, related_name="pathway_activities"
    )
    kind = models.CharField(_("kind"), max_length=20, choices=PathwayActivityKind.choices)
    title = models.CharField(_("title"), max_length=200, blank=True, default="")
    date = models.DateField(_("date"))
    end_date = models.DateField(_("until"), null=True, blank=True)
    employer = models.CharField(_("employer"), max_length=200, blank=True, default="")
    sector = models.CharField(
        _("employer's sector"), max_length=20, choices=Sector.choices, blank=True, default=""
    )
    contract_type = models.CharField(
        _("contract type"), max_length=20, choices=ContractType.choices, blank=True, default=""
    )
    hours_per_week = models.DecimalField(
        _("hours per week"), max_digits=4, decimal_places=1, null=True, blank=True
    )
    first_period_end = models.DateField(_("end of the first period"), null=True, blank=True)
    # After a job start: the last day of care the covenant pays for.
    care_until = models.DateField(_("care until"), null=True, blank=True)
    note = models.CharField(_("note"), max_length=300, blank=True, default="")
    organisation = models.ForeignKey(
        "network.Organisation", on_delete=models.PROTECT, related_name="+"
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("pathway activity")
        verbose_name_plural = _("pathway activities")
        ordering = ["-date", "-pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(end_date__isnull=True) | Q(end_date__gte=F("date")),
                name="pathway_activity_date_order",
            ),
            models.CheckConstraint(
                condition=~Q(kind="job_start")
                | (
                    ~Q(contract_type="")
                    & ~Q(sector="")
                    & Q(hours_per_week__gt=0, hours_per_week__lte=60)
                ),
                name="job_start_has_contract_sector_hours",
            ),
        ]
        indexes = [
            models.Index(fields=["kind", "date"]),
            models.Index(fields=["kind", "care_until"]),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.date}"


class RegularCare(models.Model):
    """The bridge to regular childcare: registered with the municipality's childcare desk,
    and a regular place found from a date at a provider."""

    client = models.ForeignKey(
        "clients.Client", on_delete=models.CASCADE, related_name="regular_care"
    )
    care_recipient = models.ForeignKey(
        "clients.CareRecipient",
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("for"),
    )
    registered_on = models.DateField(
        _("registered with the municipality's childcare desk on"), null=True, blank=True
    )
    desk = models.CharField(_("childcare desk"), max_length=200, blank=True, default="")
    place_from = models.DateField(_("regular place from"), null=True, blank=True)
    provider = models.ForeignKey(
        "network.Organisation",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("at a partner provider"),
    )
    provider_name = models.CharField(
        _("or at another provider"), max_length=200, blank=True, default=""
    )
    organisation = models.ForeignKey(
        "network.Organisation", on_delete=models.PROTECT, related_name="+"
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("move to regular childcare")
        verbose_name_plural = _("moves to regular childcare")
        ordering = ["client", "pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(place_from__isnull=True)
                | Q(provider__isnull=False)
                | ~Q(provider_name=""),
                name="regular_place_has_a_provider",
            ),
            models.UniqueConstraint(
                fields=["client", "care_recipient"],
                condition=Q(care_recipient__isnull=False),
                name="one_regular_care_per_recipient",
            ),
            models.UniqueConstraint(
                fields=["client"],
                condition=Q(care_recipient__isnull=True),
                name="one_regular_care_per_family",
            ),
        ]

    def __str__(self) -> str:
        return f"regular care of client {self.client_id}"


class ExitReason(models.TextChoices):
    EMPLOYED = "employed", _("Found work")
    TRAINING = "training", _("Started education or training")
    REGULAR_CARE = "regular_care", _("Care arranged otherwise")
    NO_LONGER_NEEDED = "no_longer_needed", _("Support no longer needed")
    MOVED = "moved", _("Moved away")
    HEALTH = "health", _("Health")
    NO_CONTACT = "no_contact", _("No longer reachable")
    DROPPED_OUT = "dropped_out", _("Stopped on their own")
    OTHER = "other", _("Other")


class Exit(models.Model):
    """The client leaves the pathway (uitstroom), with a reason."""

    client = models.OneToOneField("clients.Client", on_delete=models.CASCADE, related_name="exit")
    date = models.DateField(_("date"))
    reason = models.CharField(_("reason"), max_length=20, choices=ExitReason.choices)
    note = models.CharField(_("note"), max_length=300, blank=True, default="")
    organisation = models.ForeignKey(
        "network.Organisation", on_delete=models.PROTECT, related_name="+"
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("exit")
        verbose_name_plural = _("exits")
        ordering = ["-date", "-pk"]

    def __str__(self) -> str:
        return f"exit of client {self.client_id} on {self.date}"


class FollowUpStatus(models.TextChoices):
    OPEN = "open", _("To do")
    DONE = "done", _("Done")


class FollowUp(models.Model):
    """A due task: ask the client, some months after a job start or an exit, how it goes."""

    client = models.ForeignKey(
        "clients.Client", on_delete=models.CASCADE, related_name="follow_ups"
    )
    job_start = models.ForeignKey(
        PathwayActivity, on_delete=models.CASCADE, null=True, blank=True, related_name="follow_ups"
    )
    exit = models.ForeignKey(
        Exit, on_delete=models.CASCADE, null=True, blank=True, related_name="follow_ups"
    )
    anchor_date = models.DateField(_("after"))
    months = models.PositiveSmallIntegerField(_("months"))
    due_on = models.DateField(_("due on"), db_index=True)
    status = models.CharField(
        _("status"),
        max_length=10,
        choices=FollowUpStatus.choices,
        default=FollowUpStatus.OPEN,
        db_index=True,
    )
    responsible_organisation = models.ForeignKey(
        "network.Organisation", on_delete=models.PROTECT, related_name="+"
    )
    responsible_user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    # Which run of the scheduled job created the row (to report how many it created).
    created_by_run = models.CharField(max_length=32, blank=True, default="")
    created_at = models.DateTimeField(auto_now_add=True)
    done_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("follow-up")
        verbose_name_plural = _("follow-ups")
        ordering = ["due_on", "pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(job_start__isnull=False, exit__isnull=True)
                | Q(job_start__isnull=True, exit__isnull=False),
                name="follow_up_has_one_anchor",
            ),
            # Exactly once, however often (and however concurrently) the schedule runs.
            models.UniqueConstraint(
                fields=["job_start", "months"],
                condition=Q(job_start__isnull=False),
                name="one_follow_up_per_job_start_and_months",
            ),
            models.UniqueConstraint(
                fields=["exit", "months"],
                condition=Q(exit__isnull=False),
                name="one_follow_up_per_exit_and_months",
            ),
        ]
        indexes = [models.Index(fields=["responsible_organisation", "status", "due_on"])]

    def __str__(self) -> str:
        return f"follow-up {self.months} months of client {self.client_id}"


class OutcomeStatus(models.TextChoices):
    EMPLOYED = "employed", _("Employed")
    IN_TRAINING = "in_training", _("In education or training")
    SEEKING_WORK = "seeking_work", _("Seeking work")
    INACTIVE = "inactive", _("Inactive")
    UNREACHABLE = "unreachable", _("Unreachable")


class Outcome(models.Model):
    """Where the client stands on a date: the answer to a follow-up (or noted in between)."""

    client = models.ForeignKey("clients.Client", on_delete=models.CASCADE, related_name="outcomes")
    follow_up = models.OneToOneField(
        FollowUp, on_delete=models.SET_NULL, null=True, blank=True, related_name="outcome"
    )
    observed_on = models.DateField(_("date"))
    status = models.CharField(_("situation"), max_length=20, choices=OutcomeStatus.choices)
    contract_type = models.CharField(
        _("contract type"), max_length=20, choices=ContractType.choices, blank=True, default=""
    )
    hours_per_week = models.DecimalField(
        _("hours per week"), max_digits=4, decimal_places=1, null=True, blank=True
    )
    sector = models.CharField(
        _("sector"), max_length=20, choices=Sector.choices, blank=True, default=""
    )
    same_job = models.BooleanField(
        _("still in the job started then"),
        null=True,
        blank=True,
        help_text=_("For a follow-up after a job start: is it the same job?"),
    )
    screening = models.ForeignKey(
        "clients.Screening",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("repeated care-barrier screening"),
    )
    note = models.CharField(_("note"), max_length=300, blank=True, default="")
    organisation = models.ForeignKey(
        "network.Organisation", on_delete=models.PROTECT, related_name="+"
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("outcome")
        verbose_name_plural = _("outcomes")
        ordering = ["-observed_on", "-pk"]
        constraints = [
            models.CheckConstraint(
                condition=~Q(status="employed")
                | (
                    ~Q(contract_type="")
                    & ~Q(sector="")
                    & Q(hours_per_week__gt=0, hours_per_week__lte=60)
                ),
                name="employed_outcome_has_contract_sector_hours",
            ),
        ]

    def __str__(self) -> str:
        return f"outcome {self.status} of client {self.client_id} on {self.observed_on}"
