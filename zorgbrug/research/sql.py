"""SQL building blocks for the indicators: percentiles, day and minute differences.

Every function here runs in the database, on PostgreSQL and on SQLite alike:
- `PercentileCont` is PostgreSQL's `percentile_cont(f) WITHIN GROUP (ORDER BY x)`;
- SQLite has no percentile aggregate, so `percentiles()` falls back to the same linear
  interpolation computed from at most two rows per fraction, fetched in SQL order with
  LIMIT/OFFSET — never by loading the whole column;
- `DaysBetween` and `MinutesBetween` give integers on both databases, so that sums and
  percentiles agree to the digit; `AgeInYears` whole years of age on a day.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

from django.db import NotSupportedError, connection
from django.db.models import Aggregate, Expression, F, FloatField, Func, IntegerField, QuerySet


class PercentileCont(Aggregate):
    """The continuous percentile of an expression (PostgreSQL only): linear interpolation
    between the two closest ranks, as in `percentile_cont`."""

    function = "PERCENTILE_CONT"
    name = "PercentileCont"
    template = "%(function)s(%(fraction)s) WITHIN GROUP (ORDER BY %(expressions)s)"
    output_field = FloatField()

    def __init__(self, expression: Any, *, fraction: float, **extra: Any) -> None:
        if not 0 <= fraction <= 1:
            raise ValueError("fraction must be between 0 and 1")
        super().__init__(expression, fraction=repr(float(fraction)), **extra)

    def as_sqlite(self, compiler: Any, connection: Any, **extra_context: Any) -> Any:
        # Django's way of saying a backend cannot compile an expression.
        raise NotSupportedError("PercentileCont needs PostgreSQL; use percentiles()")


class DaysBetween(Func):
    """Whole days from `earlier` to `later` (two date expressions), as an integer."""

    output_field = IntegerField()
    arity = 2

    def __init__(self, later: Any, earlier: Any, **extra: Any) -> None:
        super().__init__(later, earlier, **extra)

    def as_postgresql(self, compiler: Any, connection: Any, **extra: Any) -> Any:
        # date - date is an integer number of days in PostgreSQL.
        return self.as_sql(
            compiler, connection, template="(%(expressions)s)", arg_joiner=" - ", **extra
        )

    def as_sqlite(self, compiler: Any, connection: Any, **extra: Any) -> Any:
        return self.as_sql(
            compiler,
            connection,
            template="CAST(ROUND(julianday(%(expressions)s)) AS INTEGER)",
            arg_joiner=") - julianday(",
            **extra,
        )


class MinutesBetween(Func):
    """Whole minutes from `start` to `end` (two time-of-day expressions), as an integer."""

    output_field = IntegerField()
    arity = 2

    def __init__(self, start: Any, end: Any, **extra: Any) -> None:
        super().__init__(end, start, **extra)

    def as_postgresql(self, compiler: Any, connection: Any, **extra: Any) -> Any:
        return self.as_sql(
            compiler,
            connection,
            template="CAST(ROUND(EXTRACT(EPOCH FROM (%(expressions)s)) / 60) AS INTEGER)",
            arg_joiner=" - ",
            **extra,
        )

    def as_sqlite(self, compiler: Any, connection: Any, **extra: Any) -> Any:
        return self.as_sql(
            compiler,
            connection,
            template="CAST(ROUND((julianday(%(expressions)s)) * 1440) AS INTEGER)",
            arg_joiner=") - julianday(",
            **extra,
        )


class AgeInYears(Func):
    """Whole years of age on a day (`on`, a date) for a birth date."""

    output_field = IntegerField()
    arity = 2

    def __init__(self, on: Any, birth: Any, **extra: Any) -> None:
        super().__init__(on, birth, **extra)

    def as_postgresql(self, compiler: Any, connection: Any, **extra: Any) -> Any:
        return self.as_sql(
            compiler,
            connection,
            template="CAST(DATE_PART('year', AGE(%(expressions)s)) AS INTEGER)",
            **extra,
        )

    def as_sqlite(self, compiler: Any, connection: Any, **extra: Any) -> Any:
        on, on_params = compiler.compile(self.source_expressions[0])
        birth, birth_params = compiler.compile(self.source_expressions[1])
        sql = (
            f"(CAST(strftime('%%Y', {on}) AS INTEGER) - CAST(strftime('%%Y', {birth}) AS INTEGER)"
            f" - (strftime('%%m-%%d', {on}) < strftime('%%m-%%d', {birth})))"
        )
        return sql, (*on_params, *birth_params, *on_params, *birth_params)


def interpolate(lower: float, upper: float, weight: float) -> float:
    return lower + (upper - lower) * weight


def percentiles(
    queryset: QuerySet[Any],
    field: str | Expression,
    fractions: Sequence[float],
    *,
    method: str = "auto",
) -> dict[float, float | None]:
    """Continuous percentiles (linear interpolation, as PostgreSQL's percentile_cont) of a
    numeric expression over the rows of `queryset`; rows where it is NULL are left out.

    method: "aggregate" (PostgreSQL's percentile_cont), "offset" (portable: a count, then
    per fraction the one or two rows around the rank, fetched sorted with LIMIT/OFFSET), or
    "auto" (the aggregate on PostgreSQL, the offset method elsewhere).
    """
    if method == "auto":
        method = "aggregate" if connection.vendor == "postgresql" else "offset"
    alias = "_pct_value"
    qs = queryset.annotate(**{alias: F(field) if isinstance(field, str) else field})
    qs = qs.filter(**{f"{alias}__isnull": False})
    if method == "aggregate":
        row = qs.aggregate(
            **{f"p{i}": PercentileCont(alias, fraction=f) for i, f in enumerate(fractions)}
        )
        return {f: _none_or_float(row[f"p{i}"]) for i, f in enumerate(fractions)}
    if method != "offset":
        raise ValueError(f"unknown percentile method {method!r}")
    n = qs.count()
    out: dict[float, float | None] = {}
    ordered = qs.order_by(alias).values_list(alias, flat=True)
    for fraction in fractions:
        if n == 0:
            out[fraction] = None
            continue
        rank = (n - 1) * fraction
        low = math.floor(rank)
        high = math.ceil(rank)
        values = [float(v) for v in ordered[low : high + 1]]
        out[fraction] = interpolate(values[0], values[-1], rank - low)
    return out


def _none_or_float(value: Any) -> float | None:
    return None if value is None else float(value)
