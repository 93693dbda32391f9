"""Greedy allocations: first come, first served (the baseline), and orderings used as hints.

A greedy takes the requests in some order and gives each the best option that still fits the
places left (a single site if one fits, else a split). First come, first served looks at every
site within reach at the moment the request is handled, exactly like booking at the counter;
the options it takes are added to the problem, so that the optimiser can always reproduce it.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

import numpy as np

from zorgbrug.allocation.core.problem import IntArray, Option, Problem, enumerate_options

Solution = dict[int, int]  # request index -> option index


def take(residual: IntArray, option: Option) -> None:
    flat = residual.reshape(-1)
    for cell, amount in zip(option.cells, option.amounts, strict=True):
        flat[cell] -= amount


def fits(residual: IntArray, option: Option) -> bool:
    flat = residual.reshape(-1)
    return all(flat[c] >= a for c, a in zip(option.cells, option.amounts, strict=True))


def fcfs(problem: Problem) -> Solution:
    """First come, first served over all sites within reach (not only the listed options)."""
    order = sorted(range(len(problem.requests)), key=lambda i: problem.requests[i].arrival_key)
    residual = problem.cap.copy()
    solution: Solution = {}
    for i in order:
        found = enumerate_options(problem, problem.requests[i], residual, 1, 1)
        if found:
            option = found[0]
            solution[i] = problem.add_option(option)
            take(residual, option)
    return solution


def greedy_over_options(
    problem: Problem,
    ranked: Iterable[int],
    residual: IntArray,
    solution: Solution | None = None,
) -> Solution:
    """Take options in the given order when their request is unserved and they fit."""
    solution = dict(solution or {})
    for o in ranked:
        option = problem.options[o]
        if option.request in solution or not fits(residual, option):
            continue
        solution[option.request] = o
        take(residual, option)
    return solution


def by_priority(problem: Problem, requests: Sequence[int]) -> list[int]:
    """Options of the given requests, most valuable class first, then value per place."""

    def key(o: int) -> tuple[int, float, int]:
        option = problem.options[o]
        rd = problem.requests[option.request]
        return (rd.rank, -option.value / sum(option.amounts), o)

    return sorted((o for r in requests for o in problem.options_of[r]), key=key)


def by_price(problem: Problem, requests: Sequence[int], prices: np.ndarray) -> list[int]:
    """Options by value minus the shadow price of the places they take, best first."""
    flat = prices.reshape(-1)

    def key(o: int) -> tuple[float, int]:
        option = problem.options[o]
        cost = sum(float(flat[c]) * a for c, a in zip(option.cells, option.amounts, strict=True))
        return (-(option.value - cost), o)

    return sorted((o for r in requests for o in problem.options_of[r]), key=key)


def solution_value(problem: Problem, solution: Solution) -> int:
    return sum(problem.options[o].value for o in solution.values())


def is_feasible(problem: Problem, solution: Solution) -> bool:
    used = np.zeros(problem.cap.size, dtype=np.int64)
    for r, o in solution.items():
        option = problem.options[o]
        if option.request != r:
            return False
        for c, a in zip(option.cells, option.amounts, strict=True):
            used[c] += a
    return bool((used <= problem.cap.reshape(-1)).all())
