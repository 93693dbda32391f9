"""The data the allocation core takes and gives: plain frozen dataclasses, no Django.

Conventions that the rest of the core relies on:

- A *slot* is one day-part of one date. Care is booked per slot, per child.
- Ages are in whole months; an age band is the half-open range [min_months, max_months), and
  bands must not overlap, so that every child has at most one band.
- Free places are given per (site, date, day-part, band). A site that is closed at a slot (by
  its weekly opening or a closure date) has no places then, whatever the capacity says.
- Weights are covenant *points* (floats). The solver works on integers (hundredths of a
  point), so weights finer than 0.01 are rounded.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any


class DayPart(StrEnum):
    MORNING = "morning"
    AFTERNOON = "afternoon"


DAY_PART_ORDER = {DayPart.MORNING: 0, DayPart.AFTERNOON: 1}


class Priority(StrEnum):
    """What the care is for; the covenant's default order is the order of this enum."""

    JOB_START = "job_start"  # the first weeks of a new job
    JOB_INTERVIEW = "job_interview"
    WORK_TRIAL = "work_trial"
    COURSE = "course"
    OTHER = "other"


@dataclass(frozen=True)
class Slot:
    date: dt.date
    part: DayPart

    # Not order=True: DayPart values sort alphabetically, afternoon before morning.
    def sort_key(self) -> tuple[dt.date, int]:
        return (self.date, DAY_PART_ORDER[self.part])


@dataclass(frozen=True)
class Location:
    latitude: float
    longitude: float


@dataclass(frozen=True)
class AgeBand:
    """Children aged min_months <= age < max_months."""

    code: str
    min_months: int
    max_months: int

    def contains(self, age_months: int) -> bool:
        return self.min_months <= age_months < self.max_months

    @property
    def label(self) -> str:
        """'0–2.5' style label in years, for explanations."""
        return f"{_years(self.min_months)}–{_years(self.max_months)}"


def _years(months: int) -> str:
    years = months / 12
    return f"{years:g}" if years == int(years) else f"{years:.1f}".rstrip("0")


# Flemish childcare: babies and toddlers until 2.5 years (kinderopvang baby's en peuters),
# then out-of-school care until 12 (buitenschoolse opvang).
DEFAULT_BANDS: tuple[AgeBand, ...] = (
    AgeBand("0-2.5", 0, 30),
    AgeBand("2.5-12", 30, 144),
)


@dataclass(frozen=True)
class CareRecipient:
    id: str
    age_months: int


@dataclass(frozen=True)
class CareRequest:
    """One parent's request: all its slots for all its children, served whole or not at all.

    `arrival` orders requests for first come, first served (an aware datetime or a sequence
    number; all requests of one instance use the same kind). `allowed_sites`, when given,
    limits the sites to those (e.g. the providers the referrer found within reach); the
    covenant's maximum travel distance applies either way. `activity` is where the parent
    goes; the distance to a site is the shorter of home→site and activity→site, because a
    parent drops the child off on the way from either end.
    """

    id: str
    arrival: dt.datetime | int
    priority: Priority
    children: tuple[CareRecipient, ...]
    slots: tuple[Slot, ...]
    home: Location
    activity: Location | None = None
    languages: frozenset[str] = frozenset()
    allowed_sites: frozenset[str] | None = None


@dataclass(frozen=True)
class Site:
    """A provider's site. `opening` holds (weekday, day-part) pairs, Monday = 0."""

    id: str
    provider_id: str
    name: str
    location: Location
    languages: frozenset[str] = frozenset()
    opening: frozenset[tuple[int, DayPart]] = frozenset(
        (weekday, part) for weekday in range(5) for part in DayPart
    )
    closed_dates: frozenset[dt.date] = frozenset()

    def is_open(self, slot: Slot) -> bool:
        return (
            slot.date not in self.closed_dates and (slot.date.weekday(), slot.part) in self.opening
        )


@dataclass(frozen=True)
class Places:
    """Free places at a site for one slot and one age band."""

    site_id: str
    slot: Slot
    band: str
    free: int


@dataclass(frozen=True)
class PriorityWeight:
    """Points for serving a request of a class: once per request, plus per day-part (slot)."""

    request: float
    per_day_part: float


DEFAULT_PRIORITY_WEIGHTS: Mapping[Priority, PriorityWeight] = {
    Priority.JOB_START: PriorityWeight(100.0, 10.0),
    Priority.JOB_INTERVIEW: PriorityWeight(70.0, 7.0),
    Priority.WORK_TRIAL: PriorityWeight(50.0, 5.0),
    Priority.COURSE: PriorityWeight(35.0, 3.5),
    Priority.OTHER: PriorityWeight(20.0, 2.0),
}


@dataclass(frozen=True)
class Weights:
    """The covenant's allocation weights.

    - `priorities`: points per request served and per day-part, by priority class.
    - `km_penalty`: points lost per km between the parent (home or activity) and a site, per
      day-part of care at that site (the trip is made each time).
    - `max_distance_km`: sites further away are out of reach.
    - `language_bonus`: points per day-part at a site whose staff speak a language of the
      parent.
    - `split_penalty`: points lost once when a request is split over two sites.
    - `switch_penalty`: points lost per child per change of site between its consecutive days
      (settling in at another place is hard on a young child).
    - `allow_split`: whether a request may be split over two sites at all. Splits are
      considered only for requests that no single site within reach can take whole on the
      published capacity: a split burdens the parent and is the last resort.
    - `split_by_child`: whether a split may put siblings at two sites on the same day-part
      (otherwise only splits by day, with all children together each day). The booking
      service books one site per day-part for all children of a request, so the product
      switches this off.
    """

    priorities: Mapping[Priority, PriorityWeight] = field(
        default_factory=lambda: dict(DEFAULT_PRIORITY_WEIGHTS)
    )
    km_penalty: float = 0.1
    max_distance_km: float = 15.0
    language_bonus: float = 1.0
    split_penalty: float = 5.0
    switch_penalty: float = 2.0
    allow_split: bool = True
    split_by_child: bool = True

    @classmethod
    def from_points(
        cls, points: Mapping[str, float], *, per_day_part_share: float = 0.1, **kwargs: Any
    ) -> Weights:
        """Weights from the covenant's points per class (`allocation_priorities()`).

        The covenant sets the points of a served request; a day-part of care is worth
        `per_day_part_share` of that, as in the defaults. Classes it does not name keep
        their default points; other keyword arguments set the remaining weights.
        """
        priorities = dict(DEFAULT_PRIORITY_WEIGHTS)
        for name, value in points.items():
            priorities[Priority(name)] = PriorityWeight(value, value * per_day_part_share)
        return cls(priorities=priorities, **kwargs)

    def rank(self, priority: Priority) -> int:
        """0 for the most valuable class; ties share a rank."""
        values = sorted({w.request for w in self.priorities.values()}, reverse=True)
        return values.index(self.priorities[priority].request)


@dataclass(frozen=True)
class Instance:
    """Everything one allocation run needs."""

    requests: tuple[CareRequest, ...]
    sites: tuple[Site, ...]
    places: tuple[Places, ...]
    bands: tuple[AgeBand, ...] = DEFAULT_BANDS
    weights: Weights = field(default_factory=Weights)


# --------------------------------------------------------------------------------------------
# Output


@dataclass(frozen=True)
class Placement:
    """One child at one site for one slot, in a place of the given band."""

    child_id: str
    slot: Slot
    site_id: str
    band: str


@dataclass(frozen=True)
class Assignment:
    """A served request: a placement for every (child, slot) of the request."""

    request_id: str
    site_ids: tuple[str, ...]  # one site, or two when split
    placements: tuple[Placement, ...]
    value: float  # the request's contribution to the objective, in points
    priority_value: float  # request + day-part points only (no distance/language terms)
    distance_km: float  # to the furthest site used


class ReasonCode(StrEnum):
    """Why a request is not served; `Reason.params` carries the details.

    Static reasons (the published capacity alone rules the request out):
      NO_AGE_BAND, NO_SITE_IN_REACH, NO_SITE_FOR_AGE, CLOSED, NO_FREE_PLACE, NO_COMBINATION,
      NOT_WORTH_TRAVEL.
    Competition (places existed but went to others): HIGHER_PRIORITY, MORE_VALUE,
      ARRIVED_LATER (first come, first served only).
    """

    NO_AGE_BAND = "no_age_band"
    NO_SITE_IN_REACH = "no_site_in_reach"
    NO_SITE_FOR_AGE = "no_site_for_age"
    CLOSED = "closed"
    NO_FREE_PLACE = "no_free_place"
    NO_COMBINATION = "no_combination"
    NOT_WORTH_TRAVEL = "not_worth_travel"
    HIGHER_PRIORITY = "higher_priority"
    MORE_VALUE = "more_value"
    ARRIVED_LATER = "arrived_later"


ReasonParam = str | int | float


@dataclass(frozen=True)
class Reason:
    """A structured reason: a code plus named parameters, for gettext in the product.

    Parameters by code (all optional ones may be absent):
      no_age_band: child_id, age_months
      no_site_in_reach: max_km
      no_site_for_age: band (label), max_km
      closed: band, date (ISO), weekday (0=Monday), part, max_km
      no_free_place: band, date, weekday, part, needed, free, max_km
      no_combination: days, max_km
      not_worth_travel: distance_km
      higher_priority / more_value / arrived_later: site_id, site_name, band, date, weekday,
        part, competitor_id, competitor_priority, competitors (count)
    """

    code: ReasonCode
    params: tuple[tuple[str, ReasonParam], ...] = ()

    @property
    def as_dict(self) -> dict[str, ReasonParam]:
        return dict(self.params)


@dataclass(frozen=True)
class Unserved:
    request_id: str
    reason: Reason


class SolveStatus(StrEnum):
    OPTIMAL = "optimal"  # proven optimal (within the relative gap limit)
    FEASIBLE = "feasible"  # a solution, with a bound that is not (yet) met
    GREEDY = "greedy"  # the first-come-first-served baseline; no optimisation


@dataclass(frozen=True)
class AllocationResult:
    method: str  # "optimal" or "fcfs"
    status: SolveStatus
    assignments: tuple[Assignment, ...]
    unserved: tuple[Unserved, ...]
    objective: float  # points: values minus penalties plus bonuses of what is served
    bound: float  # a proven upper bound on the objective over the options considered
    gap: float  # (bound - objective) / bound, 0 when proven optimal
    priority_value: float  # request + day-part points of what is served
    seconds: float
    reproducible: bool  # False when the wall-clock limit (not the work limit) stopped a search
    stats: Mapping[str, float | int] = field(default_factory=dict)

    @property
    def served_ids(self) -> frozenset[str]:
        return frozenset(a.request_id for a in self.assignments)

    def served_share(self, total: int) -> float:
        return len(self.assignments) / total if total else 1.0
