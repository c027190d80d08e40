"""The reader row itself: finding a reader by address, the unique display name, the password."""

from __future__ import annotations

import secrets
from datetime import datetime
from typing import Literal

from flask import current_app
from flask_babel import force_locale, gettext
from sqlalchemy import select, update
from sqlalchemy.orm.attributes import set_committed_value

from commentsvc.accounts import email_codes, passwords
from commentsvc.accounts.identity import display_name_key
from commentsvc.accounts.models import Reader
from commentsvc.core.errors import Conflict
from commentsvc.core.extensions import db, utcnow


class DisplayNameTaken(Conflict):
    """Another reader already uses this display name, or one that looks the same."""


def stamp(moment: datetime) -> str:
    """A change time as signed into links: a link made before the next change no longer matches."""
    return moment.isoformat(timespec="microseconds")


def find_by_email(email: str) -> Reader | None:
    """The reader with this (already normalised) address, or None."""
    return db.session.scalar(select(Reader).where(Reader.email == email))


def _name_holder(key: str, reader_id: int | None) -> int | None:
    """The verified reader, other than reader_id, whose name has this key."""
    query = select(Reader.id).where(
        Reader.display_name_key == key, Reader.email_verified_at.is_not(None)
    )
    if reader_id is not None:
        query = query.where(Reader.id != reader_id)
    with db.session.no_autoflush:
        return db.session.scalar(query.limit(1))


def check_name_free(key: str, reader_id: int | None = None) -> None:
    """:raises DisplayNameTaken: a verified reader other than reader_id has a name with this key.

    Only verified readers hold names: an unverified sign-up reserves nothing (it would
    tell who signed up, and let anyone squat names), so several unverified accounts may
    ask for one name; the first to verify keeps it (mark_verified).
    """
    if _name_holder(key, reader_id) is not None:
        raise DisplayNameTaken


def mark_verified(reader: Reader, at: datetime | None = None) -> str | None:
    """Mark the reader's address verified (at the given moment, or now).

    If the reader was unverified and a verified reader meanwhile took the name, or a
    look-alike, the reader gets a placeholder name ("Reader 42") to change on the
    account page. Returns the name given up, or None when the name was kept.
    """
    newly = reader.email_verified_at is None
    taken = newly and _name_holder(reader.display_name_key, reader.id) is not None
    reader.email_verified_at = at or utcnow()
    if not taken:
        return None
    given_up = reader.display_name
    with force_locale(reader.locale or current_app.config["BABEL_DEFAULT_LOCALE"]):
        base = gettext("Reader %(number)d", number=reader.id)
    name = base
    while _name_holder(display_name_key(name), reader.id) is not None:
        name = f"{base}-{secrets.token_hex(2)}"
    reader.display_name = name
    reader.display_name_key = display_name_key(name)
    return given_up


def set_password(reader: Reader, password: str) -> None:
    """Check and hash the new password; moving password_changed_at kills older reset links,
    and every e-mailed code of the reader dies.

    :raises Invalid: the password breaks the policy.
    """
    passwords.check_policy(password)
    reader.password_hash = passwords.hash_password(password)
    reader.password_changed_at = utcnow()
    email_codes.kill_for(reader)


Serial = Literal["reset_serial", "email_change_serial"]


def bump_serial(reader: Reader, name: Serial) -> int:
    """Move one of the reader's link counters on and return the new value.

    Links carry the counter they were made with, so every link made before this
    call stops working. For a reader that is not stored (equal_work.stand_in) the
    same statement runs and changes nothing. The increment happens in the database:
    of two concurrent requests, each gets its own value (and only the later link
    works).
    """
    column = getattr(Reader, name)
    value = db.session.execute(
        update(Reader)
        .where(Reader.id == reader.id)
        .values({column: column + 1})
        .returning(column)
        .execution_options(synchronize_session=False)
    ).scalar_one_or_none()
    if value is None:  # a stand-in for an unknown address: the same statement, no row
        return 0
    set_committed_value(reader, name, value)
    return int(value)
