"""Showing a client record the way a counsellor reads it: 0470 12 34 56, 85.07.30-033.28,
"ma, di, wo", an age in years."""

from __future__ import annotations

import datetime as dt

from django import template
from django.utils import timezone
from django.utils.dates import WEEKDAYS_ABBR

from zorgbrug.clients import identifiers
from zorgbrug.clients.screening import days_from_mask

register = template.Library()


@register.filter
def phone_display(value: str) -> str:
    """+32470123456 -> 0470 12 34 56; foreign numbers keep their country code."""
    return identifiers.format_phone(value or "")


@register.filter
def insz_display(value: str) -> str:
    """85073003328 -> 85.07.30-033.28"""
    return identifiers.format_insz(value or "")


@register.filter
def weekdays(mask: str) -> str:
    """The days of a care need, "1101000" -> "ma, di, do" in the current language."""
    return ", ".join(str(WEEKDAYS_ABBR[d]) for d in days_from_mask(mask or ""))


@register.filter
def age(birth_date: dt.date | None) -> int | None:
    """Age in whole years today."""
    if not birth_date:
        return None
    today = timezone.localdate()
    before_birthday = (today.month, today.day) < (birth_date.month, birth_date.day)
    return today.year - birth_date.year - before_birthday
