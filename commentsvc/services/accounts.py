"""Reader accounts: sign-up, verification, sign-in sessions, reset, self-service."""

from __future__ import annotations

import hashlib
import secrets
from datetime import datetime, timedelta
from typing import Any

from flask import current_app
from flask_babel import lazy_gettext as _l
from sqlalchemy import delete, select
from sqlalchemy.exc import IntegrityError

from commentsvc import mail
from commentsvc.extensions import db, utcnow
from commentsvc.links import public_url
from commentsvc.models import EmbedSignInCode, Reader, ReaderSession
from commentsvc.services import (
    comments,
    consent_records,
    notifications,
    passwords,
    policies,
    reports,
    tokens,
)
from commentsvc.services.identity import (
    InvalidInput,
    display_name_key,
    normalise_display_name,
    normalise_email,
)

__all__ = ["InvalidInput"]


class DisplayNameTaken(Exception):
    """Another reader already uses this display name, or one that looks the same."""


class SignInFailed(Exception):
    """Wrong address or password; deliberately does not say which."""


class PasswordIncorrect(Exception):
    """The current password given to confirm a change was wrong."""


class LinkInvalid(Exception):
    """A link from an e-mail is forged, expired, already used or out of date."""


# --- sign-up and verification ------------------------------------------------------


def _stamp(moment: datetime) -> str:
    return moment.isoformat(timespec="microseconds")


def _accept_current_policies(reader: Reader) -> None:
    for document in policies.ACCEPTED:
        policies.record_acceptance(reader, policies.current(document))


def _find_by_email(email: str) -> Reader | None:
    return db.session.scalar(select(Reader).where(Reader.email == email))


def _check_name_free(key: str, reader_id: int | None = None) -> None:
    other = db.session.scalar(select(Reader.id).where(Reader.display_name_key == key))
    if other is not None and other != reader_id:
        raise DisplayNameTaken


def sign_up(email: str, display_name: str, password: str, locale: str | None = None) -> None:
    """Create an account and send the verification e-mail.

    Gives the same outcome whether or not the address is registered: for a known
    address the owner gets an e-mail saying someone tried to sign up with it.

    :raises InvalidInput: a field fails the rules (message for the reader).
    :raises DisplayNameTaken: the name, or a look-alike, is in use.
    """
    email = normalise_email(email)
    name = normalise_display_name(display_name)
    key = display_name_key(name)
    passwords.check_policy(password)
    # The name is checked before the address, so the answer cannot tell a
    # registered address from a new one.
    _check_name_free(key)
    existing = _find_by_email(email)
    if existing is not None:
        mail.queue_email(
            existing.email,
            "sign_up_existing",
            existing.locale,
            reader=existing,
            reset_url=public_url("auth.request_reset"),
        )
        db.session.commit()
        return
    reader = Reader(
        email=email,
        display_name=name,
        display_name_key=key,
        password_hash=passwords.hash_password(password),
        locale=locale,
    )
    _accept_current_policies(reader)
    db.session.add(reader)
    try:
        db.session.flush()
    except IntegrityError as exc:
        # A concurrent sign-up took the name (or the address) between check and insert.
        db.session.rollback()
        raise DisplayNameTaken from exc
    _queue_verification(reader)
    db.session.commit()


def _queue_verification(reader: Reader) -> None:
    token = tokens.make("verify-email", {"id": reader.id, "email": reader.email})
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


def verify_email(token: str) -> Reader:
    """Mark the address in the link as verified.

    :raises LinkInvalid: bad or expired link, or the account's address has changed since.
    """
    try:
        data = tokens.read("verify-email", token, current_app.config["VERIFY_TOKEN_MAX_AGE"])
    except tokens.TokenInvalid as exc:
        raise LinkInvalid from exc
    reader = db.session.get(Reader, data.get("id"))
    if reader is None or reader.email != data.get("email"):
        raise LinkInvalid
    if reader.email_verified_at is None:
        reader.email_verified_at = utcnow()
        db.session.commit()
    return reader


# --- sign-in sessions -----------------------------------------------------------------


def _hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def authenticate(email: str, password: str) -> Reader:
    """Return the reader whose address and password these are.

    :raises SignInFailed: for an unknown address and a wrong password alike.
    """
    try:
        address = normalise_email(email)
    except InvalidInput:
        address = ""
    reader = _find_by_email(address) if address else None
    if reader is None:
        passwords.burn_time(password)
        raise SignInFailed
    if not passwords.verify_password(reader.password_hash, password):
        raise SignInFailed
    if passwords.needs_rehash(reader.password_hash):
        reader.password_hash = passwords.hash_password(password)
        db.session.commit()
    return reader


def start_session(
    reader: Reader, remember: bool, user_agent: str = "", site_id: int | None = None
) -> str:
    """Open a new session for reader and return its token (for the cookie).

    site_id marks a session inside that site's embedded widget.
    """
    token = secrets.token_urlsafe(32)
    lifetime = current_app.config["REMEMBER_LIFETIME" if remember else "SESSION_LIFETIME"]
    db.session.add(
        ReaderSession(
            token_hash=_hash_token(token),
            reader_id=reader.id,
            expires_at=utcnow() + lifetime,
            remember=remember,
            user_agent=user_agent[:200],
            site_id=site_id,
        )
    )
    db.session.commit()
    reader.session_token = token
    reader.session_site_id = site_id
    return token


def load_session(token: str) -> Reader | None:
    """The reader signed in through this token, or None if it was ended or has expired."""
    if not token or len(token) > 100:
        return None
    row = db.session.scalar(
        select(ReaderSession).where(ReaderSession.token_hash == _hash_token(token))
    )
    if row is None or row.expires_at <= utcnow():
        return None
    reader = row.reader
    reader.session_token = token
    reader.session_site_id = row.site_id
    return reader


def end_session(token: str) -> None:
    """Sign one browser out: its cookie, replayed later, is worth nothing."""
    db.session.execute(delete(ReaderSession).where(ReaderSession.token_hash == _hash_token(token)))
    db.session.commit()


def end_other_sessions(reader: Reader, keep_token: str | None = None) -> None:
    """End every session of reader except keep_token's (all of them when None)."""
    stmt = delete(ReaderSession).where(ReaderSession.reader_id == reader.id)
    if keep_token:
        stmt = stmt.where(ReaderSession.token_hash != _hash_token(keep_token))
    db.session.execute(stmt)


def sign_out_everywhere(reader: Reader) -> None:
    end_other_sessions(reader)
    db.session.commit()


def active_sessions(reader: Reader) -> list[ReaderSession]:
    return list(
        db.session.scalars(
            select(ReaderSession)
            .where(ReaderSession.reader_id == reader.id, ReaderSession.expires_at > utcnow())
            .order_by(ReaderSession.created_at.desc())
        )
    )


EMBED_CODE_LIFETIME = timedelta(seconds=50)


def create_embed_code(reader: Reader, site_id: int) -> str:
    """A single-use code, valid for under a minute, that signs reader in to one site's widget."""
    code = secrets.token_urlsafe(32)
    db.session.add(
        EmbedSignInCode(
            code_hash=_hash_token(code),
            reader_id=reader.id,
            site_id=site_id,
            expires_at=utcnow() + EMBED_CODE_LIFETIME,
        )
    )
    db.session.commit()
    return code


def redeem_embed_code(code: str, site_id: int) -> Reader:
    """Use up a sign-in code and return its reader.

    :raises LinkInvalid: unknown, expired, already used, or made for another site.
    """
    if not code or len(code) > 100:
        raise LinkInvalid
    row = db.session.scalar(
        select(EmbedSignInCode).where(EmbedSignInCode.code_hash == _hash_token(code))
    )
    if row is None:
        raise LinkInvalid
    # Delete first and check the row count: of two concurrent redemptions, one wins.
    deleted = db.session.execute(delete(EmbedSignInCode).where(EmbedSignInCode.id == row.id))
    db.session.commit()
    if deleted.rowcount != 1 or row.site_id != site_id or row.expires_at <= utcnow():  # type: ignore[attr-defined]
        raise LinkInvalid
    reader = db.session.get(Reader, row.reader_id)
    if reader is None:
        raise LinkInvalid
    return reader


# --- password reset -------------------------------------------------------------------


def _reset_payload(reader: Reader) -> dict[str, Any]:
    # Binding the token to the last password and e-mail change makes it single-use
    # and kills it when either changes.
    return {
        "id": reader.id,
        "pw": _stamp(reader.password_changed_at),
        "em": _stamp(reader.email_changed_at),
    }


def request_reset(email: str) -> None:
    """E-mail a reset link if the address has an account; silently do nothing otherwise."""
    try:
        address = normalise_email(email)
    except InvalidInput:
        return
    reader = _find_by_email(address)
    if reader is None:
        return
    token = tokens.make("password-reset", _reset_payload(reader))
    mail.queue_email(
        reader.email,
        "reset_password",
        reader.locale,
        reader=reader,
        url=public_url("auth.reset_link", token=token),
    )
    db.session.commit()


def reader_for_reset(token: str) -> Reader:
    """:raises LinkInvalid: forged, older than an hour, used, or outdated by a change."""
    try:
        data = tokens.read("password-reset", token, current_app.config["RESET_TOKEN_MAX_AGE"])
    except tokens.TokenInvalid as exc:
        raise LinkInvalid from exc
    reader = db.session.get(Reader, data.get("id"))
    if reader is None or data != _reset_payload(reader):
        raise LinkInvalid
    return reader


def _set_password(reader: Reader, password: str) -> None:
    passwords.check_policy(password)
    reader.password_hash = passwords.hash_password(password)
    reader.password_changed_at = utcnow()


def reset_password(token: str, password: str) -> Reader:
    """Set a new password from a reset link and end every session of the account.

    Following the link proves the reader owns the address, so it also verifies it.

    :raises LinkInvalid: see reader_for_reset().
    :raises InvalidInput: the new password fails the policy.
    """
    reader = reader_for_reset(token)
    _set_password(reader, password)
    if reader.email_verified_at is None:
        reader.email_verified_at = utcnow()
    end_other_sessions(reader)
    mail.queue_email(reader.email, "password_reset_done", reader.locale, reader=reader)
    db.session.commit()
    return reader


# --- account self-service ------------------------------------------------------------


def _confirm_password(reader: Reader, password: str) -> None:
    if not passwords.verify_password(reader.password_hash, password):
        raise PasswordIncorrect


def change_password(reader: Reader, current: str, new: str, keep_token: str) -> None:
    """:raises PasswordIncorrect: current is wrong. :raises InvalidInput: new fails the policy."""
    _confirm_password(reader, current)
    _set_password(reader, new)
    end_other_sessions(reader, keep_token)
    mail.queue_email(reader.email, "password_changed", reader.locale, reader=reader)
    db.session.commit()


def change_display_name(reader: Reader, display_name: str) -> None:
    """:raises InvalidInput: bad characters or length. :raises DisplayNameTaken: in use."""
    name = normalise_display_name(display_name)
    key = display_name_key(name)
    _check_name_free(key, reader.id)
    reader.display_name = name
    reader.display_name_key = key
    # Pages cached for anonymous readers show the old name until their threads move on.
    comments.touch_threads_of(reader.id)
    try:
        db.session.commit()
    except IntegrityError as exc:
        db.session.rollback()
        raise DisplayNameTaken from exc


def request_email_change(reader: Reader, password: str, new_email: str) -> None:
    """Send a confirmation link to the new address and a notice to the current one.

    Nothing changes until the link is followed. If the new address belongs to
    another account the link is not sent, but the answer is the same.

    :raises PasswordIncorrect: wrong password. :raises InvalidInput: malformed address.
    """
    _confirm_password(reader, password)
    address = normalise_email(new_email)
    if address == reader.email:
        raise InvalidInput(_l("That is already the address of your account."), "email")
    if _find_by_email(address) is None:
        token = tokens.make("change-email", {"id": reader.id, "old": reader.email, "new": address})
        mail.queue_email(
            address,
            "confirm_new_email",
            reader.locale,
            reader=reader,
            url=public_url("account.confirm_email", token=token),
        )
    mail.queue_email(
        reader.email, "email_change_requested", reader.locale, reader=reader, new_email=address
    )
    db.session.commit()


def confirm_email_change(token: str) -> Reader:
    """Switch the account to the address the link was sent to, and tell the old one.

    :raises LinkInvalid: bad or expired link, or the address changed meanwhile or was taken.
    """
    try:
        data = tokens.read("change-email", token, current_app.config["VERIFY_TOKEN_MAX_AGE"])
    except tokens.TokenInvalid as exc:
        raise LinkInvalid from exc
    reader = db.session.get(Reader, data.get("id"))
    if reader is None or reader.email != data.get("old"):
        raise LinkInvalid
    old, new = reader.email, str(data.get("new"))
    reader.email = new
    reader.email_verified_at = reader.email_changed_at = utcnow()
    # Flush before rendering the notice: rendering loads current_user, whose query
    # would autoflush and raise the IntegrityError outside the try below.
    try:
        db.session.flush()
    except IntegrityError as exc:
        db.session.rollback()
        raise LinkInvalid from exc
    mail.queue_email(
        old, "email_changed", reader.locale, reader=reader, old_email=old, new_email=new
    )
    db.session.commit()
    return reader


def export_data(reader: Reader) -> dict[str, Any]:
    """Everything stored about the reader, as JSON-ready data."""
    return {
        "account": {
            "id": reader.id,
            "email": reader.email,
            "email_verified_at": reader.email_verified_at.isoformat()
            if reader.email_verified_at
            else None,
            "display_name": reader.display_name,
            "locale": reader.locale,
            "created_at": reader.created_at.isoformat(),
            "password_changed_at": reader.password_changed_at.isoformat(),
            "is_admin": reader.is_admin,
        },
        "policy_acceptances": [
            {
                "document": a.document,
                "version": a.version,
                "site": site.slug if site else None,
                "accepted_at": a.accepted_at.isoformat(),
            }
            for a, site in policies.acceptance_history(reader)
        ],
        "consent_records": consent_records.export_for_reader(reader),
        "notification_settings": notifications.export_for_reader(reader),
        **reports.export_for_reader(reader),
        "sessions": [
            {
                "created_at": s.created_at.isoformat(),
                "expires_at": s.expires_at.isoformat(),
                "remember": s.remember,
                "user_agent": s.user_agent,
            }
            for s in active_sessions(reader)
        ],
    }


def delete_account(reader: Reader, password: str) -> None:
    """Delete the account, its sessions and acceptances, after checking the password.

    :raises PasswordIncorrect: wrong password.
    """
    _confirm_password(reader, password)
    email, locale = reader.email, reader.locale
    end_other_sessions(reader)
    comments.anonymise_author(reader.id)
    db.session.delete(reader)
    mail.queue_email(email, "account_deleted", locale)
    db.session.commit()


def create_admin(email: str, password: str, display_name: str) -> tuple[Reader, bool]:
    """Create a verified admin account, or make an existing account admin.

    Returns the reader and whether it was created.

    :raises InvalidInput: bad address, name or password. :raises DisplayNameTaken: name in use.
    """
    address = normalise_email(email)
    existing = _find_by_email(address)
    if existing is not None:
        existing.is_admin = True
        db.session.commit()
        return existing, False
    name = normalise_display_name(display_name)
    key = display_name_key(name)
    _check_name_free(key)
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
