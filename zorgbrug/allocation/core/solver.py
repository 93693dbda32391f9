"""The allocation run: compile, baseline, presolve, solve per component, explain.

    allocate(instance, settings)       the optimised allocation
    allocate_fcfs(instance, settings)  first come, first served, same input and output

How a run spends its time (docs/allocation.md has the measurements behind each choice):

1. Options per request and the first-come-first-served baseline (whose options join the
   model, so the optimum can never be worse than the baseline).
2. Presolve (non-binding places, dominated options) and decomposition into components.
3. Every component gets its start (the best greedy) and, if it is large, its Lagrangian
   relaxation (a proven bound and shadow prices, and a greedy on those prices) before any
   search, so that no bound depends on the clock.
4. Each component gets a share of the work budget, in proportion to its size, and the
   components are searched side by side on `workers` threads: small ones whole with CP-SAT
   until proven optimal (within `relative_gap`) or out of work, large ones by
   large-neighbourhood search with CP-SAT. Work left over by components that finished early
   goes, in a second round, to those that did not.
5. Requests that still fit are added (never needed after an exact solve, cheap insurance
   after a search), and every unserved request gets its reason.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

import numpy as np

from zorgbrug.allocation.core import greedy
from zorgbrug.allocation.core.decompose import Reduced, presolve
from zorgbrug.allocation.core.explain import explain_unserved
from zorgbrug.allocation.core.model import (
    AllocationResult,
    Assignment,
    Instance,
    Placement,
    SolveStatus,
    Unserved,
)
from zorgbrug.allocation.core.optimize import NO_BOUND, Budget, lns, solve_requests
from zorgbrug.allocation.core.problem import Problem, compile_instance, points
from zorgbrug.allocation.core.relax import RelaxResult, lagrangian, price_order

Solution = dict[int, int]


@dataclass(frozen=True)
class Settings:
    """How hard to try.

    `time_limit` is the wall-clock budget of the whole run in seconds. The search itself is
    governed by a deterministic work budget derived from it (`work_fraction` of it, minus
    a size-based allowance for building the model), so that the same input, settings and
    seed give the same allocation on any machine; the clock is only a safety net.
    """

    time_limit: float = 10.0
    seed: int = 0
    workers: int = 2
    relative_gap: float = 1e-3
    max_sites: int = 12  # single-site options per request (best first)
    max_splits: int = 8  # split options per request that no single site can take
    whole_limit: int = 2500  # components with more options than this get the search
    lns_size: int = 60  # requests per neighbourhood to start with
    work_fraction: float = 0.8
    # The deterministic work budget, in reference-machine seconds per worker; by default
    # derived from `time_limit`. Set it (with a generous time limit) to compare runs exactly.
    work: float | None = None


# Seconds per request spent before the search (options, baseline, presolve) and after it
# (reasons, result), measured as CPU time on the reference machine (docs/allocation.md).
PRE_SECONDS_PER_REQUEST = 2.5e-4
POST_SECONDS_PER_REQUEST = 6e-5
PARALLEL_EFFICIENCY = 0.6


def allocate(instance: Instance, settings: Settings | None = None) -> AllocationResult:
    settings = settings or Settings()
    started = time.perf_counter()
    problem = compile_instance(
        instance, max_sites=settings.max_sites, max_splits=settings.max_splits
    )
    baseline = greedy.fcfs(problem)
    reduced = presolve(problem)
    start = _to_alive(problem, reduced, baseline)

    # The work budget is a function of the input only (reproducible): the time limit minus
    # what building the model and writing the result cost per request on the reference
    # machine, times the threads that search side by side.
    n = len(problem.requests)
    before, after = PRE_SECONDS_PER_REQUEST * n, POST_SECONDS_PER_REQUEST * n
    if settings.work is not None:
        total_work = settings.work
    else:
        total_work = max(0.05, settings.time_limit * settings.work_fraction - before - after)
    # Threads share the GIL for the Python side of the search: measured speed-up 1.4–1.6
    # on two threads, so each extra thread counts for 0.6 of one.
    total_work *= 1 + PARALLEL_EFFICIENCY * (max(1, settings.workers) - 1)
    # The clock is only a safety net; it keeps room for writing the result, scaled by how
    # much slower than expected this machine has been so far.
    prepared = time.perf_counter()
    slowdown = max(1.0, (prepared - started) / max(before, 0.05))
    deadline = started + 0.98 * settings.time_limit - 3 * after * slowdown
    parts = [
        _Component(problem, reduced, comp, _restrict(start, comp), settings, deadline)
        for comp in reduced.components
    ]
    weight = sum(part.size for part in parts) or 1
    if len(parts) == 1:
        parts[0].threads = max(1, settings.workers)  # nothing else to run beside it
    order = sorted(range(len(parts)), key=lambda k: -parts[k].size)  # longest first
    # First every component's start and bound (greedy; for the large ones the Lagrangian
    # relaxation), so that no bound depends on how far the clock let a search get.
    _run_all([(parts[k], 0.0) for k in order], settings.workers, prepare=True)
    total_work = max(0.05, total_work - sum(part.work_used for part in parts))
    # Round 1: every component its share. Round 2: leftovers to the unfinished ones.
    _run_all([(parts[k], total_work * parts[k].size / weight) for k in order], settings.workers)
    leftover = total_work + sum(part.prepare_work for part in parts)
    leftover -= sum(part.work_used for part in parts)
    unfinished = [k for k in order if not parts[k].optimal]
    if unfinished and leftover > 0.05 * total_work:
        weight2 = sum(parts[k].size for k in unfinished)
        _run_all(
            [(parts[k], leftover * parts[k].size / weight2) for k in unfinished],
            settings.workers,
        )

    solution: Solution = dict(reduced.fixed)
    bound = sum(problem.options[o].value for o in reduced.fixed.values())
    for part in parts:
        solution.update(part.solution)
        bound += part.bound
    optimal = all(part.optimal for part in parts)
    hit_wall = any(part.hit_wall for part in parts)
    lns_iterations = sum(part.lns_iterations for part in parts)
    searched = time.perf_counter()
    solution = _fill(problem, solution)
    stats: dict[str, float | int] = {
        "requests": len(problem.requests),
        "options": len(problem.options),
        "options_after_presolve": sum(len(a) for a in reduced.alive),
        "fixed_in_presolve": len(reduced.fixed),
        "components": len(parts),
        "largest_component": max((len(part.requests) for part in parts), default=0),
        "searched_components": sum(1 for part in parts if part.searched),
        "lns_iterations": lns_iterations,
        "fcfs_objective": points(greedy.solution_value(problem, baseline)),
        # Wall-clock seconds per phase (informative; not reproducible).
        "seconds_model": round(prepared - started, 3),
        "seconds_search": round(searched - prepared, 3),
    }
    return _result(
        problem,
        solution,
        method="optimal",
        bound=bound,
        proven=optimal,
        started=started,
        reproducible=not hit_wall,
        stats=stats,
        relative_gap=settings.relative_gap,
    )


def allocate_fcfs(instance: Instance, settings: Settings | None = None) -> AllocationResult:
    """First come, first served: each request, in order of arrival, takes the best option
    that still fits."""
    settings = settings or Settings()
    started = time.perf_counter()
    problem = compile_instance(
        instance, max_sites=settings.max_sites, max_splits=settings.max_splits
    )
    solution = greedy.fcfs(problem)
    return _result(
        problem,
        solution,
        method="fcfs",
        bound=NO_BOUND,
        proven=False,
        started=started,
        reproducible=True,
        stats={"requests": len(problem.requests), "options": len(problem.options)},
        relative_gap=0.0,
    )


# --------------------------------------------------------------------------------------------


def _run_all(
    tasks: Sequence[tuple[_Component, float]], workers: int, *, prepare: bool = False
) -> None:
    def step(part: _Component, work: float) -> None:
        if prepare:
            part.prepare()
        else:
            part.advance(work)

    if workers <= 1 or len(tasks) <= 1:
        for part, work in tasks:
            step(part, work)
        return
    # CP-SAT (and numpy) release the GIL while they work, so components really run side by
    # side. Each component's result depends only on its own inputs and budget: reproducible.
    with ThreadPoolExecutor(max_workers=workers) as pool:
        for future in [pool.submit(step, part, work) for part, work in tasks]:
            future.result()


class _Component:
    """One component's state across rounds: its best solution, bound and prices."""

    def __init__(
        self,
        problem: Problem,
        reduced: Reduced,
        requests: list[int],
        hint: Solution,
        settings: Settings,
        deadline: float,
    ) -> None:
        self.problem = problem
        self.reduced = reduced
        self.requests = requests
        self.settings = settings
        self.deadline = deadline
        self.solution = hint
        self.size = sum(len(reduced.alive[r]) for r in requests)
        self.searched = self.size > settings.whole_limit
        # Serving every request with its best option is a trivial bound.
        self.bound = sum(problem.options[reduced.alive[r][0]].value for r in requests)
        self.optimal = False
        self.work_used = 0.0
        self.hit_wall = False
        self.lns_iterations = 0
        self.rounds = 0
        self.threads = 1  # set by allocate() when this component runs alone
        self.prepare_work = 0.0
        self.prices: np.ndarray | None = None

    def prepare(self) -> None:
        """The best greedy start and a Lagrangian bound (and, for large components, prices).

        Small components get a short relaxation too: CP-SAT usually proves a better bound,
        but if the clock cuts it short the bound stays honest rather than trivial. The work
        is charged by size (deterministic): it comes off the search budget.
        """
        problem, reduced = self.problem, self.reduced
        target = greedy.solution_value(problem, self.solution)
        relaxed = lagrangian(
            problem,
            reduced,
            self.requests,
            target=target,
            iterations=300 if self.searched else 60,
            deadline=self.deadline,
        )
        self.bound = min(self.bound, relaxed.bound)
        work = self.size * 8e-6 + relaxed.iterations * len(relaxed.incidence.term_option) * 1e-8
        if self.searched:
            self.prices = relaxed.prices
            self.solution = _best_greedy(problem, reduced, self.requests, self.solution, relaxed)
        else:
            self.solution = _best_greedy(problem, reduced, self.requests, self.solution, None)
        self.work_used += work
        self.prepare_work = work

    def advance(self, work: float) -> None:
        budget = Budget(work=work, deadline=self.deadline)
        if self.searched:
            self._search(budget)
        else:
            self._whole(budget)
        self.work_used += work - budget.work
        self.hit_wall |= budget.hit_wall
        self.rounds += 1

    def _whole(self, budget: Budget) -> None:
        problem, reduced = self.problem, self.reduced
        outcome = solve_requests(
            problem,
            reduced,
            self.requests,
            problem.cap.reshape(-1),
            self.solution,
            budget,
            work=budget.work,
            seed=self.settings.seed + self.rounds,
            workers=1,
            relative_gap=self.settings.relative_gap,
        )
        self.solution = outcome.solution
        self.bound = min(self.bound, outcome.bound)
        self.optimal = outcome.optimal

    def _search(self, budget: Budget) -> None:
        problem = self.problem
        self.solution, stats = lns(
            problem,
            self.reduced,
            self.requests,
            self.solution,
            budget,
            work=budget.work,
            seed=self.settings.seed + 7919 * self.rounds,
            size=self.settings.lns_size,
            threads=self.threads,
            prices=self.prices,
        )
        self.lns_iterations += stats.iterations
        value = greedy.solution_value(problem, self.solution)
        self.optimal = self.bound - value <= self.settings.relative_gap * max(1, self.bound)


def _best_greedy(
    problem: Problem,
    reduced: Reduced,
    component: list[int],
    hint: Solution,
    relaxed: RelaxResult | None,
) -> Solution:
    """The best of the hint and the greedy orderings, on the component's alive options."""
    cap = problem.cap
    candidates = [hint]
    if relaxed is None:
        alive_only = [o for r in component for o in reduced.alive[r]]
        by_priority = sorted(
            alive_only,
            key=lambda o: (
                problem.requests[problem.options[o].request].rank,
                -problem.options[o].value / sum(problem.options[o].amounts),
                o,
            ),
        )
        candidates.append(greedy.greedy_over_options(problem, by_priority, cap.copy()))
    else:
        ranked = price_order(relaxed.incidence, relaxed.prices)
        candidates.append(greedy.greedy_over_options(problem, ranked, cap.copy()))
    return max(candidates, key=lambda s: (greedy.solution_value(problem, s), len(s)))


def _to_alive(problem: Problem, reduced: Reduced, solution: Solution) -> Solution:
    """Map options removed by presolve to the options that dominate them.

    Dominance means: worth at least as much and no more of any binding place, so the swap
    keeps the solution feasible and never lowers its value.
    """
    result: Solution = {}
    for r, o in solution.items():
        if r in reduced.fixed:
            continue
        if o in reduced.usage and o in reduced.alive[r]:
            result[r] = o
            continue
        option = problem.options[o]
        taken = {
            c: a for c, a in zip(option.cells, option.amounts, strict=True) if reduced.binding[c]
        }
        for k in reduced.alive[r]:
            cells, amounts = reduced.usage[k]
            if all(taken.get(c, 0) >= a for c, a in zip(cells, amounts, strict=True)):
                result[r] = k
                break
    return result


def _restrict(solution: Solution, component: list[int]) -> Solution:
    return {r: solution[r] for r in component if r in solution}


def _fill(problem: Problem, solution: Solution) -> Solution:
    """Add any unserved request whose option still fits (best value first)."""
    residual = problem.cap.copy()
    for o in solution.values():
        greedy.take(residual, problem.options[o])
    rest = [
        o for r in range(len(problem.requests)) if r not in solution for o in problem.options_of[r]
    ]
    rest.sort(key=lambda o: (-problem.options[o].value, o))
    return greedy.greedy_over_options(problem, rest, residual, solution)


def _result(
    problem: Problem,
    solution: Solution,
    *,
    method: str,
    bound: int,
    proven: bool,
    started: float,
    reproducible: bool,
    stats: dict[str, float | int],
    relative_gap: float,
) -> AllocationResult:
    assert greedy.is_feasible(problem, solution)
    objective = greedy.solution_value(problem, solution)
    assignments = tuple(
        _assignment(problem, r, solution[r]) for r in sorted(solution, key=_by_id(problem))
    )
    reasons = explain_unserved(problem, solution, fcfs=method == "fcfs")
    unserved = tuple(
        Unserved(problem.requests[r].request.id, reasons[r])
        for r in sorted(reasons, key=_by_id(problem))
    )
    if method == "fcfs":
        status, bound_points, gap = SolveStatus.GREEDY, float("nan"), float("nan")
    else:
        bound = max(bound, objective)
        gap = (bound - objective) / bound if bound > 0 else 0.0
        status = SolveStatus.OPTIMAL if proven or gap <= relative_gap else SolveStatus.FEASIBLE
        bound_points = points(bound)
    return AllocationResult(
        method=method,
        status=status,
        assignments=assignments,
        unserved=unserved,
        objective=points(objective),
        bound=bound_points,
        gap=gap,
        priority_value=points(sum(problem.requests[r].priority_value for r in solution)),
        seconds=time.perf_counter() - started,
        reproducible=reproducible,
        stats=stats,
    )


def _by_id(problem: Problem) -> Callable[[int], str]:
    def key(r: int) -> str:
        return problem.requests[r].request.id

    return key


def _assignment(problem: Problem, r: int, o: int) -> Assignment:
    rd = problem.requests[r]
    option = problem.options[o]
    sites = problem.instance.sites
    n_slots = len(rd.slots)
    placements = []
    for i, child in enumerate(rd.request.children):
        band = rd.child_bands[i]
        assert band is not None
        for j, t in enumerate(rd.slots):
            placements.append(
                Placement(
                    child_id=child.id,
                    slot=problem.slots[t],
                    site_id=sites[option.layout[i * n_slots + j]].id,
                    band=problem.bands[band].code,
                )
            )
    furthest = max(float(rd.distance[rd.candidates == s][0]) for s in option.sites)
    return Assignment(
        request_id=rd.request.id,
        site_ids=tuple(sites[s].id for s in option.sites),
        placements=tuple(placements),
        value=points(option.value),
        priority_value=points(rd.priority_value),
        distance_km=round(furthest, 2),
    )
