"""Formatting of research figures: shares, days, hours, indicator values (locale aware)."""

from __future__ import annotations

from typing import Any

from django import template
from django.utils.formats import number_format
from django.utils.translation import gettext as _

from zorgbrug.research import indicators as ind

register = template.Library()

EMPTY = "–"


@register.filter
def percent(value: Any) -> str:
    """0.375 -> "37.5 %"; None -> "–"."""
    if value is None:
        return EMPTY
    # number_format cuts decimals off: round first (2/3 is 66.7 %, not 66.6 %)
    return f"{number_format(round(float(value) * 100, 1), 1)} %"


@register.filter
def one_decimal(value: Any) -> str:
    if value is None:
        return EMPTY
    return number_format(round(float(value), 1), 1)


@register.filter
def count(value: Any) -> str:
    if value is None:
        return EMPTY
    return number_format(int(value), 0, force_grouping=True)


@register.filter
def indicator_value(result: ind.Result) -> str:
    """The headline of a scalar indicator as text with its unit."""
    value = result.value
    if isinstance(value, ind.Share):
        if value.value is None:
            return EMPTY
        return _("%(share)s (%(n)s of %(d)s)") % {
            "share": percent(value.value),
            "n": count(value.numerator),
            "d": count(value.denominator),
        }
    if isinstance(value, ind.Measure):
        if value.value is None:
            return EMPTY
        return one_decimal(value.value)  # the unit is in its own column
    if isinstance(value, ind.Money):
        return money(value)
    if isinstance(value, int):
        return count(value)
    return ""


def _basis(value: ind.Money) -> str:
    n = value.basis
    if value.basis_unit == "hours":
        return _("%(n)s hours") % {"n": number_format(n, 2, force_grouping=True)}
    text = {
        "lines": _("%(n)s cost lines"),
        "clients": _("%(n)s clients"),
        "outcomes": _("%(n)s positive outcomes"),
    }.get(value.basis_unit, "%(n)s")
    return text % {"n": count(n)}


@register.filter
def money(value: ind.Money) -> str:
    """An amount in euros to the cent, with what it rests on."""
    if value.amount is None:
        return EMPTY
    return _("€ %(amount)s (%(basis)s)") % {
        "amount": number_format(value.amount, 2, force_grouping=True),
        "basis": _basis(value),
    }


@register.filter
def cell(value: Any, is_percent: bool = False) -> str:
    if is_percent:
        return percent(value)
    if isinstance(value, float):
        return one_decimal(value)
    return count(value)


@register.filter
def gender_count(value: ind.ByGender, gender: str) -> str:
    return count(value.total if gender == "total" else value.get(gender))


@register.filter
def unit_label(unit: str) -> str:
    return str(ind.UNIT_LABELS.get(ind.Unit(unit), unit))


@register.filter
def dimension_labels(dimensions: Any) -> str:
    chosen = set(dimensions)
    return ", ".join(str(ind.DIMENSION_LABELS[d]) for d in ind.Dimension if d in chosen)


@register.filter
def contains(values: Any, item: Any) -> bool:
    return item in values
