"""Forms of the pathway pages. They check shapes; the services check the rest."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from zorgbrug.clients.models import Arrangement
from zorgbrug.pathways.models import (
    ContractType,
    ExitReason,
    OutcomeStatus,
    PathwayActivityKind,
    Sector,
)

DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
BLANK: list[tuple[str, Any]] = [("", "---------")]


class PathwayActivityForm(forms.Form):
    kind = forms.ChoiceField(label=_("Step"), choices=PathwayActivityKind.choices)
    title = forms.CharField(
        label=_("Title"),
        max_length=200,
        required=False,
        help_text=_("e.g. Course logistics assistant, interview at Colruyt"),
    )
    date = forms.DateField(label=_("Date"), widget=DATE)
    end_date = forms.DateField(label=_("Until (optional)"), widget=DATE, required=False)
    employer = forms.CharField(label=_("Employer"), max_length=200, required=False)
    sector = forms.ChoiceField(
        label=_("Employer's sector (job start)"), choices=BLANK + Sector.choices, required=False
    )
    contract_type = forms.ChoiceField(
        label=_("Contract type (job start)"),
        choices=BLANK + ContractType.choices,
        required=False,
    )
    hours_per_week = forms.DecimalField(
        label=_("Hours per week (job start)"),
        max_digits=4,
        decimal_places=1,
        min_value=0,
        max_value=60,
        required=False,
    )
    first_period_end = forms.DateField(
        label=_("End of the first period (job start)"), widget=DATE, required=False
    )
    note = forms.CharField(label=_("Note"), max_length=300, required=False)


class RegularCareForm(forms.Form):
    care_recipient = forms.TypedChoiceField(
        label=_("For"), coerce=int, required=False, empty_value=None
    )
    registered_on = forms.DateField(
        label=_("Registered with the municipality's childcare desk on"),
        widget=DATE,
        required=False,
    )
    desk = forms.CharField(
        label=_("Childcare desk"),
        max_length=200,
        required=False,
        help_text=_("e.g. Loket Kinderopvang Eeklo"),
    )
    place_from = forms.DateField(label=_("Regular place from"), widget=DATE, required=False)
    provider = forms.TypedChoiceField(
        label=_("At a provider of the network"), coerce=int, required=False, empty_value=None
    )
    provider_name = forms.CharField(
        label=_("Or at another provider"), max_length=200, required=False
    )

    def __init__(
        self, *args: Any, recipients: list[Any], providers: list[Any], **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        recipient_field = self.fields["care_recipient"]
        assert isinstance(recipient_field, forms.TypedChoiceField)
        recipient_field.choices = [("", _("The whole family"))] + [
            (r.pk, r.first_name) for r in recipients
        ]
        provider_field = self.fields["provider"]
        assert isinstance(provider_field, forms.TypedChoiceField)
        provider_field.choices = BLANK + [(o.pk, o.name) for o in providers]


class ExitForm(forms.Form):
    date = forms.DateField(label=_("Date of exit"), widget=DATE)
    reason = forms.ChoiceField(label=_("Reason"), choices=ExitReason.choices)
    note = forms.CharField(label=_("Note"), max_length=300, required=False)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.initial.setdefault("date", timezone.localdate())


SAME_JOB_CHOICES = [("", _("Not asked")), ("yes", _("Yes")), ("no", _("No"))]


class OutcomeForm(forms.Form):
    observed_on = forms.DateField(label=_("Date"), widget=DATE)
    status = forms.ChoiceField(
        label=_("The client's situation"), choices=OutcomeStatus.choices, widget=forms.RadioSelect
    )
    contract_type = forms.ChoiceField(
        label=_("Contract type (employed)"), choices=BLANK + ContractType.choices, required=False
    )
    hours_per_week = forms.DecimalField(
        label=_("Hours per week (employed)"),
        max_digits=4,
        decimal_places=1,
        min_value=0,
        max_value=60,
        required=False,
    )
    sector = forms.ChoiceField(
        label=_("Sector (employed)"), choices=BLANK + Sector.choices, required=False
    )
    same_job = forms.ChoiceField(
        label=_("Still in the job started then?"), choices=SAME_JOB_CHOICES, required=False
    )
    note = forms.CharField(label=_("Note"), max_length=300, required=False)
    repeat_screening = forms.BooleanField(
        label=_("Repeat the care-barrier screening now"), required=False
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.initial.setdefault("observed_on", timezone.localdate())

    def same_job_value(self) -> bool | None:
        return {"yes": True, "no": False}.get(self.cleaned_data.get("same_job") or "")


class NeedForm(forms.Form):
    """Per child, for the repeated screening: how care is arranged now, hours needed."""

    arrangement = forms.ChoiceField(label=_("Care arranged now by"), choices=Arrangement.choices)
    hours_per_week = forms.DecimalField(
        label=_("Hours per week needed"),
        max_digits=4,
        decimal_places=1,
        min_value=0,
        max_value=168,
        initial=0,
    )
