"""The reader row itself: finding a reader by address, the unique display name, the password."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from sqlalchemy import select, update
from sqlalchemy.orm.attributes import set_committed_value

from commentsvc.accounts import passwords
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


def check_name_free(key: str, reader_id: int | None = None) -> None:
    """:raises DisplayNameTaken: another reader has a name with this key."""
    other = db.session.scalar(select(Reader.id).where(Reader.display_name_key == key))
    if other is not None and other != reader_id:
        raise DisplayNameTaken


def set_password(reader: Reader, password: str) -> None:
    """Check and hash the new password; moving password_changed_at kills older reset links.

    :raises Invalid: the password breaks the policy.
    """
    passwords.check_policy(password)
    reader.password_hash = passwords.hash_password(password)
    reader.password_changed_at = utcnow()


Serial = Literal["reset_serial", "email_change_serial"]


def bump_serial(reader: Reader, name: Serial) -> int:
    """Move one of the reader's link counters on and return the new value.

    Links carry the counter they were made with, so every link made before this
    call stops working. The increment happens in the database: of two concurrent
    requests, each gets its own value (and only the later link works).
    """
    column = getattr(Reader, name)
    value = db.session.execute(
        update(Reader)
        .where(Reader.id == reader.id)
        .values({column: column + 1})
        .returning(column)
        .execution_options(synchronize_session=False)
    ).scalar_one()
    set_committed_value(reader, name, value)
    return int(value)
