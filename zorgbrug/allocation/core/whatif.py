"""Capacity planning: what would more (or moved) places have served?

    what_if(instance, [more_places("s012", 2)])
    what_if(instance, move_places("s012", "s040", 1, band="0-2.5"))

Each change adds (or, with a negative number, removes) places at one site, for one band or
every band the site takes, on every open day-part of the period or only on given slots. The
same allocation is run on the instance as it is and as changed, with the same settings and
seed, and the difference is reported: more requests served, more covenant value, which
requests would gain or lose their place.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace

from zorgbrug.allocation.core.model import AllocationResult, Instance, Places, Slot
from zorgbrug.allocation.core.solver import Settings, allocate


@dataclass(frozen=True)
class CapacityChange:
    site_id: str
    places: int  # added per day-part (negative: removed, never below zero)
    band: str | None = None  # None: every band the site already takes
    slots: frozenset[Slot] | None = None  # None: every day-part of the period it is open


@dataclass(frozen=True)
class WhatIf:
    base: AllocationResult
    changed: AllocationResult
    extra_requests: int
    extra_priority_value: float  # covenant points of what is served, excluding travel terms
    extra_objective: float
    newly_served: tuple[str, ...]
    no_longer_served: tuple[str, ...]  # a better use of the places can displace a few


def more_places(site_id: str, places: int, *, band: str | None = None) -> CapacityChange:
    return CapacityChange(site_id=site_id, places=places, band=band)


def move_places(
    from_site: str, to_site: str, places: int, *, band: str | None = None
) -> list[CapacityChange]:
    return [
        CapacityChange(site_id=from_site, places=-places, band=band),
        CapacityChange(site_id=to_site, places=places, band=band),
    ]


def with_changes(instance: Instance, changes: Sequence[CapacityChange]) -> Instance:
    """The instance with its capacity changed; closed day-parts stay closed."""
    sites = {s.id: s for s in instance.sites}
    bands = {b.code for b in instance.bands}
    period = sorted({s for r in instance.requests for s in r.slots}, key=Slot.sort_key)
    free = {(p.site_id, p.slot, p.band): p.free for p in instance.places}
    served_bands: dict[str, set[str]] = {}
    for site_id, _, band in free:
        served_bands.setdefault(site_id, set()).add(band)
    for change in changes:
        site = sites.get(change.site_id)
        if site is None:
            raise ValueError(f"unknown site {change.site_id}")
        if change.band is not None and change.band not in bands:
            raise ValueError(f"unknown age band {change.band}")
        targets = (
            [change.band] if change.band is not None else sorted(served_bands.get(site.id, ()))
        )
        slots = sorted(change.slots, key=Slot.sort_key) if change.slots is not None else period
        for band in targets:
            for slot in slots:
                if not site.is_open(slot):
                    continue
                key = (site.id, slot, band)
                free[key] = max(0, free.get(key, 0) + change.places)
    places = tuple(
        Places(site_id=k[0], slot=k[1], band=k[2], free=v)
        for k, v in sorted(free.items(), key=lambda kv: (kv[0][0], kv[0][1].sort_key(), kv[0][2]))
    )
    return replace(instance, places=places)


def what_if(
    instance: Instance,
    changes: Sequence[CapacityChange],
    settings: Settings | None = None,
    *,
    base: AllocationResult | None = None,
) -> WhatIf:
    """Re-run the allocation with the capacity changed; `base` saves re-running the original."""
    settings = settings or Settings()
    base = base or allocate(instance, settings)
    changed = allocate(with_changes(instance, changes), settings)
    before, after = base.served_ids, changed.served_ids
    return WhatIf(
        base=base,
        changed=changed,
        extra_requests=len(after) - len(before),
        extra_priority_value=round(changed.priority_value - base.priority_value, 2),
        extra_objective=round(changed.objective - base.objective, 2),
        newly_served=tuple(sorted(after - before)),
        no_longer_served=tuple(sorted(before - after)),
    )
