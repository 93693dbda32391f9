"""Synthetic contested weeks for tests and benchmarks: same arguments, same instance.

The region is a rural-urban mix the size of a Flemish "regio" (about 40 × 30 km) with towns
of different sizes. Providers sit in towns; parents live in a town's postcode areas and go to
an activity (a training centre, an employer, the employment office) somewhere in the region.
The week is a school holiday week, so out-of-school care is open all day.

Capacity is what a network really has: places *reserved* per site and age band for the whole
week (the same number every open day-part), plus scattered short-notice *vacancies*. Its total
is `contest` times the demand (in child-day-parts) of each band, so demand is well above
capacity at every size. Requests arrive in a random order that has nothing to do with their
priority. See docs/allocation.md for the mix.
"""

from __future__ import annotations

import datetime as dt
import math
import random
from collections import Counter
from typing import TypeVar

from zorgbrug.allocation.core.model import (
    DEFAULT_BANDS,
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

# Monday of the second week of the 2026 Easter holidays (no public holiday in it).
DEFAULT_MONDAY = dt.date(2026, 4, 13)
CENTRE = Location(51.18, 3.56)  # around Eeklo
KM_PER_DEGREE_LAT = 111.2

PRIORITY_MIX = [
    (Priority.JOB_START, 0.15),
    (Priority.JOB_INTERVIEW, 0.20),
    (Priority.WORK_TRIAL, 0.10),
    (Priority.COURSE, 0.40),
    (Priority.OTHER, 0.15),
]
PROVIDER_MIX = [  # kind, share, bands served
    ("daycare", 0.35, ("0-2.5",)),
    ("childminder", 0.30, ("0-2.5",)),
    ("out_of_school", 0.20, ("2.5-12",)),
    ("occasional", 0.15, ("0-2.5", "2.5-12")),
]
CHILDREN_MIX = [(1, 0.55), (2, 0.30), (3, 0.15)]
PARENT_LANGUAGES = [
    ("nl", 0.55),
    ("ar", 0.12),
    ("tr", 0.08),
    ("fr", 0.07),
    ("en", 0.05),
    ("ro", 0.04),
    ("pl", 0.03),
    ("so", 0.03),
    ("ti", 0.03),
]
STAFF_LANGUAGES = [("fr", 0.35), ("en", 0.30), ("ar", 0.10), ("tr", 0.10), ("ro", 0.04)]

T = TypeVar("T")


def _pick(rng: random.Random, mix: list[tuple[T, float]]) -> T:
    return rng.choices([k for k, _ in mix], weights=[w for _, w in mix])[0]


def _offset(origin: Location, east_km: float, north_km: float) -> Location:
    lat = origin.latitude + north_km / KM_PER_DEGREE_LAT
    lon = origin.longitude + east_km / (KM_PER_DEGREE_LAT * math.cos(math.radians(lat)))
    return Location(round(lat, 6), round(lon, 6))


def generate_instance(
    *,
    requests: int,
    providers: int = 300,
    seed: int = 0,
    areas: int = 8,
    contest: float = 0.45,
    partner_share: float = 1.0,
    vacancy_share: float = 0.15,
    providers_per_km2: float = 0.25,
    home_jitter_km: float = 0.0,
    monday: dt.date = DEFAULT_MONDAY,
    weights: Weights | None = None,
) -> Instance:
    """A contested week of `requests` care requests over `providers` sites.

    The providers are spread over `areas` networks of different size (as an installation
    serves several regions), far enough apart that no parent reaches another area's
    providers; `areas=1` gives one large region. `home_jitter_km` = 0 places homes at
    their postcode's centroid, as the product knows them; a positive value scatters them.
    """
    rng = random.Random(seed)
    days = [monday + dt.timedelta(days=i) for i in range(5)]

    # Areas of Zipf-like size; every area gets at least a handful of providers.
    area_weights = [1.0 / (k + 1) ** 0.7 for k in range(areas)]
    area_providers = _largest_remainder(providers, area_weights, minimum=min(5, providers // areas))
    towns: list[tuple[int, Location, float]] = []  # (area, centre, size)
    postcodes: list[tuple[int, Location, float]] = []  # (area, centroid, weight)
    activities: list[tuple[int, Location]] = []
    for k, n_k in enumerate(area_providers):
        # Areas sit 80 km apart: more than twice any covenant's reach.
        origin = _offset(CENTRE, 80.0 * (k % 4), -80.0 * (k // 4))
        side = math.sqrt(max(n_k, 1) / providers_per_km2)
        n_towns = max(2, round(n_k / 12))
        for t in range(n_towns):
            centre = _offset(
                origin, rng.uniform(-side / 2, side / 2), rng.uniform(-side * 0.4, side * 0.4)
            )
            size = 1.0 / (t + 1) ** 0.8
            towns.append((k, centre, size))
            for _ in range(1 + round(3 * size)):
                spot = _offset(centre, rng.gauss(0, 1.2), rng.gauss(0, 1.2))
                postcodes.append((k, spot, size))
        area_towns = [(c, w) for a, c, w in towns if a == k]
        for _ in range(max(3, round(n_k / 6))):
            centre = rng.choices([c for c, _ in area_towns], weights=[w for _, w in area_towns])[0]
            activities.append((k, _offset(centre, rng.gauss(0, 1.5), rng.gauss(0, 1.5))))

    # Providers and their sites (one site each).
    sites: list[Site] = []
    site_bands: list[tuple[str, ...]] = []
    site_size: list[float] = []
    provider_area = [k for k, n_k in enumerate(area_providers) for _ in range(n_k)]
    for i in range(providers):
        area_towns = [(c, w) for a, c, w in towns if a == provider_area[i]]
        town_centre = rng.choices([c for c, _ in area_towns], weights=[w for _, w in area_towns])[0]
        kind, _, bands = PROVIDER_MIX[
            rng.choices(range(len(PROVIDER_MIX)), weights=[m[1] for m in PROVIDER_MIX])[0]
        ]
        if kind == "childminder" and rng.random() < 0.3:
            bands = ("0-2.5", "2.5-12")
        opening = {(d, p) for d in range(5) for p in DayPart}
        if kind == "childminder":  # a childminder keeps one weekday free
            off = rng.randrange(5)
            opening -= {(off, p) for p in DayPart}
        if rng.random() < 0.15:  # some sites work mornings or afternoons only
            part = rng.choice(list(DayPart))
            opening = {(d, p) for d, p in opening if p == part}
        closed = frozenset({rng.choice(days)}) if rng.random() < 0.08 else frozenset()
        languages = {"nl"} | {lang for lang, share in STAFF_LANGUAGES if rng.random() < share}
        sites.append(
            Site(
                id=f"s{i:03d}",
                provider_id=f"p{i:03d}",
                name=f"{kind.replace('_', ' ').title()} {i:03d}",
                location=_offset(town_centre, rng.gauss(0, 2.0), rng.gauss(0, 2.0)),
                languages=frozenset(languages),
                opening=frozenset(opening),
                closed_dates=closed,
            )
        )
        site_bands.append(bands)
        site_size.append(rng.lognormvariate(0, 0.6) * (0.4 if kind == "childminder" else 1.0))
    is_partner = [rng.random() < partner_share for _ in range(providers)]

    # Requests.
    postcodes_of = {
        k: ([c for a, c, _ in postcodes if a == k], [w for a, _, w in postcodes if a == k])
        for k in range(areas)
    }
    activities_of = {k: [c for a, c in activities if a == k] for k in range(areas)}
    reqs: list[CareRequest] = []
    demand: Counter[str] = Counter()
    for i in range(requests):
        priority = _pick(rng, PRIORITY_MIX)
        n_children = _pick(rng, CHILDREN_MIX)
        children = tuple(
            CareRecipient(
                id=f"r{i:05d}c{k}",
                age_months=rng.randrange(3, 30) if rng.random() < 0.55 else rng.randrange(30, 144),
            )
            for k in range(n_children)
        )
        slots = _slots_for(rng, priority, days)
        area = rng.choices(range(areas), weights=area_providers)[0]
        spots, spot_weights = postcodes_of[area]
        home = rng.choices(spots, weights=spot_weights)[0]
        if home_jitter_km:
            home = _offset(home, rng.gauss(0, home_jitter_km), rng.gauss(0, home_jitter_km))
        spoken = frozenset({_pick(rng, PARENT_LANGUAGES)})
        if "nl" not in spoken and rng.random() < 0.3:
            spoken |= {"nl"}
        reqs.append(
            CareRequest(
                id=f"r{i:05d}",
                arrival=0,  # set below
                priority=priority,
                children=children,
                slots=slots,
                home=home,
                activity=(rng.choice(activities_of[area]) if rng.random() < 0.9 else None),
                languages=spoken,
            )
        )
        for child in children:
            band = "0-2.5" if child.age_months < 30 else "2.5-12"
            demand[band] += len(slots)
    order = list(range(requests))
    rng.shuffle(order)  # arrival has nothing to do with priority
    reqs = [
        CareRequest(
            id=r.id,
            arrival=order[i],
            priority=r.priority,
            children=r.children,
            slots=r.slots,
            home=r.home,
            activity=r.activity,
            languages=r.languages,
        )
        for i, r in enumerate(reqs)
    ]

    # Capacity: reserved places for the week plus short-notice vacancies.
    places: list[Places] = []
    for band in [b.code for b in DEFAULT_BANDS]:
        serving = [i for i in range(providers) if band in site_bands[i]]
        open_slots = {
            i: [
                Slot(day, part)
                for day in days
                for part in DayPart
                if sites[i].is_open(Slot(day, part))
            ]
            for i in serving
        }
        target = contest * demand[band]
        # Reserved places: the same number every open day-part of the week, at partners.
        reserving = [i for i in serving if is_partner[i]]
        weight = sum(site_size[i] * len(open_slots[i]) for i in reserving) or 1.0
        free: dict[tuple[int, Slot], int] = {}
        for i in reserving:
            reserved = _round_random(rng, (1 - vacancy_share) * target * site_size[i] / weight)
            for slot in open_slots[i]:
                free[(i, slot)] = reserved
        # Vacancies: single places scattered over every provider's open day-parts.
        cells = [(i, slot) for i in serving for slot in open_slots[i]]
        if cells:
            cell_weights = [site_size[i] for i, _ in cells]
            for cell in rng.choices(cells, weights=cell_weights, k=round(vacancy_share * target)):
                free[cell] = free.get(cell, 0) + 1
        # Every open slot gets an entry, even with no place free, so that "no site for this
        # age" and "no free place" can be told apart.
        for i, slot in cells:
            places.append(Places(sites[i].id, slot, band, free.get((i, slot), 0)))
    return Instance(
        requests=tuple(reqs),
        sites=tuple(sites),
        places=tuple(places),
        weights=weights or Weights(),
    )


def _largest_remainder(total: int, weights: list[float], *, minimum: int) -> list[int]:
    """Split `total` in proportion to `weights`, each part at least `minimum`."""
    rest = total - minimum * len(weights)
    shares = [rest * w / sum(weights) for w in weights]
    parts = [math.floor(x) for x in shares]
    by_remainder = sorted(range(len(weights)), key=lambda i: parts[i] - shares[i])
    for i in by_remainder[: rest - sum(parts)]:
        parts[i] += 1
    return [minimum + x for x in parts]


def _round_random(rng: random.Random, x: float) -> int:
    base = math.floor(x)
    return base + (1 if rng.random() < x - base else 0)


def _slots_for(rng: random.Random, priority: Priority, days: list[dt.date]) -> tuple[Slot, ...]:
    both = (DayPart.MORNING, DayPart.AFTERNOON)
    if priority is Priority.JOB_START:  # the first weeks of a job: most of the week
        n = rng.randint(3, 5)
        start = rng.randrange(0, 6 - n)
        chosen = days[start : start + n]
        parts: tuple[DayPart, ...] = both
    elif priority is Priority.JOB_INTERVIEW:  # one interview, one day-part
        chosen = [rng.choice(days)]
        parts = (rng.choice(both),)
    elif priority is Priority.WORK_TRIAL:
        n = rng.randint(2, 5)
        start = rng.randrange(0, 6 - n)
        chosen = days[start : start + n]
        parts = both if rng.random() < 0.7 else (rng.choice(both),)
    elif priority is Priority.COURSE:  # the same day-part(s) on a few days
        chosen = sorted(rng.sample(days, rng.randint(1, 5)))
        parts = rng.choice([both, (DayPart.MORNING,), (DayPart.MORNING,), (DayPart.AFTERNOON,)])
    else:
        chosen = sorted(rng.sample(days, rng.randint(1, 3)))
        parts = (rng.choice(both),)
    return tuple(Slot(day, part) for day in chosen for part in parts)
