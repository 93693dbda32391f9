"""Networks, partner organisations, their sites and contacts, staff memberships, postcodes."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from zorgbrug.network.validators import format_kbo


class Postcode(models.Model):
    """A Belgian postal code with one of its place names and approximate coordinates.

    One code can cover several places (3550 Heusden, Zolder, Heusden-Zolder), so the
    pair (code, name) is the key.
    """

    code = models.CharField(_("postcode"), max_length=4, db_index=True)
    name = models.CharField(_("place"), max_length=100)
    latitude = models.DecimalField(_("latitude"), max_digits=9, decimal_places=6)
    longitude = models.DecimalField(_("longitude"), max_digits=9, decimal_places=6)
    province = models.CharField(_("province"), max_length=60, blank=True)

    class Meta:
        verbose_name = _("postcode")
        verbose_name_plural = _("postcodes")
        ordering = ["code", "name"]
        constraints = [
            models.UniqueConstraint(fields=["code", "name"], name="postcode_code_name_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.code} {self.name}"


class Network(models.Model):
    """A regional partnership: one installation can host several (the model is transferable)."""

    name = models.CharField(_("name"), max_length=120, unique=True)
    slug = models.SlugField(_("short name"), max_length=60, unique=True)
    region = models.CharField(_("region"), max_length=200, blank=True)
    description = models.TextField(_("description"), blank=True)
    is_active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("network")
        verbose_name_plural = _("networks")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class OrganisationKind(models.TextChoices):
    JOB_SHOP = "job_shop", _("Job shop (Werkwinkel)")
    EMPLOYMENT_SERVICE = "employment_service", _("Employment service (VDAB)")
    PUBLIC_WELFARE = "public_welfare", _("Public social welfare (OCMW)")
    WELFARE_CENTRE = "welfare_centre", _("General welfare centre (CAW)")
    LOCAL_EMPLOYMENT_AGENCY = "local_employment_agency", _("Local employment agency (PWA)")
    TRAINING_CENTRE = "training_centre", _("Training centre")
    EMPLOYER = "employer", _("Employer")
    TEMP_AGENCY = "temp_agency", _("Temp agency")
    CHILDCARE_PROVIDER = "childcare_provider", _("Childcare provider")
    MUNICIPALITY = "municipality", _("Municipality")
    OTHER = "other", _("Other")


class ProviderKind(models.TextChoices):
    """What kind of care a care-providing organisation offers (informative, for search)."""

    NONE = "", _("Not a care provider")
    DAYCARE = "daycare", _("Childcare centre (kinderdagverblijf)")
    CHILDMINDER = "childminder", _("Childminder (onthaalouder)")
    OUT_OF_SCHOOL = "out_of_school", _("Out-of-school care (BKO/IBO)")
    OCCASIONAL = "occasional", _("Occasional care")
    SICK_CHILD = "sick_child", _("Sick-child care")
    RESPITE = "respite", _("Respite care for dependent adults")


class Organisation(models.Model):
    name = models.CharField(_("name"), max_length=200)
    kbo_number = models.CharField(
        _("enterprise number (KBO)"),
        max_length=10,
        unique=True,
        null=True,
        blank=True,
        help_text=_("10 digits, e.g. 0123.456.749"),
    )
    kind = models.CharField(_("kind"), max_length=40, choices=OrganisationKind.choices)
    provider_kind = models.CharField(
        _("kind of care"), max_length=20, choices=ProviderKind.choices, blank=True, default=""
    )
    email = models.EmailField(_("e-mail"), blank=True)
    phone = models.CharField(_("phone"), max_length=20, blank=True)
    website = models.URLField(_("website"), blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    networks = models.ManyToManyField(Network, through="Partner", related_name="organisations")

    class Meta:
        verbose_name = _("organisation")
        verbose_name_plural = _("organisations")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    @property
    def kbo_display(self) -> str:
        return format_kbo(self.kbo_number or "")


class PartnerRole(models.TextChoices):
    REFERRER = "referrer", _("Referrer")
    CARE_PROVIDER = "care_provider", _("Care provider")
    TRAINING_PROVIDER = "training_provider", _("Training provider")
    FUNDER = "funder", _("Funder")
    COORDINATOR = "coordinator", _("Coordinator")


class Partner(models.Model):
    """An organisation's place in a network, with the roles it plays there."""

    network = models.ForeignKey(Network, on_delete=models.CASCADE, related_name="partners")
    organisation = models.ForeignKey(
        Organisation, on_delete=models.CASCADE, related_name="partnerships"
    )
    is_referrer = models.BooleanField(_("referrer"), default=False)
    is_care_provider = models.BooleanField(_("care provider"), default=False)
    is_training_provider = models.BooleanField(_("training provider"), default=False)
    is_funder = models.BooleanField(_("funder"), default=False)
    is_coordinator = models.BooleanField(_("coordinator"), default=False)
    joined_on = models.DateField(_("joined on"), null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    ROLE_FIELDS = {
        PartnerRole.REFERRER: "is_referrer",
        PartnerRole.CARE_PROVIDER: "is_care_provider",
        PartnerRole.TRAINING_PROVIDER: "is_training_provider",
        PartnerRole.FUNDER: "is_funder",
        PartnerRole.COORDINATOR: "is_coordinator",
    }

    class Meta:
        verbose_name = _("partner")
        verbose_name_plural = _("partners")
        ordering = ["network__name", "organisation__name"]
        constraints = [
            models.UniqueConstraint(
                fields=["network", "organisation"], name="partner_network_organisation_unique"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.organisation} @ {self.network}"

    @property
    def roles(self) -> list[PartnerRole]:
        return [role for role, field in self.ROLE_FIELDS.items() if getattr(self, field)]

    @property
    def role_labels(self) -> list[str]:
        return [str(role.label) for role in self.roles]


class Site(models.Model):
    """A place where an organisation works: an office, a childcare location, a classroom."""

    organisation = models.ForeignKey(Organisation, on_delete=models.CASCADE, related_name="sites")
    name = models.CharField(_("name"), max_length=200)
    street = models.CharField(_("street and number"), max_length=200)
    postcode = models.CharField(_("postcode"), max_length=4)
    municipality = models.CharField(_("municipality"), max_length=100)
    latitude = models.DecimalField(
        _("latitude"), max_digits=9, decimal_places=6, null=True, blank=True
    )
    longitude = models.DecimalField(
        _("longitude"), max_digits=9, decimal_places=6, null=True, blank=True
    )
    phone = models.CharField(_("phone"), max_length=20, blank=True)
    is_active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("site")
        verbose_name_plural = _("sites")
        ordering = ["organisation__name", "name"]
        constraints = [
            models.CheckConstraint(
                condition=Q(latitude__isnull=True, longitude__isnull=True)
                | Q(latitude__gte=-90, latitude__lte=90, longitude__gte=-180, longitude__lte=180),
                name="site_coordinates_valid",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.municipality})"

    @property
    def address(self) -> str:
        return f"{self.street}, {self.postcode} {self.municipality}"


class Contact(models.Model):
    """A named person to reach at a partner organisation (not necessarily a user)."""

    organisation = models.ForeignKey(
        Organisation, on_delete=models.CASCADE, related_name="contacts"
    )
    name = models.CharField(_("name"), max_length=200)
    function = models.CharField(_("function"), max_length=200, blank=True)
    email = models.EmailField(_("e-mail"), blank=True)
    phone = models.CharField(_("phone"), max_length=20, blank=True)

    class Meta:
        verbose_name = _("contact")
        verbose_name_plural = _("contacts")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class StaffRole(models.TextChoices):
    COORDINATOR = "coordinator", _("Coordinator")
    REFERRER = "referrer", _("Referrer")
    PROVIDER = "provider", _("Provider staff")
    TRAINER = "trainer", _("Trainer")
    RESEARCHER = "researcher", _("Researcher")


class Membership(models.Model):
    """A staff account's role at an organisation. A user may have several."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="memberships"
    )
    organisation = models.ForeignKey(
        Organisation, on_delete=models.CASCADE, related_name="memberships"
    )
    role = models.CharField(_("role"), max_length=20, choices=StaffRole.choices)
    is_active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("membership")
        verbose_name_plural = _("memberships")
        ordering = ["organisation__name", "role"]
        constraints = [
            models.UniqueConstraint(
                fields=["user", "organisation", "role"], name="membership_unique"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.user} – {self.get_role_display()} @ {self.organisation}"
