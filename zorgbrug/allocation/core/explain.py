"""Why a request is not served: one binding reason per request, structured and in English.

A reason is a code plus parameters (see `model.Reason`), so that the product can translate it
with gettext; `describe()` renders the English text. Two kinds:

- *Static*: the published capacity alone rules the request out (no age band, nothing within
  reach, closed, no free place on a day-part, no site or pair of sites for the whole
  request, or only sites so far away that the travel penalty outweighs the value). These are
  checked in that order, and the first that holds is the binding one.
- *Competition*: the request had options, but their places went to others. We take the
  option that came closest (fewest day-parts short, then the most valuable), its first
  day-part that is full, and the requests holding those places: if one has a higher
  priority, that is the reason; otherwise the places serve more value elsewhere (or, under
  first come, first served, were taken by an earlier request).
"""

from __future__ import annotations

from collections import defaultdict

import numpy as np

from zorgbrug.allocation.core.model import Priority, Reason, ReasonCode, ReasonParam, Slot
from zorgbrug.allocation.core.problem import Problem, RequestData, covers

WEEKDAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
PRIORITY_LABELS = {
    Priority.JOB_START: "the first weeks of a job",
    Priority.JOB_INTERVIEW: "a job interview",
    Priority.WORK_TRIAL: "a work trial",
    Priority.COURSE: "a course",
    Priority.OTHER: "another activity",
}


def _reason(code: ReasonCode, **params: ReasonParam) -> Reason:
    return Reason(code=code, params=tuple(sorted(params.items())))


def _slot_params(slot: Slot) -> dict[str, ReasonParam]:
    return {
        "date": slot.date.isoformat(),
        "weekday": slot.date.weekday(),
        "part": slot.part.value,
    }


def static_reason(problem: Problem, rd: RequestData) -> Reason:
    """The first reason, in a fixed order, why the capacity alone rules this request out."""
    weights = problem.instance.weights
    max_km = weights.max_distance_km
    request = rd.request
    for child, band in zip(request.children, rd.child_bands, strict=True):
        if band is None:
            return _reason(ReasonCode.NO_AGE_BAND, child_id=child.id, age_months=child.age_months)
    if len(rd.candidates) == 0:
        return _reason(ReasonCode.NO_SITE_IN_REACH, max_km=max_km)
    cands = rd.candidates
    needed_bands = sorted({b for b in rd.child_bands if b is not None})
    for b in needed_bands:
        if not problem.serves[cands, b].any():
            return _reason(ReasonCode.NO_SITE_FOR_AGE, band=problem.bands[b].label, max_km=max_km)
    for t, b, _ in rd.need:
        serving = cands[problem.serves[cands, b]]
        if not problem.is_open[serving, t].any():
            return _reason(
                ReasonCode.CLOSED,
                band=problem.bands[b].label,
                max_km=max_km,
                **_slot_params(problem.slots[t]),
            )
    for t, b, n in rd.need:
        free = problem.cap[cands, t, b]
        # With splits by child, two sites may share the siblings of one band.
        by_child = weights.allow_split and weights.split_by_child
        reachable = int(np.sort(free)[-2:].sum()) if by_child else int(free.max())
        if reachable < n:
            return _reason(
                ReasonCode.NO_FREE_PLACE,
                band=problem.bands[b].label,
                needed=n,
                free=int(free.max()),
                max_km=max_km,
                **_slot_params(problem.slots[t]),
            )
    whole = covers(problem.cap, cands, rd.need)
    if whole.any():
        k = int(np.flatnonzero(whole)[0])
        return _reason(ReasonCode.NOT_WORTH_TRAVEL, distance_km=round(float(rd.distance[k]), 1))
    days = len({problem.slots[t].date for t in rd.slots})
    return _reason(ReasonCode.NO_COMBINATION, days=days, max_km=max_km)


def competition_reason(
    problem: Problem,
    rd: RequestData,
    residual: np.ndarray,
    holders: dict[int, list[int]],
    solution: dict[int, int],
    *,
    fcfs: bool,
) -> Reason:
    """Why a request with options lost: the closest option's first full day-part."""
    flat = residual.reshape(-1)
    best: tuple[tuple[int, int, int], int, list[int]] | None = None
    for o in problem.options_of[rd.index]:
        option = problem.options[o]
        short = [c for c, a in zip(option.cells, option.amounts, strict=True) if flat[c] < a]
        key = (len(short), -option.value, o)
        if short and (best is None or key < best[0]):
            best = (key, o, short)
    if best is None:  # pragma: no cover - solvers fill every request that fits
        return static_reason(problem, rd)
    _, _, short = best
    # The earliest full day-part; its holders are the competition.
    cell = min(short, key=lambda c: (problem.slots[problem.cell_parts(c)[1]].sort_key(), c))
    site, t, b = problem.cell_parts(cell)
    rivals = sorted(
        holders.get(cell, []),
        key=lambda r: (problem.requests[r].rank, problem.requests[r].arrival_key),
    )
    site_obj = problem.instance.sites[site]
    params: dict[str, ReasonParam] = {
        "site_id": site_obj.id,
        "site_name": site_obj.name,
        "band": problem.bands[b].label,
        "competitors": len(rivals),
        **_slot_params(problem.slots[t]),
    }
    if not rivals:  # pragma: no cover - a full cell always has holders
        return _reason(ReasonCode.NO_COMBINATION, days=0, max_km=0.0)
    if fcfs:
        first = min(rivals, key=lambda r: problem.requests[r].arrival_key)
        rival = problem.requests[first].request
        return _reason(
            ReasonCode.ARRIVED_LATER,
            competitor_id=rival.id,
            competitor_priority=rival.priority.value,
            **params,
        )
    top = problem.requests[rivals[0]]
    code = ReasonCode.HIGHER_PRIORITY if top.rank < rd.rank else ReasonCode.MORE_VALUE
    return _reason(
        code,
        competitor_id=top.request.id,
        competitor_priority=top.request.priority.value,
        **params,
    )


def explain_unserved(
    problem: Problem, solution: dict[int, int], *, fcfs: bool
) -> dict[int, Reason]:
    """A reason for every request not in `solution`."""
    flat_cap = problem.cap.reshape(-1)
    used = np.zeros(flat_cap.size, dtype=np.int64)
    holders: dict[int, list[int]] = defaultdict(list)
    for r, o in solution.items():
        option = problem.options[o]
        for c, a in zip(option.cells, option.amounts, strict=True):
            used[c] += a
            holders[c].append(r)
    residual = flat_cap - used
    reasons: dict[int, Reason] = {}
    for rd in problem.requests:
        if rd.index in solution:
            continue
        if problem.options_of[rd.index]:
            reasons[rd.index] = competition_reason(
                problem, rd, residual, holders, solution, fcfs=fcfs
            )
        else:
            reasons[rd.index] = static_reason(problem, rd)
    return reasons


def describe(reason: Reason) -> str:
    """The reason in plain English (the product translates the codes with gettext)."""
    p = reason.as_dict
    when = ""
    if "weekday" in p:
        when = f"{WEEKDAYS[int(p['weekday'])]} {p['part']} ({p['date']})"
    km = f"{float(p['max_km']):g} km" if "max_km" in p else ""
    code = reason.code
    if code is ReasonCode.NO_AGE_BAND:
        return f"No age band takes a child of {p['age_months']} months."
    if code is ReasonCode.NO_SITE_IN_REACH:
        return f"No childcare site within {km}."
    if code is ReasonCode.NO_SITE_FOR_AGE:
        return f"No site within {km} takes children aged {p['band']} years."
    if code is ReasonCode.CLOSED:
        return f"No site within {km} for ages {p['band']} is open on {when}."
    if code is ReasonCode.NO_FREE_PLACE:
        return (
            f"No free place for ages {p['band']} on {when} within {km}: "
            f"{p['needed']} needed, {p['free']} free at the best site."
        )
    if code is ReasonCode.NO_COMBINATION:
        return (
            f"No site within {km}, nor a pair of sites, has places for all {p['days']} "
            "days and all children together."
        )
    if code is ReasonCode.NOT_WORTH_TRAVEL:
        return (
            f"The nearest site with places is {float(p['distance_km']):.1f} km away; the "
            "covenant's travel penalty outweighs the value of the care."
        )
    priority = PRIORITY_LABELS.get(Priority(str(p["competitor_priority"])), "another request")
    place = f"for ages {p['band']} at {p['site_name']} on {when}"
    if code is ReasonCode.HIGHER_PRIORITY:
        return f"The last place {place} went to a request with a higher priority ({priority})."
    if code is ReasonCode.ARRIVED_LATER:
        return f"The last place {place} went to a request that arrived earlier ({priority})."
    n = int(p["competitors"])
    if n == 1:
        return (
            f"The places {place} went to a request of the same or lower priority "
            f"({priority}) that makes better use of them for the covenant's priorities."
        )
    return (
        f"The places {place} went to {n} requests of the same or lower priority that "
        f"together serve more of the covenant's priorities (among them {priority})."
    )
