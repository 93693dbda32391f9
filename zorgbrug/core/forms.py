"""Form helpers shared by every domain."""

from __future__ import annotations

from django import forms
from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.http import HttpRequest, QueryDict


def apply_errors(
    form: forms.BaseForm, exc: ValidationError, password_field: str | None = None
) -> None:
    """Show a service's ValidationError on the form: per field where it names one."""
    if hasattr(exc, "error_dict"):
        for field, errors in exc.message_dict.items():
            target = field if field in form.fields else None
            if field == NON_FIELD_ERRORS:
                target = None
            form.add_error(target, errors)
    elif (
        password_field
        and password_field in form.fields
        and any(getattr(e, "code", "").startswith("password") for e in exc.error_list)
    ):
        form.add_error(password_field, exc.messages)
    else:
        form.add_error(None, exc.messages)


def post_data(request: HttpRequest) -> QueryDict | None:
    """The POST data to bind a form to, or None for a GET (an empty POST still binds)."""
    return request.POST if request.method == "POST" else None
