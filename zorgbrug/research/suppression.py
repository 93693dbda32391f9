"""Small-cell suppression for published tables: no count from 1 to 4 can be read or derived.

Pure functions, no ORM. A published set of figures is described as *cells* (counts) and
*equations* between them (parts that add up to a total: a table's rows and columns with
their margins, or a category split into its complement). Some cells are never published
(`hidden`): the complements nobody prints but anyone can compute by subtraction — "clients
screened" minus "with care duties" — and they must be protected like the printed ones.

1. Primary suppression: every publishable cell with a count from 1 to `threshold - 1`.
2. Complementary suppression: a suppressed (or hidden) sensitive cell must not be
   *determined* by the published cells through the equations. It is determined exactly when
   its unit vector lies in the row space of the equations restricted to the unpublished
   cells; that is checked with exact rational Gaussian elimination. While some sensitive
   cell is determined, the cheapest set of published cells that lets it change without
   breaking any equation is suppressed too (a small linear programme, OR-Tools' GLOP; for a
   table with margins its optimum is a cheapest cycle of cells). Cheap means few cells,
   inner cells rather than totals, positive cells rather than zeros (a zero complement
   tells that the hidden cell is at most the total), then small ones. The exact check runs
   again after every step, so the solver only chooses; it never decides what is safe.

Zero is published: an empty cell discloses nobody, and hiding zeros would hide nearly
everything in a small network. For a plain table with margins this guarantees that no
hidden cell follows from the row and column totals (every suppressed cell lies on a cycle
of suppressed cells), the classic requirement; the property tests check the general rule
with an independent rank computation.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Hashable, Mapping, Sequence
from dataclasses import dataclass
from fractions import Fraction
from typing import Generic, TypeVar

K = TypeVar("K", bound=Hashable)

THRESHOLD = 5  # counts 1 .. THRESHOLD - 1 are never shown


@dataclass(frozen=True)
class Equation(Generic[K]):
    """sum(parts) == total."""

    parts: tuple[K, ...]
    total: K


def is_small(value: int, threshold: int = THRESHOLD) -> bool:
    return 1 <= value < threshold


def suppress(
    values: Mapping[K, int],
    equations: Sequence[Equation[K]] = (),
    *,
    hidden: Collection[K] = (),
    weights: Mapping[K, int] | None = None,
    threshold: int = THRESHOLD,
) -> dict[K, int | None]:
    """The publishable cells of `values` (all but `hidden`), each with its count or None
    where it is suppressed. `weights` makes cells less welcome as complements (totals)."""
    _validate(values, equations, threshold)
    weights = weights or {}
    order = {k: i for i, k in enumerate(values)}
    hidden_set = set(hidden)
    suppressed = {k for k in values if k in hidden_set or is_small(values[k], threshold)}
    sensitive = {k for k in values if is_small(values[k], threshold)}
    by_cell: dict[K, list[int]] = {k: [] for k in values}
    for n, eq in enumerate(equations):
        for k in (*eq.parts, eq.total):
            by_cell[k].append(n)

    def cost(k: K) -> tuple[int, int, int, int]:
        return (values[k] == 0, weights.get(k, 0), values[k], order[k])

    while True:
        exposed = determined(sorted(suppressed, key=order.__getitem__), equations)
        at_risk = sorted((k for k in exposed if k in sensitive), key=order.__getitem__)
        if not at_risk:
            break
        cover = _cheapest_cover(at_risk[0], values, suppressed, hidden_set, equations, weights)
        if not cover:  # the solver found nothing: fall back to the nearest neighbour
            cover = {_complement(at_risk[0], suppressed, hidden_set, equations, by_cell, cost)}
        suppressed |= cover
    return {k: (None if k in suppressed else v) for k, v in values.items() if k not in hidden_set}


def _cheapest_cover(
    cell: K,
    values: Mapping[K, int],
    suppressed: set[K],
    hidden: set[K],
    equations: Sequence[Equation[K]],
    weights: Mapping[K, int],
) -> set[K]:
    """The published cells to suppress so that `cell` can change while every equation still
    holds: a perturbation d with d[cell] = 1 and A d = 0 that moves as few (and as small, and
    as few total) published cells as possible, found as a linear programme. For a table
    with margins the optimum is a cheapest cycle of cells through `cell`."""
    from ortools.linear_solver import pywraplp

    solver = pywraplp.Solver.CreateSolver("GLOP")
    if solver is None:
        return set()
    infinity = solver.infinity()
    up = {k: solver.NumVar(0, infinity, "") for k in values}
    down = {k: solver.NumVar(0, infinity, "") for k in values}
    for eq in equations:
        solver.Add(sum(up[k] - down[k] for k in eq.parts) - (up[eq.total] - down[eq.total]) == 0)
    solver.Add(up[cell] - down[cell] == 1)
    largest = max(values.values(), default=0) + 1
    terms = []
    for k, v in values.items():
        if k in suppressed or k in hidden:
            price = 1e-6  # already unpublished: free, but keep the perturbation small
        else:
            price = (1 + weights.get(k, 0)) * (10 if v == 0 else 1) + 0.5 * v / largest
        terms.append(price * (up[k] + down[k]))
    solver.Minimize(sum(terms))
    if solver.Solve() != pywraplp.Solver.OPTIMAL:
        return set()
    return {
        k
        for k in values
        if k not in suppressed
        and k not in hidden
        and up[k].solution_value() + down[k].solution_value() > 1e-7
    }


def _complement(
    cell: K,
    suppressed: set[K],
    hidden: set[K],
    equations: Sequence[Equation[K]],
    by_cell: Mapping[K, list[int]],
    cost: Callable[[K], tuple[int, int, int, int]],
) -> K:
    """The cheapest publishable cell to suppress next to `cell`: first in the equations
    that hold `cell`, else in those reached through other suppressed cells (breadth first)."""
    seen_eqs: set[int] = set()
    seen_cells = {cell}
    frontier = [cell]
    while frontier:
        candidates: set[K] = set()
        reached: list[K] = []
        for k in frontier:
            for n in by_cell[k]:
                if n in seen_eqs:
                    continue
                seen_eqs.add(n)
                eq = equations[n]
                for other in (*eq.parts, eq.total):
                    if other in seen_cells:
                        continue
                    if other not in suppressed and other not in hidden:
                        candidates.add(other)
                    elif other in suppressed:
                        seen_cells.add(other)
                        reached.append(other)
        if candidates:
            return min(candidates, key=cost)
        frontier = reached
    # Every cell linked to `cell` is unpublished, so nothing can determine it.
    raise AssertionError("a cell with only unpublished neighbours cannot be determined")


def determined(unknown: Sequence[K], equations: Sequence[Equation[K]]) -> set[K]:
    """The cells of `unknown` whose value follows from the equations once every other cell
    is known: exact reduced row echelon form over the unknowns; a cell is determined when a
    reduced row holds it alone."""
    index = {k: i for i, k in enumerate(unknown)}
    pivots: dict[int, dict[int, Fraction]] = {}
    for eq in equations:
        row: dict[int, Fraction] = {}
        for k in eq.parts:
            if k in index:
                row[index[k]] = row.get(index[k], Fraction(0)) + 1
        if eq.total in index:
            row[index[eq.total]] = row.get(index[eq.total], Fraction(0)) - 1
        for p in [p for p in row if p in pivots]:
            factor = row.get(p, Fraction(0))
            if factor:
                for var, coef in pivots[p].items():
                    row[var] = row.get(var, Fraction(0)) - factor * coef
        row = {var: coef for var, coef in row.items() if coef}
        if not row:
            continue
        pivot = min(row)
        lead = row[pivot]
        row = {var: coef / lead for var, coef in row.items()}
        for other in pivots.values():
            factor = other.get(pivot, Fraction(0))
            if factor:
                for var, coef in row.items():
                    other[var] = other.get(var, Fraction(0)) - factor * coef
                for var in [var for var, coef in other.items() if not coef]:
                    del other[var]
        pivots[pivot] = row
    return {unknown[p] for p, row in pivots.items() if len(row) == 1}


def _validate(values: Mapping[K, int], equations: Sequence[Equation[K]], threshold: int) -> None:
    if threshold < 1:
        raise ValueError("threshold must be at least 1")
    for k, v in values.items():
        if not isinstance(v, int) or isinstance(v, bool) or v < 0:
            raise ValueError(f"cell {k!r} must be a count, not {v!r}")
    for eq in equations:
        missing = [k for k in (*eq.parts, eq.total) if k not in values]
        if missing:
            raise ValueError(f"equation names unknown cells {missing!r}")
        if sum(values[k] for k in eq.parts) != values[eq.total]:
            raise ValueError(f"cells {eq.parts!r} do not add up to {eq.total!r}")


# --- Tables ---------------------------------------------------------------------------


@dataclass(frozen=True)
class SuppressedTable:
    cells: list[list[int | None]]
    row_totals: list[int | None] | None
    col_totals: list[int | None] | None
    total: int | None


def table_cells(
    cells: Sequence[Sequence[int]], *, row_totals: bool = True, col_totals: bool = True
) -> tuple[
    dict[tuple[object, ...], int], list[Equation[tuple[object, ...]]], dict[tuple[object, ...], int]
]:
    """A table's cells, its margin equations and complement weights, keyed ("cell", i, j),
    ("row", i), ("col", j) and ("total",)."""
    n_rows = len(cells)
    n_cols = len(cells[0]) if n_rows else 0
    if any(len(row) != n_cols for row in cells):
        raise ValueError("every row needs the same number of cells")
    values: dict[tuple[object, ...], int] = {}
    equations: list[Equation[tuple[object, ...]]] = []
    weights: dict[tuple[object, ...], int] = {}
    for i, row in enumerate(cells):
        for j, value in enumerate(row):
            values[("cell", i, j)] = value
    if row_totals:
        for i, row in enumerate(cells):
            values[("row", i)] = sum(row)
            weights[("row", i)] = 1
            equations.append(Equation(tuple(("cell", i, j) for j in range(n_cols)), ("row", i)))
    if col_totals:
        for j in range(n_cols):
            values[("col", j)] = sum(row[j] for row in cells)
            weights[("col", j)] = 1
            equations.append(Equation(tuple(("cell", i, j) for i in range(n_rows)), ("col", j)))
    if row_totals and col_totals:
        values[("total",)] = sum(sum(row) for row in cells)
        weights[("total",)] = 2
        equations.append(Equation(tuple(("row", i) for i in range(n_rows)), ("total",)))
        equations.append(Equation(tuple(("col", j) for j in range(n_cols)), ("total",)))
    return values, equations, weights


def suppress_table(
    cells: Sequence[Sequence[int]],
    *,
    row_totals: bool = True,
    col_totals: bool = True,
    threshold: int = THRESHOLD,
) -> SuppressedTable:
    """A table of counts with its margins, suppressed so that no count from 1 to
    threshold - 1 is shown or follows from the totals."""
    values, equations, weights = table_cells(cells, row_totals=row_totals, col_totals=col_totals)
    out = suppress(values, equations, weights=weights, threshold=threshold)
    n_rows = len(cells)
    n_cols = len(cells[0]) if n_rows else 0
    return SuppressedTable(
        cells=[[out[("cell", i, j)] for j in range(n_cols)] for i in range(n_rows)],
        row_totals=[out[("row", i)] for i in range(n_rows)] if row_totals else None,
        col_totals=[out[("col", j)] for j in range(n_cols)] if col_totals else None,
        total=out[("total",)] if row_totals and col_totals else None,
    )
