"""Self-service on the account page: name, password and e-mail changes, data export, deletion."""

from __future__ import annotations

from typing import Any

from flask_babel import lazy_gettext as _l
from sqlalchemy.exc import IntegrityError

from commentsvc.accounts import email_codes, passkeys, passwords, readers, sessions, totp
from commentsvc.accounts.identity import (
    display_name_key,
    normalise_display_name,
    normalise_email,
)
from commentsvc.accounts.models import Reader
from commentsvc.comments import lifecycle, notify, posting, reports, votes
from commentsvc.consent import policies, records
from commentsvc.core import mail, tokens
from commentsvc.core.errors import Forbidden, Invalid, LinkInvalid
from commentsvc.core.extensions import db, utcnow
from commentsvc.core.links import public_url


class PasswordIncorrect(Forbidden):
    """The current password given to confirm a change was wrong."""


def _confirm_password(reader: Reader, password: str) -> None:
    if not passwords.verify_password(reader.password_hash, password):
        raise PasswordIncorrect


def change_password(reader: Reader, current: str, new: str, keep_token: str) -> bool:
    """Set a new password, sign out every other browser and give this one a new session.

    The browser holding keep_token stays signed in under reader.session_token (a new
    token: whoever copied the old one holds nothing). Returns its "remember me" choice.

    :raises PasswordIncorrect: current is wrong. :raises Invalid: new fails the policy.
    """
    _confirm_password(reader, current)
    readers.set_password(reader, new)
    remember = sessions.restart_session(reader, keep_token)
    mail.queue_email(reader.email, "password_changed", reader.locale, reader=reader)
    db.session.commit()
    return remember


def change_display_name(reader: Reader, display_name: str) -> None:
    """:raises Invalid: bad characters or length. :raises readers.DisplayNameTaken: in use."""
    name = normalise_display_name(display_name)
    key = display_name_key(name)
    readers.check_name_free(key, reader.id)
    reader.display_name = name
    reader.display_name_key = key
    # Pages cached for anonymous readers show the old name until their threads move on.
    lifecycle.author_renamed(reader.id)
    try:
        db.session.commit()
    except IntegrityError as exc:
        db.session.rollback()
        raise readers.DisplayNameTaken from exc


def _change_payload(reader: Reader, new_email: str) -> dict[str, Any]:
    # What following the link proves, besides control of the new address: the account
    # still has the address (old) and password (pw) it had when the change was asked
    # for, its address has not moved since (em), and this is the newest request, made
    # after the last cancellation and the last "sign out everywhere" (n). A password
    # change or reset, a newer request, a cancellation or signing out everywhere kills it.
    return {
        "id": reader.id,
        "old": reader.email,
        "new": new_email,
        "pw": readers.stamp(reader.password_changed_at),
        "em": readers.stamp(reader.email_changed_at),
        "n": reader.email_change_serial,
    }


def request_email_change(reader: Reader, password: str, new_email: str) -> None:
    """Send a confirmation link to the new address and a notice to the current one.

    Nothing changes until the link is followed; the notice carries a link that cancels
    the change. If the new address belongs to another account the link is not sent,
    but the answer is the same. Every change link sent before stops working.

    :raises Invalid: the current address is not verified, or the new one is malformed.
    :raises PasswordIncorrect: wrong password.
    """
    if not reader.is_verified:
        # An unverified account may have been opened by someone else with this address
        # (to move it to their own later): it cannot move until the address is proven.
        raise Invalid(
            _l(
                "Verify your current address first, with the link we sent to it. "
                "If you cannot, sign up again with the address you want."
            ),
            "email",
        )
    _confirm_password(reader, password)
    address = normalise_email(new_email)
    if address == reader.email:
        raise Invalid(_l("That is already the address of your account."), "email")
    readers.bump_serial(reader, "email_change_serial")
    if readers.find_by_email(address) is None:
        token = tokens.EMAIL_CHANGE.make(_change_payload(reader, address))
        mail.queue_email(
            address,
            "confirm_new_email",
            reader.locale,
            reader=reader,
            url=public_url("account.confirm_email", token=token),
        )
    cancel = tokens.EMAIL_CHANGE_CANCEL.make({"id": reader.id, "email": reader.email})
    mail.queue_email(
        reader.email,
        "email_change_requested",
        reader.locale,
        reader=reader,
        new_email=address,
        cancel_url=public_url("account.cancel_email_change", token=cancel),
    )
    db.session.commit()


def confirm_email_change(token: str) -> Reader:
    """Switch the account to the address the link was sent to, and tell the old one.

    :raises LinkInvalid: bad or expired link, outdated by a change (see _change_payload),
        or the address was taken meanwhile.
    """
    data = tokens.EMAIL_CHANGE.read(token)
    reader = db.session.get(Reader, data.get("id"))
    new = data.get("new")
    if (
        reader is None
        or not reader.is_verified
        or not isinstance(new, str)
        or data != _change_payload(reader, new)
    ):
        raise LinkInvalid
    old = reader.email
    reader.email = new
    reader.email_changed_at = utcnow()
    readers.mark_verified(reader, reader.email_changed_at)
    # Flush before rendering the notice: rendering loads current_user, whose query
    # would autoflush and raise the IntegrityError outside the try below.
    try:
        db.session.flush()
    except IntegrityError as exc:
        db.session.rollback()
        raise LinkInvalid from exc
    email_codes.kill_for(reader)  # they were sent to the old address
    mail.queue_email(
        old, "email_changed", reader.locale, reader=reader, old_email=old, new_email=new
    )
    db.session.commit()
    return reader


def reader_for_cancel(token: str) -> Reader:
    """The account whose pending e-mail changes this link (from the notice) cancels.

    :raises LinkInvalid: bad or expired link, or the account no longer has the
        address the notice went to.
    """
    data = tokens.EMAIL_CHANGE_CANCEL.read(token)
    reader = db.session.get(Reader, data.get("id"))
    if reader is None or reader.email != data.get("email"):
        raise LinkInvalid
    return reader


def cancel_email_change(token: str) -> Reader:
    """Kill every e-mail change link of the account; nothing else changes.

    Works without signing in: the link went to the account's address.

    :raises LinkInvalid: see reader_for_cancel().
    """
    reader = reader_for_cancel(token)
    readers.bump_serial(reader, "email_change_serial")
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
        "consent_records": records.export_for_reader(reader),
        "comments": posting.export_for_reader(reader),
        "votes": votes.export_for_reader(reader),
        "notification_settings": notify.export_for_reader(reader),
        **reports.export_for_reader(reader),
        "passkeys": [
            {
                "name": p.name,
                "created_at": p.created_at.isoformat(),
                "last_used_at": p.last_used_at.isoformat() if p.last_used_at else None,
            }
            for p in passkeys.list_passkeys(reader)
        ],
        "authenticator_app": totp.is_set_up(reader),
        "sessions": [
            {
                "created_at": s.created_at.isoformat(),
                "expires_at": s.expires_at.isoformat(),
                "remember": s.remember,
                "user_agent": s.user_agent,
            }
            for s in sessions.active_sessions(reader)
        ],
    }


def delete_account(reader: Reader, password: str) -> None:
    """Delete the account, its sessions and acceptances, after checking the password.

    :raises PasswordIncorrect: wrong password.
    """
    _confirm_password(reader, password)
    email, locale = reader.email, reader.locale
    sessions.end_other_sessions(reader)
    lifecycle.anonymise_author(reader.id)
    db.session.delete(reader)
    mail.queue_email(email, "account_deleted", locale)
    db.session.commit()
