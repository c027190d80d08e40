"""Password reset by e-mail: the same answer for every address, single-use links."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from commentsvc.accounts import equal_work, readers, sessions
from commentsvc.accounts.identity import (
    normalise_email,
)
from commentsvc.accounts.models import Reader
from commentsvc.core import mail, tokens
from commentsvc.core.errors import Invalid, LinkInvalid
from commentsvc.core.extensions import db
from commentsvc.core.links import public_url

# --- sign-up and verification ------------------------------------------------------


def _stamp(moment: datetime) -> str:
    return moment.isoformat(timespec="microseconds")


def _reset_payload(reader: Reader) -> dict[str, Any]:
    # Binding the token to the last password and e-mail change makes it single-use
    # and kills it when either changes; the serial kills it when a newer one is sent.
    return {
        "id": reader.id,
        "pw": _stamp(reader.password_changed_at),
        "em": _stamp(reader.email_changed_at),
        "n": reader.reset_serial,
    }


def request_reset(email: str) -> None:
    """E-mail a reset link if the address has an account; silently do nothing otherwise.

    For an unknown address the link and the e-mail are built and written all the same,
    then thrown away (equal_work.kept_if), so the answer takes as long either way.
    """
    try:
        address = normalise_email(email)
    except Invalid:
        return
    reader = readers.find_by_email(address)
    with equal_work.kept_if(reader is not None):
        target = reader or equal_work.stand_in(address)
        readers.bump_serial(target, "reset_serial")  # only the newest link works
        token = tokens.PASSWORD_RESET.make(_reset_payload(target))
        mail.queue_email(
            target.email,
            "reset_password",
            target.locale,
            reader=target,
            url=public_url("auth.reset_link", token=token),
        )
    db.session.commit()


def reader_for_reset(token: str) -> Reader:
    """:raises LinkInvalid: forged, older than an hour, used, or outdated by a change."""
    data = tokens.PASSWORD_RESET.read(token)
    reader = db.session.get(Reader, data.get("id"))
    if reader is None or data != _reset_payload(reader):
        raise LinkInvalid
    return reader


def reset_password(token: str, password: str) -> Reader:
    """Set a new password from a reset link and end every session of the account.

    Following the link proves the reader owns the address, so it also verifies it.

    :raises LinkInvalid: see reader_for_reset().
    :raises Invalid: the new password fails the policy.
    """
    reader = reader_for_reset(token)
    readers.set_password(reader, password)
    if reader.email_verified_at is None:
        readers.mark_verified(reader)
    sessions.end_other_sessions(reader)
    mail.queue_email(reader.email, "password_reset_done", reader.locale, reader=reader)
    db.session.commit()
    return reader


# --- account self-service ------------------------------------------------------------
