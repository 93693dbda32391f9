"""What other domains read from the covenant in force: the care rules (through care's
policy hook) and the allocation priorities (for the allocation engine)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal, InvalidOperation

from django.db.models import Q

from zorgbrug.care import policy as care_policy
from zorgbrug.covenant.models import Covenant
from zorgbrug.covenant.rules import DEFAULT_PRIORITIES, PRIORITY_CLASSES, priority_class

__all__ = ["CovenantCarePolicy", "allocation_priorities", "covenant_in_force", "priority_class"]


def covenant_in_force(network_id: int, day: dt.date) -> Covenant | None:
    return (
        Covenant.objects.filter(network_id=network_id, valid_from__lte=day)
        .filter(Q(valid_until__isnull=True) | Q(valid_until__gte=day))
        .first()
    )


class CovenantCarePolicy:
    """Care's rules from the covenant version in force on the day; the defaults without one."""

    def free_cancellation_hours(self, *, network_id: int, day: dt.date) -> int:
        covenant = covenant_in_force(network_id, day)
        if covenant is None:
            return care_policy.DEFAULT_POLICY.free_cancellation_hours(
                network_id=network_id, day=day
            )
        return covenant.free_cancellation_hours

    def max_care_days(self, *, network_id: int, kind: str, day: dt.date) -> int | None:
        covenant = covenant_in_force(network_id, day)
        if covenant is None:
            return care_policy.DEFAULT_POLICY.max_care_days(
                network_id=network_id, kind=kind, day=day
            )
        value = (covenant.max_care_days or {}).get(kind)
        return int(value) if value not in (None, "") else None


def allocation_priorities(*, network_id: int, on: dt.date) -> dict[str, float]:
    """Points per request served for each of the allocation engine's priority classes
    (job_start, job_interview, work_trial, course, other), from the covenant in force on
    `on`; the default order without one. Map an activity kind with `priority_class`."""
    covenant = covenant_in_force(network_id, on)
    configured = (covenant.priorities if covenant else None) or {}
    out: dict[str, float] = {}
    for name in PRIORITY_CLASSES:
        try:
            out[name] = float(Decimal(str(configured.get(name, DEFAULT_PRIORITIES[name]))))
        except (InvalidOperation, ValueError):
            out[name] = float(DEFAULT_PRIORITIES[name])
    return out
