"""CP-SAT on the presolved options model, whole components or neighbourhoods of them.

The model per component: one variable per (request, surviving option) — or, for requests
that look identical to the solver (same options, same places, same values), one integer
count per (group, option) — at most one option per request, one capacity constraint per
binding cell, maximise the value. It is always hinted with a feasible solution, so the
answer is never worse than the hint.

Reproducibility: every CP-SAT call runs on one worker with a fixed seed and a deterministic
work limit (CP-SAT's `max_deterministic_time`), so the same input gives the same answer on any
machine. (Interleaved multi-worker search is deterministic too, but was 40 times slower on
our small components.) Parallelism comes from solving independent components side by side.
The wall-clock limit is only a safety net; when it, rather than the work limit, ends a
search, the result says it may not be reproducible.
"""

from __future__ import annotations

import random
import time
from collections import defaultdict
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

import numpy as np
from ortools.sat.python import cp_model

from zorgbrug.allocation.core.decompose import Reduced
from zorgbrug.allocation.core.problem import BoolArray, IntArray, Problem

Solution = dict[int, int]

# Work is counted in "seconds of this machine" without reading the clock: model building by
# its size, CP-SAT by its deterministic time (about 2.5 seconds per unit on these models).
# Calibrated on the 2-core AMD EPYC of the CI machine; see docs/allocation.md. Only the
# wall-clock safety net depends on the machine's real speed.
WORK_PER_TERM = 1e-5
WORK_PER_CALL = 4e-3
WORK_PER_DTIME = 2.5


@dataclass
class Budget:
    """Deterministic work units left, plus a wall-clock deadline as a safety net."""

    work: float
    deadline: float  # time.perf_counter() value
    hit_wall: bool = False

    def wall_left(self) -> float:
        return self.deadline - time.perf_counter()

    def exhausted(self) -> bool:
        if self.wall_left() <= 0:
            self.hit_wall = True
            return True
        return self.work <= 0


@dataclass
class CpOutcome:
    solution: Solution
    objective: int
    bound: int  # proven upper bound for the requests solved
    optimal: bool


def solve_requests(
    problem: Problem,
    reduced: Reduced,
    requests: Sequence[int],
    capacity: IntArray,
    hint: Solution,
    budget: Budget,
    *,
    work: float,
    seed: int,
    workers: int,
    relative_gap: float,
    group_identical: bool = True,
    light: bool = True,
) -> CpOutcome:
    """Best assignment of `requests` on `capacity` (flat, per cell), starting from `hint`.

    `hint` must be feasible on `capacity`; its options must be alive.
    """
    options = problem.options
    usage = reduced.usage
    alive = reduced.alive

    # Options that do not fit the places left even on their own cannot be chosen.
    usable: dict[int, list[int]] = {}
    for r in requests:
        usable[r] = [
            o for o in alive[r] if all(capacity[c] >= a for c, a in zip(*usage[o], strict=True))
        ]
    # Requests the solver cannot tell apart become one group with integer counts.
    groups: dict[tuple[object, ...], list[int]] = {}
    for r in requests:
        opts = usable[r]
        if not opts:
            continue
        key: tuple[object, ...] = (
            tuple((usage[o], options[o].value) for o in opts) if group_identical else (r,)
        )
        groups.setdefault(key, []).append(r)

    model = cp_model.CpModel()
    var_of: list[tuple[list[int], list[cp_model.IntVar]]] = []  # per group: members, vars
    cell_terms: dict[int, tuple[list[cp_model.IntVar], list[int]]] = defaultdict(lambda: ([], []))
    obj_vars: list[cp_model.IntVar] = []
    obj_coefs: list[int] = []
    terms = 0
    upper: dict[int, int] = defaultdict(int)  # per cell: the most all variables could take
    for members in groups.values():
        opts = usable[members[0]]
        size = len(members)
        hint_count: dict[int, int] = defaultdict(int)
        for r in members:
            chosen = hint.get(r)
            if chosen is not None:
                hint_count[usable[r].index(chosen)] += 1
        group_vars: list[cp_model.IntVar] = []
        for j, o in enumerate(opts):
            v = model.new_bool_var("") if size == 1 else model.new_int_var(0, size, "")
            model.add_hint(v, hint_count.get(j, 0))
            group_vars.append(v)
            cells, amounts = usage[o]
            for c, a in zip(cells, amounts, strict=True):
                vs, cs = cell_terms[c]
                vs.append(v)
                cs.append(a)
                upper[c] += a * size
            terms += len(cells) + 1
            obj_vars.append(v)
            obj_coefs.append(options[o].value)
        if size == 1:
            if len(group_vars) > 1:
                model.add_at_most_one(group_vars)
        else:
            model.add(sum(group_vars) <= size)
        var_of.append((members, group_vars))
    for c, (vs, cs) in cell_terms.items():
        limit = int(capacity[c])
        if upper[c] <= limit:
            continue  # cannot overflow even if every variable took its maximum
        model.add(cp_model.LinearExpr.weighted_sum(vs, cs) <= limit)
    model.maximize(cp_model.LinearExpr.weighted_sum(obj_vars, obj_coefs))

    build_work = WORK_PER_CALL + terms * WORK_PER_TERM
    budget.work -= build_work
    solver = cp_model.CpSolver()
    params = solver.parameters
    params.random_seed = seed
    params.num_workers = max(1, workers)
    params.linearization_level = LINEARIZATION
    if light:
        # On models of this size (neighbourhoods, components of a few hundred requests)
        # probing and symmetry detection cost more than they find: measured 35% faster to
        # the same optimum on neighbourhoods, and 0.9 vs 1.3 CPU-s to prove 500 requests.
        params.cp_model_probing_level = 0
        params.symmetry_level = 0
    dtime_limit = max(1e-3, min(work - build_work, budget.work) / WORK_PER_DTIME)
    params.max_deterministic_time = dtime_limit
    params.max_time_in_seconds = max(0.01, budget.wall_left())
    params.relative_gap_limit = relative_gap
    params.log_search_progress = False
    status = solver.solve(model)
    budget.work -= solver.deterministic_time * WORK_PER_DTIME
    if (
        status != cp_model.OPTIMAL
        and solver.deterministic_time < dtime_limit * 0.98
        and solver.wall_time >= params.max_time_in_seconds * 0.98
    ):
        budget.hit_wall = True  # the clock, not the work limit, ended this search

    wanted = set(requests)
    hint_value = sum(options[o].value for r, o in hint.items() if r in wanted)
    if status not in (cp_model.OPTIMAL, cp_model.FEASIBLE) or solver.objective_value < hint_value:
        # Should not happen with a feasible hint, but never return less than we were given.
        return CpOutcome(
            solution=dict(hint),
            objective=hint_value,
            bound=_bound_or(solver, status, hint_value),
            optimal=False,
        )
    solution: Solution = {}
    for members, group_vars in var_of:
        queue = sorted(members, key=lambda r: problem.requests[r].arrival_key)
        k = 0
        for j, v in enumerate(group_vars):
            for _ in range(int(solver.value(v))):
                # Identical requests: the earliest arrival gets the best option.
                r = queue[k]
                k += 1
                solution[r] = usable[r][j]
    objective = round(solver.objective_value)
    return CpOutcome(
        solution=solution,
        objective=objective,
        bound=_bound_or(solver, status, objective),
        optimal=status == cp_model.OPTIMAL,
    )


NO_BOUND = 2**62
# The full linear relaxation (at-most-ones included) is what proves optimality here: at
# level 1 CP-SAT's bound stayed 3% above the LP bound on a 136-request component.
LINEARIZATION = 2


def _bound_or(solver: cp_model.CpSolver, status: cp_model.CpSolverStatus, fallback: int) -> int:
    """CP-SAT's proven bound (objectives are integers, so it may be rounded down)."""
    if status in (cp_model.OPTIMAL, cp_model.FEASIBLE):
        return max(fallback, int(np.floor(solver.best_objective_bound + 1e-6)))
    return NO_BOUND  # nothing proven


# ------------------------------------------------------------------------------------------
# Large-neighbourhood search for components too large to solve whole.


@dataclass
class LnsStats:
    iterations: int = 0
    improvements: int = 0
    solved_optimally: int = 0


def lns(
    problem: Problem,
    reduced: Reduced,
    component: list[int],
    solution: Solution,
    budget: Budget,
    *,
    work: float,
    seed: int,
    size: int,
    step_work: float = 0.15,
    threads: int = 1,
    prices: np.ndarray | None = None,
) -> tuple[Solution, LnsStats]:
    """Improve `solution` on the component by re-solving neighbourhoods exactly.

    A neighbourhood is a random site and its nearest neighbours: the requests holding their
    places, the most valuable of those waiting for them, and some served elsewhere that
    could move there (`size` requests in all). Everything else stays fixed; CP-SAT
    re-optimises the neighbourhood on the places left, hinted with the current assignment,
    so a step never makes things worse. With `threads` > 1, that many neighbourhoods with
    no binding cell in common are solved side by side.
    """
    rng = random.Random(seed)
    cap = problem.cap.reshape(-1)
    usage = reduced.usage
    alive = reduced.alive
    options = problem.options
    solution = dict(solution)
    stats = LnsStats()

    wanting_site: dict[int, list[int]] = defaultdict(list)  # site -> requests with an option
    for r in component:
        for site in sorted({site for o in alive[r] for site in options[o].sites}):
            wanting_site[site].append(r)
    sites = sorted(wanting_site)
    site_weights: list[float] | None = None
    if prices is not None and SITE_BY_PRICE:
        # Scarce places (high shadow prices) are where rearranging pays: visit them more.
        per_site = prices.reshape(problem.cap.shape).sum(axis=(1, 2))
        site_weights = [1.0 + float(per_site[s]) / (1.0 + float(per_site.mean())) for s in sites]
    used = np.zeros(cap.size, dtype=np.int64)
    for r in component:
        o_ = solution.get(r)
        if o_ is not None:
            cells, amounts = usage[o_]
            for c, a in zip(cells, amounts, strict=True):
                used[c] += a
    start_work = budget.work
    target = size
    pool = ThreadPoolExecutor(max_workers=threads) if threads > 1 else None
    while budget.work > start_work - work and not budget.exhausted():
        # A batch of neighbourhoods that share no binding cell, solved side by side: each
        # later one may not touch the cells the earlier ones may use, so their answers
        # combine into a feasible whole. Drawn and merged in a fixed order: reproducible.
        blocked = np.zeros(cap.size, dtype=np.bool_)
        batch: list[tuple[list[int], BoolArray]] = []
        for _ in range(threads):
            hood = _site_neighbourhood(
                problem, sites, wanting_site, solution, rng, target, site_weights
            )
            if batch:
                hood = [
                    r
                    for r in hood
                    if r not in solution or not blocked[list(usage[solution[r]][0])].any()
                ]
            if not hood:
                continue
            before_me = blocked.copy()
            for r in hood:
                for o in alive[r]:
                    touched = list(usage[o][0])
                    if not before_me[touched].any():
                        blocked[touched] = True
            batch.append((hood, before_me))
        residual = cap - used
        for hood, _ in batch:
            for r in hood:
                o_ = solution.get(r)
                if o_ is not None:
                    cells, amounts = usage[o_]
                    for c, a in zip(cells, amounts, strict=True):
                        residual[c] += a
        step = min(work, step_work)
        jobs: list[tuple[list[int], IntArray, Solution, Budget, int]] = []
        for hood, before_me in batch:
            capacity = residual.copy()
            capacity[before_me] = -1  # cells of earlier neighbourhoods in this batch
            jobs.append(
                (
                    hood,
                    capacity,
                    {r: solution[r] for r in hood if r in solution},
                    Budget(work=step, deadline=budget.deadline),
                    rng.randrange(2**31),
                )
            )

        def solve(job: tuple[list[int], IntArray, Solution, Budget, int]) -> CpOutcome:
            hood, capacity, hint, own, seed_ = job
            return solve_requests(
                problem,
                reduced,
                hood,
                capacity,
                hint,
                own,
                work=own.work,
                seed=seed_,
                workers=1,
                relative_gap=LNS_GAP,
            )

        outcomes = list(pool.map(solve, jobs)) if pool else [solve(job) for job in jobs]
        for job, outcome in zip(jobs, outcomes, strict=True):
            hood, _, hint, own, _ = job
            stats.iterations += 1
            budget.work -= step - own.work
            budget.hit_wall |= own.hit_wall
            # Grow the neighbourhoods while CP-SAT proves them optimal, shrink when not.
            if outcome.optimal:
                stats.solved_optimally += 1
                target = min(int(target * 1.1) + 1, 4 * size)
            else:
                target = max(size // 4, int(target * 0.8))
            if outcome.objective <= sum(options[o].value for o in hint.values()):
                continue
            stats.improvements += 1
            for r in hood:
                old = solution.pop(r, None)
                if old is not None:
                    cells, amounts = usage[old]
                    for c, a in zip(cells, amounts, strict=True):
                        used[c] -= a
            for r, o_ in outcome.solution.items():
                solution[r] = o_
                cells, amounts = usage[o_]
                for c, a in zip(cells, amounts, strict=True):
                    used[c] += a
    if pool is not None:
        pool.shutdown()
    return solution, stats


HOOD_SITES = 3  # a site and its nearest neighbours
HOOD_UNSERVED = 0.6  # share of the neighbourhood for requests waiting for these sites
HOOD_ELSEWHERE = 0.2  # ... and for requests served elsewhere that could move here
LNS_GAP = 0.0
SITE_BY_PRICE = True


def _site_neighbourhood(
    problem: Problem,
    sites: list[int],
    wanting_site: dict[int, list[int]],
    solution: Solution,
    rng: random.Random,
    size: int,
    site_weights: list[float] | None = None,
) -> list[int]:
    """Everything around one site and its nearest neighbours: who holds it, who wants it."""
    options = problem.options
    chosen: set[int] = set()
    first = rng.choices(sites, weights=site_weights)[0] if site_weights else rng.choice(sites)
    ranked = sorted(sites, key=lambda s: (_km(problem, first, s), s))
    for s in ranked[:HOOD_SITES]:
        wanting = wanting_site[s]
        holders = [r for r in wanting if r in solution and s in options[solution[r]].sites]
        unserved = [r for r in wanting if r not in solution]
        elsewhere = [r for r in wanting if r in solution and s not in options[solution[r]].sites]
        # The most valuable of those waiting first, in random order within a class, so that
        # successive visits try different ones.
        rng.shuffle(unserved)
        unserved.sort(key=lambda r: problem.requests[r].rank)
        rng.shuffle(elsewhere)
        groups = (
            (holders, size),
            (unserved, int(size * HOOD_UNSERVED)),
            (elsewhere, int(size * HOOD_ELSEWHERE)),
        )
        for group, limit in groups:
            for r in group[:limit]:
                if len(chosen) >= size:
                    break
                chosen.add(r)
        if len(chosen) >= size:
            break
    return sorted(chosen)


def _km(problem: Problem, a: int, b: int) -> float:
    sa = problem.instance.sites[a].location
    sb = problem.instance.sites[b].location
    return abs(sa.latitude - sb.latitude) * 111.2 + abs(sa.longitude - sb.longitude) * 70.0
