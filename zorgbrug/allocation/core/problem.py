"""From an Instance to the solver's view: indexed slots, cells, capacities and options.

A *cell* is (site, slot, band): the unit capacity is counted in. An *option* is one complete
way to serve a request — every child at a site of its band for every slot — with the places it
takes per cell and its value. The solvers only ever choose at most one option per request, so
"whole requests, all siblings together" holds by construction.

Which options exist (the model):
- a single site that can take the whole request on the given capacity (the best
  `max_sites` of them by value: nearer, language match);
- only when no single site can: a split over two sites, by day (some days at A, the others
  at B, all children together) or by child (some siblings at A, the others at B, every day).
  The best `max_splits` of them are kept.
Optimality and bounds are over this option set (docs/allocation.md says why it is a fair
model and how much the cut-off costs).
"""

from __future__ import annotations

import datetime as dt
import itertools
import math
from collections import defaultdict
from dataclasses import dataclass, field

import numpy as np
import numpy.typing as npt

from zorgbrug.allocation.core.model import (
    AgeBand,
    CareRequest,
    Instance,
    Location,
    Priority,
    Slot,
)

SCALE = 100  # the solver counts in hundredths of a point
EARTH_RADIUS_KM = 6371.0088

IntArray = npt.NDArray[np.int64]
FloatArray = npt.NDArray[np.float64]
BoolArray = npt.NDArray[np.bool_]


def points(value: int) -> float:
    return value / SCALE


def scaled(points_: float) -> int:
    return round(points_ * SCALE)


@dataclass(frozen=True, slots=True)
class Option:
    request: int
    kind: str  # "single", "days" (split by day) or "children" (split by child)
    sites: tuple[int, ...]
    cells: tuple[int, ...]  # sorted cell ids
    amounts: tuple[int, ...]  # places taken in each cell
    value: int  # scaled contribution to the objective
    layout: tuple[int, ...]  # site per (child i, slot j), at i * n_slots + j


@dataclass(slots=True)
class RequestData:
    index: int
    request: CareRequest
    rank: int  # 0 = most valuable priority class
    arrival_key: tuple[float, str]
    priority_value: int  # scaled request + day-part points
    slots: tuple[int, ...]  # slot indices, chronological
    child_bands: tuple[int | None, ...]
    need: tuple[tuple[int, int, int], ...]  # (slot, band, children)
    need_slot: IntArray  # the same, as arrays, for vectorised checks
    need_band: IntArray
    need_count: IntArray
    candidates: IntArray  # sites within reach, best visit value first
    distance: FloatArray  # km, aligned with candidates
    visit: IntArray  # scaled value of one day-part at the candidate (distance, language)
    # Some single site can take the request whole on the published capacity. Only requests
    # without one may be split (a split burdens the parent: it is the last resort).
    whole_somewhere: bool = True


@dataclass
class Problem:
    instance: Instance
    slots: list[Slot]
    slot_index: dict[Slot, int]
    bands: tuple[AgeBand, ...]
    band_index: dict[str, int]
    site_index: dict[str, int]
    cap: IntArray  # (sites, slots, bands), zero where closed
    serves: BoolArray  # (sites, bands): the site takes children of that band at all
    is_open: BoolArray  # (sites, slots)
    requests: list[RequestData]
    max_sites: int
    max_splits: int
    options: list[Option] = field(default_factory=list)
    options_of: list[list[int]] = field(default_factory=list)
    _known: dict[tuple[int, tuple[int, ...]], int] = field(default_factory=dict)

    @property
    def n_slots(self) -> int:
        return len(self.slots)

    @property
    def n_bands(self) -> int:
        return len(self.bands)

    def cell(self, site: int, slot: int, band: int) -> int:
        return (site * self.n_slots + slot) * self.n_bands + band

    def cell_parts(self, cell: int) -> tuple[int, int, int]:
        site, rest = divmod(cell, self.n_slots * self.n_bands)
        slot, band = divmod(rest, self.n_bands)
        return site, slot, band

    def capacity_of(self, cell: int) -> int:
        site, slot, band = self.cell_parts(cell)
        return int(self.cap[site, slot, band])

    def add_option(self, option: Option) -> int:
        """The option's index, adding it if it is new (the greedy may find new ones)."""
        key = (option.request, option.layout)
        known = self._known.get(key)
        if known is not None:
            return known
        index = len(self.options)
        self.options.append(option)
        self.options_of[option.request].append(index)
        self._known[key] = index
        return index


class InvalidInstance(ValueError):
    pass


def validate(instance: Instance) -> None:
    """Reject input the core cannot interpret unambiguously (with a message for a developer)."""
    bands = sorted(instance.bands, key=lambda b: b.min_months)
    for band in bands:
        if band.min_months >= band.max_months:
            raise InvalidInstance(f"age band {band.code} is empty")
    for a, b in itertools.pairwise(bands):
        if a.max_months > b.min_months:
            raise InvalidInstance(f"age bands {a.code} and {b.code} overlap")
    if len({b.code for b in bands}) != len(bands):
        raise InvalidInstance("age band codes must be unique")
    missing = set(Priority) - set(instance.weights.priorities)
    if missing:
        raise InvalidInstance(f"no weights for {sorted(missing)}")
    site_ids = [s.id for s in instance.sites]
    if len(set(site_ids)) != len(site_ids):
        raise InvalidInstance("site ids must be unique")
    request_ids = [r.id for r in instance.requests]
    if len(set(request_ids)) != len(request_ids):
        raise InvalidInstance("request ids must be unique")
    kinds = {isinstance(r.arrival, dt.datetime) for r in instance.requests}
    if len(kinds) > 1:
        raise InvalidInstance("arrival must be all datetimes or all sequence numbers")
    for r in instance.requests:
        if not r.children or not r.slots:
            raise InvalidInstance(f"request {r.id} needs at least one child and one slot")
        if len(set(r.slots)) != len(r.slots):
            raise InvalidInstance(f"request {r.id} lists a slot twice")
        if len({c.id for c in r.children}) != len(r.children):
            raise InvalidInstance(f"request {r.id} lists a child twice")
    known_sites, known_bands = set(site_ids), {b.code for b in bands}
    seen: set[tuple[str, Slot, str]] = set()
    for p in instance.places:
        if p.site_id not in known_sites or p.band not in known_bands:
            raise InvalidInstance(f"places for unknown site or band: {p}")
        if p.free < 0:
            raise InvalidInstance(f"negative free places: {p}")
        key = (p.site_id, p.slot, p.band)
        if key in seen:
            raise InvalidInstance(f"places given twice for {key}")
        seen.add(key)


def arrival_key(request: CareRequest) -> tuple[float, str]:
    arrival = request.arrival
    if isinstance(arrival, dt.datetime):
        return (arrival.timestamp(), request.id)
    return (float(arrival), request.id)


def haversine_km(lat: float, lon: float, lats: FloatArray, lons: FloatArray) -> FloatArray:
    phi1, phi2 = math.radians(lat), np.radians(lats)
    dphi = phi2 - phi1
    dlmb = np.radians(lons) - math.radians(lon)
    a = np.sin(dphi / 2) ** 2 + math.cos(phi1) * np.cos(phi2) * np.sin(dlmb / 2) ** 2
    result: FloatArray = 2 * EARTH_RADIUS_KM * np.arcsin(np.sqrt(np.minimum(a, 1.0)))
    return result


def compile_instance(instance: Instance, *, max_sites: int = 12, max_splits: int = 8) -> Problem:
    validate(instance)
    weights = instance.weights
    bands = tuple(sorted(instance.bands, key=lambda b: b.min_months))
    band_index = {b.code: i for i, b in enumerate(bands)}
    slots = sorted({s for r in instance.requests for s in r.slots}, key=Slot.sort_key)
    slot_index = {s: i for i, s in enumerate(slots)}
    site_index = {s.id: i for i, s in enumerate(instance.sites)}
    n_sites, n_slots, n_bands = len(instance.sites), len(slots), len(bands)

    is_open = np.zeros((n_sites, n_slots), dtype=np.bool_)
    for i, site in enumerate(instance.sites):
        for t, slot in enumerate(slots):
            is_open[i, t] = site.is_open(slot)
    cap = np.zeros((n_sites, n_slots, n_bands), dtype=np.int64)
    serves = np.zeros((n_sites, n_bands), dtype=np.bool_)
    for p in instance.places:
        s, b = site_index[p.site_id], band_index[p.band]
        serves[s, b] = True
        at = slot_index.get(p.slot)
        if at is not None and is_open[s, at]:
            cap[s, at, b] = p.free

    lats = np.array([s.location.latitude for s in instance.sites], dtype=np.float64)
    lons = np.array([s.location.longitude for s in instance.sites], dtype=np.float64)
    language_column = {
        lang: i for i, lang in enumerate(sorted({x for s in instance.sites for x in s.languages}))
    }
    speaks = np.zeros((n_sites, max(1, len(language_column))), dtype=np.bool_)
    for i, site in enumerate(instance.sites):
        for lang in site.languages:
            speaks[i, language_column[lang]] = True
    km = scaled(weights.km_penalty)
    bonus = scaled(weights.language_bonus)
    known: dict[tuple[float, float], FloatArray] = {}

    def distances(where: Location) -> FloatArray:
        # Homes are mostly postcode centroids and activities a few addresses: compute each
        # distinct place once.
        key = (where.latitude, where.longitude)
        found = known.get(key)
        if found is None:
            found = known[key] = haversine_km(where.latitude, where.longitude, lats, lons)
        return found

    requests: list[RequestData] = []
    for index, r in enumerate(instance.requests):
        prio = weights.priorities[r.priority]
        slot_ids = tuple(sorted(slot_index[s] for s in r.slots))
        child_bands = tuple(_band_of(bands, c.age_months) for c in r.children)
        counts: dict[tuple[int, int], int] = defaultdict(int)
        for child_band in child_bands:
            if child_band is not None:
                for t in slot_ids:
                    counts[(t, child_band)] += 1
        dist = distances(r.home)
        if r.activity is not None:
            dist = np.minimum(dist, distances(r.activity))
        reach = dist <= weights.max_distance_km + 1e-9
        if r.allowed_sites is not None:
            allowed = np.zeros(n_sites, dtype=np.bool_)
            for sid in r.allowed_sites:
                if sid in site_index:
                    allowed[site_index[sid]] = True
            reach &= allowed
        cands = np.flatnonzero(reach)
        match = np.zeros(n_sites, dtype=np.bool_)
        for lang in r.languages:
            column = language_column.get(lang)
            if column is not None:
                match |= speaks[:, column]
        # Rounded per day-part, like the option values built from it.
        visit = -np.rint(km * dist[cands]).astype(np.int64) + bonus * match[cands]
        order = np.lexsort((cands, -visit))  # best visit first; site index breaks ties
        need = tuple((t, b, n) for (t, b), n in sorted(counts.items()))
        requests.append(
            RequestData(
                index=index,
                request=r,
                rank=weights.rank(r.priority),
                arrival_key=arrival_key(r),
                priority_value=scaled(prio.request) + len(slot_ids) * scaled(prio.per_day_part),
                slots=slot_ids,
                child_bands=child_bands,
                need=need,
                need_slot=np.array([x[0] for x in need], dtype=np.int64),
                need_band=np.array([x[1] for x in need], dtype=np.int64),
                need_count=np.array([x[2] for x in need], dtype=np.int64),
                candidates=cands[order],
                distance=dist[cands][order],
                visit=visit[order],
            )
        )

    problem = Problem(
        instance=instance,
        slots=slots,
        slot_index=slot_index,
        bands=bands,
        band_index=band_index,
        site_index=site_index,
        cap=cap,
        serves=serves,
        is_open=is_open,
        requests=requests,
        max_sites=max_sites,
        max_splits=max_splits,
        options_of=[[] for _ in instance.requests],
    )
    # Which sites can take a request whole depends only on its pattern of needs (slots,
    # bands, children): check each pattern once against every site.
    by_pattern: dict[tuple[tuple[int, int, int], ...], BoolArray] = {}
    for rd in requests:
        everywhere = by_pattern.get(rd.need)
        if everywhere is None:
            everywhere = by_pattern[rd.need] = _fits_everywhere(cap, rd)
        fits = everywhere[rd.candidates]
        rd.whole_somewhere = bool(fits.any())
        for option in enumerate_options(problem, rd, cap, max_sites, max_splits, fits=fits):
            problem.add_option(option)
    return problem


def _fits_everywhere(cap: IntArray, rd: RequestData) -> BoolArray:
    if not rd.need:
        return np.zeros(cap.shape[0], dtype=np.bool_)
    fits = cap[:, rd.need_slot, rd.need_band] >= rd.need_count[None, :]
    result: BoolArray = np.asarray(fits.all(axis=1), dtype=np.bool_)
    return result


def _band_of(bands: tuple[AgeBand, ...], age_months: int) -> int | None:
    for i, band in enumerate(bands):
        if band.contains(age_months):
            return i
    return None


def covers(cap: IntArray, sites: IntArray, need: tuple[tuple[int, int, int], ...]) -> BoolArray:
    """For each site: can it take all of `need` on capacity `cap`?"""
    if not need:
        return np.zeros(len(sites), dtype=np.bool_)
    ts = np.fromiter((n[0] for n in need), dtype=np.int64, count=len(need))
    bs = np.fromiter((n[1] for n in need), dtype=np.int64, count=len(need))
    ns = np.fromiter((n[2] for n in need), dtype=np.int64, count=len(need))
    fits = cap[sites[:, None], ts[None, :], bs[None, :]] >= ns[None, :]
    result: BoolArray = np.asarray(fits.all(axis=1), dtype=np.bool_)
    return result


def enumerate_options(
    problem: Problem,
    rd: RequestData,
    cap: IntArray,
    max_sites: int,
    max_splits: int,
    *,
    fits: BoolArray | None = None,
) -> list[Option]:
    """The request's best options on capacity `cap`, best first; [] if it cannot be served.

    Splits are tried only for requests that no single site can take whole on the published
    capacity (see the module docstring), whatever `cap` is now.
    """
    if any(b is None for b in rd.child_bands) or len(rd.candidates) == 0:
        return []
    weights = problem.instance.weights
    base = rd.priority_value
    n_slots = len(rd.slots)
    n_children = len(rd.child_bands)
    if fits is None:
        enough = cap[rd.candidates[:, None], rd.need_slot, rd.need_band] >= rd.need_count
        fits = np.asarray(enough.all(axis=1), dtype=np.bool_)
    singles = np.flatnonzero(fits)
    options: list[Option] = []
    stride = problem.n_slots * problem.n_bands
    offsets = [t * problem.n_bands + b for t, b, _ in rd.need]  # sorted, as need is
    amounts = tuple(n for _, _, n in rd.need)
    for k in singles[:max_sites]:
        value = base + n_slots * int(rd.visit[k])
        if value > 0:
            site = int(rd.candidates[k])
            options.append(
                Option(
                    request=rd.index,
                    kind="single",
                    sites=(site,),
                    cells=tuple(site * stride + off for off in offsets),
                    amounts=amounts,
                    value=value,
                    layout=(site,) * (n_children * n_slots),
                )
            )
    if rd.whole_somewhere or not weights.allow_split or max_splits <= 0:
        return options
    return _split_options(problem, rd, cap, max_splits)


SPLIT_SITES = 8  # candidate sites per side of a split: pairs grow with the square


def _split_options(
    problem: Problem, rd: RequestData, cap: IntArray, max_splits: int
) -> list[Option]:
    weights = problem.instance.weights
    n_slots = len(rd.slots)
    n_children = len(rd.child_bands)
    found: list[tuple[int, tuple[int, ...], str]] = []  # (-value, layout, kind)
    visit_of = dict(zip(rd.candidates.tolist(), rd.visit.tolist(), strict=True))

    # By day: units are dates; every child goes where the whole day is taken.
    dates = sorted({problem.slots[t].date for t in rd.slots})
    if len(dates) > 1:
        unit_slots = [
            [j for j, t in enumerate(rd.slots) if problem.slots[t].date == d] for d in dates
        ]
        unit_cover = np.stack(
            [covers(cap, rd.candidates, _need_of(rd, slots_j=js)) for js in unit_slots], axis=1
        )
        useful = np.flatnonzero(unit_cover.any(axis=1))[:SPLIT_SITES]
        for a, b in itertools.combinations(useful, 2):
            both = unit_cover[a] | unit_cover[b]
            if not both.all():
                continue
            site_a, site_b = int(rd.candidates[a]), int(rd.candidates[b])
            # a is the better site (candidates are sorted): it takes every day it can.
            day_site = [site_a if unit_cover[a][u] else site_b for u in range(len(dates))]
            slot_site = [0] * n_slots
            for u, js in enumerate(unit_slots):
                for j in js:
                    slot_site[j] = day_site[u]
            layout = tuple(slot_site[j] for _ in range(n_children) for j in range(n_slots))
            switches = sum(1 for x, y in itertools.pairwise(day_site) if x != y)
            value = (
                rd.priority_value
                + sum(visit_of[s] for s in slot_site)
                - scaled(weights.split_penalty)
                - switches * n_children * scaled(weights.switch_penalty)
            )
            if value > 0:
                found.append((-value, layout, "days"))

    # By child: some siblings at one site, the others at another, every day.
    if n_children > 1 and weights.split_by_child:
        for mask in range(1, 2 ** (n_children - 1)):
            group = [i for i in range(n_children) if (mask >> i) & 1 == 0]  # child 0 in it
            other = [i for i in range(n_children) if (mask >> i) & 1]
            cover_g = np.flatnonzero(covers(cap, rd.candidates, _need_of(rd, children=group)))
            cover_o = np.flatnonzero(covers(cap, rd.candidates, _need_of(rd, children=other)))
            for a in cover_g[:SPLIT_SITES]:
                for b in cover_o[:SPLIT_SITES]:
                    if a == b:
                        continue
                    site_a, site_b = int(rd.candidates[a]), int(rd.candidates[b])
                    value = (
                        rd.priority_value
                        + n_slots * (visit_of[site_a] + visit_of[site_b])
                        - scaled(weights.split_penalty)
                    )
                    if value > 0:
                        layout = tuple(
                            site_a if i in group else site_b
                            for i in range(n_children)
                            for _ in range(n_slots)
                        )
                        found.append((-value, layout, "children"))
    found.sort()
    return [
        _make_option(problem, rd, kind, layout, visit_of) for _, layout, kind in found[:max_splits]
    ]


def _need_of(
    rd: RequestData, *, slots_j: list[int] | None = None, children: list[int] | None = None
) -> tuple[tuple[int, int, int], ...]:
    counts: dict[tuple[int, int], int] = defaultdict(int)
    js = range(len(rd.slots)) if slots_j is None else slots_j
    cs = range(len(rd.child_bands)) if children is None else children
    for i in cs:
        b = rd.child_bands[i]
        assert b is not None
        for j in js:
            counts[(rd.slots[j], b)] += 1
    return tuple((t, b, n) for (t, b), n in sorted(counts.items()))


def _make_option(
    problem: Problem,
    rd: RequestData,
    kind: str,
    layout: tuple[int, ...],
    visit_of: dict[int, int],
) -> Option:
    """Build an option from a layout (site per child and slot), with its value."""
    weights = problem.instance.weights
    n_slots = len(rd.slots)
    usage: dict[int, int] = defaultdict(int)
    for i, band in enumerate(rd.child_bands):
        assert band is not None
        for j, t in enumerate(rd.slots):
            usage[problem.cell(layout[i * n_slots + j], t, band)] += 1
    sites = tuple(sorted(set(layout)))
    # Each day-part the parent travels to every site used then.
    visits = {
        (j, layout[i * n_slots + j]) for i in range(len(rd.child_bands)) for j in range(n_slots)
    }
    value = rd.priority_value + sum(visit_of[s] for _, s in visits)
    if len(sites) > 1:
        value -= scaled(weights.split_penalty)
        dates = [problem.slots[t].date for t in rd.slots]
        for i in range(len(rd.child_bands)):
            row = layout[i * n_slots : (i + 1) * n_slots]
            changes = sum(
                1 for j in range(1, n_slots) if dates[j] != dates[j - 1] and row[j] != row[j - 1]
            )
            value -= changes * scaled(weights.switch_penalty)
    cells = tuple(sorted(usage))
    return Option(
        request=rd.index,
        kind=kind,
        sites=sites,
        cells=cells,
        amounts=tuple(usage[c] for c in cells),
        value=value,
        layout=layout,
    )
