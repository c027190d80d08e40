"""The reader row itself: finding a reader by address, the unique display name, the password."""

from __future__ import annotations

from sqlalchemy import select

from commentsvc.accounts import passwords
from commentsvc.accounts.models import Reader
from commentsvc.core.errors import Conflict
from commentsvc.core.extensions import db, utcnow


class DisplayNameTaken(Conflict):
    """Another reader already uses this display name, or one that looks the same."""


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
