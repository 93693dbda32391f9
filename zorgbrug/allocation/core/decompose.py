"""Presolve and decomposition: shrink the problem to where requests really compete.

1. A cell is *binding* when the requests that could use it could together ask more than its
   places (each request counted at its hungriest option). Other cells can never overflow,
   so their constraints are dropped — and they no longer tie requests together.
2. Dominance: an option is dropped when another option of the same request is worth at least
   as much and takes no more of any binding cell. In particular an option that takes no
   binding cell at all beats every cheaper option of its request.
3. Steps 1 and 2 feed each other, so they repeat until nothing changes.
4. A request whose best remaining option takes no binding cell is served with it: nobody
   can object. The others fall apart into connected components (requests linked by a
   binding cell they might share), solved independently: independent areas and, when no
   request spans them, independent days come out of this on their own.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from zorgbrug.allocation.core.problem import BoolArray, IntArray, Problem


@dataclass
class Reduced:
    binding: BoolArray  # per cell
    usage: dict[int, tuple[tuple[int, ...], tuple[int, ...]]]  # option -> binding cells, amounts
    alive: list[list[int]]  # per request: surviving options, best first
    fixed: dict[int, int]  # request -> option, decided in presolve
    components: list[list[int]]  # requests, each list sorted; components by first request
    rounds: int
    dropped: int  # options removed by dominance


def presolve(problem: Problem) -> Reduced:
    cap = problem.cap.reshape(-1)
    options = problem.options
    alive = [sorted(opts, key=lambda o: (-options[o].value, o)) for opts in problem.options_of]
    total = sum(len(a) for a in alive)
    rounds = 0
    binding = np.zeros(cap.size, dtype=np.bool_)
    usage: dict[int, tuple[tuple[int, ...], tuple[int, ...]]] = {}
    while True:
        rounds += 1
        binding = _binding_cells(problem, alive, cap)
        usage = {}
        changed = False
        for r, opts in enumerate(alive):
            kept: list[int] = []
            kept_usage: list[dict[int, int]] = []
            for o in opts:
                option = options[o]
                u = {c: a for c, a in zip(option.cells, option.amounts, strict=True) if binding[c]}
                if any(
                    all(u.get(c, 0) >= a for c, a in k.items()) for k in kept_usage
                ):  # a better-or-equal option asks no more: o is dominated
                    changed = True
                    continue
                kept.append(o)
                kept_usage.append(u)
                usage[o] = (tuple(u), tuple(u.values()))
                if not u:
                    break  # takes nothing contested: every cheaper option is dominated
            if len(kept) != len(opts):
                alive[r] = kept
        if not changed or rounds >= 10:
            break
    fixed = {r: opts[0] for r, opts in enumerate(alive) if opts and not usage[opts[0]][0]}
    free = [r for r, opts in enumerate(alive) if opts and r not in fixed]
    components = _components(problem, free, alive, usage, cap.size)
    return Reduced(
        binding=binding,
        usage=usage,
        alive=alive,
        fixed=fixed,
        components=components,
        rounds=rounds,
        dropped=total - sum(len(a) for a in alive),
    )


def _binding_cells(problem: Problem, alive: list[list[int]], cap: IntArray) -> BoolArray:
    """Cells where the requests' hungriest options together exceed the places."""
    demand = np.zeros(cap.size, dtype=np.int64)
    options = problem.options
    for opts in alive:
        if len(opts) == 1:
            option = options[opts[0]]
            for c, a in zip(option.cells, option.amounts, strict=True):
                demand[c] += a
            continue
        most: dict[int, int] = {}
        for o in opts:
            option = options[o]
            for c, a in zip(option.cells, option.amounts, strict=True):
                if a > most.get(c, 0):
                    most[c] = a
        for c, a in most.items():
            demand[c] += a
    result: BoolArray = demand > cap
    return result


def _components(
    problem: Problem,
    free: list[int],
    alive: list[list[int]],
    usage: dict[int, tuple[tuple[int, ...], tuple[int, ...]]],
    n_cells: int,
) -> list[list[int]]:
    parent = list(range(len(problem.requests)))

    def find(x: int) -> int:
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    owner = np.full(n_cells, -1, dtype=np.int64)  # first request seen at each cell
    for r in free:
        for o in alive[r]:
            for c in usage[o][0]:
                first = int(owner[c])
                if first < 0:
                    owner[c] = r
                else:
                    a, b = find(first), find(r)
                    if a != b:
                        parent[max(a, b)] = min(a, b)
    groups: dict[int, list[int]] = {}
    for r in free:
        groups.setdefault(find(r), []).append(r)
    return sorted((sorted(g) for g in groups.values()), key=lambda g: g[0])
