"""Database helpers for the few hot paths where the ORM's own work costs more than the
database's (the booking API): model instances written in one plain INSERT.

Everything here is driven by the model's fields, so a new field or default is picked up
without touching this code; the ORM remains the way to write everywhere else.
"""

from __future__ import annotations

import datetime as dt
import functools
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
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


@dataclass(frozen=True)
class RowInsert:
    """`INSERT INTO <table> (<every column>) SELECT … FROM <source>`, for a statement that
    writes rows it decides on itself (a data-modifying CTE), built once per shape by
    `row_insert`. `params` gives the values of its placeholders, in text order."""

    sql: str
    bound: tuple[Field[Any, Any], ...]  # the fields bound on each call, in text order
    alias: str

    def params(self, values: Mapping[str, Any], now: dt.datetime) -> list[Any]:
        """The bound columns' values as an INSERT writes them: those given (by attname),
        `now` for automatic dates, a fresh default (a UUID, the time) for the others."""
        connection = connections[self.alias]
        out = []
        for field in self.bound:
            name = field.attname
            if name in values:
                value = values[name]
            elif _automatic_date(field):
                value = now
            else:
                value = field.get_default()
            out.append(field.get_db_prep_save(value, connection))
        return out


@functools.lru_cache(maxsize=64)
def row_insert(
    model: type[Model],
    source: str,
    computed: tuple[tuple[str, str], ...] = (),
    given: tuple[str, ...] = (),
) -> RowInsert:
    """The INSERT of `model`'s rows from `source`, driven by the model's fields, so that a
    field added to the model is written without touching the caller:

    - the fields in `computed` (attname, SQL expression over `source`) take that expression;
    - the fields in `given` (attnames) are bound to the caller's values on each call;
    - automatic dates (`auto_now_add`) and defaults made anew each time (a UUID, the time)
      are bound too, and made on each call unless given;
    - every other column holds its constant default (an empty string, 0, NULL, a
      choice), written into the text: a hot path's rows mostly hold defaults, and
      preparing and sending them on every call cost more than the rest of the row;
      a column with a database default (`db_default`) is left out, to the database.

    A primary key the database makes is left to the database. A column with neither a
    value nor a default is an error here, not in the database."""
    meta = model._meta
    alias = router.db_for_write(model)
    connection = connections[alias]
    quote = connection.ops.quote_name
    pk = meta.pk
    fields = [f for f in meta.concrete_fields if not (isinstance(f, _AUTO) and f is pk)]
    expressions = dict(computed)
    attnames = {f.attname for f in fields}
    unknown = (set(expressions) | set(given)) - attnames
    if unknown:
        raise ValueError(f"{meta.label} has no column {', '.join(sorted(unknown))}")
    # A column with a database default that the caller leaves alone is left to it.
    fields = [
        f
        for f in fields
        if f.attname in expressions or f.attname in given or not f.has_db_default()
    ]
    values: list[str] = []
    bound: list[Field[Any, Any]] = []
    for field in fields:
        cast = field.cast_db_type(connection)
        if field.attname in expressions:
            values.append(expressions[field.attname])
            continue
        literal = None
        if field.attname not in given and not _made_each_time(field):
            default = field.get_default()
            if default is None and not field.null:
                raise ValueError(f"{meta.label}.{field.attname} has no default: give it")
            literal = _literal_or_none(field.get_db_prep_save(default, connection))
        if literal is None:
            values.append(f"CAST(%s AS {cast})")
            bound.append(field)
        else:
            values.append(f"CAST({literal} AS {cast})")
    columns = ", ".join(quote(str(f.column)) for f in fields)
    # Names, expressions and constant defaults are code; values are bound.
    sql = f"INSERT INTO {quote(meta.db_table)} ({columns}) SELECT {', '.join(values)} FROM {source}"  # noqa: S608
    return RowInsert(sql=sql, bound=tuple(bound), alias=alias)


def _automatic_date(field: Field[Any, Any]) -> bool:
    return bool(getattr(field, "auto_now", False) or getattr(field, "auto_now_add", False))


def _made_each_time(field: Field[Any, Any]) -> bool:
    """An automatic date, or a default made by a call that gives another value each time
    (`uuid4`, `timezone.now`); an empty container (`dict`, `list`) is a constant."""
    if _automatic_date(field):
        return True
    return field.has_default() and callable(field.default) and field.default not in (dict, list)


def sql_literal(value: Any) -> str:
    """A constant of the code (a default, a status, a text of the translations) as SQL
    text, for a statement built once per process: NULL, a boolean, an integer or a string
    quoted as standard SQL (as PostgreSQL reads it by default and SQLite always does), with
    `%` written `%%` as in a statement run with parameters (Django's cursors and
    `fetch_prepared` both take `%s` placeholders). Never for user input: that is bound."""
    literal = _literal_or_none(value)
    if literal is None:
        raise TypeError(f"No SQL literal for {value!r}")
    return literal


def _literal_or_none(value: Any) -> str | None:
    if value is None:
        return "NULL"
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, int):
        return str(int(value))
    if isinstance(value, str) and "\\" not in value and "\x00" not in value:
        return "'" + str(value).replace("'", "''").replace("%", "%%") + "'"
    return None


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
        if _automatic_date(field):
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
