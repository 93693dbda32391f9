"""Care capacity (what providers offer the network) and its use (requests and bookings).

Capacity is kept as one counter row per (site, date, day-part, age band): `CapacitySlot`.
Its `places` come from the reserved (rented) places valid that day plus the short-notice
vacancies published for it; `booked` counts the active bookings. The database refuses
`booked > places` (a CHECK constraint), and bookings raise `booked` with one conditional
UPDATE per slot inside a transaction — see docs/booking.md for the locking rules.
"""

from __future__ import annotations

import secrets
import uuid
from typing import Any

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _


class DayPart(models.TextChoices):
    MORNING = "am", _("Morning")
    AFTERNOON = "pm", _("Afternoon")


class Weekday(models.IntegerChoices):
    MONDAY = 0, _("Monday")
    TUESDAY = 1, _("Tuesday")
    WEDNESDAY = 2, _("Wednesday")
    THURSDAY = 3, _("Thursday")
    FRIDAY = 4, _("Friday")
    SATURDAY = 5, _("Saturday")
    SUNDAY = 6, _("Sunday")


class AgeBand(models.Model):
    """An age range a network books by, e.g. 0–2.5 years (babies and toddlers)."""

    network = models.ForeignKey(
        "network.Network", on_delete=models.CASCADE, related_name="age_bands"
    )
    name = models.CharField(_("name"), max_length=100)
    min_months = models.PositiveSmallIntegerField(_("from age (months)"))
    max_months = models.PositiveSmallIntegerField(_("up to age (months, not included)"))

    class Meta:
        verbose_name = _("age band")
        verbose_name_plural = _("age bands")
        ordering = ["network", "min_months"]
        constraints = [
            models.CheckConstraint(
                condition=Q(max_months__gt=F("min_months")), name="age_band_not_empty"
            ),
            models.UniqueConstraint(fields=["network", "min_months"], name="age_band_unique_start"),
        ]

    def __str__(self) -> str:
        return self.name

    def contains(self, months: int) -> bool:
        return self.min_months <= months < self.max_months


class CareSite(models.Model):
    """A provider site's care profile: who it takes, when, in which languages."""

    site = models.OneToOneField(
        "network.Site", on_delete=models.CASCADE, related_name="care_profile"
    )
    network = models.ForeignKey(
        "network.Network", on_delete=models.CASCADE, related_name="care_sites"
    )
    age_bands = models.ManyToManyField(
        AgeBand, related_name="care_sites", verbose_name=_("age bands")
    )
    languages = models.JSONField(_("languages spoken by the staff"), default=list, blank=True)
    wheelchair_accessible = models.BooleanField(_("wheelchair accessible"), default=False)
    meals = models.BooleanField(_("meals provided"), default=True)
    notes = models.TextField(_("notes for referrers"), blank=True, default="")
    needs_confirmation = models.BooleanField(
        _("the provider confirms each booking"),
        default=False,
        help_text=_("Off: a free reserved place is booked at once."),
    )
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("care site")
        verbose_name_plural = _("care sites")

    def __str__(self) -> str:
        return str(self.site)


class OpeningHours(models.Model):
    care_site = models.ForeignKey(CareSite, on_delete=models.CASCADE, related_name="opening_hours")
    weekday = models.PositiveSmallIntegerField(_("day"), choices=Weekday.choices)
    opens = models.TimeField(_("opens"))
    closes = models.TimeField(_("closes"))

    class Meta:
        verbose_name = _("opening hours")
        verbose_name_plural = _("opening hours")
        ordering = ["care_site", "weekday", "opens"]
        constraints = [
            models.CheckConstraint(condition=Q(closes__gt=F("opens")), name="opening_hours_order"),
        ]

    def __str__(self) -> str:
        return f"{self.get_weekday_display()} {self.opens:%H:%M}-{self.closes:%H:%M}"


class Closure(models.Model):
    """Days a site is closed (holidays of its own, staff training, …)."""

    care_site = models.ForeignKey(CareSite, on_delete=models.CASCADE, related_name="closures")
    first_day = models.DateField(_("from"))
    last_day = models.DateField(_("until"))
    reason = models.CharField(_("reason"), max_length=200, blank=True, default="")

    class Meta:
        verbose_name = _("closure")
        verbose_name_plural = _("closures")
        ordering = ["care_site", "first_day"]
        constraints = [
            models.CheckConstraint(condition=Q(last_day__gte=F("first_day")), name="closure_order"),
        ]

    def __str__(self) -> str:
        return f"{self.first_day}–{self.last_day}"


class ReservedCapacity(models.Model):
    """Places a provider reserves (rents out) to the network, every week, with a price."""

    care_site = models.ForeignKey(CareSite, on_delete=models.CASCADE, related_name="reservations")
    age_band = models.ForeignKey(AgeBand, on_delete=models.PROTECT, related_name="+")
    weekday = models.PositiveSmallIntegerField(_("day"), choices=Weekday.choices)
    day_part = models.CharField(_("day-part"), max_length=2, choices=DayPart.choices)
    places = models.PositiveSmallIntegerField(_("places"))
    valid_from = models.DateField(_("valid from"))
    valid_until = models.DateField(_("valid until"))
    price = models.DecimalField(
        _("price per place and day-part"), max_digits=8, decimal_places=2, default=0
    )

    class Meta:
        verbose_name = _("reserved places")
        verbose_name_plural = _("reserved places")
        ordering = ["care_site", "weekday", "day_part", "age_band"]
        constraints = [
            models.CheckConstraint(
                condition=Q(valid_until__gte=F("valid_from")), name="reservation_period_order"
            ),
            models.CheckConstraint(condition=Q(places__gte=1), name="reservation_places"),
            models.CheckConstraint(condition=Q(price__gte=0), name="reservation_price"),
        ]

    def __str__(self) -> str:
        return f"{self.care_site} {self.get_weekday_display()} {self.day_part}: {self.places}"


class Vacancy(models.Model):
    """Extra places for one date and day-part, e.g. because a regular child is absent.

    It expires by itself: after its day-part has started it no longer counts.
    """

    care_site = models.ForeignKey(CareSite, on_delete=models.CASCADE, related_name="vacancies")
    age_band = models.ForeignKey(AgeBand, on_delete=models.PROTECT, related_name="+")
    date = models.DateField(_("date"))
    day_part = models.CharField(_("day-part"), max_length=2, choices=DayPart.choices)
    places = models.PositiveSmallIntegerField(_("places"))
    price = models.DecimalField(_("price per place"), max_digits=8, decimal_places=2, default=0)
    published_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    published_at = models.DateTimeField(auto_now_add=True)
    withdrawn_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("short-notice vacancy")
        verbose_name_plural = _("short-notice vacancies")
        ordering = ["date", "day_part"]
        constraints = [models.CheckConstraint(condition=Q(places__gte=1), name="vacancy_places")]

    def __str__(self) -> str:
        return f"{self.care_site} {self.date} {self.day_part}: +{self.places}"


class CapacitySlot(models.Model):
    """The bookable counter for one site, date, day-part and age band."""

    # No index of its own: `capacity_slot_unique` starts with it and serves every lookup
    # by site; each index is one more to write per slot and to lock per booking.
    care_site = models.ForeignKey(
        CareSite, on_delete=models.CASCADE, related_name="slots", db_index=False
    )
    date = models.DateField()
    day_part = models.CharField(max_length=2, choices=DayPart.choices)
    age_band = models.ForeignKey(AgeBand, on_delete=models.PROTECT, related_name="+")
    reserved_places = models.PositiveIntegerField(default=0)
    vacancy_places = models.PositiveIntegerField(default=0)
    places = models.PositiveIntegerField(default=0)
    booked = models.PositiveIntegerField(default=0)
    # Denormalised for the search: one index range scan finds every free slot of a day
    # (the index on network, date, day-part and band, which also serves the foreign key).
    network = models.ForeignKey(
        "network.Network", on_delete=models.CASCADE, related_name="+", db_index=False
    )

    class Meta:
        verbose_name = _("capacity slot")
        verbose_name_plural = _("capacity slots")
        constraints = [
            models.UniqueConstraint(
                fields=["care_site", "date", "day_part", "age_band"], name="capacity_slot_unique"
            ),
            # The last line of defence: never more children booked than places.
            models.CheckConstraint(
                condition=Q(booked__lte=F("places")), name="capacity_never_overbooked"
            ),
            models.CheckConstraint(
                condition=Q(places=F("reserved_places") + F("vacancy_places")),
                name="capacity_places_sum",
            ),
        ]
        indexes = [models.Index(fields=["network", "date", "day_part", "age_band"])]

    def __str__(self) -> str:
        return f"{self.care_site_id} {self.date} {self.day_part} {self.booked}/{self.places}"

    @property
    def free(self) -> int:
        return self.places - self.booked


class ActivityKind(models.TextChoices):
    JOB_START = "job_start", _("First weeks of a new job")
    JOB_INTERVIEW = "job_interview", _("Job interview")
    WORK_TRIAL = "work_trial", _("Work trial")
    COURSE = "course", _("Course or training")
    TRAINING_SESSION = "training_session", _("Training module session")
    APPLICATION = "application", _("Application activity")
    ORIENTATION = "orientation", _("Orientation")
    OTHER = "other", _("Other")


class Activity(models.Model):
    """What the care is for: a course, an interview, the first weeks of a job…"""

    client = models.ForeignKey(
        "clients.Client", on_delete=models.CASCADE, related_name="activities"
    )
    kind = models.CharField(_("kind"), max_length=20, choices=ActivityKind.choices)
    title = models.CharField(_("title"), max_length=200)
    location = models.CharField(_("place"), max_length=200, blank=True, default="")
    postcode = models.CharField(_("postcode"), max_length=4, blank=True, default="")
    latitude = models.DecimalField(max_digits=9, decimal_places=6, null=True, blank=True)
    longitude = models.DecimalField(max_digits=9, decimal_places=6, null=True, blank=True)
    first_date = models.DateField(_("first date"))
    last_date = models.DateField(_("last date"), null=True, blank=True)
    recurrence = models.CharField(
        _("repeats (RFC 5545 rule)"), max_length=300, blank=True, default=""
    )
    start_time = models.TimeField(_("starts at"))
    end_time = models.TimeField(_("ends at"))
    travel_minutes = models.PositiveSmallIntegerField(
        _("travel time each way (minutes)"), default=30
    )
    organisation = models.ForeignKey(
        "network.Organisation", on_delete=models.PROTECT, related_name="+"
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("activity")
        verbose_name_plural = _("activities")
        ordering = ["-first_date", "-pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(end_time__gt=F("start_time")), name="activity_time_order"
            ),
            models.CheckConstraint(
                condition=Q(last_date__isnull=True) | Q(last_date__gte=F("first_date")),
                name="activity_date_order",
            ),
        ]

    def __str__(self) -> str:
        return self.title


class Urgency(models.TextChoices):
    NORMAL = "normal", _("Normal")
    URGENT = "urgent", _("Urgent")


class Preference(models.TextChoices):
    NEAR_HOME = "home", _("Near home")
    NEAR_ACTIVITY = "activity", _("Near the activity")


class RequestStatus(models.TextChoices):
    OPEN = "open", _("Looking for a place")
    WAITING_PROVIDER = "waiting_provider", _("Waiting for the provider")
    WAITLISTED = "waitlisted", _("On the waiting list")
    BOOKED = "booked", _("Booked")
    CANCELLED = "cancelled", _("Cancelled")
    REFUSED = "refused", _("No place found")


class CareRequest(models.Model):
    """Care asked for one or more care recipients of a client, for an activity."""

    id = models.BigAutoField(primary_key=True)
    reference = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    client = models.ForeignKey(
        "clients.Client", on_delete=models.CASCADE, related_name="care_requests"
    )
    activity = models.ForeignKey(Activity, on_delete=models.CASCADE, related_name="care_requests")
    recipients = models.ManyToManyField(
        "clients.CareRecipient",
        related_name="care_requests",
        verbose_name=_("children or dependants"),
    )
    urgency = models.CharField(
        _("urgency"), max_length=10, choices=Urgency.choices, default=Urgency.NORMAL
    )
    preference = models.CharField(
        _("preferably"), max_length=10, choices=Preference.choices, default=Preference.NEAR_HOME
    )
    language = models.CharField(
        _("preferred language of the care"), max_length=2, blank=True, default=""
    )
    status = models.CharField(
        _("status"),
        max_length=20,
        choices=RequestStatus.choices,
        default=RequestStatus.OPEN,
        # Not indexed: lists filter by network or client first, and an unindexed status
        # lets a booking's status change be a HOT update (no index entry rewritten).
    )
    status_reason = models.CharField(max_length=300, blank=True, default="")
    organisation = models.ForeignKey(
        "network.Organisation", on_delete=models.PROTECT, related_name="+"
    )
    network = models.ForeignKey("network.Network", on_delete=models.PROTECT, related_name="+")
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("care request")
        verbose_name_plural = _("care requests")
        ordering = ["-created_at", "-pk"]

    def __str__(self) -> str:
        return f"request {self.pk} for client {self.client_id}"


class NeededSlot(models.Model):
    """A date and day-part a request needs care on (derived from the activity)."""

    request = models.ForeignKey(CareRequest, on_delete=models.CASCADE, related_name="needs")
    date = models.DateField()
    day_part = models.CharField(max_length=2, choices=DayPart.choices)

    class Meta:
        ordering = ["date", "day_part"]
        constraints = [
            models.UniqueConstraint(
                fields=["request", "date", "day_part"], name="needed_slot_unique"
            )
        ]

    def __str__(self) -> str:
        return f"{self.date} {self.day_part}"


class BookingStatus(models.TextChoices):
    PENDING = "pending", _("Waiting for the provider")
    CONFIRMED = "confirmed", _("Confirmed")
    ATTENDED = "attended", _("Attended")
    ABSENT = "absent", _("Absent (announced)")
    NO_SHOW = "no_show", _("No-show")
    CANCELLED = "cancelled", _("Cancelled in time")
    CANCELLED_LATE = "cancelled_late", _("Cancelled late")


# Statuses that hold a place in the slot counter.
HOLDING = (
    BookingStatus.PENDING,
    BookingStatus.CONFIRMED,
    BookingStatus.ATTENDED,
    BookingStatus.ABSENT,
    BookingStatus.NO_SHOW,
)


def _set_later_by() -> models.ForeignKey[Any, Any]:
    """Who did something to a booking after it was made: empty when it is made, so not
    indexed here — `Booking.Meta.indexes` indexes it only where set."""
    return models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        db_index=False,
    )


class Booking(models.Model):
    """One care recipient in one slot (site, date, day-part)."""

    request = models.ForeignKey(CareRequest, on_delete=models.CASCADE, related_name="bookings")
    recipient = models.ForeignKey(
        "clients.CareRecipient", on_delete=models.PROTECT, related_name="bookings"
    )
    slot = models.ForeignKey(CapacitySlot, on_delete=models.PROTECT, related_name="bookings")
    # Looked up through the (care_site, date, day_part) index below: no index of its own.
    care_site = models.ForeignKey(
        CareSite, on_delete=models.PROTECT, related_name="bookings", db_index=False
    )
    date = models.DateField(db_index=True)
    day_part = models.CharField(max_length=2, choices=DayPart.choices)
    # Not indexed: every query narrows by site, date, request or child first; each index
    # is one more entry to write per booking.
    status = models.CharField(
        max_length=20, choices=BookingStatus.choices, default=BookingStatus.CONFIRMED
    )
    uses_vacancy = models.BooleanField(default=False)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    cancelled_at = models.DateTimeField(null=True, blank=True)
    cancelled_by = _set_later_by()
    arrived_at = models.TimeField(null=True, blank=True)
    picked_up_at = models.TimeField(null=True, blank=True)
    picked_up_by = models.CharField(max_length=200, blank=True, default="")
    attendance_by = _set_later_by()

    class Meta:
        verbose_name = _("booking")
        verbose_name_plural = _("bookings")
        ordering = ["date", "day_part", "pk"]
        constraints = [
            # A child is in one place at a time.
            models.UniqueConstraint(
                fields=["recipient", "date", "day_part"],
                condition=Q(status__in=["pending", "confirmed", "attended", "absent", "no_show"]),
                name="booking_one_place_per_child_and_day_part",
            ),
        ]
        indexes = [
            models.Index(fields=["care_site", "date", "day_part"]),
            models.Index(
                fields=["cancelled_by"],
                name="booking_cancelled_by",
                condition=Q(cancelled_by__isnull=False),
            ),
            models.Index(
                fields=["attendance_by"],
                name="booking_attendance_by",
                condition=Q(attendance_by__isnull=False),
            ),
        ]

    def __str__(self) -> str:
        return f"booking {self.pk}: {self.recipient_id} {self.date} {self.day_part}"


class IdempotencyRecord(models.Model):
    """The stored answer to an API call made with an Idempotency-Key header."""

    # Found through the (user, key) constraint: no index of its own.
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+", db_index=False
    )
    key = models.CharField(max_length=200)
    fingerprint = models.CharField(max_length=64)
    status_code = models.PositiveSmallIntegerField(null=True)
    body = models.JSONField(default=dict)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["user", "key"], name="idempotency_key_unique")
        ]

    def __str__(self) -> str:
        return f"{self.user_id}:{self.key}"


def new_feed_token() -> str:
    return secrets.token_urlsafe(24)


class CalendarFeed(models.Model):
    """An unguessable ICS address for a site's or a client's bookings; revocable."""

    token = models.CharField(max_length=64, unique=True, default=new_feed_token)
    care_site = models.ForeignKey(
        CareSite, on_delete=models.CASCADE, null=True, blank=True, related_name="feeds"
    )
    client = models.ForeignKey(
        "clients.Client", on_delete=models.CASCADE, null=True, blank=True, related_name="feeds"
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=(Q(care_site__isnull=False) & Q(client__isnull=True))
                | (Q(care_site__isnull=True) & Q(client__isnull=False)),
                name="feed_has_one_owner",
            ),
        ]

    def __str__(self) -> str:
        return f"feed {self.pk}"

    @property
    def is_active(self) -> bool:
        return self.revoked_at is None


class Notification(models.Model):
    """A message sent (or tried) about a booking: the delivery log."""

    class Channel(models.TextChoices):
        EMAIL = "email", _("E-mail")
        SMS = "sms", _("SMS")

    class Kind(models.TextChoices):
        CONFIRMATION = "confirmation", _("Confirmation")
        CHANGE = "change", _("Change")
        CANCELLATION = "cancellation", _("Cancellation")
        # The activity moved: its care is cancelled free of charge, to be asked again.
        MOVED = "moved", _("Activity moved")
        REMINDER = "reminder", _("Reminder")

    request = models.ForeignKey(CareRequest, on_delete=models.CASCADE, related_name="notifications")
    kind = models.CharField(max_length=20, choices=Kind.choices)
    channel = models.CharField(max_length=10, choices=Channel.choices)
    recipient = models.CharField(max_length=254)
    language = models.CharField(max_length=5)
    subject = models.CharField(max_length=200)
    body = models.TextField()
    # For reminders: the day reminded of, so that a re-run never sends twice.
    about_date = models.DateField(null=True, blank=True)
    status = models.CharField(max_length=10, default="pending")
    error = models.CharField(max_length=300, blank=True, default="")
    created_at = models.DateTimeField(auto_now_add=True)
    sent_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["request", "kind", "channel", "about_date"],
                condition=Q(kind="reminder"),
                name="one_reminder_per_request_day_channel",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.kind} {self.channel} to {self.recipient}"
