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

The heavy lifting is vectorised (numpy) because at 20,000 requests there are a million
(option, cell) pairs.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from zorgbrug.allocation.core.problem import BoolArray, IntArray, Option, Problem

Usage = tuple[tuple[int, ...], tuple[int, ...]]  # binding cells, amounts


@dataclass
class Reduced:
    binding: BoolArray  # per cell
    usage: dict[int, Usage]  # alive option -> its binding cells and amounts
    alive: list[list[int]]  # per request: surviving options, best first
    fixed: dict[int, int]  # request -> option, decided in presolve
    components: list[list[int]]  # requests, each list sorted; components by first request
    rounds: int
    dropped: int  # options removed by dominance


@dataclass
class _Terms:
    """All (option, cell, amount) triples, options in index order."""

    start: IntArray  # per option: first term
    cell: IntArray
    amount: IntArray
    request: IntArray  # per term


def _terms(problem: Problem) -> _Terms:
    lengths = np.fromiter((len(o.cells) for o in problem.options), dtype=np.int64)
    start = np.zeros(len(lengths) + 1, dtype=np.int64)
    np.cumsum(lengths, out=start[1:])
    cell = np.fromiter(
        (c for o in problem.options for c in o.cells), dtype=np.int64, count=int(start[-1])
    )
    amount = np.fromiter(
        (a for o in problem.options for a in o.amounts), dtype=np.int64, count=int(start[-1])
    )
    request = np.repeat(np.fromiter((o.request for o in problem.options), dtype=np.int64), lengths)
    return _Terms(start=start, cell=cell, amount=amount, request=request)


def presolve(problem: Problem) -> Reduced:
    cap = problem.cap.reshape(-1)
    options = problem.options
    terms = _terms(problem)
    alive = [sorted(opts, key=lambda o: (-options[o].value, o)) for opts in problem.options_of]
    total = sum(len(a) for a in alive)
    is_alive = np.ones(len(options), dtype=np.bool_)
    rounds = 0
    binding = np.zeros(cap.size, dtype=np.bool_)
    usage: dict[int, Usage] = {}
    while True:
        rounds += 1
        binding = _binding_cells(terms, is_alive, cap)
        # The binding part of every option, as Python lists (sliced per option below).
        hit = binding[terms.cell]
        starts = np.r_[0, np.cumsum(hit)][terms.start]
        flat = (terms.cell[hit].tolist(), terms.amount[hit].tolist(), starts.tolist())
        usage = {}
        changed = False
        for r, opts in enumerate(alive):
            kept = _undominated(opts, options, flat, usage)
            if len(kept) != len(opts):
                changed = True
                for o in opts:
                    if o not in usage:
                        is_alive[o] = False
                alive[r] = kept
        if not changed or rounds >= 10:
            break
    fixed = {r: opts[0] for r, opts in enumerate(alive) if opts and not usage[opts[0]][0]}
    free = np.array([r for r, opts in enumerate(alive) if opts and r not in fixed], dtype=np.int64)
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


def _undominated(
    opts: list[int],
    options: list[Option],
    flat: tuple[list[int], list[int], list[int]],
    usage: dict[int, Usage],
) -> list[int]:
    """The options of one request that no better-or-equal option dominates (best first)."""
    all_cells, all_amounts, starts = flat
    kept: list[int] = []
    for o in opts:
        a, b = starts[o], starts[o + 1]
        cells, amounts = tuple(all_cells[a:b]), tuple(all_amounts[a:b])
        sites = options[o].sites
        dominated = False
        for k in kept:
            # Options at different sites take different cells: only a shared site (or an
            # option taking nothing binding, which ends the loop below) can dominate.
            if (len(sites) == 1 and len(options[k].sites) == 1) or not (
                set(options[k].sites) & set(sites)
            ):
                continue
            mine = dict(zip(cells, amounts, strict=True))
            if all(mine.get(c, 0) >= n for c, n in zip(*usage[k], strict=True)):
                dominated = True
                break
        if dominated:
            continue
        kept.append(o)
        usage[o] = (cells, amounts)
        if not cells:
            break  # takes nothing contested: every cheaper option is dominated
    return kept


def _binding_cells(terms: _Terms, is_alive: BoolArray, cap: IntArray) -> BoolArray:
    """Cells where the requests' hungriest alive options together exceed the places."""
    live = np.repeat(is_alive, np.diff(terms.start))
    cell, amount, request = terms.cell[live], terms.amount[live], terms.request[live]
    if cell.size == 0:
        return np.zeros(cap.size, dtype=np.bool_)
    key = request * cap.size + cell
    order = np.argsort(key, kind="stable")
    key, amount = key[order], amount[order]
    first = np.flatnonzero(np.r_[True, key[1:] != key[:-1]])
    most = np.maximum.reduceat(amount, first)
    demand = np.bincount(key[first] % cap.size, weights=most, minlength=cap.size)
    result: BoolArray = demand > cap
    return result


def _components(
    problem: Problem,
    free: IntArray,
    alive: list[list[int]],
    usage: dict[int, Usage],
    n_cells: int,
) -> list[list[int]]:
    """Connected components of requests and the binding cells they may share."""
    req_list: list[int] = []
    cell_list: list[int] = []
    for r in free.tolist():
        cells = {c for o in alive[r] for c in usage[o][0]}
        req_list.extend([r] * len(cells))
        cell_list.extend(cells)
    req = np.array(req_list, dtype=np.int64)
    cell = np.array(cell_list, dtype=np.int64)
    label = np.arange(len(problem.requests), dtype=np.int64)
    if len(req):
        by_cell = np.argsort(cell, kind="stable")
        cell_sorted = cell[by_cell]
        cell_first = np.flatnonzero(np.r_[True, cell_sorted[1:] != cell_sorted[:-1]])
        cell_label = np.zeros(n_cells, dtype=np.int64)
        # Minimum-label propagation until no label changes (rounds = graph diameter).
        while True:
            per_cell = np.minimum.reduceat(label[req[by_cell]], cell_first)
            cell_label[cell_sorted[cell_first]] = per_cell
            new = label.copy()
            np.minimum.at(new, req, cell_label[cell])
            if np.array_equal(new, label):
                break
            label = new
    groups: dict[int, list[int]] = {}
    for r in free.tolist():
        groups.setdefault(int(label[r]), []).append(r)
    return sorted(groups.values(), key=lambda g: g[0])
