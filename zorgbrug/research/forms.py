"""Forms of the research pages: dashboard filters, the public page's year, export projects."""

from __future__ import annotations

import datetime as dt
from typing import Any, cast

from django import forms
from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from zorgbrug.care.models import ActivityKind
from zorgbrug.network.models import Network, Organisation
from zorgbrug.research.indicators import Filters
from zorgbrug.research.models import ExportFormat, ExportProject

DATE_INPUT = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
MAX_PERIOD_DAYS = 10 * 366
FIRST_YEAR = 2000


def default_period(today: dt.date | None = None) -> tuple[dt.date, dt.date]:
    """The last twelve calendar months, this one included."""
    today = today or timezone.localdate()
    month = today.month - 11
    year = today.year
    if month < 1:
        month += 12
        year -= 1
    return dt.date(year, month, 1), today


class FilterForm(forms.Form):
    start = forms.DateField(label=_("Period from"), widget=DATE_INPUT)
    end = forms.DateField(label=_("Period until"), widget=DATE_INPUT)
    network = forms.ChoiceField(label=_("Network"), required=False)
    organisation = forms.ChoiceField(label=_("Referrer organisation"), required=False)
    activity_kind = forms.ChoiceField(
        label=_("Activity kind"),
        required=False,
        choices=[("", _("All kinds")), *ActivityKind.choices],
    )

    def __init__(
        self,
        data: Any = None,
        *,
        networks: list[Network],
        organisations: list[tuple[Organisation, int]],
        **kwargs: Any,
    ) -> None:
        start, end = default_period()
        super().__init__(data, initial={"start": start, "end": end}, **kwargs)
        self.networks = networks
        self.organisations = organisations
        cast(forms.ChoiceField, self.fields["network"]).choices = [
            ("", _("All my networks")),
            *((n.slug, n.name) for n in networks),
        ]
        referrers = sorted({(str(o.pk), o.name) for o, _n in organisations}, key=lambda c: c[1])
        cast(forms.ChoiceField, self.fields["organisation"]).choices = [
            ("", _("All organisations")),
            *referrers,
        ]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        start, end = data.get("start"), data.get("end")
        if start and end:
            if end < start:
                self.add_error("end", _("The end of the period comes before its start."))
            elif (end - start).days > MAX_PERIOD_DAYS:
                self.add_error("end", _("Choose a period of at most ten years."))
        org = data.get("organisation")
        slug = data.get("network")
        if org and slug:
            network = next((n for n in self.networks if n.slug == slug), None)
            if network and not any(
                str(o.pk) == org and net == network.pk for o, net in self.organisations
            ):
                self.add_error(
                    "organisation", _("This organisation is not a referrer in that network.")
                )
        return data

    def to_filters(self) -> Filters:
        """The filters chosen, or the defaults when the form was not submitted."""
        data = self.cleaned_data if self.is_bound else self.initial
        slug = data.get("network") or ""
        ids = tuple(n.pk for n in self.networks if not slug or n.slug == slug)
        org = data.get("organisation") or ""
        return Filters(
            start=data["start"],
            end=data["end"],
            network_ids=ids,
            organisation_id=int(org) if org else None,
            activity_kind=data.get("activity_kind") or None,
        )


class PublicYearForm(forms.Form):
    year = forms.IntegerField(label=_("Year"), required=False)

    def clean_year(self) -> int:
        year = self.cleaned_data.get("year")
        this_year = timezone.localdate().year
        if year is None:
            return this_year
        if not FIRST_YEAR <= year <= this_year:
            raise ValidationError(
                _("Choose a year from %(first)s to %(last)s.")
                % {"first": FIRST_YEAR, "last": this_year}
            )
        return int(year)


class ExportProjectForm(forms.ModelForm):
    network = forms.ModelChoiceField(queryset=Network.objects.none(), label=_("Network"))

    class Meta:
        model = ExportProject
        fields = ["network", "name", "purpose", "keep_days"]
        widgets = {"purpose": forms.Textarea(attrs={"rows": 3})}

    def __init__(self, *args: Any, networks: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["network"].queryset = networks  # type: ignore[attr-defined]
        self.fields["keep_days"].min_value = 1  # type: ignore[attr-defined]
        self.fields["keep_days"].max_value = 365  # type: ignore[attr-defined]


class ExportRequestForm(forms.Form):
    file_format = forms.ChoiceField(label=_("Format"), choices=ExportFormat.choices)
    start = forms.DateField(label=_("Period from"), widget=DATE_INPUT)
    end = forms.DateField(label=_("Period until"), widget=DATE_INPUT)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        start, end = default_period()
        kwargs.setdefault("initial", {"start": start, "end": end, "file_format": "csv"})
        super().__init__(*args, **kwargs)

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        start, end = data.get("start"), data.get("end")
        if start and end:
            if end < start:
                self.add_error("end", _("The end of the period comes before its start."))
            elif (end - start).days > MAX_PERIOD_DAYS:
                self.add_error("end", _("Choose a period of at most ten years."))
        return data


class ReportForm(FilterForm):
    """The filters of an evaluation report: one network, a period, optionally a referrer
    and an activity kind."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        network = cast(forms.ChoiceField, self.fields["network"])
        network.required = True
        network.choices = [(n.slug, n.name) for n in self.networks]
        if len(self.networks) == 1:
            self.initial.setdefault("network", self.networks[0].slug)

    def chosen_network(self) -> Network:
        slug = self.cleaned_data["network"]
        return next(n for n in self.networks if n.slug == slug)

    def chosen_organisation(self) -> Organisation | None:
        org = self.cleaned_data.get("organisation") or ""
        return next((o for o, _n in self.organisations if str(o.pk) == org), None)
