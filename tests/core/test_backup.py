"""Backups taken while readers keep writing restore into a working service with every
comment written before the backup: `flask db backup` on SQLite, pg_dump / pg_restore (as
the README tells) on PostgreSQL, where `flask db backup` refuses and points to pg_dump."""

from __future__ import annotations

import subprocess
import threading
from collections.abc import Callable
from pathlib import Path

import pytest
from flask import Flask
from sqlalchemy import make_url, text

from commentsvc import create_app
from commentsvc.core.extensions import db
from tests.comments.test_api import THREAD, make_site, write
from tests.conftest import TEST_DATABASE_URL, build_app, make_config
from tests.factories import make_reader, sign_in

BACKENDS = ["sqlite", *(["postgresql"] if TEST_DATABASE_URL else [])]


@pytest.fixture(params=BACKENDS)
def backend(request) -> str:
    return str(request.param)


@pytest.fixture
def live(backend, smtp_server, tmp_path) -> Flask:
    """The serving app: on its own SQLite file, or on the test PostgreSQL database. Its
    readers may post as fast as they can: the writer below keeps posting for as long as
    the backup takes."""
    overrides = {
        "RATELIMIT_POST_READER": "100000 per minute",
        "RATELIMIT_POST_IP": "100000 per minute",
    }
    if backend == "sqlite":
        overrides["DATABASE_URL"] = f"sqlite:///{tmp_path / 'live.sqlite3'}"
    app = build_app(tmp_path, smtp_server.port, **overrides)
    make_site(app)
    return app


def reader(app: Flask, email: str):
    make_reader(app, email, email.split("@")[0].title())
    client = app.test_client()
    sign_in(client, email)
    return client


def every_comment(app: Flask) -> list[int]:
    """The ids of every comment of the thread, read page by page through the API."""
    client = app.test_client()
    found: list[int] = []
    after = ""
    while True:
        page = client.get(f"{THREAD}?limit=100&after={after}").get_json()
        found += [comment["id"] for comment in page["comments"]]
        if not page["next_cursor"]:
            return found
        after = page["next_cursor"]


def back_up_while_writing(app: Flask, back_up: Callable[[], None]) -> tuple[list[int], list[int]]:
    """Write comments, then back up while another reader keeps writing.

    Returns the ids written before the backup began, and those written by the other
    reader, in order, from before the backup began until after it ended.
    """
    alice = reader(app, "alice@example.org")
    before = [write(alice, f"Before the backup {n}") for n in range(30)]
    bob = reader(app, "bob@example.org")
    meanwhile: list[int] = []
    writing, stop = threading.Event(), threading.Event()

    def keep_writing() -> None:
        while not stop.is_set() or len(meanwhile) < 10:
            meanwhile.append(write(bob, f"During the backup {len(meanwhile)}"))
            if len(meanwhile) == 3:
                writing.set()

    writer = threading.Thread(target=keep_writing)
    writer.start()
    try:
        assert writing.wait(30)
        back_up()
    finally:
        stop.set()
        writer.join(30)
    return before, meanwhile


def assert_consistent(restored: list[int], before: list[int], meanwhile: list[int]) -> None:
    assert set(before) <= set(restored)
    # A copy of one moment: the other reader's comments up to some point, none after it.
    kept = [cid for cid in restored if cid not in before]
    assert kept == meanwhile[: len(kept)]
    assert len(kept) >= 3  # those written before the backup began


def back_up_and_restore_sqlite(live: Flask, smtp_port: int, tmp_path: Path):
    """`flask db backup` while writing, then a new app on the copy."""
    copy = tmp_path / "backups" / "commentsvc.sqlite3"
    copy.parent.mkdir()

    def back_up() -> None:
        result = live.test_cli_runner().invoke(args=["db", "backup", str(copy)])
        assert result.exit_code == 0, result.output
        assert f"to {copy}" in result.output

    written = back_up_while_writing(live, back_up)
    # One self-contained file, nothing half-written beside it.
    assert [p.name for p in copy.parent.iterdir()] == ["commentsvc.sqlite3"]
    return written, create_app(make_config(tmp_path, smtp_port, DATABASE_URL=f"sqlite:///{copy}"))


def back_up_and_restore_postgresql(live: Flask, smtp_port: int, tmp_path: Path):
    """The README's steps: pg_dump -Fc while writing, pg_restore into an empty database."""
    refused = live.test_cli_runner().invoke(args=["db", "backup", str(tmp_path / "copy")])
    assert refused.exit_code != 0
    assert "pg_dump -Fc" in refused.output
    url = make_url(TEST_DATABASE_URL).set(drivername="postgresql")
    libpq_url = url.render_as_string(hide_password=False)
    dump = tmp_path / "commentsvc.dump"

    def back_up() -> None:
        subprocess.run(["pg_dump", "-Fc", "-f", str(dump), libpq_url], check=True)

    written = back_up_while_writing(live, back_up)
    # An empty database (the test role may not create one: this one is emptied).
    with live.app_context():
        db.session.remove()
        with db.engine.begin() as conn:
            conn.execute(text("DROP SCHEMA public CASCADE"))
            conn.execute(text("CREATE SCHEMA public"))
        db.engine.dispose()
    subprocess.run(
        ["pg_restore", "--no-owner", "--exit-on-error", "-d", libpq_url, str(dump)], check=True
    )
    return written, create_app(make_config(tmp_path, smtp_port))


def test_a_backup_taken_while_writing_restores_every_comment(backend, live, smtp_server, tmp_path):
    round_trip = {
        "sqlite": back_up_and_restore_sqlite,
        "postgresql": back_up_and_restore_postgresql,
    }[backend]
    (before, meanwhile), restored = round_trip(live, smtp_server.port, tmp_path)
    try:
        assert_consistent(every_comment(restored), before, meanwhile)
        # The restored service works: it takes a new comment.
        carol = reader(restored, "carol@example.org")
        new = write(carol, "After the restore")
        assert every_comment(restored)[-1] == new
    finally:
        with restored.app_context():
            db.session.remove()
            db.engine.dispose()


@pytest.mark.parametrize("backend", ["sqlite"])
def test_backup_refuses_to_overwrite_the_live_database(live, tmp_path):
    result = live.test_cli_runner().invoke(args=["db", "backup", str(tmp_path / "live.sqlite3")])
    assert result.exit_code != 0
    assert "the database itself" in result.output
    alice = reader(live, "alice@example.org")
    write(alice, "Still the working database")
    assert len(every_comment(live)) == 1
