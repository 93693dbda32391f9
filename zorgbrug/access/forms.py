from __future__ import annotations

from typing import Any

from django import forms
from django.conf import settings
from django.contrib.auth.forms import AuthenticationForm
from django.utils.translation import gettext_lazy as _

from zorgbrug.access.models import User


class EmailAuthenticationForm(AuthenticationForm):
    username = forms.EmailField(
        label=_("E-mail address"),
        widget=forms.EmailInput(attrs={"autofocus": True, "autocomplete": "email"}),
    )

    def clean_username(self) -> str:
        return str(self.cleaned_data["username"]).strip().lower()


class InvitationAcceptForm(forms.Form):
    full_name = forms.CharField(label=_("Your full name"), max_length=200)
    password1 = forms.CharField(
        label=_("Choose a password"),
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
        required=False,
        help_text=_("At least 10 characters, not only digits, not a common password."),
    )
    password2 = forms.CharField(
        label=_("Repeat the password"),
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
        required=False,
    )

    def __init__(self, *args: Any, needs_password: bool = True, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.needs_password = needs_password
        if not needs_password:
            del self.fields["password1"]
            del self.fields["password2"]
            self.fields["full_name"].required = False

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if self.needs_password:
            if not data.get("password1"):
                self.add_error("password1", _("Choose a password."))
            elif data.get("password1") != data.get("password2"):
                self.add_error("password2", _("The two passwords differ."))
        return data


class ProfileForm(forms.ModelForm):
    language = forms.ChoiceField(
        label=_("Language"),
        choices=[
            (code, name) for code, name in settings.LANGUAGES if code in settings.STAFF_LANGUAGES
        ],
    )

    class Meta:
        model = User
        fields = ["full_name", "language"]


class ApiTokenForm(forms.Form):
    name = forms.CharField(
        label=_("What is the token for?"),
        max_length=100,
        help_text=_("For example: the VDAB case-management link."),
    )
