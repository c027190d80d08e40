"""Doing the same work whether or not an address has an account.

A sign-up or reset request for an unknown address must take as long as one for a
registered address, or the time of the answer tells who has an account. The caller
runs the work that differs inside kept_if(): for the real case it is kept, for the
other it is done the same way (rows built, e-mail rendered and written) and then
rolled back to a savepoint, so nothing of it remains.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from commentsvc.accounts.models import Reader
from commentsvc.core.extensions import db, utcnow


@contextmanager
def kept_if(keep: bool) -> Iterator[None]:
    """Run the block in a savepoint and flush it; keep its writes only if keep is true."""
    savepoint = db.session.begin_nested()
    try:
        yield
        db.session.flush()
    except BaseException:
        savepoint.rollback()
        raise
    if keep:
        savepoint.commit()
    else:
        savepoint.rollback()


def stand_in(email: str, display_name: str = "Reader") -> Reader:
    """A reader that is never stored, for work done on behalf of an unknown address."""
    now = utcnow()
    return Reader(
        id=0,
        email=email,
        display_name=display_name,
        display_name_key="",
        password_hash="",
        password_changed_at=now,
        email_changed_at=now,
        locale=None,
    )
