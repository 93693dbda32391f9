"""The client (a job seeker with care duties), the people they care for, consent, screening.

Everything here is personal data: read it only through `zorgbrug.access.scoping`, write it
only through `zorgbrug.clients.services`, and both leave a trace in the audit log.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _


class Gender(models.TextChoices):
    FEMALE = "female", _("Woman")
    MALE = "male", _("Man")
    X = "x", _("Non-binary / other")
    UNKNOWN = "unknown", _("Not given")


class LabourStatus(models.TextChoices):
    REGISTERED_UNEMPLOYED = "unemployed", _("Registered job seeker")
    INACTIVE = "inactive", _("Inactive (not registered)")
    EMPLOYED = "employed", _("Employed")
    IN_TRAINING = "in_training", _("In education or training")


class IncomeSource(models.TextChoices):
    UNEMPLOYMENT_BENEFIT = "unemployment_benefit", _("Unemployment benefit")
    SOCIAL_INTEGRATION = "social_integration", _("Social integration income (leefloon)")
    WORK = "work", _("Income from work")
    OTHER = "other", _("Other income")
    NONE = "none", _("No income")


class Isced(models.IntegerChoices):
    """Highest completed education, ISCED 2011."""

    EARLY = 0, _("ISCED 0: no primary education")
    PRIMARY = 1, _("ISCED 1: primary education")
    LOWER_SECONDARY = 2, _("ISCED 2: lower secondary")
    UPPER_SECONDARY = 3, _("ISCED 3: upper secondary")
    POST_SECONDARY = 4, _("ISCED 4: post-secondary, non-tertiary")
    SHORT_TERTIARY = 5, _("ISCED 5: short-cycle tertiary")
    BACHELOR = 6, _("ISCED 6: bachelor")
    MASTER = 7, _("ISCED 7: master")
    DOCTORATE = 8, _("ISCED 8: doctorate")


class ClientStatus(models.TextChoices):
    ACTIVE = "active", _("Active")
    EXITED = "exited", _("Exited")


class Client(models.Model):
    network = models.ForeignKey("network.Network", on_delete=models.PROTECT, related_name="clients")
    first_name = models.CharField(_("first name"), max_length=100)
    last_name = models.CharField(_("last name"), max_length=100)
    birth_date = models.DateField(_("date of birth"))
    gender = models.CharField(_("gender"), max_length=10, choices=Gender.choices)
    insz = models.CharField(
        _("national register or BIS number (INSZ)"), max_length=11, blank=True, default=""
    )
    phone = models.CharField(
        _("phone"),
        max_length=20,
        blank=True,
        default="",
        help_text=_("Stored in international form, e.g. +32470123456."),
    )
    email = models.EmailField(_("e-mail"), blank=True, default="")
    street = models.CharField(_("street and number"), max_length=200, blank=True, default="")
    postcode = models.CharField(_("postcode"), max_length=4)
    municipality = models.CharField(_("municipality"), max_length=100, blank=True, default="")
    latitude = models.DecimalField(max_digits=9, decimal_places=6, null=True, blank=True)
    longitude = models.DecimalField(max_digits=9, decimal_places=6, null=True, blank=True)
    languages = models.JSONField(
        _("languages spoken"),
        default=list,
        blank=True,
        help_text=_("ISO 639-1 codes, most preferred first."),
    )
    needs_interpreter = models.BooleanField(_("needs an interpreter"), default=False)

    labour_status = models.CharField(
        _("labour-market status"), max_length=20, choices=LabourStatus.choices
    )
    months_unemployed = models.PositiveSmallIntegerField(
        _("months without work"), null=True, blank=True
    )
    income_source = models.CharField(_("main income"), max_length=30, choices=IncomeSource.choices)
    education_level = models.PositiveSmallIntegerField(
        _("highest education (ISCED)"), choices=Isced.choices, null=True, blank=True
    )
    single_adult_household = models.BooleanField(_("single adult in the household"), default=False)
    adults_in_household = models.PositiveSmallIntegerField(_("adults in the household"), default=1)
    children_in_household = models.PositiveSmallIntegerField(
        _("children in the household"), default=0
    )
    # Special-category data: recorded only with the client's explicit consent to it.
    migration_background = models.BooleanField(_("migration background"), null=True, blank=True)

    status = models.CharField(
        _("status"),
        max_length=10,
        choices=ClientStatus.choices,
        default=ClientStatus.ACTIVE,
        db_index=True,
    )
    search_name = models.CharField(max_length=210, db_index=True, editable=False, default="")
    intake_organisation = models.ForeignKey(
        "network.Organisation", on_delete=models.PROTECT, related_name="+"
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("client")
        verbose_name_plural = _("clients")
        ordering = ["last_name", "first_name", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["network", "insz"],
                condition=~Q(insz=""),
                name="client_insz_unique_per_network",
            ),
            models.CheckConstraint(
                condition=Q(adults_in_household__gte=1), name="client_at_least_one_adult"
            ),
        ]
        indexes = [
            models.Index(fields=["network", "birth_date"]),
            models.Index(fields=["phone"]),
            models.Index(fields=["insz"]),
            # The caseload's order: its first page walks this index and stops after a page
            # instead of sorting every client the organisation follows.
            models.Index(fields=["last_name", "first_name", "id"], name="client_name_order"),
        ]

    def __str__(self) -> str:
        return f"{self.first_name} {self.last_name}"

    @property
    def full_name(self) -> str:
        return f"{self.first_name} {self.last_name}"


class FollowingOrganisation(models.Model):
    """An organisation that follows a client (the intake's, and others with consent)."""

    client = models.ForeignKey(Client, on_delete=models.CASCADE, related_name="followers")
    organisation = models.ForeignKey(
        "network.Organisation", on_delete=models.CASCADE, related_name="followed_clients"
    )
    since = models.DateTimeField(auto_now_add=True)
    until = models.DateTimeField(null=True, blank=True)
    added_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    reason = models.CharField(max_length=200, blank=True, default="")

    class Meta:
        verbose_name = _("following organisation")
        verbose_name_plural = _("following organisations")
        constraints = [
            models.UniqueConstraint(
                fields=["client", "organisation"],
                condition=Q(until__isnull=True),
                name="one_active_follow_per_organisation",
            ),
        ]
        indexes = [models.Index(fields=["organisation", "until", "client"])]

    def __str__(self) -> str:
        return f"{self.organisation} follows {self.client_id}"


class RecipientKind(models.TextChoices):
    CHILD = "child", _("Child")
    ADULT = "adult", _("Dependent adult")


class AdultCareKind(models.TextChoices):
    SUPERVISION = "supervision", _("Supervision / company")
    PERSONAL = "personal", _("Personal care")
    NURSING = "nursing", _("Nursing care")
    OTHER = "other", _("Other")


class CareRecipient(models.Model):
    client = models.ForeignKey(Client, on_delete=models.CASCADE, related_name="care_recipients")
    kind = models.CharField(
        _("kind"), max_length=10, choices=RecipientKind.choices, default=RecipientKind.CHILD
    )
    first_name = models.CharField(_("first name"), max_length=100)
    birth_date = models.DateField(_("date of birth"))
    special_needs = models.TextField(_("special needs"), blank=True, default="")
    allergies = models.CharField(_("allergies"), max_length=300, blank=True, default="")
    languages = models.JSONField(_("languages"), default=list, blank=True)
    pickup_persons = models.CharField(_("who may pick up"), max_length=300, blank=True, default="")
    adult_care_kind = models.CharField(
        _("kind of care needed"),
        max_length=20,
        choices=AdultCareKind.choices,
        blank=True,
        default="",
    )
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("care recipient")
        verbose_name_plural = _("care recipients")
        ordering = ["birth_date", "pk"]

    def __str__(self) -> str:
        return self.first_name


class ConsentText(models.Model):
    """The consent text shown to the client, versioned and stored per language."""

    version = models.CharField(max_length=20)
    language = models.CharField(max_length=5)
    title = models.CharField(max_length=200)
    body = models.TextField()
    valid_from = models.DateField()
    is_current = models.BooleanField(default=True)

    class Meta:
        verbose_name = _("consent text")
        verbose_name_plural = _("consent texts")
        constraints = [
            models.UniqueConstraint(
                fields=["version", "language"], name="consent_text_version_language"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.version} ({self.language})"


class Consent(models.Model):
    """What the client agreed to, when, recorded by whom — and its withdrawal."""

    client = models.ForeignKey(Client, on_delete=models.CASCADE, related_name="consents")
    text_version = models.CharField(_("version of the consent text"), max_length=20)
    language = models.CharField(_("language of the text shown"), max_length=5)
    care_support = models.BooleanField(_("processing for care support"), default=True)
    share_with_partners = models.BooleanField(
        _("sharing with partner organisations"), default=False
    )
    shared_with = models.ManyToManyField(
        "network.Organisation",
        blank=True,
        related_name="+",
        verbose_name=_("named partner organisations"),
    )
    research_use = models.BooleanField(_("pseudonymised research use"), default=False)
    special_category = models.BooleanField(_("recording migration background"), default=False)
    given_at = models.DateTimeField(_("given at"))
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    recorded_by_organisation = models.ForeignKey(
        "network.Organisation", on_delete=models.SET_NULL, null=True, related_name="+"
    )
    withdrawn_at = models.DateTimeField(_("withdrawn at"), null=True, blank=True)
    withdrawn_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    class Meta:
        verbose_name = _("consent")
        verbose_name_plural = _("consents")
        ordering = ["-given_at", "-pk"]
        constraints = [
            # A record without consent to the core purpose cannot exist.
            models.CheckConstraint(
                condition=Q(care_support=True), name="consent_includes_care_support"
            ),
        ]

    def __str__(self) -> str:
        return f"consent {self.text_version} of client {self.client_id}"

    @property
    def is_active(self) -> bool:
        return self.withdrawn_at is None


class Arrangement(models.TextChoices):
    PARENT = "parent", _("The parent themself")
    FAMILY = "family", _("Family or friends")
    REGULAR = "regular_childcare", _("Regular childcare")
    NONE = "none", _("No arrangement")


class WouldAccept(models.TextChoices):
    YES = "yes", _("Yes")
    MAYBE = "maybe", _("Maybe")
    NO = "no", _("No")


class MainBarrier(models.TextChoices):
    CARE = "care", _("Care duties")
    HEALTH = "health", _("Health")
    LANGUAGE = "language", _("Language")
    TRANSPORT = "transport", _("Transport / mobility")
    SKILLS = "skills", _("Skills or qualifications")
    OTHER = "other", _("Something else")
    NONE = "none", _("None")


class RefusalReason(models.TextChoices):
    HEALTH = "health", _("Health")
    OTHER_CARE = "other_care", _("Other care duties")
    TRANSPORT = "transport", _("Transport")
    LANGUAGE = "language", _("Language")
    NOT_READY = "not_ready", _("Not ready yet")
    TRUST = "trust", _("Does not want to leave the children with others")
    OTHER = "other", _("Other")


class ScreeningOccasion(models.TextChoices):
    INTAKE = "intake", _("Intake")
    FOLLOW_UP = "follow_up", _("Follow-up")


class Screening(models.Model):
    """The care-barrier screening: structured answers to a versioned questionnaire."""

    client = models.ForeignKey(Client, on_delete=models.CASCADE, related_name="screenings")
    questionnaire_version = models.CharField(max_length=10, default="v1")
    occasion = models.CharField(
        _("occasion"),
        max_length=10,
        choices=ScreeningOccasion.choices,
        default=ScreeningOccasion.INTAKE,
    )
    taken_on = models.DateField(_("date"))
    taken_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    organisation = models.ForeignKey(
        "network.Organisation", on_delete=models.SET_NULL, null=True, related_name="+"
    )
    stopped_job = models.BooleanField(_("care duties stopped them taking a job"), default=False)
    stopped_course = models.BooleanField(
        _("care duties stopped them following a course"), default=False
    )
    stopped_interview = models.BooleanField(
        _("care duties stopped them going to a job interview"), default=False
    )
    would_accept = models.CharField(
        _("would accept a job or course within two weeks if care were arranged"),
        max_length=5,
        choices=WouldAccept.choices,
    )
    refusal_reason = models.CharField(
        _("main reason if not"),
        max_length=20,
        choices=RefusalReason.choices,
        blank=True,
        default="",
    )
    main_barrier = models.CharField(
        _("main barrier to work"), max_length=20, choices=MainBarrier.choices
    )
    barrier_score = models.PositiveSmallIntegerField(_("care-barrier score"), editable=False)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("screening")
        verbose_name_plural = _("screenings")
        ordering = ["-taken_on", "-pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(barrier_score__lte=10), name="screening_score_at_most_10"
            ),
        ]

    def __str__(self) -> str:
        return f"screening {self.taken_on} of client {self.client_id}"

    @property
    def stopped_any(self) -> bool:
        return self.stopped_job or self.stopped_course or self.stopped_interview


class ScreeningNeed(models.Model):
    """Per care recipient: how care is arranged now, and the days and hours needed."""

    screening = models.ForeignKey(Screening, on_delete=models.CASCADE, related_name="needs")
    care_recipient = models.ForeignKey(
        CareRecipient, on_delete=models.CASCADE, related_name="screening_needs"
    )
    arrangement = models.CharField(
        _("care arranged now by"), max_length=20, choices=Arrangement.choices
    )
    # Monday..Sunday as seven 0/1 characters, e.g. "1101100".
    days_needed = models.CharField(_("days care is needed"), max_length=7, default="0000000")
    hours_per_week = models.DecimalField(
        _("hours per week needed"), max_digits=4, decimal_places=1, default=0
    )

    class Meta:
        verbose_name = _("care need")
        verbose_name_plural = _("care needs")
        constraints = [
            models.UniqueConstraint(
                fields=["screening", "care_recipient"], name="one_need_per_recipient_per_screening"
            ),
            models.CheckConstraint(
                condition=Q(hours_per_week__gte=0, hours_per_week__lte=168),
                name="need_hours_in_week",
            ),
        ]

    def __str__(self) -> str:
        return f"need of {self.care_recipient_id}"
