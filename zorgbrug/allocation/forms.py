"""Forms of the allocation pages. They parse; the services validate and decide."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from zorgbrug.allocation.services import DEFAULT_TIME_LIMIT, MAX_PERIOD_DAYS, MAX_TIME_LIMIT

DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


class RunForm(forms.Form):
    first_date = forms.DateField(label=_("First day"), widget=DATE)
    last_date = forms.DateField(label=_("Last day"), widget=DATE)
    time_limit = forms.IntegerField(
        label=_("Time to look for the best allocation (seconds)"),
        min_value=1,
        max_value=int(MAX_TIME_LIMIT),
        initial=int(DEFAULT_TIME_LIMIT),
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["last_date"].help_text = gettext(
            "At most %(days)s days. Every waiting request with a day in this period takes part."
        ) % {"days": MAX_PERIOD_DAYS}


class AcceptForm(forms.Form):
    requests = forms.TypedMultipleChoiceField(
        label=_("Requests to book"),
        coerce=int,
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )

    def __init__(self, *args: Any, choices: list[tuple[int, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["requests"]
        assert isinstance(field, forms.ChoiceField)
        field.choices = choices


class WhatIfForm(forms.Form):
    MORE = "more"
    MOVE = "move"

    first_date = forms.DateField(label=_("First day"), widget=DATE)
    last_date = forms.DateField(label=_("Last day"), widget=DATE)
    change = forms.ChoiceField(
        label=_("What if"),
        choices=[
            (MORE, _("the network had rented more places at a site")),
            (MOVE, _("places had been moved from one site to another")),
        ],
        initial=MORE,
        widget=forms.RadioSelect,
    )
    site = forms.TypedChoiceField(label=_("Site"), coerce=int)
    to_site = forms.TypedChoiceField(
        label=_("To site (when moving places)"), coerce=int, required=False, empty_value=None
    )
    places = forms.IntegerField(
        label=_("Places per day-part"), min_value=1, max_value=50, initial=2
    )
    band = forms.TypedChoiceField(label=_("Age band"), coerce=int, required=False, empty_value=None)

    def __init__(
        self,
        *args: Any,
        sites: list[tuple[int, str]],
        bands: list[tuple[int, str]],
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        for name, choices in (
            ("site", sites),
            ("to_site", [("", "—"), *sites]),
            ("band", [("", _("Every age band the site takes")), *bands]),
        ):
            field = self.fields[name]
            assert isinstance(field, forms.ChoiceField)
            field.choices = choices

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("change") == self.MOVE and not data.get("to_site"):
            self.add_error("to_site", _("Choose the site the places move to."))
        return data
