"""Relaxation of a component: a proven upper bound and shadow prices for its places.

Put a price λ ≥ 0 on every binding cell and let each request take its most profitable option
(value minus the places' price) or nothing. For *any* prices,

    L(λ) = Σ_c λ_c · places_c + Σ_r max(0, max_o (value_o − Σ_c λ_c · amount_oc))

is an upper bound on what any allocation can be worth (weak duality), so the bound we report
never depends on how well the prices were tuned. Subgradient steps (Polyak's rule, aimed at
the best known allocation) bring L down to the linear-programming bound; the prices then
tell a greedy which places are scarce.

Everything is vectorised with numpy over the component's option × cell incidence, because
the components solved this way have tens of thousands of options.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass

import numpy as np

from zorgbrug.allocation.core.decompose import Reduced
from zorgbrug.allocation.core.problem import FloatArray, IntArray, Problem


@dataclass
class Incidence:
    """The component's options as flat arrays (options grouped by request)."""

    options: IntArray  # global option index, grouped by request
    request_start: IntArray  # start of each request's run in `options`
    request_of: IntArray  # local request number of each option
    value: FloatArray
    cells: IntArray  # global binding cell ids used by the component
    capacity: FloatArray  # places of each local cell
    term_option: IntArray  # per term: local option
    term_cell: IntArray  # per term: local cell
    term_amount: FloatArray


def incidence(problem: Problem, reduced: Reduced, requests: list[int]) -> Incidence:
    opts: list[int] = []
    starts: list[int] = []
    req_of: list[int] = []
    for k, r in enumerate(requests):
        starts.append(len(opts))
        opts.extend(reduced.alive[r])
        req_of.extend([k] * len(reduced.alive[r]))
    term_opt: list[int] = []
    term_cell: list[int] = []
    term_amt: list[int] = []
    for i, o in enumerate(opts):
        cells, amounts = reduced.usage[o]
        term_opt.extend([i] * len(cells))
        term_cell.extend(cells)
        term_amt.extend(amounts)
    global_cells = np.array(term_cell, dtype=np.int64)
    uniq, local = np.unique(global_cells, return_inverse=True)
    cap = problem.cap.reshape(-1)
    return Incidence(
        options=np.array(opts, dtype=np.int64),
        request_start=np.array(starts, dtype=np.int64),
        request_of=np.array(req_of, dtype=np.int64),
        value=np.array([problem.options[o].value for o in opts], dtype=np.float64),
        cells=uniq.astype(np.int64),
        capacity=cap[uniq].astype(np.float64),
        term_option=np.array(term_opt, dtype=np.int64),
        term_cell=local.astype(np.int64),
        term_amount=np.array(term_amt, dtype=np.float64),
    )


def dual_value(inc: Incidence, prices: FloatArray) -> tuple[float, IntArray]:
    """L(prices), and each request's most profitable option (local index, or -1)."""
    cost = np.bincount(
        inc.term_option,
        weights=prices[inc.term_cell] * inc.term_amount,
        minlength=len(inc.options),
    )
    reduced_value = inc.value - cost
    best = np.maximum.reduceat(reduced_value, inc.request_start)
    chosen = np.full(len(inc.request_start), -1, dtype=np.int64)
    # The first option of each request reaching its best reduced value (options are grouped
    # by request, so the hits come out sorted by request).
    hits = np.flatnonzero(reduced_value >= best[inc.request_of] - 1e-9)
    owners = inc.request_of[hits]
    first = np.r_[True, owners[1:] != owners[:-1]]
    chosen[owners[first]] = hits[first]
    chosen[best <= 0] = -1
    total = float(prices @ inc.capacity + np.maximum(best, 0.0).sum())
    return total, chosen


@dataclass
class RelaxResult:
    bound: int  # proven: no allocation of the component is worth more
    prices: FloatArray  # per global cell (zeros elsewhere)
    iterations: int
    incidence: Incidence


def lagrangian(
    problem: Problem,
    reduced: Reduced,
    requests: list[int],
    *,
    target: float,
    iterations: int,
    inc: Incidence | None = None,
    deadline: float | None = None,
) -> RelaxResult:
    """Subgradient descent on L; `target` is the value of the best known allocation."""
    inc = inc or incidence(problem, reduced, requests)
    n_cells = len(inc.cells)
    prices = np.zeros(n_cells, dtype=np.float64)
    best_bound, best_prices = math.inf, prices.copy()
    theta = 1.0
    stall = 0
    done = 0
    for step_number in range(1, iterations + 1):
        done = step_number
        if deadline is not None and step_number % 10 == 0 and time.perf_counter() > deadline:
            break  # the wall-clock safety net: any prices give a valid bound
        value, chosen = dual_value(inc, prices)
        if value < best_bound - 1e-9:
            best_bound, best_prices = value, prices.copy()
            stall = 0
        else:
            stall += 1
            if stall >= 8:
                theta /= 2
                stall = 0
        mask = chosen[inc.request_of[inc.term_option]] == inc.term_option
        used = np.bincount(inc.term_cell[mask], weights=inc.term_amount[mask], minlength=n_cells)
        gradient = inc.capacity - used
        # Prices at zero cannot go lower: those components of the step do not count.
        gradient[(prices <= 0) & (gradient > 0)] = 0.0
        norm = float(gradient @ gradient)
        if norm == 0 or theta < 1e-4 or best_bound - target <= 1e-6 * max(1.0, abs(target)):
            break
        step = theta * max(value - target, 1e-6 * max(1.0, value)) / norm
        prices = np.maximum(0.0, prices - step * gradient)
    full = np.zeros(problem.cap.size, dtype=np.float64)
    full[inc.cells] = best_prices
    # Recompute exactly at the best prices; ceil, so rounding can only loosen the bound.
    value, _ = dual_value(inc, best_prices)
    return RelaxResult(bound=math.ceil(value - 1e-9), prices=full, iterations=done, incidence=inc)


def price_order(inc: Incidence, prices: FloatArray) -> list[int]:
    """The component's options, best value after paying for their scarce places first."""
    local = prices[inc.cells]
    cost = np.bincount(
        inc.term_option, weights=local[inc.term_cell] * inc.term_amount, minlength=len(inc.options)
    )
    order = np.lexsort((inc.options, -(inc.value - cost)))
    result: list[int] = inc.options[order].tolist()
    return result
