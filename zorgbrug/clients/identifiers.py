"""Belgian identifiers and phone numbers for client records (python-stdnum, phonenumbers).

Plain functions: they raise a translated django ValidationError and touch no database.
"""

from __future__ import annotations

import datetime as dt

import phonenumbers
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _
from stdnum.be import ssn
from stdnum.exceptions import InvalidChecksum, InvalidComponent
from stdnum.exceptions import ValidationError as StdnumError


def normalise_insz(value: str, *, birth_date: dt.date | None = None) -> str:
    """The 11-digit INSZ (national register number or BIS number), validated.

    Accepts dots, dashes and spaces; people born from 2000 on and BIS numbers (month + 20 or
    + 40) included. When the client's date of birth is known, it must match the number's.
    """
    raw = (value or "").strip()
    if not raw:
        return ""
    try:
        number = ssn.validate(raw)
    except InvalidChecksum as exc:
        raise ValidationError(
            _(
                "%(value)s is not a valid national register or BIS number: the check digits "
                "do not match."
            ),
            code="insz_checksum",
            params={"value": raw},
        ) from exc
    except InvalidComponent as exc:
        raise ValidationError(
            _(
                "%(value)s is not a valid national register or BIS number: it contains an "
                "impossible date of birth."
            ),
            code="insz_date",
            params={"value": raw},
        ) from exc
    except StdnumError as exc:
        raise ValidationError(
            _(
                "%(value)s is not a valid national register or BIS number: it has 11 digits, "
                "e.g. 85.07.30-033.28."
            ),
            code="insz_format",
            params={"value": raw},
        ) from exc
    if birth_date is not None:
        encoded = ssn.get_birth_date(number)
        if encoded is not None and encoded != birth_date:
            raise ValidationError(
                _(
                    "The national register number belongs to someone born on %(date)s, not on "
                    "the date of birth entered."
                ),
                code="insz_birth_date",
                params={"date": encoded.strftime("%d/%m/%Y")},
            )
    return str(number)


def format_insz(number: str) -> str:
    """85073003328 -> 85.07.30-033.28"""
    if len(number) != 11:
        return number
    return f"{number[:2]}.{number[2:4]}.{number[4:6]}-{number[6:9]}.{number[9:]}"


def normalise_phone(value: str, *, region: str = "BE") -> str:
    """The phone number in E.164 (+32470123456); Belgian numbers may omit the +32."""
    raw = (value or "").strip()
    if not raw:
        return ""
    try:
        parsed = phonenumbers.parse(raw, region)
    except phonenumbers.NumberParseException as exc:
        raise ValidationError(
            _("%(value)s is not a phone number."), code="phone_format", params={"value": raw}
        ) from exc
    if not phonenumbers.is_valid_number(parsed):
        raise ValidationError(
            _(
                "%(value)s is not a valid phone number: check the digits, or add the country "
                "code (e.g. +31 for the Netherlands)."
            ),
            code="phone_invalid",
            params={"value": raw},
        )
    return phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164)


def format_phone(e164: str) -> str:
    if not e164:
        return ""
    try:
        parsed = phonenumbers.parse(e164, None)
    except phonenumbers.NumberParseException:
        return e164
    fmt = (
        phonenumbers.PhoneNumberFormat.NATIONAL
        if parsed.country_code == 32
        else phonenumbers.PhoneNumberFormat.INTERNATIONAL
    )
    return phonenumbers.format_number(parsed, fmt)


def validate_birth_date(
    value: dt.date, *, today: dt.date | None = None, min_age: int = 0, max_age: int = 120
) -> dt.date:
    """Refuse dates of birth in the future or impossibly long ago."""
    today = today or dt.date.today()
    if value > today:
        raise ValidationError(
            _("A date of birth cannot be in the future."), code="birth_date_future"
        )
    age = today.year - value.year - ((today.month, today.day) < (value.month, value.day))
    if age > max_age:
        raise ValidationError(
            _("A date of birth more than %(years)s years ago is not possible."),
            code="birth_date_past",
            params={"years": max_age},
        )
    if age < min_age:
        raise ValidationError(
            _("Someone born on this date is younger than %(years)s."),
            code="birth_date_young",
            params={"years": min_age},
        )
    return value
