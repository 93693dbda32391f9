"""Tiny random instances, an independent checker and a brute-force optimum.

The checker and the brute force do not use the core's option model: they re-derive from the
instance what a valid allocation is (age bands, opening, reach, capacity) and what it is
worth, so that the properties test the model as well as the solver.
"""

from __future__ import annotations

import datetime as dt
import itertools
import math
from collections import Counter

from hypothesis import strategies as st

from zorgbrug.allocation.core import (
    AllocationResult,
    CareRecipient,
    CareRequest,
    DayPart,
    Instance,
    Location,
    Places,
    Priority,
    Site,
    Slot,
    Weights,
)

MONDAY = dt.date(2026, 4, 13)
DAYS = [MONDAY + dt.timedelta(days=i) for i in range(3)]
SLOTS = [Slot(d, p) for d in DAYS for p in DayPart]
BANDS = ("0-2.5", "2.5-12")
AGES = [4, 18, 29, 30, 40, 100, 4, 18, 40, 7, 60, 150]  # 150 months fits no band
BAND_SETS = [BANDS, BANDS, ("0-2.5",), ("2.5-12",)]
ORIGIN = Location(51.0, 3.7)


def near(east_km: float, north_km: float) -> Location:
    lat = ORIGIN.latitude + north_km / 111.2
    lon = ORIGIN.longitude + east_km / (111.2 * math.cos(math.radians(lat)))
    return Location(lat, lon)


@st.composite
def tiny_instances(draw: st.DrawFn, *, allow_split: bool | None = None) -> Instance:
    n_sites = draw(st.integers(1, 3))
    sites = []
    places = []
    for i in range(n_sites):
        all_parts = {(d, p) for d in range(3) for p in DayPart}
        closed = draw(st.just(set()) | st.sets(st.sampled_from(sorted(all_parts)), max_size=1))
        opening = frozenset(all_parts - closed)
        site = Site(
            id=f"s{i}",
            provider_id=f"p{i}",
            name=f"Site {i}",
            location=near(draw(st.integers(-6, 6)), draw(st.integers(-6, 6))),
            languages=frozenset(draw(st.sets(st.sampled_from(["nl", "fr", "ar"]), min_size=1))),
            opening=opening,
            closed_dates=draw(st.sampled_from([frozenset(), frozenset(), frozenset({DAYS[1]})])),
        )
        sites.append(site)
        for band in draw(st.sampled_from(BAND_SETS)):
            reserved = draw(st.sampled_from([1, 2, 1, 0]))  # the same every day-part, as in reality
            for slot in SLOTS:
                extra = draw(st.sampled_from([0, 0, 0, 1, -1]))
                places.append(Places(site.id, slot, band, max(0, reserved + extra)))
    n_requests = draw(st.integers(2, 6))
    arrivals = draw(st.permutations(list(range(n_requests))))
    requests = []
    for i in range(n_requests):
        n_children = draw(st.integers(1, 2))
        requests.append(
            CareRequest(
                id=f"r{i}",
                arrival=arrivals[i],
                priority=draw(st.sampled_from(list(Priority))),
                children=tuple(
                    CareRecipient(f"r{i}c{k}", draw(st.sampled_from(AGES)))
                    for k in range(n_children)
                ),
                slots=tuple(
                    sorted(
                        draw(st.sets(st.sampled_from(SLOTS), min_size=1, max_size=3)),
                        key=Slot.sort_key,
                    )
                ),
                home=near(draw(st.integers(-12, 12)), draw(st.integers(-6, 6))),
                activity=draw(st.none() | st.just(near(0, 0))),
                languages=frozenset(draw(st.sets(st.sampled_from(["nl", "fr", "tr"])))),
                # Sometimes the referrer lists the sites within reach.
                allowed_sites=draw(
                    st.none() | st.frozensets(st.sampled_from([s.id for s in sites]), min_size=1)
                ),
            )
        )
    split = draw(st.booleans()) if allow_split is None else allow_split
    return Instance(
        requests=tuple(requests),
        sites=tuple(sites),
        places=tuple(places),
        weights=Weights(allow_split=split),
    )


def band_of(age_months: int) -> str | None:
    if age_months < 30:
        return "0-2.5"
    if age_months < 144:
        return "2.5-12"
    return None


def km(a: Location, b: Location) -> float:
    p1, p2 = math.radians(a.latitude), math.radians(b.latitude)
    dp, dl = p2 - p1, math.radians(b.longitude - a.longitude)
    h = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * 6371.0088 * math.asin(math.sqrt(min(1.0, h)))


def distance(instance: Instance, request: CareRequest, site: Site) -> float:
    d = km(request.home, site.location)
    if request.activity is not None:
        d = min(d, km(request.activity, site.location))
    return d


def free_places(instance: Instance) -> dict[tuple[str, Slot, str], int]:
    sites = {s.id: s for s in instance.sites}
    return {
        (p.site_id, p.slot, p.band): p.free if sites[p.site_id].is_open(p.slot) else 0
        for p in instance.places
    }


def check_valid(instance: Instance, result: AllocationResult) -> None:
    """Raise AssertionError if the allocation breaks any rule of the model."""
    requests = {r.id: r for r in instance.requests}
    sites = {s.id: s for s in instance.sites}
    free = free_places(instance)
    used: Counter[tuple[str, Slot, str]] = Counter()
    served = set()
    for a in result.assignments:
        request = requests[a.request_id]
        served.add(a.request_id)
        needed = {(c.id, s) for c in request.children for s in request.slots}
        got = [(p.child_id, p.slot) for p in a.placements]
        assert sorted(got, key=str) == sorted(needed, key=str), "every child, every slot, once"
        assert 1 <= len({p.site_id for p in a.placements}) <= 2, "at most two sites"
        ages = {c.id: c.age_months for c in request.children}
        for p in a.placements:
            site = sites[p.site_id]
            assert p.band == band_of(ages[p.child_id]), "the child's own age band"
            assert site.is_open(p.slot), "the site is open then"
            assert distance(instance, request, site) <= instance.weights.max_distance_km + 1e-6
            if request.allowed_sites is not None:
                assert p.site_id in request.allowed_sites
            used[(p.site_id, p.slot, p.band)] += 1
    for key, n in used.items():
        assert n <= free.get(key, 0), f"capacity exceeded at {key}"
    unserved = {u.request_id for u in result.unserved}
    assert served.isdisjoint(unserved)
    assert served | unserved == set(requests), "every request is served or explained"


def single_site_value(instance: Instance, request: CareRequest, site: Site) -> float:
    """The model's value of serving a request whole at one site (rounded like the core)."""
    w = instance.weights
    weight = w.priorities[request.priority]
    per_visit = -round(w.km_penalty * 100 * distance(instance, request, site)) + (
        round(w.language_bonus * 100) if request.languages & site.languages else 0
    )
    total = round(weight.request * 100) + len(request.slots) * (
        round(weight.per_day_part * 100) + per_visit
    )
    return total / 100


def brute_force_single_site(instance: Instance) -> float:
    """The best objective when every request is served whole at one site, or not at all."""
    free = free_places(instance)
    choices = []
    for request in instance.requests:
        options: list[tuple[str | None, float]] = [(None, 0.0)]
        bands = [band_of(c.age_months) for c in request.children]
        if None not in bands:
            for site in instance.sites:
                if distance(instance, request, site) > instance.weights.max_distance_km:
                    continue
                if request.allowed_sites is not None and site.id not in request.allowed_sites:
                    continue
                value = single_site_value(instance, request, site)
                if value > 0:
                    options.append((site.id, value))
        choices.append(options)
    best = 0.0
    for combo in itertools.product(*choices):
        used: Counter[tuple[str, Slot, str]] = Counter()
        for request, (site_id, _) in zip(instance.requests, combo, strict=True):
            if site_id is None:
                continue
            for child in request.children:
                for slot in request.slots:
                    used[(site_id, slot, str(band_of(child.age_months)))] += 1
        if all(n <= free.get(k, 0) for k, n in used.items()):
            best = max(best, sum(v for _, v in combo))
    return round(best, 2)
