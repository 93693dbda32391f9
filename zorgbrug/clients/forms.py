"""Forms for the intake and the client record."""

from __future__ import annotations

from typing import Any, cast

from django import forms
from django.conf import settings
from django.core import validators
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from zorgbrug.clients.models import (
    Arrangement,
    CareRecipient,
    Client,
    MainBarrier,
    RecipientKind,
    RefusalReason,
    ScreeningOccasion,
    WouldAccept,
)
from zorgbrug.clients.screening import days_mask

WEEKDAYS = [
    (0, _("Monday")),
    (1, _("Tuesday")),
    (2, _("Wednesday")),
    (3, _("Thursday")),
    (4, _("Friday")),
    (5, _("Saturday")),
    (6, _("Sunday")),
]
DATE_INPUT = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


class LanguagesField(forms.CharField):
    """Comma-separated ISO 639-1 codes: "ar, nl" -> ["ar", "nl"]."""

    def to_python(self, value: Any) -> list[str]:  # type: ignore[override]
        text = super().to_python(value) or ""
        return [part.strip().lower() for part in text.replace(";", ",").split(",") if part.strip()]

    def prepare_value(self, value: Any) -> Any:
        return ", ".join(value) if isinstance(value, list) else value

    def has_changed(self, initial: Any, data: Any) -> bool:
        return self.to_python(self.prepare_value(initial) or "") != self.to_python(data)


class ClientForm(forms.ModelForm):
    languages = LanguagesField(
        label=_("Languages spoken"),
        required=False,
        help_text=_("Two-letter codes, most preferred first, e.g. ar, nl, fr."),
    )

    class Meta:
        model = Client
        fields = [
            "first_name",
            "last_name",
            "birth_date",
            "gender",
            "insz",
            "phone",
            "email",
            "street",
            "postcode",
            "municipality",
            "languages",
            "needs_interpreter",
            "labour_status",
            "months_unemployed",
            "income_source",
            "education_level",
            "single_adult_household",
            "adults_in_household",
            "children_in_household",
            "migration_background",
        ]
        widgets = {
            "birth_date": DATE_INPUT,
            "insz": forms.TextInput(attrs={"inputmode": "numeric", "autocomplete": "off"}),
            "phone": forms.TextInput(attrs={"type": "tel", "autocomplete": "off"}),
            "postcode": forms.TextInput(attrs={"inputmode": "numeric", "maxlength": 4}),
            "migration_background": forms.NullBooleanSelect,
        }
        help_texts = {
            "insz": _("Optional. 11 digits; a BIS number is accepted too."),
            "migration_background": _("Only with the client's explicit consent below."),
        }

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # Room for dots and dashes: 85.07.30-033.28; the service keeps the 11 digits.
        insz = cast(forms.CharField, self.fields["insz"])
        insz.max_length = 20
        insz.widget.attrs["maxlength"] = 20
        # The model's 11-character limit came along as a validator: replace it too.
        insz.validators = [
            v for v in insz.validators if not isinstance(v, validators.MaxLengthValidator)
        ]
        insz.validators.append(validators.MaxLengthValidator(20))
        self.fields["municipality"].required = False
        for name in ("first_name", "last_name"):
            self.fields[name].widget.attrs["autocomplete"] = "off"

    def validate_unique(self) -> None:
        pass  # the service decides about duplicates, with a way to link instead

    def _post_clean(self) -> None:
        # The service validates the whole record (INSZ, phone, postcode) with its messages;
        # the ModelForm's own model validation would run before it with worse ones.
        pass


class ConsentForm(forms.Form):
    language = forms.ChoiceField(
        label=_("Language of the consent text shown to the client"), choices=settings.LANGUAGES
    )
    care_support = forms.BooleanField(
        label=_("The client agrees that their data are processed for care support"),
        required=True,
        error_messages={"required": _("Without this consent no record can be made.")},
    )
    share_with_partners = forms.BooleanField(
        label=_("The client agrees to share the record with the network's partners"), required=False
    )
    research_use = forms.BooleanField(
        label=_("The client agrees to pseudonymised use for research"), required=False
    )
    special_category = forms.BooleanField(
        label=_("The client agrees that their migration background is recorded"), required=False
    )


class RecipientForm(forms.ModelForm):
    languages = LanguagesField(label=_("Languages"), required=False)
    arrangement = forms.ChoiceField(
        label=_("Care arranged now by"),
        choices=[("", "---------"), *Arrangement.choices],
        required=False,
    )
    days = forms.TypedMultipleChoiceField(
        label=_("Days care is needed"),
        choices=WEEKDAYS,
        coerce=int,
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    hours_per_week = forms.DecimalField(
        label=_("Hours per week needed"),
        min_value=0,
        max_value=168,
        decimal_places=1,
        required=False,
    )

    class Meta:
        model = CareRecipient
        fields = [
            "kind",
            "first_name",
            "birth_date",
            "special_needs",
            "allergies",
            "languages",
            "pickup_persons",
            "adult_care_kind",
        ]
        widgets = {"birth_date": DATE_INPUT, "special_needs": forms.Textarea(attrs={"rows": 2})}

    def __init__(self, *args: Any, with_needs: bool = True, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["kind"].initial = RecipientKind.CHILD
        if not with_needs:
            for name in ("arrangement", "days", "hours_per_week"):
                del self.fields[name]

    def _post_clean(self) -> None:
        pass  # validated by the service

    def recipient_data(self) -> dict[str, Any]:
        return {k: self.cleaned_data[k] for k in self.Meta.fields}

    def need_data(self) -> dict[str, Any] | None:
        if not self.cleaned_data.get("arrangement"):
            return None
        return {
            "arrangement": self.cleaned_data["arrangement"],
            "days_needed": days_mask(self.cleaned_data.get("days") or []),
            "hours_per_week": self.cleaned_data.get("hours_per_week") or 0,
        }


class BaseRecipientFormSet(forms.BaseFormSet):
    def clean(self) -> None:
        super().clean()
        for form in self.forms:
            if not form.has_changed() or not getattr(form, "cleaned_data", None):
                continue
            if form.cleaned_data.get("first_name") and not form.cleaned_data.get("birth_date"):
                form.add_error("birth_date", _("Enter the date of birth."))


RecipientFormSet = forms.formset_factory(
    RecipientForm, formset=BaseRecipientFormSet, extra=3, max_num=12, validate_max=True
)


class ScreeningForm(forms.Form):
    occasion = forms.ChoiceField(
        label=_("Occasion"),
        choices=ScreeningOccasion.choices,
        initial=ScreeningOccasion.INTAKE,
        widget=forms.HiddenInput,
    )
    taken_on = forms.DateField(label=_("Date of the screening"), widget=DATE_INPUT)
    stopped_job = forms.BooleanField(
        label=_("In the last 12 months, care duties stopped the client from taking a job"),
        required=False,
    )
    stopped_course = forms.BooleanField(
        label=_("… from following a course or training"), required=False
    )
    stopped_interview = forms.BooleanField(
        label=_("… from going to a job interview"), required=False
    )
    would_accept = forms.ChoiceField(
        label=_("Would the client accept a job or course within two weeks if care were arranged?"),
        choices=WouldAccept.choices,
        widget=forms.RadioSelect,
    )
    refusal_reason = forms.ChoiceField(
        label=_("If not: the main reason"),
        choices=[("", "---------"), *RefusalReason.choices],
        required=False,
    )
    main_barrier = forms.ChoiceField(
        label=_("What is now the main barrier to work?"), choices=MainBarrier.choices
    )

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("would_accept") == WouldAccept.NO and not data.get("refusal_reason"):
            self.add_error("refusal_reason", ValidationError(_("Choose the main reason.")))
        return data


class ImportForm(forms.Form):
    file = forms.FileField(
        label=_("Caseload file (CSV or XLSX)"),
        help_text=_(
            "An Excel workbook (.xlsx) or a CSV file in UTF-8, up to 10 MB and 5,000 clients, "
            "with a header row naming the columns below."
        ),
    )
    organisation = forms.TypedChoiceField(label=_("For organisation"), coerce=int)
    consent_confirmed = forms.BooleanField(
        label=_("Every client in this file gave consent for care support, recorded on paper"),
        required=True,
    )

    def __init__(self, *args: Any, organisations: list[Any], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        cast(forms.ChoiceField, self.fields["organisation"]).choices = [
            (o.pk, o.name) for o in organisations
        ]

    def clean_file(self) -> Any:
        upload = self.cleaned_data["file"]
        if upload.size > 10 * 1024 * 1024:
            raise ValidationError(_("The file is larger than 10 MB."))
        name = upload.name.lower()
        if not name.endswith((".csv", ".xlsx")):
            raise ValidationError(_("Upload a .csv or .xlsx file."))
        return upload
