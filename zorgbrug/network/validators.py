"""Validators for Belgian identifiers used by partner organisations."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _
from stdnum.be import vat
from stdnum.exceptions import ValidationError as StdnumError


def normalise_kbo(value: str) -> str:
    """Return the 10-digit enterprise number (KBO) or raise a translated ValidationError.

    Old 9-digit numbers get a leading 0; "BE", dots and spaces are accepted.
    """
    try:
        return str(vat.validate(value))
    except StdnumError as exc:
        raise ValidationError(
            _(
                "%(value)s is not a valid enterprise number (KBO): expected 10 digits "
                "whose check digits match, e.g. 0123.456.749."
            ),
            code="invalid_kbo",
            params={"value": value},
        ) from exc


def format_kbo(number: str) -> str:
    """0123456749 -> 0123.456.749"""
    return f"{number[:4]}.{number[4:7]}.{number[7:]}" if len(number) == 10 else number
