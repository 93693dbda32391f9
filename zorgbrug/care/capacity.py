"""Keeping the slot counters in step with reservations, vacancies and closures.

`capacity_rebuild` recomputes `places` for a site and a date range from the reserved
places valid on each date, the published vacancies, public holidays and closures. It never
takes places away below what is booked: the caller gets a ValidationError listing the
dates to sort out first (and the database CHECK would refuse it anyway).
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from zorgbrug.care.calendar import is_public_holiday
from zorgbrug.care.models import CapacitySlot, CareSite, Closure, ReservedCapacity, Vacancy

Key = tuple[dt.date, str, int]  # date, day-part, age band id

DEFAULT_HORIZON_DAYS = 365


def _closed_days(care_site: CareSite, first: dt.date, last: dt.date) -> set[dt.date]:
    days: set[dt.date] = set()
    for closure in Closure.objects.filter(
        care_site=care_site, first_day__lte=last, last_day__gte=first
    ):
        day = max(closure.first_day, first)
        while day <= min(closure.last_day, last):
            days.add(day)
            day += dt.timedelta(days=1)
    return days


def target_places(care_site: CareSite, first: dt.date, last: dt.date) -> dict[Key, tuple[int, int]]:
    """(reserved, vacancy) places per date, day-part and age band in [first, last]."""
    closed = _closed_days(care_site, first, last)
    reservations = list(
        ReservedCapacity.objects.filter(
            care_site=care_site, valid_from__lte=last, valid_until__gte=first
        )
    )
    by_weekday: dict[int, list[ReservedCapacity]] = defaultdict(list)
    for r in reservations:
        by_weekday[r.weekday].append(r)
    out: dict[Key, list[int]] = defaultdict(lambda: [0, 0])
    day = first
    while day <= last:
        if day not in closed and not is_public_holiday(day):
            for r in by_weekday.get(day.weekday(), ()):
                if r.valid_from <= day <= r.valid_until:
                    out[(day, r.day_part, r.age_band_id)][0] += r.places
        day += dt.timedelta(days=1)
    for v in Vacancy.objects.filter(
        care_site=care_site, date__gte=first, date__lte=last, withdrawn_at__isnull=True
    ):
        if v.date not in closed and not is_public_holiday(v.date):
            out[(v.date, v.day_part, v.age_band_id)][1] += v.places
    return {k: (a, b) for k, (a, b) in out.items()}


@transaction.atomic
def capacity_rebuild(*, care_site: CareSite, first: dt.date, last: dt.date) -> dict[str, int]:
    if last < first:
        return {"created": 0, "updated": 0}
    target = target_places(care_site, first, last)
    # Lock the existing counters of the range: a booking arriving now waits for us, so we
    # never compute `places` against a stale `booked`.
    existing = {
        (s.date, s.day_part, s.age_band_id): s
        for s in CapacitySlot.objects.select_for_update()
        .filter(care_site=care_site, date__gte=first, date__lte=last)
        .order_by("pk")
    }
    problems: list[str] = []
    to_create, to_update = [], []
    for key in set(existing) | set(target):
        reserved, vacancy = target.get(key, (0, 0))
        slot = existing.get(key)
        if slot is None:
            to_create.append(
                CapacitySlot(
                    care_site=care_site,
                    network_id=care_site.network_id,
                    date=key[0],
                    day_part=key[1],
                    age_band_id=key[2],
                    reserved_places=reserved,
                    vacancy_places=vacancy,
                    places=reserved + vacancy,
                )
            )
            continue
        if (slot.reserved_places, slot.vacancy_places) == (reserved, vacancy):
            continue
        if reserved + vacancy < slot.booked:
            problems.append(
                _("%(date)s %(part)s: %(booked)s booked, only %(places)s places left")
                % {
                    "date": key[0].strftime("%d/%m/%Y"),
                    "part": slot.get_day_part_display(),
                    "booked": slot.booked,
                    "places": reserved + vacancy,
                }
            )
            continue
        slot.reserved_places, slot.vacancy_places = reserved, vacancy
        slot.places = reserved + vacancy
        to_update.append(slot)
    if problems:
        raise ValidationError(
            [
                _(
                    "This change would leave booked children without a place. Move or cancel "
                    "these bookings first:"
                ),
                *sorted(problems)[:20],
            ]
        )
    CapacitySlot.objects.bulk_create(to_create, batch_size=1000)
    CapacitySlot.objects.bulk_update(
        to_update, ["reserved_places", "vacancy_places", "places"], batch_size=1000
    )
    return {"created": len(to_create), "updated": len(to_update)}


def rebuild_horizon(
    care_site: CareSite, *, today: dt.date | None = None, days: int = DEFAULT_HORIZON_DAYS, **_: Any
) -> dict[str, int]:
    today = today or dt.date.today()
    return capacity_rebuild(care_site=care_site, first=today, last=today + dt.timedelta(days=days))
