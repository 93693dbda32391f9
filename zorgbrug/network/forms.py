from __future__ import annotations

from typing import Any

from django import forms
from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from zorgbrug.network.models import Contact, Network, Organisation, PartnerRole, Site, StaffRole
from zorgbrug.network.validators import normalise_kbo

MAX_UPLOAD_BYTES = 5 * 1024 * 1024


class NetworkForm(forms.ModelForm):
    class Meta:
        model = Network
        fields = ["name", "region", "description", "is_active"]


class OrganisationForm(forms.ModelForm):
    roles = forms.MultipleChoiceField(
        label=_("Roles in this network"),
        choices=PartnerRole.choices,
        widget=forms.CheckboxSelectMultiple,
        required=True,
    )
    website = forms.URLField(label=_("Website"), required=False, assume_scheme="https")
    kbo_number = forms.CharField(
        label=_("Enterprise number (KBO)"),
        required=False,
        max_length=20,
        help_text=_("10 digits, e.g. 0123.456.749"),
        widget=forms.TextInput(attrs={"inputmode": "numeric"}),
    )

    class Meta:
        model = Organisation
        fields = ["name", "kbo_number", "kind", "provider_kind", "email", "phone", "website"]
        widgets = {"phone": forms.TextInput(attrs={"type": "tel"})}

    def __init__(self, *args: Any, with_roles: bool = True, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if not with_roles:
            del self.fields["roles"]

    def clean_kbo_number(self) -> str | None:
        value = self.cleaned_data.get("kbo_number")
        if not value:
            return None
        return normalise_kbo(value)

    def validate_unique(self) -> None:
        # Uniqueness of the KBO number is the service's job, with a clearer message.
        pass


class PartnerRolesForm(forms.Form):
    roles = forms.MultipleChoiceField(
        label=_("Roles in this network"),
        choices=PartnerRole.choices,
        widget=forms.CheckboxSelectMultiple,
        required=False,
    )


class SiteForm(forms.ModelForm):
    class Meta:
        model = Site
        fields = ["name", "street", "postcode", "municipality", "phone", "is_active"]
        widgets = {
            "postcode": forms.TextInput(
                attrs={"inputmode": "numeric", "maxlength": 4, "autocomplete": "postal-code"}
            ),
            "phone": forms.TextInput(attrs={"type": "tel"}),
        }
        help_texts = {"municipality": _("Leave empty to take it from the postcode.")}

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["municipality"].required = False

    def clean_postcode(self) -> str:
        value = str(self.cleaned_data.get("postcode") or "").strip()
        if not (len(value) == 4 and value.isdigit()):
            raise ValidationError(_("A Belgian postcode has 4 digits, e.g. 9900."))
        return value


class ContactForm(forms.ModelForm):
    class Meta:
        model = Contact
        fields = ["name", "function", "email", "phone"]
        widgets = {"phone": forms.TextInput(attrs={"type": "tel"})}


class InviteForm(forms.Form):
    full_name = forms.CharField(label=_("Full name"), max_length=200)
    email = forms.EmailField(label=_("E-mail address"))
    role = forms.ChoiceField(label=_("Role"), choices=StaffRole.choices)
    language = forms.ChoiceField(
        label=_("Language of the invitation"),
        choices=[(c, n) for c, n in settings.LANGUAGES if c in settings.STAFF_LANGUAGES],
    )


class PostcodeUploadForm(forms.Form):
    file = forms.FileField(
        label=_("Postcode file (CSV)"),
        help_text=_(
            "Columns: postal, name, lat, lng (province optional). "
            "UTF-8, comma-separated, with a header row."
        ),
    )

    def clean_file(self) -> bytes:
        upload = self.cleaned_data["file"]
        if upload.size > MAX_UPLOAD_BYTES:
            raise ValidationError(_("The file is larger than 5 MB."))
        return bytes(upload.read())
