"""The covenant between a network's partners, and the monthly costs and settlements under it.

- `Covenant`: one version of the agreement, valid over a period (versions never overlap),
  with its parties, site tariffs, parent-contribution amounts per year, cancellation rule,
  maximum care periods, allocation priorities and allocation keys.
- `Settlement`: one month of a network. `CostLine`s are what the month cost, each traceable
  to its booking or reserved slot; `Statement`s (with `StatementLine`s) are each partner's
  part: what the network owes a provider, what a funder or referrer pays.
- A closed settlement never changes: every write path checks the state (services lock the
  row and refuse; the models below refuse too), corrections go into the next open month.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from zorgbrug.covenant.engine import CostKind
from zorgbrug.covenant.money import ContributionMode, Payment, Reduction, Unit
from zorgbrug.covenant.rules import DEFAULT_PRIORITIES, Basis

PERCENT_VALIDATORS = [MinValueValidator(Decimal(0)), MaxValueValidator(Decimal(100))]
# Cost lines keep exact amounts (rounding happens once, at the split): prices in cents times
# quantities and percentages need up to ten decimals.


class UnitChoice(models.TextChoices):
    DAY_PART = Unit.DAY_PART.value, _("per day-part")
    DAY = Unit.DAY.value, _("per day (day-count rule)")
    HOUR = Unit.HOUR.value, _("per hour")


class PaymentChoice(models.TextChoices):
    ALWAYS = Payment.ALWAYS.value, _("paid whether used or not")
    USED = Payment.USED.value, _("paid only when used")


class ContributionChoice(models.TextChoices):
    FREE = ContributionMode.FREE.value, _("Free for the parent")
    FLAT = ContributionMode.FLAT.value, _("A flat amount per day")
    INCOME = ContributionMode.INCOME.value, _("Income-related day price")


class ReductionChoice(models.TextChoices):
    NONE = Reduction.NONE.value, _("No reduced tariff")
    PERCENTAGE = Reduction.PERCENTAGE.value, _("Reduced tariff: a percentage of the day price")
    MINIMUM = Reduction.MINIMUM.value, _("Reduced tariff: the minimum day price")
    LOWEST = Reduction.LOWEST.value, _("Reduced tariff: the lowest tariff")


class BasisChoice(models.TextChoices):
    REFERRER = Basis.REFERRER.value, _("By referring organisation")
    ACTIVITY_KIND = Basis.ACTIVITY_KIND.value, _("By kind of activity")
    MUNICIPALITY = Basis.MUNICIPALITY.value, _("By municipality of residence")
    FIXED = Basis.FIXED.value, _("Fixed shares")


class CostKindChoice(models.TextChoices):
    RESERVED_USED = CostKind.RESERVED_USED.value, _("Reserved places paid anyway: used")
    RESERVED_UNUSED = CostKind.RESERVED_UNUSED.value, _("Reserved places paid anyway: unused")
    CARE = CostKind.CARE.value, _("Reserved places paid when used")
    SHORT_NOTICE = CostKind.SHORT_NOTICE.value, _("Short-notice places")
    LATE_CANCELLATION = CostKind.LATE_CANCELLATION.value, _("Late cancellations and absences")
    NO_SHOW = CostKind.NO_SHOW.value, _("No-shows")
    MANUAL = CostKind.MANUAL.value, _("Manual adjustments")


def default_day_count() -> list[dict[str, str]]:
    return [
        {"from_hours": "0", "percent": "60"},
        {"from_hours": "5", "percent": "100"},
        {"from_hours": "11", "percent": "160"},
    ]


def default_max_care_days() -> dict[str, int]:
    return {"job_start": 92}


def default_priorities() -> dict[str, str]:
    return {k: str(v) for k, v in DEFAULT_PRIORITIES.items()}


class Covenant(models.Model):
    """One version of a network's covenant, valid from `valid_from` until `valid_until`
    (empty: until a next version). Versions of a network never overlap."""

    network = models.ForeignKey(
        "network.Network", on_delete=models.PROTECT, related_name="covenants"
    )
    version = models.PositiveIntegerField(_("version"))
    title = models.CharField(_("title"), max_length=200)
    valid_from = models.DateField(_("valid from"))
    valid_until = models.DateField(_("valid until"), null=True, blank=True)
    signed_on = models.DateField(_("signed on"), null=True, blank=True)
    free_cancellation_hours = models.PositiveSmallIntegerField(
        _("free cancellation until (hours before)"),
        default=24,
        validators=[MaxValueValidator(24 * 14)],
    )
    late_cancellation_percent = models.DecimalField(
        _("late cancellation or absence charged at (%)"),
        default=Decimal(100),
        max_digits=5,
        decimal_places=2,
        validators=PERCENT_VALIDATORS,
    )
    no_show_percent = models.DecimalField(
        _("no-show charged at (%)"),
        default=Decimal(100),
        max_digits=5,
        decimal_places=2,
        validators=PERCENT_VALIDATORS,
    )
    # [{"from_hours": "0", "percent": "60"}, …]: from that many hours a day counts that much.
    day_count = models.JSONField(_("day-count rule"), default=default_day_count)
    contribution_mode = models.CharField(
        _("parent contribution"),
        max_length=10,
        choices=ContributionChoice.choices,
        default=ContributionChoice.FREE,
    )
    short_notice_unit = models.CharField(
        _("short-notice places: unit"),
        max_length=10,
        choices=UnitChoice.choices,
        default=UnitChoice.DAY_PART,
    )
    short_notice_price = models.DecimalField(
        _("short-notice places: price"), null=True, blank=True, max_digits=10, decimal_places=2
    )
    # {"job_start": 92, …}: the longest care period (days) per activity kind.
    max_care_days = models.JSONField(_("maximum care period"), default=default_max_care_days)
    # {"job_start": "100", …}: points per request served, by the allocation's priority class.
    priorities = models.JSONField(_("allocation priorities"), default=default_priorities)
    # {"nl": "…", "fr": "…", "en": "…"}: clauses of the network's own, per language.
    clauses = models.JSONField(_("further clauses"), default=dict, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("covenant")
        verbose_name_plural = _("covenants")
        ordering = ["network", "-valid_from"]
        constraints = [
            models.UniqueConstraint(fields=["network", "version"], name="covenant_version_unique"),
            models.UniqueConstraint(
                fields=["network", "valid_from"], name="covenant_one_start_per_day"
            ),
            models.CheckConstraint(
                condition=Q(valid_until__isnull=True) | Q(valid_until__gte=F("valid_from")),
                name="covenant_period_order",
            ),
            models.CheckConstraint(
                condition=Q(late_cancellation_percent__gte=0, late_cancellation_percent__lte=100)
                & Q(no_show_percent__gte=0, no_show_percent__lte=100),
                name="covenant_percentages",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.title} (v{self.version})"


class CovenantParty(models.Model):
    """A partner that signs a covenant version, with its roles in it."""

    covenant = models.ForeignKey(Covenant, on_delete=models.CASCADE, related_name="parties")
    partner = models.ForeignKey("network.Partner", on_delete=models.PROTECT, related_name="+")
    roles = models.JSONField(_("roles"), default=list)
    signatory = models.CharField(_("signed for by"), max_length=200, blank=True, default="")

    class Meta:
        verbose_name = _("party")
        verbose_name_plural = _("parties")
        ordering = ["covenant", "partner__organisation__name"]
        constraints = [
            models.UniqueConstraint(fields=["covenant", "partner"], name="party_once"),
        ]

    def __str__(self) -> str:
        return str(self.partner.organisation)


class SiteTariff(models.Model):
    """What a provider's site charges the network under a covenant version."""

    covenant = models.ForeignKey(Covenant, on_delete=models.CASCADE, related_name="site_tariffs")
    care_site = models.ForeignKey("care.CareSite", on_delete=models.PROTECT, related_name="+")
    unit = models.CharField(
        _("unit"), max_length=10, choices=UnitChoice.choices, default=UnitChoice.DAY_PART
    )
    price = models.DecimalField(_("price per unit"), max_digits=10, decimal_places=2)
    payment = models.CharField(
        _("reserved places are"),
        max_length=10,
        choices=PaymentChoice.choices,
        default=PaymentChoice.USED,
    )
    short_notice_unit = models.CharField(
        _("short-notice places: unit"),
        max_length=10,
        choices=UnitChoice.choices,
        blank=True,
        default="",
    )
    short_notice_price = models.DecimalField(
        _("short-notice places: price"), null=True, blank=True, max_digits=10, decimal_places=2
    )

    class Meta:
        verbose_name = _("site tariff")
        verbose_name_plural = _("site tariffs")
        ordering = ["covenant", "care_site__site__organisation__name", "care_site__site__name"]
        constraints = [
            models.UniqueConstraint(fields=["covenant", "care_site"], name="site_tariff_once"),
            models.CheckConstraint(condition=Q(price__gte=0), name="site_tariff_price"),
            # A day is counted by the day-count rule, which needs care to have happened.
            models.CheckConstraint(
                condition=~Q(payment="always", unit="day"), name="site_tariff_always_not_per_day"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.care_site}: {self.price} {self.unit}"


class ContributionYear(models.Model):
    """The parent-contribution amounts of one calendar year (indexed every 1 January)."""

    covenant = models.ForeignKey(
        Covenant, on_delete=models.CASCADE, related_name="contribution_years"
    )
    year = models.PositiveSmallIntegerField(
        _("year"), validators=[MinValueValidator(2000), MaxValueValidator(2100)]
    )
    flat_day_amount = models.DecimalField(
        _("flat amount per day"), default=0, max_digits=10, decimal_places=2
    )
    min_day_price = models.DecimalField(
        _("minimum day price"), default=0, max_digits=10, decimal_places=2
    )
    max_day_price = models.DecimalField(
        _("maximum day price"), default=0, max_digits=10, decimal_places=2
    )
    income_floor = models.DecimalField(
        _("yearly income up to which the minimum applies"), max_digits=12, decimal_places=2
    )
    income_ceiling = models.DecimalField(
        _("yearly income from which the maximum applies"), max_digits=12, decimal_places=2
    )
    sibling_discount_percent = models.DecimalField(
        _("discount per further dependent child (%)"),
        default=0,
        max_digits=5,
        decimal_places=2,
        validators=PERCENT_VALIDATORS,
    )
    reduced_percent = models.DecimalField(
        _("reduced tariff (% of the day price)"),
        default=Decimal(50),
        max_digits=5,
        decimal_places=2,
        validators=PERCENT_VALIDATORS,
    )
    lowest_day_price = models.DecimalField(
        _("lowest tariff"), default=0, max_digits=10, decimal_places=2
    )

    class Meta:
        verbose_name = _("parent-contribution amounts")
        verbose_name_plural = _("parent-contribution amounts")
        ordering = ["covenant", "year"]
        constraints = [
            models.UniqueConstraint(fields=["covenant", "year"], name="contribution_year_once"),
            models.CheckConstraint(
                condition=Q(min_day_price__lte=F("max_day_price")), name="contribution_min_max"
            ),
        ]

    def __str__(self) -> str:
        return str(self.year)


class AllocationKey(models.Model):
    """How cost lines are split among partners over a period of the covenant version."""

    covenant = models.ForeignKey(Covenant, on_delete=models.CASCADE, related_name="allocation_keys")
    basis = models.CharField(_("split"), max_length=20, choices=BasisChoice.choices)
    valid_from = models.DateField(_("valid from"))
    valid_until = models.DateField(_("valid until"), null=True, blank=True)
    note = models.CharField(_("note"), max_length=300, blank=True, default="")

    class Meta:
        verbose_name = _("allocation key")
        verbose_name_plural = _("allocation keys")
        ordering = ["covenant", "valid_from"]
        constraints = [
            models.CheckConstraint(
                condition=Q(valid_until__isnull=True) | Q(valid_until__gte=F("valid_from")),
                name="allocation_key_period_order",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_basis_display()} {self.valid_from}"


class AllocationShare(models.Model):
    """A partner's share of the lines that match: `match` is a referring organisation's
    id, an activity kind, a postcode or municipality — or empty for the fallback."""

    key = models.ForeignKey(AllocationKey, on_delete=models.CASCADE, related_name="shares")
    match = models.CharField(_("applies to"), max_length=100, blank=True, default="")
    partner = models.ForeignKey(
        "network.Partner", on_delete=models.PROTECT, related_name="+", verbose_name=_("partner")
    )
    percent = models.DecimalField(
        _("share (%)"),
        max_digits=5,
        decimal_places=2,
        validators=[MinValueValidator(Decimal("0.01")), MaxValueValidator(Decimal(100))],
    )

    class Meta:
        verbose_name = _("share")
        verbose_name_plural = _("shares")
        ordering = ["key", "match", "partner_id"]
        constraints = [
            models.UniqueConstraint(fields=["key", "match", "partner"], name="share_once"),
            models.CheckConstraint(
                condition=Q(percent__gt=0, percent__lte=100), name="share_percent"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.match or '*'}: {self.percent}%"


class ParentTariff(models.Model):
    """A family's income attest for the income-related parent contribution."""

    client = models.ForeignKey(
        "clients.Client", on_delete=models.CASCADE, related_name="parent_tariffs"
    )
    valid_from = models.DateField(_("valid from"))
    valid_until = models.DateField(_("valid until"), null=True, blank=True)
    annual_income = models.DecimalField(
        _("yearly taxable income"),
        max_digits=12,
        decimal_places=2,
        null=True,
        blank=True,
        help_text=_("Empty: not disclosed (the maximum day price applies)."),
    )
    dependent_children = models.PositiveSmallIntegerField(_("dependent children"), default=1)
    reduction = models.CharField(
        _("reduced individual tariff"),
        max_length=12,
        choices=ReductionChoice.choices,
        blank=True,
        default="",
    )
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("parent tariff")
        verbose_name_plural = _("parent tariffs")
        ordering = ["client", "-valid_from"]
        constraints = [
            models.CheckConstraint(
                condition=Q(valid_until__isnull=True) | Q(valid_until__gte=F("valid_from")),
                name="parent_tariff_period_order",
            ),
            models.CheckConstraint(
                condition=Q(annual_income__isnull=True) | Q(annual_income__gte=0),
                name="parent_tariff_income",
            ),
        ]

    def __str__(self) -> str:
        return f"tariff of client {self.client_id} from {self.valid_from}"


class SettlementStatus(models.TextChoices):
    OPEN = "open", _("Open")
    CLOSED = "closed", _("Closed")


class ClosedPeriod(ValidationError):
    def __init__(self) -> None:
        super().__init__(gettext("This month is closed: it can no longer change."), code="closed")


class Settlement(models.Model):
    """One month of a network's costs and who pays them."""

    network = models.ForeignKey(
        "network.Network", on_delete=models.PROTECT, related_name="settlements"
    )
    month = models.DateField(_("month"), help_text=_("The first day of the month."))
    status = models.CharField(
        _("status"),
        max_length=10,
        choices=SettlementStatus.choices,
        default=SettlementStatus.OPEN,
        db_index=True,
    )
    total = models.DecimalField(_("total"), max_digits=14, decimal_places=2, default=0)
    gross_total = models.DecimalField(_("care costs"), max_digits=14, decimal_places=2, default=0)
    parent_total = models.DecimalField(
        _("parent contributions"), max_digits=14, decimal_places=2, default=0
    )
    exact_total = models.CharField(max_length=60, blank=True, default="")
    line_count = models.PositiveIntegerField(_("cost lines"), default=0)
    calculated_at = models.DateTimeField(null=True, blank=True)
    calculated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    closed_at = models.DateTimeField(null=True, blank=True)
    closed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("settlement")
        verbose_name_plural = _("settlements")
        ordering = ["network", "-month"]
        constraints = [
            models.UniqueConstraint(fields=["network", "month"], name="settlement_month_once"),
            models.CheckConstraint(
                condition=Q(status="open")
                | Q(closed_at__isnull=False, calculated_at__isnull=False),
                name="settlement_closed_has_dates",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.network} {self.month:%Y-%m}"

    def save(self, *args: Any, **kwargs: Any) -> None:
        # Defence in depth: services use conditional UPDATEs, but nothing may rewrite a
        # closed month through save() either (the admin, a shell, a future bug).
        if (
            self.pk
            and Settlement.objects.filter(pk=self.pk, status=SettlementStatus.CLOSED).exists()
        ):
            raise ClosedPeriod
        super().save(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> Any:
        if self.is_closed:
            raise ClosedPeriod
        return super().delete(*args, **kwargs)

    @property
    def is_closed(self) -> bool:
        return self.status == SettlementStatus.CLOSED

    @property
    def slug(self) -> str:
        return f"{self.month:%Y-%m}"


class _ClosedGuard(models.Model):
    """Refuses save() and delete() on rows of a closed settlement."""

    class Meta:
        abstract = True

    def save(self, *args: Any, **kwargs: Any) -> None:
        self._guard()
        super().save(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> Any:
        self._guard()
        return super().delete(*args, **kwargs)

    def _settlement_id(self) -> int:
        """The settlement the row belongs to; rows without their own link override it."""
        return int(self.settlement_id)  # type: ignore[attr-defined]

    def _guard(self) -> None:
        if Settlement.objects.filter(
            pk=self._settlement_id(), status=SettlementStatus.CLOSED
        ).exists():
            raise ClosedPeriod


class CostLine(_ClosedGuard):
    """One thing the month cost: a booking, the unused reserved places of a slot, or a
    correction of a closed month (`corrects`), or a manual adjustment."""

    id = models.BigAutoField(primary_key=True)
    settlement = models.ForeignKey(Settlement, on_delete=models.CASCADE, related_name="lines")
    kind = models.CharField(_("kind"), max_length=20, choices=CostKindChoice.choices)
    date = models.DateField(_("date"))
    day_part = models.CharField(_("day-part"), max_length=2, blank=True, default="")
    # A month has a hundred thousand lines, written at once: besides the settlement they
    # carry no database constraints or indexes of their own (each would be checked or
    # updated per row). The rows they point at are protected where they live: partners,
    # sites and covenant versions that governed a month are never deleted.
    provider = models.ForeignKey(
        "network.Partner",
        on_delete=models.PROTECT,
        db_constraint=False,
        db_index=False,
        related_name="+",
        verbose_name=_("provider"),
    )
    care_site = models.ForeignKey(
        "care.CareSite",
        on_delete=models.PROTECT,
        db_constraint=False,
        db_index=False,
        null=True,
        blank=True,
        related_name="+",
    )
    # Where the line comes from: a cost line outlives the erasure of a client's bookings,
    # and keeps saying which booking it was.
    booking = models.ForeignKey(
        "care.Booking",
        on_delete=models.DO_NOTHING,
        db_constraint=False,
        db_index=False,
        null=True,
        blank=True,
        related_name="+",
    )
    slot = models.ForeignKey(
        "care.CapacitySlot",
        on_delete=models.DO_NOTHING,
        db_constraint=False,
        db_index=False,
        null=True,
        blank=True,
        related_name="+",
    )
    reservation = models.ForeignKey(
        "care.ReservedCapacity",
        on_delete=models.DO_NOTHING,
        db_constraint=False,
        db_index=False,
        null=True,
        blank=True,
        related_name="+",
    )
    covenant = models.ForeignKey(
        Covenant,
        on_delete=models.PROTECT,
        db_constraint=False,
        db_index=False,
        null=True,
        blank=True,
        related_name="+",
    )
    unit = models.CharField(_("unit"), max_length=10, blank=True, default="")
    quantity = models.DecimalField(_("quantity"), max_digits=12, decimal_places=4, default=0)
    unit_price = models.DecimalField(_("price"), default=0, max_digits=10, decimal_places=2)
    charge_percent = models.DecimalField(
        _("charged (%)"), max_digits=5, decimal_places=2, default=Decimal(100)
    )
    gross = models.DecimalField(_("cost"), max_digits=20, decimal_places=10)
    parent = models.DecimalField(_("parent contribution"), max_digits=20, decimal_places=10)
    amount = models.DecimalField(_("paid by the network"), max_digits=20, decimal_places=10)
    referrer = models.ForeignKey(
        "network.Organisation",
        on_delete=models.DO_NOTHING,
        db_constraint=False,
        db_index=False,
        null=True,
        blank=True,
        related_name="+",
    )
    activity_kind = models.CharField(max_length=20, blank=True, default="")
    postcode = models.CharField(max_length=4, blank=True, default="")
    municipality = models.CharField(max_length=100, blank=True, default="")
    corrects = models.ForeignKey(
        Settlement,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="corrections",
        verbose_name=_("corrects"),
    )
    description = models.CharField(_("description"), max_length=300, blank=True, default="")
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        db_constraint=False,
        db_index=False,
        null=True,
        related_name="+",
    )

    class Meta:
        verbose_name = _("cost line")
        verbose_name_plural = _("cost lines")
        ordering = ["settlement", "date", "day_part", "id"]
        indexes = [
            models.Index(fields=["settlement", "kind"]),
            models.Index(fields=["corrects"]),
        ]

    def __str__(self) -> str:
        return f"{self.kind} {self.date} {self.amount}"


class StatementSide(models.TextChoices):
    PROVIDER = "provider", _("Owed to the provider")
    PAYER = "payer", _("To pay")


class Statement(_ClosedGuard):
    """A partner's part of a settlement: owed to it as a provider, or to pay."""

    settlement = models.ForeignKey(Settlement, on_delete=models.CASCADE, related_name="statements")
    partner = models.ForeignKey("network.Partner", on_delete=models.PROTECT, related_name="+")
    side = models.CharField(_("side"), max_length=10, choices=StatementSide.choices)
    total = models.DecimalField(_("total"), max_digits=14, decimal_places=2)
    gross = models.DecimalField(_("care costs"), max_digits=14, decimal_places=2, default=0)
    parent = models.DecimalField(
        _("parent contributions"), max_digits=14, decimal_places=2, default=0
    )
    exact = models.CharField(max_length=60, blank=True, default="")

    class Meta:
        verbose_name = _("statement")
        verbose_name_plural = _("statements")
        ordering = ["settlement", "side", "partner__organisation__name"]
        constraints = [
            models.UniqueConstraint(
                fields=["settlement", "partner", "side"], name="statement_once"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.partner} {self.side} {self.total}"


class StatementLine(_ClosedGuard):
    statement = models.ForeignKey(Statement, on_delete=models.CASCADE, related_name="lines")
    position = models.PositiveIntegerField(default=0)
    kind = models.CharField(max_length=20, choices=CostKindChoice.choices)
    care_site = models.ForeignKey(
        "care.CareSite", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    provider = models.ForeignKey(
        "network.Partner", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    basis = models.CharField(max_length=120, blank=True, default="")
    percent = models.DecimalField(max_digits=5, decimal_places=2, default=Decimal(100))
    adjustment = models.BooleanField(default=False)
    line_count = models.PositiveIntegerField(default=0)
    quantity = models.DecimalField(max_digits=14, decimal_places=4, default=0)
    gross = models.DecimalField(max_digits=14, decimal_places=2, default=0)
    parent = models.DecimalField(max_digits=14, decimal_places=2, default=0)
    amount = models.DecimalField(max_digits=14, decimal_places=2)

    class Meta:
        ordering = ["statement", "position"]

    def __str__(self) -> str:
        return f"{self.kind} {self.amount}"

    def _settlement_id(self) -> int:
        return self.statement.settlement_id
