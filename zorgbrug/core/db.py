"""Database helpers for the few hot paths where the ORM's own work costs more than the
database's (the booking API): model instances written in one plain INSERT.

Everything here is driven by the model's fields, so a new field or default is picked up
without touching this code; the ORM remains the way to write everywhere else.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Mapping, Sequence
from typing import Any, TypeVar

from django.db import connections, router
from django.db.models import AutoField, BigAutoField, Field, Model, SmallAutoField

M = TypeVar("M", bound=Model)

_AUTO = (AutoField, BigAutoField, SmallAutoField)


def insert(objs: Sequence[M]) -> Sequence[M]:
    """INSERT unsaved instances of one model in one statement, like `bulk_create` (no
    `save()`, no signals), without compiling a query: every concrete field is written
    from the instance (`pre_save` fills `auto_now_add` dates), and a primary key the
    database makes comes back into the instances (RETURNING, in VALUES order — as
    `bulk_create` relies on too, on PostgreSQL and SQLite)."""
    if not objs:
        return objs
    model = type(objs[0])
    meta = model._meta
    connection = connections[router.db_for_write(model)]
    quote = connection.ops.quote_name
    pk = meta.pk
    auto_pk = isinstance(pk, _AUTO)
    fields = [f for f in meta.concrete_fields if not (auto_pk and f is pk)]
    row = "(" + ", ".join(["%s"] * len(fields)) + ")"
    params: list[Any] = []
    for obj in objs:
        if type(obj) is not model:
            raise TypeError("insert() writes instances of one model at a time")
        params.extend(_db_values(obj, fields, connection.alias))
    columns = ", ".join(quote(str(f.column)) for f in fields)
    # Names come from the model, values are bound.
    sql = f"INSERT INTO {quote(meta.db_table)} ({columns}) VALUES {', '.join([row] * len(objs))}"  # noqa: S608
    if auto_pk:
        assert pk is not None
        sql += f" RETURNING {quote(str(pk.column))}"
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        if auto_pk:
            for obj, (value,) in zip(objs, cursor.fetchall(), strict=True):
                obj.pk = value
    for obj in objs:
        obj._state.adding = False
        obj._state.db = connection.alias
    return objs


def insert_select(
    template: Model, source: str, computed: Mapping[str, str]
) -> tuple[str, list[Any]]:
    """`INSERT INTO <table> (<every column>) SELECT … FROM <source>`, for a statement that
    writes rows it decides on itself (a data-modifying CTE): the fields named in `computed`
    (by attname) take those SQL expressions over `source`; every other column is bound to
    the template instance's value, as `insert` would write it (`pre_save` fills
    `auto_now_add` dates, defaults apply) and cast to the column's type. So a field added
    to the model is written without touching the caller. A primary key the database makes
    is left to the database. Returns the SQL (built once per shape) and its parameters."""
    model = type(template)
    connection = connections[router.db_for_write(model)]
    sql, bound = _insert_select_sql(model, connection.alias, source, tuple(computed.items()))
    return sql, _db_values(template, bound, connection.alias)


def _db_values(obj: Model, fields: Sequence[Field[Any, Any]], alias: str) -> list[Any]:
    """The instance's values of `fields` as an INSERT writes them (`pre_save` fills
    `auto_now_add` dates); a value equal to its field's constant default, and of the same
    type, is taken as prepared once per process."""
    connection = connections[alias]
    defaults = _prepared_defaults(type(obj), alias)
    values = []
    for field in fields:
        value = getattr(obj, field.attname)
        known = defaults.get(field)
        if known is not None and type(value) is type(known[0]) and value == known[0]:
            values.append(known[1])
        else:
            values.append(field.get_db_prep_save(field.pre_save(obj, True), connection))
    return values


@functools.lru_cache(maxsize=64)
def _prepared_defaults(model: type[Model], alias: str) -> dict[Field[Any, Any], tuple[Any, Any]]:
    """Each field's constant default (none for callables and automatic dates: those are
    made anew on every instance) with the value `get_db_prep_save` makes of it: most of a
    hot path's inserted columns hold their defaults, and preparing them is the larger part
    of building the statement's parameters."""
    connection = connections[alias]
    out: dict[Field[Any, Any], tuple[Any, Any]] = {}
    for field in model._meta.concrete_fields:
        if getattr(field, "auto_now", False) or getattr(field, "auto_now_add", False):
            continue
        if field.has_default():
            if callable(field.default):
                continue
            value = field.get_default()
        elif field.null:
            value = None
        else:
            continue
        out[field] = (value, field.get_db_prep_save(value, connection))
    return out


@functools.lru_cache(maxsize=64)
def _insert_select_sql(
    model: type[Model], alias: str, source: str, computed: tuple[tuple[str, str], ...]
) -> tuple[str, list[Field[Any, Any]]]:
    meta = model._meta
    connection = connections[alias]
    quote = connection.ops.quote_name
    pk = meta.pk
    fields = [f for f in meta.concrete_fields if not (isinstance(f, _AUTO) and f is pk)]
    expressions = dict(computed)
    unknown = set(expressions) - {f.attname for f in fields}
    if unknown:
        raise ValueError(f"{meta.label} has no column {', '.join(sorted(unknown))}")
    values: list[str] = []
    bound: list[Field[Any, Any]] = []
    for field in fields:
        if field.attname in expressions:
            values.append(expressions[field.attname])
        else:
            values.append(f"CAST(%s AS {field.cast_db_type(connection)})")
            bound.append(field)
    columns = ", ".join(quote(str(f.column)) for f in fields)
    # Names and expressions are code; values are bound.
    sql = f"INSERT INTO {quote(meta.db_table)} ({columns}) SELECT {', '.join(values)} FROM {source}"  # noqa: S608
    return sql, bound


def fetch_prepared(sql: str, params: Sequence[Any]) -> list[tuple[Any, ...]]:
    """Run one statement as a server-side prepared statement on PostgreSQL, in the current
    transaction: planned once per connection instead of on every call (planning a booking's
    statement costs PostgreSQL more than running it). Django's cursors bind parameters on
    the client and so are never prepared; errors are Django's, as from its own cursors.
    The statement is not in Django's query log.

    The `%s` placeholders become PostgreSQL's own `$n` once per statement (a raw cursor
    sends the text as it is): psycopg would otherwise parse the text again on every call
    once it is longer than its own cache takes, as the booking's statement is."""
    import psycopg  # only on PostgreSQL

    connection = connections["default"]
    if connection.vendor != "postgresql":
        raise RuntimeError("fetch_prepared needs PostgreSQL")
    connection.ensure_connection()
    with connection.wrap_database_errors, psycopg.RawCursor(connection.connection) as cursor:
        cursor.execute(_numbered(sql), params, prepare=True)
        return cursor.fetchall() if cursor.description else []


@functools.lru_cache(maxsize=128)
def _numbered(sql: str) -> str:
    """`%s` -> `$1`, `$2`…; `%%` -> `%` (the placeholders Django's cursors take)."""
    out: list[str] = []
    n = 0
    for part in _PLACEHOLDER.split(sql):
        if part == "%s":
            n += 1
            out.append(f"${n}")
        else:
            out.append("%" if part == "%%" else part)
    return "".join(out)


_PLACEHOLDER = re.compile(r"(%%|%s)")


def from_row(model: type[M], attnames: Sequence[str], values: Sequence[Any]) -> M:
    """A model instance from a hand-written query's columns (fields not named are deferred),
    with the database's values converted as the ORM converts them (datetimes on SQLite,
    JSON…) — what `Model.objects.raw()` does, for a row that also holds other columns."""
    connection = connections[router.db_for_read(model)]
    meta = model._meta
    converted = []
    for name, value in zip(attnames, values, strict=True):
        col = meta.get_field(name).get_col(meta.db_table)  # type: ignore[union-attr]
        for convert in connection.ops.get_db_converters(col) + col.get_db_converters(connection):
            value = convert(value, col, connection)
        converted.append(value)
    return model.from_db(connection.alias, list(attnames), converted)
