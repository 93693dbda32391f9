"""Money, percentages and quantities as people read them, in the active language."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation
from typing import Any

from django import template
from django.utils.formats import number_format

register = template.Library()


def _decimal(value: Any) -> Decimal | None:
    if value is None or value == "":
        return None
    try:
        return Decimal(str(value))
    except InvalidOperation:
        return None


@register.filter
def money(value: Any) -> str:
    """1234.5 -> "1.234,50" in Dutch, "1 234,50" in French, "1,234.50" in English."""
    number = _decimal(value)
    if number is None:
        return ""
    return number_format(number, decimal_pos=2, use_l10n=True, force_grouping=True)


@register.filter
def plain(value: Any) -> str:
    """A percentage or quantity without trailing zeros: 60.00 -> 60, 2.7500 -> 2,75."""
    number = _decimal(value)
    if number is None:
        return ""
    normal = number.normalize()
    places = max(0, -normal.as_tuple().exponent)  # type: ignore[operator]
    return number_format(normal, decimal_pos=places, use_l10n=True)
