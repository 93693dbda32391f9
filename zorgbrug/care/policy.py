"""The rules the care domain applies but does not own: how late a booking may be cancelled
for free, and how long care for an activity may last.

They belong to the network's covenant, a higher domain that care must not import. So care
asks the policy registered here; the covenant app registers its own in its AppConfig.ready,
and without it (or where no covenant is in force) the defaults below apply.
"""

from __future__ import annotations

import datetime as dt
from typing import Protocol

from zorgbrug.care.models import ActivityKind

# Until a covenant says otherwise: free cancellation until 24 hours before the day-part,
# and care after a job start for at most three months.
DEFAULT_FREE_CANCELLATION_HOURS = 24
DEFAULT_MAX_CARE_DAYS: dict[str, int] = {ActivityKind.JOB_START: 92}


class CarePolicy(Protocol):
    def free_cancellation_hours(self, *, network_id: int, day: dt.date) -> int:
        """Hours before the day-part's start until which a cancellation costs nothing."""
        ...

    def max_care_days(self, *, network_id: int, kind: str, day: dt.date) -> int | None:
        """The longest care period (last date − first date, in days) for an activity of
        this kind starting on `day`, or None without a limit."""
        ...


class DefaultPolicy:
    def free_cancellation_hours(self, *, network_id: int, day: dt.date) -> int:
        return DEFAULT_FREE_CANCELLATION_HOURS

    def max_care_days(self, *, network_id: int, kind: str, day: dt.date) -> int | None:
        return DEFAULT_MAX_CARE_DAYS.get(kind)


DEFAULT_POLICY: CarePolicy = DefaultPolicy()
_current: CarePolicy = DEFAULT_POLICY


def register(policy: CarePolicy | None) -> None:
    """Install the policy care asks from now on (None puts the defaults back)."""
    global _current
    _current = policy or DEFAULT_POLICY


def current() -> CarePolicy:
    return _current
