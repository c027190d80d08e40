"""Sign-up and e-mail verification, and admin accounts made from the command line."""

from __future__ import annotations

import secrets
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from commentsvc.accounts import equal_work, passwords, readers
from commentsvc.accounts.identity import (
    display_name_key,
    normalise_display_name,
    normalise_email,
)
from commentsvc.accounts.models import Reader
from commentsvc.consent import policies
from commentsvc.core import mail, tokens
from commentsvc.core.errors import Invalid, LinkInvalid
from commentsvc.core.extensions import db, utcnow
from commentsvc.core.links import public_url

__all__ = ["Invalid"]


def _accept_current_policies(reader: Reader) -> None:
    for document in policies.ACCEPTED:
        policies.record_acceptance(reader, policies.current(document))


def sign_up(email: str, display_name: str, password: str, locale: str | None = None) -> None:
    """Create an account and send the verification e-mail.

    Gives the same outcome, in the same time, whether or not the address is
    registered: for a known address the owner gets an e-mail saying someone tried to
    sign up with it. Both cases hash the password and write an account with its
    acceptances and one e-mail; for a known address the account is a stand-in whose
    rows are rolled back (equal_work.kept_if).

    An unverified account holds no display name: only a verified reader's name (or a
    look-alike) is refused here. Who verifies first keeps the name (see verify_email).

    :raises Invalid: a field fails the rules (message for the reader).
    :raises readers.DisplayNameTaken: a verified reader has the name, or a look-alike.
    """
    email = normalise_email(email)
    name = normalise_display_name(display_name)
    key = display_name_key(name)
    passwords.check_policy(password)
    # The name is checked before the address, so the answer cannot tell a
    # registered address from a new one.
    readers.check_name_free(key)
    password_hash = passwords.hash_password(password)
    existing = readers.find_by_email(email)
    if existing is not None:
        mail.queue_email(
            existing.email,
            "sign_up_existing",
            existing.locale,
            reader=existing,
            reset_url=public_url("auth.request_reset"),
        )
    try:
        with equal_work.kept_if(existing is None):
            reader = Reader(
                # The stand-in's address is one nobody can have: it must not collide.
                email=email if existing is None else f"{secrets.token_hex(16)}@stand-in.invalid",
                display_name=name,
                display_name_key=key,
                password_hash=password_hash,
                locale=locale,
            )
            _accept_current_policies(reader)
            db.session.add(reader)
            db.session.flush()
            if existing is None:
                _queue_verification(reader)
    except IntegrityError:
        # A concurrent sign-up with this address won: it sends the e-mail; same answer.
        db.session.rollback()
        return
    db.session.commit()


def _queue_verification(reader: Reader) -> None:
    token = tokens.EMAIL_VERIFICATION.make({"id": reader.id, "email": reader.email})
    mail.queue_email(
        reader.email,
        "verify_email",
        reader.locale,
        reader=reader,
        url=public_url("auth.verify_email", token=token),
    )


def resend_verification(reader: Reader) -> None:
    """Send a fresh verification link to an unverified reader."""
    if reader.is_verified:
        return
    _queue_verification(reader)
    db.session.commit()


@dataclass(frozen=True)
class Verified:
    reader: Reader
    # The name the reader asked for, when a reader who verified first holds it (or a
    # look-alike): the reader now has a placeholder name to change.
    name_taken: str | None = None


def verify_email(token: str) -> Verified:
    """Mark the address in the link as verified; who verifies first keeps a display name.

    :raises LinkInvalid: bad or expired link, or the account's address has changed since.
    """
    data = tokens.EMAIL_VERIFICATION.read(token)
    for _attempt in range(3):
        reader = db.session.get(Reader, data.get("id"))
        if reader is None or reader.email != data.get("email"):
            raise LinkInvalid
        name_taken = readers.mark_verified(reader) if not reader.is_verified else None
        try:
            db.session.commit()
        except IntegrityError:
            # Another reader with the name verified at the same moment: look again.
            db.session.rollback()
            continue
        return Verified(reader, name_taken)
    raise LinkInvalid


# --- sign-in sessions -----------------------------------------------------------------


def create_admin(email: str, password: str, display_name: str) -> tuple[Reader, bool]:
    """Create a verified admin account, or make an existing account admin.

    Returns the reader and whether it was created.

    :raises Invalid: bad address, name or password. :raises readers.DisplayNameTaken: name in use.
    """
    address = normalise_email(email)
    existing = readers.find_by_email(address)
    if existing is not None:
        existing.is_admin = True
        db.session.commit()
        return existing, False
    name = normalise_display_name(display_name)
    key = display_name_key(name)
    readers.check_name_free(key)
    passwords.check_policy(password)
    reader = Reader(
        email=address,
        display_name=name,
        display_name_key=key,
        password_hash=passwords.hash_password(password),
        email_verified_at=utcnow(),
        is_admin=True,
    )
    _accept_current_policies(reader)
    db.session.add(reader)
    db.session.commit()
    return reader, True


def list_readers() -> list[Reader]:
    return list(db.session.scalars(select(Reader).order_by(Reader.id)))
