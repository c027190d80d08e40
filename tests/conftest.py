"""Fixtures shared by every test: the app on SQLite or PostgreSQL, and a real SMTP server."""

from __future__ import annotations

import email
import email.policy
import os
import re
import socket
import threading
import uuid
from collections.abc import Iterator
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from flask import Flask
from flask.testing import FlaskClient, FlaskCliRunner
from sqlalchemy import inspect, text

from commentsvc import create_app
from commentsvc.comments import search
from commentsvc.core.extensions import db
from commentsvc.core.mail import deliver_pending
from scripts.compile_translations import compile_translations

PUBLIC_URL = "http://localhost:5000"
TEST_DATABASE_URL = os.environ.get("COMMENTSVC_TEST_DATABASE_URL", "")
TEST_REDIS_URL = os.environ.get("COMMENTSVC_TEST_REDIS_URL", "")


def pytest_sessionstart(session: pytest.Session) -> None:
    # The .mo catalogues are build output (git-ignored); every page needs them.
    compile_translations()


def free_port() -> int:
    # aiosmtpd's Controller cannot bind port 0 itself.
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class Inbox:
    """Messages received by the test SMTP server, parsed."""

    def __init__(self) -> None:
        self.messages: list[EmailMessage] = []
        self.lock = threading.Lock()

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        msg = email.message_from_bytes(envelope.content, policy=email.policy.default)
        assert isinstance(msg, EmailMessage)
        with self.lock:
            self.messages.append(msg)
        return "250 Message accepted for delivery"

    def to(self, address: str) -> list[EmailMessage]:
        with self.lock:
            return [m for m in self.messages if address in str(m["To"])]

    def last_to(self, address: str) -> EmailMessage:
        found = self.to(address)
        assert found, f"no e-mail to {address}; got {[str(m['To']) for m in self.messages]}"
        return found[-1]


def body_of(msg: EmailMessage) -> str:
    part = msg.get_body(preferencelist=("plain",))
    assert part is not None
    return str(part.get_content())


def link_in(msg: EmailMessage) -> str:
    """The first link to the service in an e-mail, as a path for the test client."""
    match = re.search(re.escape(PUBLIC_URL) + r"(/\S+)", body_of(msg))
    assert match, body_of(msg)
    return match.group(1)


class SMTPServer:
    def __init__(self) -> None:
        self.inbox = Inbox()
        self.port = free_port()
        self.controller: Controller | None = None

    def start(self) -> None:
        self.controller = Controller(self.inbox, hostname="127.0.0.1", port=self.port)
        self.controller.start()

    def stop(self) -> None:
        if self.controller is not None:
            self.controller.stop()
            self.controller = None


@pytest.fixture(scope="session")
def smtp_server() -> Iterator[SMTPServer]:
    server = SMTPServer()
    server.start()
    yield server
    server.stop()


@pytest.fixture
def inbox(smtp_server: SMTPServer) -> Inbox:
    if smtp_server.controller is None:  # a test stopped it and failed before restarting
        smtp_server.start()
    smtp_server.inbox.messages.clear()
    return smtp_server.inbox


def make_config(tmp_path: Path, smtp_port: int, **overrides: Any) -> dict[str, Any]:
    config = {
        "TESTING": True,
        "SECRET_KEY": "test-secret",
        "DATABASE_URL": TEST_DATABASE_URL or f"sqlite:///{tmp_path / 'test.sqlite3'}",
        "PUBLIC_URL": PUBLIC_URL,
        "WTF_CSRF_ENABLED": False,  # tests/core/test_csrf.py turns it back on
        "MAIL_HOST": "127.0.0.1",
        "MAIL_PORT": smtp_port,
        "MAIL_TIMEOUT": 5,
        # Cheap hashing keeps the suite fast; the algorithm stays argon2id.
        "ARGON2_TIME_COST": 1,
        "ARGON2_MEMORY_COST": 1024,
        "ARGON2_PARALLELISM": 1,
        "RATELIMIT_KEY_PREFIX": uuid.uuid4().hex,
        **overrides,
    }
    # Most tests sign admins in with a password alone (tests/accounts/test_two_step.py
    # turns this back on); an app in production mode keeps it on, as config.finalise()
    # insists.
    config.setdefault("ADMINS_NEED_SECOND_FACTOR", not config["TESTING"])
    return config


_BUILT_APPS: list[Flask] = []


def build_app(tmp_path: Path, smtp_port: int, **overrides: Any) -> Flask:
    app = create_app(make_config(tmp_path, smtp_port, **overrides))
    _BUILT_APPS.append(app)
    with app.app_context():
        if TEST_DATABASE_URL:
            _empty_shared_database()
        else:
            db.create_all()
    return app


_columns_checked = False


def _empty_shared_database() -> None:
    """Give the test an empty schema in the shared (PostgreSQL) database.

    Emptying the tables is far quicker than dropping and creating them for every
    test; the schema is rebuilt only when it does not match the models or lacks the
    word-search index (first use, or after tests/core/test_migrations.py has
    migrated it up and down).
    """
    global _columns_checked
    tables = [t.name for t in db.metadata.sorted_tables]
    stale = not set(tables) <= set(inspect(db.engine).get_table_names())
    if not stale and not _columns_checked:
        # Once per run: a database left by an older checkout may have every table but
        # not every column or index.
        inspector = inspect(db.engine)
        stale = any(
            {c.name for c in table.columns}
            != {c["name"] for c in inspector.get_columns(table.name)}
            or {str(i.name) for i in table.indexes}
            - {str(i["name"]) for i in inspector.get_indexes(table.name)}
            for table in db.metadata.sorted_tables
        )
        _columns_checked = True
    if not stale:
        # The word-search index lives outside the models (see comments.search).
        with db.engine.connect() as conn:
            stale = not search.installed(conn)
    if stale:
        db.drop_all()
        with db.engine.begin() as conn:
            conn.execute(text("DROP TABLE IF EXISTS alembic_version"))
        db.create_all()
        return
    with db.engine.begin() as conn:
        if db.engine.dialect.name == "postgresql":
            quoted = ", ".join(f'"{name}"' for name in tables)
            conn.execute(text(f"TRUNCATE {quoted} RESTART IDENTITY CASCADE"))
        else:
            for table in reversed(db.metadata.sorted_tables):
                conn.execute(table.delete())


@pytest.fixture(autouse=True)
def _close_databases() -> Iterator[None]:
    """Close every connection pool a test's apps opened, so none leaks into the next."""
    yield
    while _BUILT_APPS:
        app = _BUILT_APPS.pop()
        with app.app_context():
            db.session.remove()
            db.engine.dispose()


@pytest.fixture
def app(smtp_server: SMTPServer, tmp_path: Path) -> Iterator[Flask]:
    app = build_app(tmp_path, smtp_server.port)
    yield app
    with app.app_context():
        db.session.remove()
        db.engine.dispose()


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()


@pytest.fixture
def runner(app: Flask) -> FlaskCliRunner:
    return app.test_cli_runner()


@pytest.fixture
def deliver(app: Flask, inbox: Inbox):
    """Run the mail worker once; returns (sent, failed)."""

    def run() -> tuple[int, int]:
        with app.app_context():
            return deliver_pending()

    return run
