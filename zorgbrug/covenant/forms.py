"""Forms of the covenant pages. They only parse input; the services validate the rules."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from zorgbrug.care.models import ActivityKind
from zorgbrug.covenant.models import (
    BasisChoice,
    ContributionChoice,
    Covenant,
    PaymentChoice,
    ReductionChoice,
    UnitChoice,
)
from zorgbrug.covenant.rules import FALLBACK, PRIORITY_CLASSES
from zorgbrug.network.models import Partner

DAY_COUNT_ROWS = 4
DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


def _money(label: Any, *, required: bool = True, **kwargs: Any) -> forms.DecimalField:
    return forms.DecimalField(
        label=label, max_digits=10, decimal_places=2, min_value=0, required=required, **kwargs
    )


def _percent(label: Any, *, required: bool = True) -> forms.DecimalField:
    return forms.DecimalField(
        label=label, max_digits=5, decimal_places=2, min_value=0, max_value=100, required=required
    )


class MonthField(forms.CharField):
    widget = forms.TextInput(attrs={"type": "month", "placeholder": "2026-10"})

    def to_python(self, value: Any) -> dt.date | None:  # type: ignore[override]
        text = super().to_python(value)
        if not text:
            return None
        try:
            year, month = str(text).split("-")[:2]
            return dt.date(int(year), int(month), 1)
        except ValueError as exc:
            raise forms.ValidationError(_("Give a month as YYYY-MM, e.g. 2026-10.")) from exc


class CovenantCreateForm(forms.Form):
    title = forms.CharField(label=_("Title"), max_length=200)
    valid_from = forms.DateField(label=_("Valid from"), widget=DATE)
    valid_until = forms.DateField(
        label=_("Valid until"),
        required=False,
        widget=DATE,
        help_text=_("Empty: until a next version."),
    )
    signed_on = forms.DateField(label=_("Signed on"), required=False, widget=DATE)


class GeneralForm(CovenantCreateForm):
    pass


class CancellationForm(forms.Form):
    free_cancellation_hours = forms.IntegerField(
        label=_("Free cancellation until (hours before the day-part)"), min_value=0, max_value=336
    )
    late_cancellation_percent = _percent(_("A late cancellation or absence is charged at (%)"))
    no_show_percent = _percent(_("A no-show is charged at (%)"))


class DayCountForm(forms.Form):
    """The day-count rule as up to four bands: from N hours, a day counts P%."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for i in range(DAY_COUNT_ROWS):
            self.fields[f"hours_{i}"] = forms.DecimalField(
                label=_("Band %(n)s: from (hours)") % {"n": i + 1},
                max_digits=4,
                decimal_places=2,
                min_value=0,
                max_value=24,
                required=False,
            )
            self.fields[f"percent_{i}"] = forms.DecimalField(
                label=_("Band %(n)s: counts for (%% of a day)") % {"n": i + 1},
                max_digits=5,
                decimal_places=2,
                min_value=0,
                max_value=500,
                required=False,
            )

    @staticmethod
    def initial_for(bands: list[dict[str, str]]) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for i, band in enumerate(bands[:DAY_COUNT_ROWS]):
            out[f"hours_{i}"] = Decimal(str(band["from_hours"]))
            out[f"percent_{i}"] = Decimal(str(band["percent"]))
        return out

    def bands(self) -> list[tuple[Decimal, Decimal]]:
        out = []
        for i in range(DAY_COUNT_ROWS):
            hours, pct = self.cleaned_data.get(f"hours_{i}"), self.cleaned_data.get(f"percent_{i}")
            if hours is None and pct is None:
                continue
            if hours is None or pct is None:
                raise forms.ValidationError(
                    _("Band %(n)s needs both the hours and the percentage.") % {"n": i + 1}
                )
            out.append((hours, pct))
        return out

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if not self.errors:
            self.bands()
        return data


class ContributionForm(forms.Form):
    contribution_mode = forms.ChoiceField(
        label=_("Parent contribution"), choices=ContributionChoice.choices
    )
    short_notice_unit = forms.ChoiceField(
        label=_("Short-notice places: unit"), choices=UnitChoice.choices
    )
    short_notice_price = _money(
        _("Short-notice places: price"),
        required=False,
        help_text=_("For sites without a short-notice tariff of their own."),
    )


class MaxCareForm(forms.Form):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for value, label in ActivityKind.choices:
            self.fields[value] = forms.IntegerField(
                label=_("%(kind)s: at most (days)") % {"kind": label},
                min_value=1,
                max_value=366,
                required=False,
            )

    def values(self) -> dict[str, int | None]:
        return {k: self.cleaned_data.get(k) for k in ActivityKind.values}


PRIORITY_LABELS = {
    "job_start": _("First weeks of a new job"),
    "job_interview": _("Job interview"),
    "work_trial": _("Work trial"),
    "course": _("Course or training"),
    "other": _("Other"),
}


class PrioritiesForm(forms.Form):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for name in PRIORITY_CLASSES:
            self.fields[name] = forms.DecimalField(
                label=_("%(kind)s: points") % {"kind": PRIORITY_LABELS[name]},
                max_digits=6,
                decimal_places=2,
                min_value=0,
                max_value=1000,
            )


class ClausesForm(forms.Form):
    nl = forms.CharField(label=_("Further clauses (Dutch)"), required=False, widget=forms.Textarea)
    fr = forms.CharField(label=_("Further clauses (French)"), required=False, widget=forms.Textarea)
    en = forms.CharField(
        label=_("Further clauses (English)"), required=False, widget=forms.Textarea
    )


def rules_forms(data: Any, covenant: Covenant) -> dict[str, forms.Form]:
    """The covenant's rules as a group of small forms, posted together."""
    return {
        "general": GeneralForm(
            data,
            prefix="g",
            initial={
                "title": covenant.title,
                "valid_from": covenant.valid_from,
                "valid_until": covenant.valid_until,
                "signed_on": covenant.signed_on,
            },
        ),
        "cancellation": CancellationForm(
            data,
            prefix="c",
            initial={
                "free_cancellation_hours": covenant.free_cancellation_hours,
                "late_cancellation_percent": covenant.late_cancellation_percent,
                "no_show_percent": covenant.no_show_percent,
            },
        ),
        "day_count": DayCountForm(
            data, prefix="d", initial=DayCountForm.initial_for(covenant.day_count)
        ),
        "contribution": ContributionForm(
            data,
            prefix="p",
            initial={
                "contribution_mode": covenant.contribution_mode,
                "short_notice_unit": covenant.short_notice_unit,
                "short_notice_price": covenant.short_notice_price,
            },
        ),
        "max_care": MaxCareForm(data, prefix="m", initial=dict(covenant.max_care_days)),
        "priorities": PrioritiesForm(data, prefix="r", initial=dict(covenant.priorities)),
        "clauses": ClausesForm(data, prefix="t", initial=dict(covenant.clauses or {})),
    }


def rules_fields(groups: dict[str, Any]) -> dict[str, Any]:
    """The services' keyword arguments from valid rules forms."""
    general = groups["general"].cleaned_data
    return {
        **general,
        **groups["cancellation"].cleaned_data,
        **groups["contribution"].cleaned_data,
        "day_count": groups["day_count"].bands(),
        "max_care_days": groups["max_care"].values(),
        "priorities": groups["priorities"].cleaned_data,
        "clauses": groups["clauses"].cleaned_data,
    }


class SiteTariffForm(forms.Form):
    unit = forms.ChoiceField(label=_("Unit"), choices=UnitChoice.choices)
    price = _money(_("Price per unit"))
    payment = forms.ChoiceField(label=_("Reserved places are"), choices=PaymentChoice.choices)
    short_notice_unit = forms.ChoiceField(
        label=_("Short-notice places: unit"),
        choices=[("", _("As the covenant says")), *UnitChoice.choices],
        required=False,
    )
    short_notice_price = _money(_("Short-notice places: price"), required=False)


class ContributionYearForm(forms.Form):
    year = forms.IntegerField(label=_("Year"), min_value=2000, max_value=2100)
    flat_day_amount = _money(_("Flat amount per day"), initial=0)
    min_day_price = _money(_("Minimum day price"), initial=0)
    max_day_price = _money(_("Maximum day price"), initial=0)
    income_floor = forms.DecimalField(
        label=_("Yearly income up to which the minimum applies"),
        max_digits=12,
        decimal_places=2,
        min_value=0,
    )
    income_ceiling = forms.DecimalField(
        label=_("Yearly income from which the maximum applies"),
        max_digits=12,
        decimal_places=2,
        min_value=0,
    )
    sibling_discount_percent = _percent(_("Discount per further dependent child (%)"))
    reduced_percent = _percent(_("Reduced tariff (% of the day price)"))
    lowest_day_price = _money(_("Lowest tariff"), initial=0)


class AllocationKeyForm(forms.Form):
    basis = forms.ChoiceField(label=_("Split the costs"), choices=BasisChoice.choices)
    valid_from = forms.DateField(label=_("Valid from"), widget=DATE)
    valid_until = forms.DateField(
        label=_("Valid until"), required=False, widget=DATE, help_text=_("Empty: open-ended.")
    )
    note = forms.CharField(label=_("Note"), max_length=300, required=False)


SHARE_ROWS = 8


def match_choices(network_id: int) -> list[Any]:
    referrers = [
        (str(p.organisation_id), p.organisation.name)
        for p in Partner.objects.filter(network_id=network_id, is_referrer=True)
        .select_related("organisation")
        .order_by("organisation__name")
    ]
    return [
        (FALLBACK, _("Fallback / fixed shares (everything else)")),
        (_("Referred by"), referrers),
        (_("Activity"), list(ActivityKind.choices)),
    ]


class SharesForm(forms.Form):
    """Up to SHARE_ROWS shares: what they apply to, which partner, which percentage."""

    def __init__(self, *args: Any, network_id: int, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        partners = [
            (str(p.pk), p.organisation.name)
            for p in Partner.objects.filter(network_id=network_id)
            .select_related("organisation")
            .order_by("organisation__name")
        ]
        choices = match_choices(network_id)
        for i in range(SHARE_ROWS):
            self.fields[f"match_{i}"] = forms.ChoiceField(
                label=_("Share %(n)s applies to") % {"n": i + 1}, choices=choices, required=False
            )
            self.fields[f"place_{i}"] = forms.CharField(
                label=_("Share %(n)s: or postcode / municipality") % {"n": i + 1},
                max_length=100,
                required=False,
            )
            self.fields[f"partner_{i}"] = forms.ChoiceField(
                label=_("Share %(n)s: partner") % {"n": i + 1},
                choices=[("", "—"), *partners],
                required=False,
            )
            self.fields[f"percent_{i}"] = forms.DecimalField(
                label=_("Share %(n)s: percentage") % {"n": i + 1},
                max_digits=5,
                decimal_places=2,
                min_value=Decimal("0.01"),
                max_value=100,
                required=False,
            )

    @staticmethod
    def initial_for(shares: list[Any]) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for i, s in enumerate(shares[:SHARE_ROWS]):
            if s.match and not s.match.isdigit() and s.match not in ActivityKind.values:
                out[f"place_{i}"] = s.match
            else:
                out[f"match_{i}"] = s.match
            out[f"partner_{i}"] = str(s.partner_id)
            out[f"percent_{i}"] = s.percent
        return out

    def rows(self) -> list[tuple[str, int, Decimal]]:
        out = []
        for i in range(SHARE_ROWS):
            partner = self.cleaned_data.get(f"partner_{i}")
            pct = self.cleaned_data.get(f"percent_{i}")
            if not partner and pct is None:
                continue
            if not partner or pct is None:
                raise forms.ValidationError(
                    _("Share %(n)s needs a partner and a percentage.") % {"n": i + 1}
                )
            match = (self.cleaned_data.get(f"place_{i}") or "").strip() or self.cleaned_data.get(
                f"match_{i}", ""
            )
            out.append((match, int(partner), pct))
        return out

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if not self.errors:
            self.rows()
        return data


class NewVersionForm(forms.Form):
    valid_from = forms.DateField(label=_("The new version starts on"), widget=DATE)
    title = forms.CharField(label=_("Title"), max_length=200, required=False)


class MonthForm(forms.Form):
    month = MonthField(label=_("Month"))


class AdjustmentForm(forms.Form):
    provider = forms.ChoiceField(label=_("Provider"))
    amount = forms.DecimalField(
        label=_("Amount (negative for a credit)"), max_digits=10, decimal_places=2
    )
    description = forms.CharField(label=_("What it is for"), max_length=300)
    date = forms.DateField(label=_("Date"), required=False, widget=DATE)

    def __init__(self, *args: Any, network_id: int, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        provider = self.fields["provider"]
        assert isinstance(provider, forms.ChoiceField)
        provider.choices = [
            (str(p.pk), p.organisation.name)
            for p in Partner.objects.filter(network_id=network_id, is_care_provider=True)
            .select_related("organisation")
            .order_by("organisation__name")
        ]


class PreviewForm(forms.Form):
    month = MonthField(label=_("Month"))
    tariff_change_percent = forms.DecimalField(
        label=_("Change every site price by (%)"),
        max_digits=5,
        decimal_places=2,
        min_value=-100,
        max_value=100,
        required=False,
    )
    payment = forms.ChoiceField(
        label=_("Reserved places"),
        choices=[("", _("As the covenant says")), *PaymentChoice.choices],
        required=False,
    )
    free_cancellation_hours = forms.IntegerField(
        label=_("Free cancellation until (hours before)"),
        min_value=0,
        max_value=336,
        required=False,
    )
    late_cancellation_percent = _percent(_("Late cancellation charged at (%)"), required=False)
    no_show_percent = _percent(_("No-show charged at (%)"), required=False)
    contribution_mode = forms.ChoiceField(
        label=_("Parent contribution"),
        choices=[("", _("As the covenant says")), *ContributionChoice.choices],
        required=False,
    )
    flat_day_amount = _money(_("Flat parent contribution per day"), required=False)
    day_count = forms.CharField(
        label=_("Day-count rule"),
        required=False,
        max_length=100,
        help_text=_("Hours=percentage, separated by commas, e.g. 0=60, 5=100, 11=160."),
    )

    def clean_day_count(self) -> tuple[tuple[Decimal, Decimal], ...] | None:
        text = (self.cleaned_data.get("day_count") or "").strip()
        if not text:
            return None
        try:
            pairs = []
            for part in text.split(","):
                hours, pct = part.split("=")
                pairs.append((Decimal(hours.strip()), Decimal(pct.strip())))
        except (ValueError, ArithmeticError) as exc:
            raise forms.ValidationError(
                _("Write the bands as hours=percentage, e.g. 0=60, 5=100, 11=160.")
            ) from exc
        return tuple(pairs)


class ParentTariffForm(forms.Form):
    valid_from = forms.DateField(label=_("Valid from"), widget=DATE)
    valid_until = forms.DateField(label=_("Valid until"), required=False, widget=DATE)
    annual_income = forms.DecimalField(
        label=_("Yearly taxable income"),
        max_digits=12,
        decimal_places=2,
        min_value=0,
        required=False,
        help_text=_("Empty: not disclosed (the maximum day price applies)."),
    )
    dependent_children = forms.IntegerField(
        label=_("Dependent children"), min_value=1, max_value=20, initial=1
    )
    reduction = forms.ChoiceField(
        label=_("Reduced individual tariff"), choices=ReductionChoice.choices, required=False
    )
