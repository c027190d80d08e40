"""A SELECT that runs on nearly every request, run on the driver's cursor.

SQLAlchemy builds the statement and compiles it, once per database dialect. Each run
converts the bound values and every column's value with the types' own processors, as
SQLAlchemy would, and makes the ORM entities the statement selects from their columns,
attached to the request's session: they behave as loaded ones (a change is flushed,
a relationship loads, refresh reads them again), and an object the session holds
already is kept as it is, as a query through the session would keep it.

Why: for the statement every signed-in view of a thread runs, SQLAlchemy's own path
(the session, the result machinery, the entities' loading) cost a worker more CPU than
the database spent answering. Measured on PostgreSQL with bench/run.sh's 200-comment
thread, CPU per page in a gunicorn worker: 1.77-1.90 ms with the statement run through
the session, 1.53-1.59 ms this way, 1.06 ms with no statement at all (PostgreSQL itself
spent 0.18 ms).

fetch_all, which runs the statement, also runs the shared page cache's checks
(comments/page_cache.py). What this path does not do: fire SQLAlchemy's cursor events
(`observers` is for tests that count statements), or flush the session first (it is
meant for a request's first read). If the driver fails, the connection is dropped and
the statement runs once more through the session, which raises its usual error (or
recovers) as any query does.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Dialect, Engine, Select, inspect
from sqlalchemy.orm import Mapper, Session, make_transient_to_detached
from sqlalchemy.orm.attributes import instance_dict
from sqlalchemy.orm.instrumentation import ClassManager, manager_of_class
from sqlalchemy.sql.compiler import SQLCompiler

from commentsvc.core.extensions import db

# Called with each statement run on the driver's cursor (statement-counting tests);
# empty otherwise.
observers: list[Callable[[str], None]] = []

_Convert = Callable[[Any], Any] | None


@dataclass(frozen=True)
class _Entity:
    """An ORM entity among the selected items: its columns' values are at start onwards,
    one per attribute key; primary: the places of its primary key's among them."""

    mapper: Mapper[Any]
    manager: ClassManager[Any]
    keys: tuple[str, ...]
    primary: tuple[int, ...]
    start: int

    def make(self, session: Session, values: Sequence[Any]) -> Any:
        """The object these values load, in session (None when an outer join found no row)."""
        primary_key = tuple(values[i] for i in self.primary)
        if any(value is None for value in primary_key):
            return None
        held = session.identity_map.get(self.mapper.identity_key_from_primary_key(primary_key))
        if held is not None:
            return held
        obj = self.manager.new_instance()
        # The values go where a query's loading puts them; make_transient_to_detached
        # then marks them as the object's committed state, with no change to flush.
        instance_dict(obj).update(zip(self.keys, values, strict=True))
        make_transient_to_detached(obj)
        session.add(obj)
        return obj


@dataclass(frozen=True)
class _Plan:
    """The statement compiled for one dialect, and how to turn its rows into items."""

    compiled: SQLCompiler
    convert: tuple[_Convert, ...]
    # Per selected item: an entity, or the index of its one column.
    items: tuple[_Entity | int, ...]


class DriverSelect:
    """statement (a SELECT of ORM entities and columns, as Session.execute takes it),
    run on the driver's cursor; `first` answers as Session.execute(...).first() would,
    as a tuple."""

    def __init__(self, statement: Select[Any]) -> None:
        self.statement = statement
        self._plans: dict[tuple[Any, ...], _Plan] = {}

    def first(self, params: Mapping[str, Any]) -> tuple[Any, ...] | None:
        engine = db.engine
        plan = self._plan(engine.dialect)
        state = plan.compiled.construct_expanded_state(dict(params))
        processors = state.processors
        values = {
            name: processors[name](value) if name in processors else value
            for name, value in state.parameters.items()
        }
        bound: Any = values
        if state.positiontup is not None:
            bound = tuple(values[name] for name in state.positiontup)
        try:
            rows = fetch_all(engine, state.statement, bound)
        except engine.dialect.loaded_dbapi.Error:
            found = db.session.execute(self.statement, params).first()
            return None if found is None else tuple(found)
        if not rows:
            return None
        columns = [f(v) if f else v for f, v in zip(plan.convert, rows[0], strict=True)]
        session = db.session()
        return tuple(
            columns[item]
            if isinstance(item, int)
            else item.make(session, columns[item.start : item.start + len(item.keys)])
            for item in plan.items
        )

    def _plan(self, dialect: Dialect) -> _Plan:
        # Compiled for each kind of database (and driver: their placeholders differ).
        key = (dialect.name, dialect.driver, dialect.server_version_info)
        plan = self._plans.get(key)
        if plan is None:
            plan = self._plans[key] = _make_plan(self.statement, dialect)
        return plan


def _make_plan(statement: Select[Any], dialect: Dialect) -> _Plan:
    columns: list[Any] = []
    items: list[_Entity | int] = []
    for described in statement.column_descriptions:
        expr = described["expr"]
        if described["entity"] is not None and expr is described["entity"]:
            if described["aliased"]:
                raise ValueError("aliased entities are not supported")
            mapper: Mapper[Any] = inspect(expr)
            table_columns: list[Any] = list(mapper.local_table.columns)
            keys = tuple(mapper.get_property_by_column(c).key for c in table_columns)
            primary = tuple(table_columns.index(c) for c in mapper.primary_key)
            manager = manager_of_class(mapper.class_)
            items.append(_Entity(mapper, manager, keys, primary, len(columns)))
            columns.extend(table_columns)
        else:
            items.append(len(columns))
            columns.append(expr)
    core = statement.with_only_columns(*columns)
    convert = converters(core.selected_columns, dialect)
    compiled = core.compile(dialect=dialect)
    if not isinstance(compiled, SQLCompiler):  # a SELECT always compiles to one
        raise TypeError(f"not a SELECT: {type(compiled).__name__}")
    return _Plan(compiled, convert, tuple(items))


def converters(columns: Iterable[Any], dialect: Dialect) -> tuple[_Convert, ...]:
    """What SQLAlchemy does to each column's value from the driver (its type's result
    processor; None where the value is used as the driver gives it)."""
    return tuple(c.type.dialect_impl(dialect).result_processor(dialect, None) for c in columns)


def fetch_all(engine: Engine, sql: str, params: Any) -> list[Any]:
    """The rows of one statement, on the driver's cursor of a connection from the pool.
    A driver error is raised once the connection is dropped: a broken one must not go
    back to the pool. `observers` hear the statement first."""
    for observe in observers:
        observe(sql)
    conn = engine.raw_connection()
    try:
        cursor = conn.cursor()
        cursor.execute(sql, params)
        rows = list(cursor.fetchall())
        cursor.close()
        return rows
    except engine.dialect.loaded_dbapi.Error:
        conn.invalidate()  # its cursors go with it
        raise
    finally:
        conn.close()  # back to the pool
