"""The migration that lets unverified readers share a display name keeps every row.

On SQLite it rebuilds the reader table; with foreign keys on, dropping the old table
would cascade to sessions and acceptances. This checks on a populated database.
"""

from __future__ import annotations

import flask_migrate
from sqlalchemy import text

from commentsvc.core.extensions import db
from tests.core.test_migrations import empty_app, keep_logging  # noqa: F401 -- fixtures

BEFORE = "37481ea76a48"
NOW = "2020-01-01 00:00:00"


def insert_reader(reader_id: int, email: str, name: str, verified: bool) -> None:
    db.session.execute(
        text(
            "INSERT INTO reader (id, email, email_verified_at, display_name, display_name_key,"
            " password_hash, password_changed_at, email_changed_at, is_admin, created_at)"
            " VALUES (:id, :email, :verified, :name, :key, 'x', :now, :now, false, :now)"
        ),
        {
            "id": reader_id,
            "email": email,
            "verified": NOW if verified else None,
            "name": name,
            "key": name.casefold(),
            "now": NOW,
        },
    )


def count(table: str) -> int:
    return int(db.session.execute(text(f"SELECT count(*) FROM {table}")).scalar_one())  # noqa: S608


def test_the_upgrade_keeps_sessions_and_lets_unverified_readers_share_a_name(empty_app):  # noqa: F811
    with empty_app.app_context():
        flask_migrate.upgrade(revision=BEFORE)
        insert_reader(1, "alice@example.org", "Alice", verified=True)
        db.session.execute(
            text(
                "INSERT INTO reader_session (token_hash, reader_id, created_at, expires_at,"
                " remember, user_agent) VALUES ('t', 1, :now, :now, false, '')"
            ),
            {"now": NOW},
        )
        db.session.commit()

        flask_migrate.upgrade()
        db.session.remove()
        assert count("reader") == 1
        assert count("reader_session") == 1

        # Unverified readers may share the verified reader's name; verified ones may not.
        insert_reader(2, "bob@example.org", "Alice", verified=False)
        insert_reader(3, "carol@example.org", "Alice", verified=False)
        db.session.commit()
        assert count("reader") == 3
