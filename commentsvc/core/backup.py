"""`flask --app commentsvc db backup PATH`: a consistent copy of an SQLite database, taken
while the service keeps serving (SQLite's online backup API). PostgreSQL is backed up
with pg_dump (README, "Deploy"); the command says so rather than copy anything."""

from __future__ import annotations

import os
import sqlite3
from pathlib import Path

import click
from flask import Flask
from flask.cli import with_appcontext
from flask_migrate.cli import db as db_group

from commentsvc.core.extensions import db

PG_DUMP_HINT = (
    "The database is PostgreSQL: back it up with pg_dump, e.g.\n"
    '  pg_dump -Fc -f commentsvc-$(date +%F).dump "$DATABASE_URL"\n'
    "and restore with pg_restore (README, Deploy: Backups)."
)


class BackupRefused(click.ClickException):
    """The database cannot be backed up by this command (or not to that path)."""


def backup_sqlite(source: sqlite3.Connection, target: Path) -> int:
    """Copy the database behind source into target; returns its size in bytes.

    One backup step copies every page within one read transaction: the copy is the
    database as of one moment, whatever other connections write meanwhile (in WAL mode
    they are not even blocked). It is written next to target and renamed, so target is
    never half a database, and it is a single file (no -wal beside it).
    """
    partial = target.with_name(f".{target.name}.{os.getpid()}.partial")
    partial.unlink(missing_ok=True)
    try:
        copy = sqlite3.connect(partial)
        try:
            source.backup(copy)
            copy.execute("PRAGMA journal_mode=DELETE")
            (verdict,) = copy.execute("PRAGMA quick_check").fetchone()
        finally:
            copy.close()
        if verdict != "ok":
            raise BackupRefused(f"The copy failed SQLite's check: {verdict}")
        partial.replace(target)
    finally:
        partial.unlink(missing_ok=True)
    return target.stat().st_size


@click.command("backup")
@click.argument("path", type=click.Path(dir_okay=False, path_type=Path))
@with_appcontext
def backup_command(path: Path) -> None:
    """Copy the SQLite database to PATH while the service keeps running.

    PATH is replaced if it exists. For PostgreSQL use pg_dump (see the README).
    """
    engine = db.engine
    if engine.dialect.name == "postgresql":
        raise BackupRefused(PG_DUMP_HINT)
    database = engine.url.database
    if engine.dialect.name != "sqlite" or not database or database == ":memory:":
        raise BackupRefused(
            f"Only an SQLite database file can be backed up this way, not {engine.url.drivername}."
        )
    target = path.resolve()
    if target == Path(database).resolve():
        raise BackupRefused("PATH is the database itself; choose another file.")
    if not target.parent.is_dir():
        raise BackupRefused(f"There is no directory {target.parent}.")
    with engine.connect() as conn:
        source = conn.connection.driver_connection
        if not isinstance(source, sqlite3.Connection):
            raise BackupRefused(f"Not an SQLite connection: {type(source).__name__}.")
        size = backup_sqlite(source, target)
    click.echo(f"Backed up {database} to {target} ({size} bytes).")


def init_app(app: Flask) -> None:
    # Flask-Migrate's `db` group (registered by migrate.init_app) gets the command.
    db_group.add_command(backup_command)
