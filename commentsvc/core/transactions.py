"""On PostgreSQL, a transaction begins at the first statement that does more than read.

Most requests only read. In a transaction, PostgreSQL costs them two more round trips
(BEGIN before the first statement, COMMIT or ROLLBACK after the last), each a wait for
the server and a switch between processes. And psycopg prepares a query on the server
once it has run a few times on a connection, but a ROLLBACK makes it drop every
statement it prepared (the rollback may have undone one), and every request's session
ends with a rollback.

So `watch` hands out every pooled connection in autocommit mode: each read runs on its
own, as it would in a transaction anyway (PostgreSQL's READ COMMITTED, the default,
gives each statement the data committed before it began). The first statement that
does not only read (a write, DDL, SET, a SAVEPOINT, a WITH that writes, a SELECT that
locks rows or is read in batches through a server-side cursor) takes the connection out
of autocommit mode before it runs: psycopg begins a transaction with it, and that
statement and everything after it commit or roll back together, as before. Once the
session is done the connection goes back to the pool and comes out in autocommit mode
again. SQLite has no round trips to save, and is left alone.
"""

from __future__ import annotations

import re
from functools import lru_cache
from typing import Any

from flask import Flask
from psycopg import ServerCursor
from sqlalchemy import Connection, Engine, event

from commentsvc.core.extensions import db

# A data-modifying WITH names one of these. Values are bound parameters, so the statement's
# text holds only SQL and names; a name that is one of these words errs on the safe side
# (a transaction).
_WRITES = re.compile(r"\b(INSERT|UPDATE|DELETE|MERGE)\b", re.IGNORECASE)
# A locking read: its locks last until the transaction ends, so it needs one.
_LOCKS = re.compile(r"\bFOR\s+(NO\s+KEY\s+UPDATE|UPDATE|KEY\s+SHARE|SHARE)\b", re.IGNORECASE)


def init_app(app: Flask) -> None:
    with app.app_context():
        engine = db.engine
    if engine.dialect.name == "postgresql":
        watch(engine)


def watch(engine: Engine) -> None:
    if not event.contains(engine, "checkout", _hand_out_in_autocommit):
        event.listen(engine, "checkout", _hand_out_in_autocommit)
        event.listen(engine, "before_cursor_execute", _begin_before_a_write)


@lru_cache(maxsize=1024)
def only_reads(statement: str) -> bool:
    """A SELECT that locks nothing, or a WITH none of whose parts writes (remembered:
    SQLAlchemy hands out the text of a compiled statement again and again, and a page's
    statements are long enough that searching them costs more than running some)."""
    head = statement.lstrip()[:6].upper()
    if head == "SELECT":
        return _LOCKS.search(statement) is None
    return head[:4] == "WITH" and _WRITES.search(statement) is None


def _hand_out_in_autocommit(dbapi_connection: Any, record: Any, proxy: Any) -> None:
    # Idle: the pool rolled back whatever the last user left (a connection still in a
    # transaction, which the pool never hands out, would be left as it is).
    if dbapi_connection.info.transaction_status.name == "IDLE":
        dbapi_connection.autocommit = True


def _begin_before_a_write(conn: Connection, cursor: Any, statement: str, *args: Any) -> None:
    driver = conn.connection.dbapi_connection
    if driver is None or not driver.autocommit:
        return
    # A read in batches (yield_per) declares a server-side cursor, which lives in a
    # transaction.
    if not only_reads(statement) or isinstance(cursor, ServerCursor):
        driver.autocommit = False  # psycopg sends BEGIN with this statement
