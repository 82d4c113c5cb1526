"""Plain SQL for dispatch's few hot statements, on PostgreSQL and SQLite alike.

A claim or a record touches tens of rows at a time. Built through the ORM, or with one parameter
per value, such a statement costs the worker more CPU than the database spends running it (a
list of 64 rows × 14 columns took 2.7 ms to bind, against 0.4 ms as one JSON parameter). So a
list of ids is one array parameter on PostgreSQL, and a list of rows one JSON document the
database unpacks itself (`jsonb_to_recordset` / SQLite's `json_each`).
"""

from __future__ import annotations

import functools
import json
from collections.abc import Sequence
from datetime import datetime
from typing import Any, TypeVar

import psycopg
from django.db import (
    DataError,
    IntegrityError,
    NotSupportedError,
    OperationalError,
    connection,
    connections,
    router,
    transaction,
)
from django.db.backends.base.base import BaseDatabaseWrapper
from django.db.backends.utils import CursorDebugWrapper, CursorWrapper
from django.db.models import Field, Model
from django.db.models.constants import OnConflict

ModelT = TypeVar("ModelT", bound=Model)


def hot_cursor(db: BaseDatabaseWrapper) -> CursorWrapper:
    """A cursor for a statement run on every request, whose text never changes.

    On PostgreSQL its values are sent apart from the statement, and psycopg prepares the
    statement once it has run a few times on the connection (hub/settings.py sets how many,
    DATABASE_PREPARED_STATEMENTS whether at all). Django's own cursor quotes every value into the
    SQL text in Python (psycopg's client-side binding), and the server parses and plans that text
    anew each time. Elsewhere, the usual cursor.

    Otherwise it is Django's cursor: a connection the server dropped is replaced first
    (CONN_HEALTH_CHECKS), errors are Django's, and queries are logged under DEBUG and counted by
    tests. A prepared SELECT whose columns a migration has since retyped fails once ("cached
    plan must not change result type", raised as an OperationalError: try again); the rollback
    that follows makes psycopg forget every prepared statement of the connection, and the next
    request prepares them again.
    """
    if db.vendor != "postgresql":
        return db.cursor()
    db.close_if_health_check_failed()
    db.ensure_connection()
    db.validate_thread_sharing()
    with db.wrap_database_errors:
        cursor = psycopg.Cursor(db.connection)
    return _LoggedHotCursor(cursor, db) if db.queries_logged else _HotCursor(cursor, db)


def _hot_execute(cursor: CursorWrapper, sql: Any, params: Any) -> Any:
    try:
        return CursorWrapper.execute(cursor, sql, params)
    except NotSupportedError as exc:
        if "cached plan must not change result type" not in str(exc):
            raise
        # Passing: the rollback that follows drops the connection's prepared statements. An
        # OperationalError is what the API answers 503 to, so the sender comes back.
        raise OperationalError(f"A prepared statement predates a migration; try again: {exc}") from exc
    except OverflowError as exc:
        # psycopg's binary dumper refuses a number no PostgreSQL integer holds, before the server
        # sees it; the database would have said "out of range".
        raise DataError(f"A number is out of range for its column: {exc}") from exc


class _HotCursor(CursorWrapper):
    def execute(self, sql: Any, params: Any = None) -> Any:
        return _hot_execute(self, sql, params)


class _LoggedHotCursor(CursorDebugWrapper):
    """Django's query log for a hot statement: its text as given, and its values.

    Django would read the statement back from psycopg, which does not keep a prepared one.
    """

    def execute(self, sql: Any, params: Any = None) -> Any:
        with self.debug_sql(sql, params):
            return _hot_execute(self, sql, params)


def table(model: type[Model]) -> str:
    return connection.ops.quote_name(model._meta.db_table)


def fetch(sql: str, params: Sequence[Any]) -> list[tuple]:
    with connection.cursor() as cursor:
        cursor.execute(sql, list(params))
        return cursor.fetchall()


def execute(sql: str, params: Sequence[Any]) -> int:
    with connection.cursor() as cursor:
        cursor.execute(sql, list(params))
        return cursor.rowcount


def one_of(column: str, values: Sequence[Any]) -> tuple[str, list]:
    """`column` is one of `values`: one array parameter on PostgreSQL, a list of them elsewhere."""
    if connection.vendor == "postgresql":
        return f"{column} = ANY(%s)", [list(values)]
    return f"{column} IN ({', '.join(['%s'] * len(values))})", list(values)


def stored_time(moment: datetime | None) -> object:
    """A datetime as a parameter of a plain statement (the ORM would convert it for the database)."""
    return connection.ops.adapt_datetimefield_value(moment)


def json_time(moment: datetime) -> str:
    """A datetime inside a JSON document of rows, as the database reads it back."""
    return moment.isoformat() if connection.vendor == "postgresql" else str(stored_time(moment))


def json_rows(columns: Sequence[tuple[str, str]], rows: Sequence[Sequence[Any]]) -> tuple[str, list]:
    """A FROM item named `v` whose rows come in one JSON parameter; `columns` are (name, PostgreSQL type)."""
    names = [name for name, _ in columns]
    document = json.dumps([dict(zip(names, row, strict=True)) for row in rows], ensure_ascii=False)
    if connection.vendor == "postgresql":
        kinds = ", ".join(f"{name} {kind}" for name, kind in columns)
        return f"jsonb_to_recordset(%s::jsonb) AS v({kinds})", [document]
    picks = ", ".join(f"json_extract(value, '$.{name}') AS {name}" for name in names)
    return f"(SELECT {picks} FROM json_each(%s)) AS v", [document]  # noqa: S608 - names are ours


# More rows than this go through bulk_create, which splits them to the database's parameter limits.
INSERT_MAX_ROWS = 100


@functools.lru_cache(maxsize=256)
def _insert_sql(model: type[Model], using: str, rows: int, ignore_conflicts: bool,
                notify: bool = False) -> tuple[str, tuple[Field, ...]]:
    """The INSERT of `rows` rows of `model` (every concrete column but the id) returning their ids.

    With `notify` (PostgreSQL) the same statement also runs `pg_notify(<a last parameter>, <the
    ids, comma-separated>)`: no round trip of its own.
    """
    ops = connections[using].ops
    on_conflict = OnConflict.IGNORE if ignore_conflicts else None
    fields = tuple(field for field in model._meta.local_concrete_fields if field is not model._meta.auto_field)
    if any(hasattr(field, "get_placeholder") for field in fields):
        raise NotImplementedError(f"{model.__name__} has a field with a placeholder of its own")
    row = f"({', '.join(['%s'] * len(fields))})"
    returning, _ = ops.return_insert_columns([model._meta.pk])
    sql = " ".join(part for part in (
        ops.insert_statement(on_conflict=on_conflict), ops.quote_name(model._meta.db_table),
        f"({', '.join(ops.quote_name(field.column) for field in fields)})",
        "VALUES", ", ".join([row] * rows),
        ops.on_conflict_suffix_sql(fields, on_conflict, None, None) or "", returning,
    ) if part)
    if notify:
        pk = ops.quote_name(model._meta.pk.column)
        told = f"SELECT pg_notify(%s, string_agg({pk}::text, ',')) FROM inserted"  # noqa: S608 - names are ours
        sql = f"WITH inserted AS ({sql}), told AS ({told}) SELECT inserted.{pk} FROM inserted CROSS JOIN told"  # noqa: S608
    return sql, fields


def insert(objs: Sequence[Model], *, ignore_conflicts: bool = False, notify: str | None = None) -> int:
    """INSERT these new model instances in one statement and set their ids; the number inserted.

    New instances only: their ids are the database's, and their related objects already saved.

    What `Model.save()` and `bulk_create()` write (each field's `pre_save`, so `auto_now` is
    filled, and its conversion for the database), without the ORM's statement compiler, which
    costs several times what the database spends running such an INSERT; the statement's text is
    built once per model and row count. No signals are sent (the hub connects none to these models).

    `ignore_conflicts` (one instance only): skip a row that breaks a unique constraint; 0 then.
    `notify` (PostgreSQL): the channel of a `pg_notify` naming the new ids, run by the same statement
    (so delivered when the transaction commits).
    Needs INSERT … RETURNING (PostgreSQL, SQLite 3.35+); elsewhere, and for more than
    INSERT_MAX_ROWS rows, the ORM inserts.
    """
    if not objs:
        return 0
    if ignore_conflicts and len(objs) != 1:
        raise ValueError("ignore_conflicts takes one instance: the ids returned could not be matched to the rest")
    model, db = type(objs[0]), connections[router.db_for_write(type(objs[0]))]
    if notify and (db.vendor != "postgresql" or ignore_conflicts):
        raise ValueError("notify needs PostgreSQL, and rows that are all inserted")
    if len(objs) > INSERT_MAX_ROWS or not db.features.can_return_columns_from_insert:
        inserted = _insert_with_orm(objs, ignore_conflicts=ignore_conflicts, using=db.alias)
        if notify:
            with hot_cursor(db) as cursor:
                cursor.execute("SELECT pg_notify(%s, %s)", [notify, ",".join(str(obj.pk) for obj in objs)])
        return inserted
    sql, fields = _insert_sql(model, db.alias, len(objs), ignore_conflicts, bool(notify))
    params = [field.get_db_prep_save(field.pre_save(obj, True), connection=db) for obj in objs for field in fields]
    if notify:
        params.append(notify)
    with hot_cursor(db) as cursor:
        cursor.execute(sql, params)
        ids = cursor.fetchall()
    if len(ids) != len(objs) and not ignore_conflicts:
        raise RuntimeError(f"Inserted {len(ids)} rows of {len(objs)} {model.__name__} instances.")
    for obj, (pk,) in zip(objs, ids, strict=False):  # with ignore_conflicts: none, or the one
        obj.pk = pk
        obj._state.adding, obj._state.db = False, db.alias
    return len(ids)


def _insert_with_orm(objs: Sequence[Model], *, ignore_conflicts: bool, using: str) -> int:
    if not ignore_conflicts:
        type(objs[0])._base_manager.using(using).bulk_create(objs)
        return len(objs)
    try:
        with transaction.atomic(using=using):
            objs[0].save(force_insert=True, using=using)
    except IntegrityError:
        return 0
    return 1


@functools.lru_cache(maxsize=64)
def _select_by(model: type[Model], using: str, column: str, flag: str | None = None
               ) -> tuple[str, list[str], list[Any]]:
    """The SELECT of `model`'s row by `column`, its field names, and its columns as expressions.

    With `flag`, an SQL expression of its own is one more column (after the model's).
    Only text and the model's own objects are kept: a connection is per thread, and one kept here
    would outlive its thread with its socket open.
    """
    ops = connections[using].ops
    fields = model._meta.concrete_fields
    columns = ", ".join(ops.quote_name(field.column) for field in fields)
    columns += f", {flag}" if flag else ""
    sql = f"SELECT {columns} FROM {ops.quote_name(model._meta.db_table)} WHERE {ops.quote_name(column)} = %s"  # noqa: S608
    return sql, [field.attname for field in fields], [field.get_col(model._meta.db_table) for field in fields]


def row_by(model: type[ModelT], column: str, value: int | str) -> ModelT | None:
    """The row of `model` whose unique `column` is `value`, or None: `filter(...).first()` for a hot read.

    A statement and conversions built once: the ORM compiles a filter anew each time, for several
    times the cost of the read itself.
    """
    return _row_by(model, column, value, flag=None)[0]


def row_and_flag_by(model: type[ModelT], column: str, value: int | str, flag: str) -> tuple[ModelT | None, bool]:
    """As `row_by`, with the value of the SQL expression `flag`, read by the same statement (False without a row)."""
    return _row_by(model, column, value, flag=flag)


def _row_by(model: type[ModelT], column: str, value: int | str, *, flag: str | None) -> tuple[ModelT | None, bool]:
    using = router.db_for_read(model)
    db = connections[using]
    sql, names, cols = _select_by(model, using, column, flag)
    with hot_cursor(db) as cursor:
        cursor.execute(sql, [value])
        found = cursor.fetchone()
    if found is None:
        return None, False
    values = list(found[:len(names)])
    # The conversions a query applies: the backend's, then the field's (SQLite's text dates become
    # datetimes, a JSON column is parsed).
    for position, col in enumerate(cols):
        for convert in db.ops.get_db_converters(col) + col.get_db_converters(db):
            values[position] = convert(values[position], col, db)
    return model.from_db(using, names, values), bool(found[-1]) if flag else False
