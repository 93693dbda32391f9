"""Training modules (the network's catalogue), their sessions and who is enrolled in them.

Seats: `Session.taken` counts the enrolments that hold a seat, and the database refuses
`taken > seats` (a CHECK constraint). Enrolling takes a seat with one conditional UPDATE
while holding the session's row lock, so two referrers enrolling for the last seat at the
same moment cannot both get it: the second lands on the waiting list (see
`zorgbrug.training.services` and docs/training.md).

Names and descriptions are user-entered content in several languages: stored per language
code in a JSON object (`{"nl": "ONKI-dag", "fr": "Journée ONKI"}`); Dutch is required and
is the fallback for a language without a text.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _

FALLBACK_LANGUAGE = "nl"


def text_in(texts: dict[str, Any] | None, language: str | None) -> str:
    """The text in `language`, else Dutch, else any language that has one."""
    texts = texts or {}
    code = (language or FALLBACK_LANGUAGE).split("-")[0]
    for key in (code, FALLBACK_LANGUAGE):
        value = str(texts.get(key) or "").strip()
        if value:
            return value
    return next((str(v) for v in texts.values() if str(v or "").strip()), "")


class ModuleKind(models.TextChoices):
    ONKI_DAY = "onki_day", _("ONKI-day")
    LOCAL_SERVICES = "local_services", _("Finding your way in local services")
    PARENTING = "parenting_support", _("Parenting support")
    SOCIAL_PROFIT = "social_profit", _("Orientation in the social-profit sector")
    LOGISTICS = "logistics_assistant", _("Logistics assistant")
    CHILDMINDER = "childminder_course", _("Childminder course")
    WORK_AND_FAMILY = "work_and_family", _("Combining work and family")
    OTHER = "other", _("Other")


class Module(models.Model):
    """A training module of a network's catalogue, given by one training provider."""

    network = models.ForeignKey(
        "network.Network", on_delete=models.CASCADE, related_name="training_modules"
    )
    organisation = models.ForeignKey(
        "network.Organisation",
        on_delete=models.PROTECT,
        related_name="training_modules",
        verbose_name=_("training provider"),
    )
    kind = models.CharField(_("kind"), max_length=30, choices=ModuleKind.choices)
    names = models.JSONField(_("name per language"), default=dict)
    descriptions = models.JSONField(_("description per language"), default=dict, blank=True)
    is_active = models.BooleanField(_("active"), default=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("training module")
        verbose_name_plural = _("training modules")
        ordering = ["network", "kind", "pk"]

    def __str__(self) -> str:
        return self.name_in(FALLBACK_LANGUAGE)

    def name_in(self, language: str | None) -> str:
        return text_in(self.names, language)

    def description_in(self, language: str | None) -> str:
        return text_in(self.descriptions, language)


class Session(models.Model):
    """One meeting of a module: a date, hours, a place, a trainer and a number of seats."""

    module = models.ForeignKey(Module, on_delete=models.CASCADE, related_name="sessions")
    date = models.DateField(_("date"))
    start_time = models.TimeField(_("starts at"))
    end_time = models.TimeField(_("ends at"))
    # The place: a site of a partner organisation, or an address with its postcode.
    site = models.ForeignKey(
        "network.Site",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("site"),
    )
    address = models.CharField(_("address"), max_length=200, blank=True, default="")
    postcode = models.CharField(_("postcode"), max_length=4, blank=True, default="")
    municipality = models.CharField(_("municipality"), max_length=100, blank=True, default="")
    trainer = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("trainer"),
    )
    seats = models.PositiveSmallIntegerField(_("seats"))
    taken = models.PositiveSmallIntegerField(default=0, editable=False)
    cancelled_at = models.DateTimeField(null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("training session")
        verbose_name_plural = _("training sessions")
        ordering = ["date", "start_time", "pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(end_time__gt=F("start_time")), name="training_session_time_order"
            ),
            models.CheckConstraint(condition=Q(seats__gte=1), name="training_session_seats"),
            # The last line of defence: never more people enrolled than seats.
            models.CheckConstraint(
                condition=Q(taken__lte=F("seats")), name="training_session_never_overfull"
            ),
            models.CheckConstraint(
                condition=Q(site__isnull=False) | (~Q(address="") & ~Q(postcode="")),
                name="training_session_has_a_place",
            ),
        ]
        indexes = [models.Index(fields=["module", "date"])]

    def __str__(self) -> str:
        return f"{self.module} {self.date:%d/%m/%Y}"

    @property
    def free(self) -> int:
        return max(0, self.seats - self.taken)

    @property
    def is_cancelled(self) -> bool:
        return self.cancelled_at is not None

    @property
    def place(self) -> str:
        if self.site is not None:
            return f"{self.site.name}, {self.site.address}"
        return f"{self.address}, {self.postcode} {self.municipality}".strip(", ")

    @property
    def place_postcode(self) -> str:
        return self.site.postcode if self.site is not None else self.postcode


class EnrolmentStatus(models.TextChoices):
    ENROLLED = "enrolled", _("Enrolled")
    WAITLISTED = "waitlisted", _("On the waiting list")
    CANCELLED = "cancelled", _("Cancelled")


# Statuses of an enrolment that is still running (one per client and session).
ACTIVE_STATUSES = (EnrolmentStatus.ENROLLED, EnrolmentStatus.WAITLISTED)


class Attendance(models.TextChoices):
    PRESENT = "present", _("Present")
    ABSENT = "absent", _("Absent")
    EXCUSED = "excused", _("Excused")


class CareStatus(models.TextChoices):
    """Where the care for the children during the session stands."""

    NONE = "none", _("No care needed")
    TO_ASK = "to_ask", _("Care still to be asked by the referrer")
    ASKED = "asked", _("Care asked")
    TO_CANCEL = "to_cancel", _("Care still to be cancelled by the referrer")
    TO_MOVE = "to_move", _("Session moved: care still to be moved by the referrer")
    CANCELLED = "cancelled", _("Care cancelled")


# Care a trainer's action left for the referrer to settle (`enrolment_care_sync`).
CARE_TO_SETTLE = (CareStatus.TO_ASK, CareStatus.TO_MOVE, CareStatus.TO_CANCEL)


class Enrolment(models.Model):
    """A client's seat (or place on the waiting list) in one session."""

    session = models.ForeignKey(Session, on_delete=models.CASCADE, related_name="enrolments")
    client = models.ForeignKey(
        "clients.Client", on_delete=models.CASCADE, related_name="training_enrolments"
    )
    status = models.CharField(
        _("status"), max_length=12, choices=EnrolmentStatus.choices, db_index=True
    )
    # The order of the waiting list.
    waitlisted_at = models.DateTimeField(null=True, blank=True)
    enrolled_at = models.DateTimeField(null=True, blank=True)
    cancelled_at = models.DateTimeField(null=True, blank=True)
    cancelled_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    cancel_reason = models.CharField(max_length=200, blank=True, default="")
    attendance = models.CharField(
        _("attendance"), max_length=10, choices=Attendance.choices, blank=True, default=""
    )
    attendance_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    attendance_at = models.DateTimeField(null=True, blank=True)
    care_status = models.CharField(
        _("care"), max_length=10, choices=CareStatus.choices, default=CareStatus.NONE
    )
    care_note = models.CharField(max_length=300, blank=True, default="")
    care_request = models.ForeignKey(
        "care.CareRequest", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    # Who enrolled the client: the referrer's organisation, or the training provider.
    organisation = models.ForeignKey(
        "network.Organisation", on_delete=models.PROTECT, related_name="+"
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("enrolment")
        verbose_name_plural = _("enrolments")
        ordering = ["session", "status", "waitlisted_at", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["client", "session"],
                condition=Q(status__in=["enrolled", "waitlisted"]),
                name="one_running_enrolment_per_client_and_session",
            ),
            models.CheckConstraint(
                condition=Q(attendance="") | Q(status="enrolled"),
                name="attendance_only_when_enrolled",
            ),
        ]
        indexes = [models.Index(fields=["session", "status", "waitlisted_at"])]

    def __str__(self) -> str:
        return f"enrolment {self.pk}: client {self.client_id} in session {self.session_id}"

    @property
    def care_to_settle(self) -> bool:
        """Care a trainer's action left for the referrer (`enrolment_care_sync`)."""
        return self.care_status in CARE_TO_SETTLE
