"""Small-cell suppression: no published count from 1 to 4, and none derivable from totals.

The derivability check here is independent of the module's own: the rank of the equations
restricted to unpublished cells, with and without the unit vector of the cell (numpy).
"""

from __future__ import annotations

from collections.abc import Hashable, Mapping, Sequence

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from zorgbrug.research.suppression import (
    Equation,
    determined,
    suppress,
    suppress_table,
    table_cells,
)

counts = st.one_of(
    st.integers(min_value=0, max_value=4),  # many small cells, and zeros
    st.integers(min_value=5, max_value=60),
)


def derivable(
    values: Mapping[Hashable, int],
    equations: Sequence[Equation[Hashable]],
    unpublished: set[Hashable],
) -> set[Hashable]:
    """Unpublished cells whose value follows from the published ones (linear algebra)."""
    unknown = sorted(unpublished, key=list(values).index)
    if not unknown:
        return set()
    index = {k: i for i, k in enumerate(unknown)}
    rows = []
    for eq in equations:
        row = [0.0] * len(unknown)
        for k in eq.parts:
            if k in index:
                row[index[k]] += 1
        if eq.total in index:
            row[index[eq.total]] -= 1
        if any(row):
            rows.append(row)
    if not rows:
        return set()
    matrix = np.array(rows)
    rank = np.linalg.matrix_rank(matrix)
    out = set()
    for k, i in index.items():
        unit = np.zeros(len(unknown))
        unit[i] = 1
        if np.linalg.matrix_rank(np.vstack([matrix, unit])) == rank:
            out.add(k)
    return out


def check(
    values: Mapping[Hashable, int],
    equations: Sequence[Equation[Hashable]],
    published: Mapping[Hashable, int | None],
    hidden: set[Hashable],
) -> None:
    for k, shown in published.items():
        assert shown is None or shown == values[k], "a published cell changed"
        assert shown is None or not 1 <= shown <= 4, f"{k} shows {shown}"
    unpublished = {k for k, v in published.items() if v is None} | hidden
    sensitive = {k for k, v in values.items() if 1 <= v <= 4}
    exposed = derivable(values, equations, unpublished) & sensitive
    assert not exposed, f"small cells derivable from the totals: {exposed}"


@st.composite
def tables(draw: st.DrawFn) -> list[list[int]]:
    n_rows = draw(st.integers(min_value=1, max_value=6))
    n_cols = draw(st.integers(min_value=1, max_value=5))
    return [[draw(counts) for _ in range(n_cols)] for _ in range(n_rows)]


@settings(max_examples=300, deadline=None)
@given(tables(), st.booleans(), st.booleans())
def test_random_tables_never_show_or_leak_a_small_count(
    cells: list[list[int]], row_totals: bool, col_totals: bool
) -> None:
    values, equations, _weights = table_cells(cells, row_totals=row_totals, col_totals=col_totals)
    result = suppress_table(cells, row_totals=row_totals, col_totals=col_totals)
    published: dict[Hashable, int | None] = {}
    for i, row in enumerate(result.cells):
        for j, v in enumerate(row):
            published[("cell", i, j)] = v
    if result.row_totals is not None:
        published.update({("row", i): v for i, v in enumerate(result.row_totals)})
    if result.col_totals is not None:
        published.update({("col", j): v for j, v in enumerate(result.col_totals)})
    if row_totals and col_totals:
        published[("total",)] = result.total
    assert set(published) == set(values)
    check(values, equations, published, set())


@st.composite
def linked_systems(
    draw: st.DrawFn,
) -> tuple[dict[Hashable, int], list[Equation[Hashable]], set[Hashable]]:
    """A population split several ways (like clients screened, split by care duties, by
    main barrier, by answer), each split with a hidden remainder, and by gender."""
    genders = draw(st.integers(min_value=1, max_value=4))
    splits = draw(st.integers(min_value=1, max_value=4))
    values: dict[Hashable, int] = {}
    equations: list[Equation[Hashable]] = []
    hidden: set[Hashable] = set()
    totals = [draw(st.integers(min_value=0, max_value=40)) for _ in range(genders)]
    for g, n in enumerate(totals):
        values[("all", g)] = n
    values[("all", "total")] = sum(totals)
    equations.append(Equation(tuple(("all", g) for g in range(genders)), ("all", "total")))
    for s in range(splits):
        parts = [draw(st.integers(min_value=0, max_value=n)) for n in totals]
        for g, (part, n) in enumerate(zip(parts, totals, strict=True)):
            values[("in", s, g)] = part
            values[("out", s, g)] = n - part
            hidden.add(("out", s, g))
            equations.append(Equation((("in", s, g), ("out", s, g)), ("all", g)))
        values[("in", s, "total")] = sum(parts)
        values[("out", s, "total")] = sum(totals) - sum(parts)
        hidden.add(("out", s, "total"))
        for side in ("in", "out"):
            equations.append(
                Equation(tuple((side, s, g) for g in range(genders)), (side, s, "total"))
            )
    return values, equations, hidden


@settings(max_examples=150, deadline=None)
@given(linked_systems())
def test_linked_figures_with_hidden_remainders_never_leak(
    system: tuple[dict[Hashable, int], list[Equation[Hashable]], set[Hashable]],
) -> None:
    values, equations, hidden = system
    published = suppress(values, equations, hidden=hidden)
    assert set(published) == set(values) - hidden
    check(values, equations, published, hidden)


def test_one_small_cell_takes_the_cheapest_cycle_and_keeps_the_totals() -> None:
    result = suppress_table([[3, 10, 20], [12, 8, 30], [6, 7, 9]])
    assert result.cells == [[None, None, 20], [12, 8, 30], [None, None, 9]]
    assert result.row_totals == [33, 50, 22]
    assert result.col_totals == [21, 25, 59]
    assert result.total == 105


def test_remainder_that_is_small_hides_its_complement() -> None:
    # 40 screened, 37 with care duties: the 3 without must not follow by subtraction.
    published = suppress(
        {"screened": 40, "with": 37, "without": 3},
        [Equation(("with", "without"), "screened")],
        hidden={"without"},
    )
    assert published == {"screened": 40, "with": None}


def test_zero_is_published_and_a_single_small_count_is_not() -> None:
    assert suppress_table([[0, 0], [0, 0]]).cells == [[0, 0], [0, 0]]
    assert suppress_table([[2]], row_totals=False, col_totals=False).cells == [[None]]


def test_inconsistent_input_is_refused() -> None:
    with pytest.raises(ValueError, match="add up"):
        suppress({"a": 1, "b": 2, "t": 4}, [Equation(("a", "b"), "t")])
    with pytest.raises(ValueError, match="count"):
        suppress({"a": -1})


def test_determined_finds_a_cell_alone_in_its_row() -> None:
    eq = [Equation(("a", "b"), "t")]
    assert determined(["a"], eq) == {"a"}
    assert determined(["a", "b"], eq) == set()
