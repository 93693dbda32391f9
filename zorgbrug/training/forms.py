"""Forms of the training pages. They check shapes; the services check the rest."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django import forms
from django.conf import settings
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from zorgbrug.training.models import ModuleKind

DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
TIME = forms.TimeInput(attrs={"type": "time"}, format="%H:%M")


def _language_name(code: str) -> str:
    return str(dict(settings.LANGUAGES)[code])


class ModuleForm(forms.Form):
    """A module with its name and description in each language (Dutch required)."""

    provider = forms.ChoiceField(label=_("Training provider and network"))
    kind = forms.ChoiceField(label=_("Kind of module"), choices=ModuleKind.choices)

    def __init__(self, *args: Any, providers: list[Any] | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if providers is None:
            del self.fields["provider"]
        else:
            field = self.fields["provider"]
            assert isinstance(field, forms.ChoiceField)
            field.choices = [
                (f"{p.network_id}-{p.organisation_id}", f"{p.organisation.name} ({p.network.name})")
                for p in providers
            ]
        for code, _name in settings.LANGUAGES:
            self.fields[f"name_{code}"] = forms.CharField(
                label=_("Name (%(language)s)") % {"language": _language_name(code)},
                max_length=200,
                required=code == "nl",
                widget=forms.TextInput(attrs={"lang": code, "dir": "auto"}),
            )
        for code, _name in settings.LANGUAGES:
            self.fields[f"description_{code}"] = forms.CharField(
                label=_("Description (%(language)s)") % {"language": _language_name(code)},
                max_length=4000,
                required=False,
                widget=forms.Textarea(attrs={"rows": 3, "lang": code, "dir": "auto"}),
            )

    def texts(self, prefix: str) -> dict[str, str]:
        return {
            code: self.cleaned_data.get(f"{prefix}_{code}", "")
            for code, _name in settings.LANGUAGES
            if self.cleaned_data.get(f"{prefix}_{code}")
        }

    def provider_ids(self) -> tuple[int, int]:
        network_id, organisation_id = self.cleaned_data["provider"].split("-")
        return int(network_id), int(organisation_id)

    @staticmethod
    def initial_for(module: Any) -> dict[str, Any]:
        initial: dict[str, Any] = {"kind": module.kind}
        for code, text in (module.names or {}).items():
            initial[f"name_{code}"] = text
        for code, text in (module.descriptions or {}).items():
            initial[f"description_{code}"] = text
        return initial


class _WhenWhereForm(forms.Form):
    """A session's date, hours and place: a site of a partner, or an address."""

    date = forms.DateField(label=_("Date"), widget=DATE)
    start_time = forms.TimeField(label=_("Starts at"), widget=TIME)
    end_time = forms.TimeField(label=_("Ends at"), widget=TIME)
    site = forms.ChoiceField(
        label=_("Place: a site of a partner"),
        required=False,
        help_text=_("Or leave empty and give an address below."),
    )
    address = forms.CharField(label=_("Or an address"), max_length=200, required=False)
    postcode = forms.CharField(
        label=_("Postcode"),
        max_length=4,
        required=False,
        widget=forms.TextInput(attrs={"inputmode": "numeric"}),
    )

    def __init__(self, *args: Any, sites: list[Any], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        site_field = self.fields["site"]
        assert isinstance(site_field, forms.ChoiceField)
        site_field.choices = [("", "---------")] + [
            (str(s.pk), f"{s.organisation.name} – {s.name}, {s.municipality}") for s in sites
        ]


class SessionForm(_WhenWhereForm):
    trainer = forms.ChoiceField(label=_("Trainer"), required=False)
    seats = forms.IntegerField(label=_("Seats"), min_value=1, max_value=500, initial=12)

    def __init__(self, *args: Any, sites: list[Any], trainers: list[Any], **kwargs: Any) -> None:
        super().__init__(*args, sites=sites, **kwargs)
        trainer_field = self.fields["trainer"]
        assert isinstance(trainer_field, forms.ChoiceField)
        trainer_field.choices = [("", "---------")] + [
            (str(u.pk), u.full_name or u.email) for u in trainers
        ]
        self.initial.setdefault("date", timezone.localdate() + dt.timedelta(days=7))
        self.initial.setdefault("start_time", dt.time(9, 0))
        self.initial.setdefault("end_time", dt.time(15, 0))


class MoveForm(_WhenWhereForm):
    """Move a session to another date, other hours or another place."""

    reason = forms.CharField(
        label=_("Reason (optional)"),
        max_length=200,
        required=False,
        help_text=_("Care asked for the old date is cancelled free of charge and asked again."),
    )

    @staticmethod
    def initial_for(session: Any) -> dict[str, Any]:
        return {
            "date": session.date,
            "start_time": session.start_time,
            "end_time": session.end_time,
            "site": str(session.site_id or ""),
            "address": session.address,
            "postcode": session.postcode,
        }


class SeatsForm(forms.Form):
    seats = forms.IntegerField(label=_("Seats"), min_value=1, max_value=500)


class EnrolForm(forms.Form):
    client = forms.TypedChoiceField(label=_("Client"), coerce=int)
    waitlist = forms.BooleanField(
        label=_("Put the client on the waiting list when the session is full"),
        required=False,
        initial=True,
    )

    def __init__(self, *args: Any, candidates: list[Any], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["client"]
        assert isinstance(field, forms.TypedChoiceField)
        field.choices = [("", "---------")] + [
            (c.pk, f"{c.last_name}, {c.first_name}") for c in candidates
        ]
