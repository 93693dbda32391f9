"""Forms of the care pages."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from zorgbrug.care.models import (
    ActivityKind,
    AgeBand,
    DayPart,
    Preference,
    Urgency,
    Weekday,
)

DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
TIME = forms.TimeInput(attrs={"type": "time"}, format="%H:%M")
RRULE_DAYS = ["MO", "TU", "WE", "TH", "FR", "SA", "SU"]


class AskCareForm(forms.Form):
    """One form for the activity and the care it needs: what a counsellor knows at once."""

    kind = forms.ChoiceField(label=_("What is the care for?"), choices=ActivityKind.choices)
    title = forms.CharField(
        label=_("Title"),
        max_length=200,
        help_text=_("e.g. Course logistics assistant, interview at Colruyt"),
    )
    location = forms.CharField(label=_("Place"), max_length=200, required=False)
    postcode = forms.CharField(
        label=_("Postcode of the place"),
        max_length=4,
        required=False,
        widget=forms.TextInput(attrs={"inputmode": "numeric"}),
    )
    first_date = forms.DateField(label=_("Date (first day)"), widget=DATE)
    repeat_days = forms.TypedMultipleChoiceField(
        label=_("Repeats every week on"),
        choices=Weekday.choices,
        coerce=int,
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=_("Leave empty for a single day."),
    )
    last_date = forms.DateField(label=_("Last day"), widget=DATE, required=False)
    start_time = forms.TimeField(label=_("Starts at"), widget=TIME)
    end_time = forms.TimeField(label=_("Ends at"), widget=TIME)
    travel_minutes = forms.IntegerField(
        label=_("Travel time each way (minutes)"), min_value=0, max_value=180, initial=30
    )
    recipients = forms.TypedMultipleChoiceField(
        label=_("Who needs care?"), coerce=int, widget=forms.CheckboxSelectMultiple
    )
    urgency = forms.ChoiceField(
        label=_("Urgency"),
        choices=Urgency.choices,
        initial=Urgency.NORMAL,
        widget=forms.RadioSelect,
    )
    preference = forms.ChoiceField(
        label=_("Care preferably"),
        choices=Preference.choices,
        initial=Preference.NEAR_HOME,
        widget=forms.RadioSelect,
    )

    def __init__(self, *args: Any, recipients: list[Any], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        today = timezone.localdate()
        field = self.fields["recipients"]
        assert isinstance(field, forms.TypedMultipleChoiceField)
        field.choices = [(r.pk, f"{r.first_name} ({r.birth_date:%d/%m/%Y})") for r in recipients]
        if len(recipients) == 1 and not self.is_bound:
            self.initial["recipients"] = [recipients[0].pk]
        self.initial.setdefault("first_date", today + dt.timedelta(days=1))

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("repeat_days") and not data.get("last_date"):
            self.add_error(
                "last_date", ValidationError(_("A repeating activity needs a last day."))
            )
        return data

    def activity_fields(self) -> dict[str, Any]:
        d = self.cleaned_data
        rule = ""
        if d.get("repeat_days"):
            rule = "FREQ=WEEKLY;BYDAY=" + ",".join(RRULE_DAYS[i] for i in sorted(d["repeat_days"]))
        return {
            "kind": d["kind"],
            "title": d["title"],
            "location": d.get("location", ""),
            "postcode": d.get("postcode", ""),
            "first_date": d["first_date"],
            "last_date": d.get("last_date") if rule else d["first_date"],
            "recurrence": rule,
            "start_time": d["start_time"],
            "end_time": d["end_time"],
            "travel_minutes": d["travel_minutes"],
        }


class ReservationForm(forms.Form):
    age_band = forms.ModelChoiceField(label=_("Age band"), queryset=AgeBand.objects.none())
    weekday = forms.TypedChoiceField(label=_("Day"), choices=Weekday.choices, coerce=int)
    day_part = forms.ChoiceField(label=_("Day-part"), choices=DayPart.choices)
    places = forms.IntegerField(label=_("Places"), min_value=1, max_value=100)
    valid_from = forms.DateField(label=_("Valid from"), widget=DATE)
    valid_until = forms.DateField(label=_("Valid until"), widget=DATE)
    price = forms.DecimalField(
        label=_("Price per place and day-part (€)"), min_value=0, max_digits=8, decimal_places=2
    )

    def __init__(self, *args: Any, age_bands: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["age_band"]
        assert isinstance(field, forms.ModelChoiceField)
        field.queryset = age_bands

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if (
            data.get("valid_from")
            and data.get("valid_until")
            and (data["valid_until"] < data["valid_from"])
        ):
            self.add_error("valid_until", _("The end comes before the start."))
        return data


class VacancyForm(forms.Form):
    age_band = forms.ModelChoiceField(label=_("Age band"), queryset=AgeBand.objects.none())
    date = forms.DateField(label=_("Date"), widget=DATE)
    day_part = forms.ChoiceField(label=_("Day-part"), choices=DayPart.choices)
    places = forms.IntegerField(label=_("Extra places"), min_value=1, max_value=20)

    def __init__(self, *args: Any, age_bands: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["age_band"]
        assert isinstance(field, forms.ModelChoiceField)
        field.queryset = age_bands


class ClosureForm(forms.Form):
    first_day = forms.DateField(label=_("From"), widget=DATE)
    last_day = forms.DateField(label=_("Until"), widget=DATE)
    reason = forms.CharField(label=_("Reason"), max_length=200, required=False)


class AgeBandForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=100)
    min_months = forms.IntegerField(label=_("From age (months)"), min_value=0, max_value=240)
    max_months = forms.IntegerField(
        label=_("Up to age (months, not included)"), min_value=1, max_value=240
    )
