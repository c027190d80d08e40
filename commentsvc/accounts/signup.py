"""Sign-up and e-mail verification, and admin accounts made from the command line."""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from typing import Literal, overload

from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from commentsvc.accounts import email_codes, equal_work, passwords, readers
from commentsvc.accounts.identity import (
    display_name_key,
    normalise_display_name,
    normalise_email,
)
from commentsvc.accounts.models import EmailCode, Reader
from commentsvc.consent import policies
from commentsvc.core import mail, tokens
from commentsvc.core.errors import Invalid, LinkInvalid
from commentsvc.core.extensions import db, utcnow
from commentsvc.core.links import public_url

__all__ = ["Invalid"]


def _accept_current_policies(reader: Reader) -> None:
    for document in policies.ACCEPTED:
        policies.record_acceptance(reader, policies.current(document))


def check_sign_up(email: str, display_name: str, password: str) -> dict[str, str]:
    """Every rule the fields of a sign-up break, at once: {field: message}.

    The same checks sign_up() makes (each field on its own), so a form can show all
    of its errors in one answer. Whether the address has an account is not checked.
    """
    errors: dict[str, str] = {}
    try:
        normalise_email(email)
    except Invalid as exc:
        errors["email"] = str(exc)
    try:
        readers.check_name_free(display_name_key(normalise_display_name(display_name)))
    except Invalid as exc:
        errors["display_name"] = str(exc)
    except readers.DisplayNameTaken:
        errors["display_name"] = str(NAME_TAKEN)
    try:
        passwords.check_policy(password)
    except Invalid as exc:
        errors["password"] = str(exc)
    return errors


NAME_TAKEN = _l("This display name, or one that looks the same, is already taken.")


@overload
def sign_up(email: str, display_name: str, password: str, locale: str | None = None) -> None: ...
@overload
def sign_up(
    email: str, display_name: str, password: str, locale: str | None, *, send_code: Literal[True]
) -> int: ...
def sign_up(
    email: str,
    display_name: str,
    password: str,
    locale: str | None = None,
    *,
    send_code: bool = False,
) -> int | None:
    """Create an account and send the verification e-mail.

    Gives the same outcome, in the same time, whether or not the address is
    registered: for a known address the owner gets an e-mail saying someone tried to
    sign up with it. Both cases hash the password and write an account with its
    acceptances and one e-mail; for a known address the account is a stand-in whose
    rows are rolled back (equal_work.kept_if).

    With send_code, the e-mail also holds a 6-digit code, and the id of its row is
    returned (see email_codes; for a known address, a row no code matches).

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
    code_id: int | None = None
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
            code = None
            if send_code:
                code_id, code = email_codes.issue(email_codes.VERIFY, reader)
            _queue_verification(reader, code)
        if existing is not None and send_code:
            code_id, _code = email_codes.issue(email_codes.VERIFY, None)
    except IntegrityError:
        # A concurrent sign-up with this address won: it sends the e-mail; same answer.
        db.session.rollback()
        if send_code:
            code_id, _code = email_codes.issue(email_codes.VERIFY, None)
            db.session.commit()
        return code_id
    db.session.commit()
    return code_id


def _queue_verification(reader: Reader, code: str | None = None) -> None:
    token = tokens.EMAIL_VERIFICATION.make({"id": reader.id, "email": reader.email})
    mail.queue_email(
        reader.email,
        "verify_email",
        reader.locale,
        reader=reader,
        url=public_url("auth.verify_email", token=token),
        code=code,
        minutes=email_codes.minutes(),
    )


def resend_verification(reader: Reader) -> None:
    """Send a fresh verification link to an unverified reader."""
    if reader.is_verified:
        return
    _queue_verification(reader)
    db.session.commit()


def resend_code(code_id: int, email: str) -> int:
    """Send a new code in place of row code_id (the sign-in popup's "send a new code").

    The new code goes to the reader the old row was made for, if they are still
    unverified; for a stand-in row, the owner of email (if any) is told again that
    someone tried to sign up with it. Either way a new row replaces the old one, and
    its id is returned.
    """
    old = db.session.get(EmailCode, code_id)
    reader = db.session.get(Reader, old.reader_id) if old and old.reader_id else None
    email_codes.discard(code_id)
    if reader is None or reader.is_verified:
        try:
            owner = readers.find_by_email(normalise_email(email))
        except Invalid:
            owner = None
        if old is not None and old.reader_id is None and owner is not None:
            mail.queue_email(
                owner.email,
                "sign_up_existing",
                owner.locale,
                reader=owner,
                reset_url=public_url("auth.request_reset"),
            )
        new_id, _code = email_codes.issue(email_codes.VERIFY, None)
    else:
        new_id, code = email_codes.issue(email_codes.VERIFY, reader)
        _queue_verification(reader, code)
    db.session.commit()
    return new_id


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
    return _verify(data.get("id"), data.get("email"))


def verify_code(code_id: int, code: str) -> Verified:
    """Verify the address of the sign-up waiting on row code_id with the e-mailed code.

    :raises Invalid: not six digits. :raises email_codes.CodeWrong: a wrong code.
    :raises email_codes.CodeDead: no code can be accepted for this row any more.
    """
    reader = email_codes.check(code_id, email_codes.VERIFY, code)
    return _verify(reader.id, reader.email)


def verified_by_link(code_id: int) -> Verified | None:
    """The sign-up waiting on row code_id, if its address was verified by the link
    (in another tab): the row is used up. None while it is not (or for a stand-in)."""
    reader = email_codes.waiting_reader(code_id, email_codes.VERIFY)
    if reader is None or not reader.is_verified:
        return None
    try:
        email_codes.use_without_code(code_id, email_codes.VERIFY)
    except email_codes.CodeDead:
        return None
    return Verified(reader)


def _verify(reader_id: object, email: object) -> Verified:
    for _attempt in range(3):
        reader = db.session.get(Reader, reader_id) if isinstance(reader_id, int) else None
        if reader is None or reader.email != email:
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
