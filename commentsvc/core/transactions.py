"""Ending read-only transactions on PostgreSQL so its prepared statements survive.

psycopg prepares a query on the server once it has run a few times on a connection,
and the server then stops planning it afresh. But a ROLLBACK makes psycopg drop every
statement it prepared on that connection (the rollback may have undone one). Every
request's session ends with a rollback, so every request planned its queries again:
on the thread page, that was most of the time its two queries took.

A transaction that ran nothing but SELECTs has nothing to undo, so ending it with
COMMIT is the same as rolling it back, and keeps the prepared statements. `init_app`
makes every rollback of such a transaction a commit at the driver; any other statement
in the transaction (a write, DDL, a WITH that writes) leaves the rollback as it was.
A SELECT behind a WITH (a thread's page of comments) reads too, unless one of its parts
writes. SQLite has no such cache to lose, and is left alone.
"""

from __future__ import annotations

import re
from typing import Any

from flask import Flask
from sqlalchemy import Connection, Engine, event

from commentsvc.core.extensions import db

_ONLY_READ = "commentsvc.only_read"
# A data-modifying WITH names one of these. Values are bound parameters, so the statement's
# text holds only SQL and names; a name that is one of these words errs on the safe side
# (a rollback).
_WRITES = re.compile(r"\b(INSERT|UPDATE|DELETE|MERGE)\b", re.IGNORECASE)


def init_app(app: Flask) -> None:
    with app.app_context():
        engine = db.engine
    if engine.dialect.name == "postgresql":
        watch(engine)


def watch(engine: Engine) -> None:
    if not event.contains(engine, "begin", _begun):
        event.listen(engine, "begin", _begun)
        event.listen(engine, "before_cursor_execute", _executing)
        event.listen(engine, "rollback", _rolling_back)


def _begun(conn: Connection) -> None:
    conn.info[_ONLY_READ] = True


def _executing(conn: Connection, cursor: Any, statement: str, *args: Any) -> None:
    if conn.info.get(_ONLY_READ) and not only_reads(statement):
        conn.info[_ONLY_READ] = False


def only_reads(statement: str) -> bool:
    """A SELECT, or a WITH none of whose parts writes."""
    head = statement.lstrip()[:6].upper()
    if head == "SELECT":
        return True
    return head[:4] == "WITH" and _WRITES.search(statement) is None


def _rolling_back(conn: Connection) -> None:
    """Commit instead, when the transaction only read and is in good order; the
    rollback that follows then finds nothing to do. A connection SQLAlchemy gave up on
    (the database went away) is left to it: asking such a connection for anything
    raises, and the rollback deals with it as it always has."""
    if conn.invalidated or conn.closed or not conn.info.pop(_ONLY_READ, False):
        return
    driver = conn.connection.dbapi_connection
    status = getattr(getattr(driver, "info", None), "transaction_status", None)
    if driver is None or status is None or status.name != "INTRANS":
        return
    try:
        driver.commit()
    except conn.dialect.loaded_dbapi.Error:
        return  # the rollback that follows meets the same trouble, and reports it
