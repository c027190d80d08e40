"""Flask extensions and the declarative base shared by every model."""

from __future__ import annotations

import select
import sqlite3
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

import psycopg
from flask_babel import Babel
from flask_babel import lazy_gettext as _l
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from flask_login import LoginManager
from flask_migrate import Migrate
from flask_sqlalchemy import SQLAlchemy
from flask_wtf import CSRFProtect
from sqlalchemy import DateTime, MetaData, TypeDecorator, event
from sqlalchemy.engine import Dialect, Engine
from sqlalchemy.exc import DisconnectionError
from sqlalchemy.orm import DeclarativeBase, registry
from sqlalchemy.pool import Pool


def utcnow() -> datetime:
    return datetime.now(UTC)


class UTCDateTime(TypeDecorator[datetime]):
    """A timezone-aware UTC datetime on every backend (SQLite stores none)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime refused; use commentsvc.extensions.utcnow()")
        return value.astimezone(UTC)

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)


def render_migration_item(type_: str, obj: object, autogen_context: object) -> str | bool:
    """Write UTCDateTime columns into migrations as plain DateTime(timezone=True).

    Migration scripts then never import application code, which may change later.
    """
    if type_ == "type" and isinstance(obj, UTCDateTime):
        return "sa.DateTime(timezone=True)"
    return False


NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


@event.listens_for(Engine, "connect")
def _sqlite_pragmas(dbapi_connection: Any, connection_record: Any) -> None:
    # SQLite enforces foreign keys (and so ON DELETE CASCADE) only when asked,
    # and WAL lets readers proceed while a write is in progress. In WAL, NORMAL syncs at
    # checkpoints instead of at every commit (about 0.2 ms a commit on SSD): the database
    # stays consistent, and a commit survives a crash of the service; only a power cut or
    # an OS crash may lose the last ones (README, "Backups").
    if isinstance(dbapi_connection, sqlite3.Connection):
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.execute("PRAGMA busy_timeout=5000")
        cursor.close()


@event.listens_for(Pool, "checkout")
def _drop_a_connection_the_server_closed(
    dbapi_connection: Any, connection_record: Any, connection_proxy: Any
) -> None:
    # A pooled PostgreSQL connection is idle between requests, so the server has nothing
    # to say on it; if its socket is readable, the server closed it (a restart sends a
    # last error and hangs up). Raising DisconnectionError makes the pool open a new one
    # instead of letting the next query fail. A zero-timeout poll costs no round trip,
    # unlike pool_pre_ping.
    if not isinstance(dbapi_connection, psycopg.Connection):
        return
    if dbapi_connection.closed:
        raise DisconnectionError("the connection is closed")
    try:
        fd = dbapi_connection.pgconn.socket
    except psycopg.OperationalError as exc:
        raise DisconnectionError("the connection has no socket") from exc
    poller = select.poll()
    poller.register(fd, select.POLLIN)
    if poller.poll(0):
        raise DisconnectionError("the server closed the connection")


class Base(DeclarativeBase):
    registry = registry(
        metadata=MetaData(naming_convention=NAMING_CONVENTION),
        type_annotation_map={datetime: UTCDateTime},
    )


db = SQLAlchemy(model_class=Base)
migrate = Migrate()
login_manager = LoginManager()
csrf = CSRFProtect()
babel = Babel()
# Storage comes from RATELIMIT_STORAGE_URI: memory by default, Redis when configured.
limiter = Limiter(key_func=get_remote_address, headers_enabled=True, strategy="moving-window")

if TYPE_CHECKING:
    Model = Base
else:
    Model = db.Model


login_manager.login_view = "auth.sign_in"
login_manager.login_message = _l("Please sign in to see this page.")
login_manager.login_message_category = "info"
# Sessions are rows in reader_session, rotated at sign-in; Flask-Login's own
# IP/user-agent heuristics would only sign readers out on a network change.
login_manager.session_protection = None


def commit_keeping_values() -> None:
    """Commit, keeping the loaded objects' values instead of expiring them: for a write
    whose result is shown at once (a posted comment), where the values are exactly what
    was just written and reading them back would cost a query."""
    session = db.session()
    session.expire_on_commit = False
    try:
        session.commit()
    finally:
        session.expire_on_commit = True


def forget_connections_after_fork(app: object) -> None:
    """In a process forked from one that loaded app (gunicorn's preload_app): drop the
    database connections the parent may have opened, without closing them (they are the
    parent's), so no two processes ever share one. Apps without a database are left be.
    """
    from flask import Flask

    if not isinstance(app, Flask) or "sqlalchemy" not in app.extensions:
        return
    with app.app_context():
        for engine in db.engines.values():
            engine.dispose(close=False)
