"""Passkeys (WebAuthn): adding one to an account, signing in with one, removing one.

The `webauthn` library builds the options and checks every answer (challenge, origin,
relying party id, signature, counter). What this module adds: the challenge is kept
server-side in a row that the browser's session names, it works once and for
PASSKEY_CHALLENGE_MAX_AGE seconds, and it is bound to its purpose and (for adding a
passkey or a second step) to its reader. The relying party id is the host of
PUBLIC_URL and the only origin accepted is PUBLIC_URL's.

Credentials are discoverable: at sign-in the browser offers the reader's passkeys for
this service without an address being typed, and the answer names its credential.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import timedelta
from typing import Any
from urllib.parse import urlsplit

from flask import current_app
from flask_babel import lazy_gettext as _l
from sqlalchemy import delete, func, select
from webauthn import (
    base64url_to_bytes,
    generate_authentication_options,
    generate_registration_options,
    options_to_json,
    verify_authentication_response,
    verify_registration_response,
)
from webauthn.helpers.exceptions import WebAuthnException
from webauthn.helpers.structs import (
    AuthenticatorSelectionCriteria,
    AuthenticatorTransport,
    PublicKeyCredentialDescriptor,
    ResidentKeyRequirement,
    UserVerificationRequirement,
)

from commentsvc.accounts import security_events
from commentsvc.accounts.models import Passkey, PasskeyChallenge, Reader
from commentsvc.core.errors import Forbidden, Invalid, NotFound
from commentsvc.core.extensions import db, utcnow
from commentsvc.core.links import own_origin

REGISTER = "register"
SIGN_IN = "sign_in"
SECOND_STEP = "second_step"
NAME_MAX = 60
# A reader rarely needs more than a handful; the cap keeps the sign-in list short.
PER_READER = 20
# Longer answers from the browser are refused before they are parsed.
ANSWER_MAX = 16 * 1024


class PasskeyRefused(Forbidden):
    """The browser's answer does not prove what it must (wrong challenge, origin,
    signature, an unknown or another reader's passkey, an expired or used challenge)."""

    def __init__(self) -> None:
        super().__init__(_l("That passkey could not be used. Try again, or sign in another way."))


@dataclass(frozen=True)
class Ceremony:
    """A challenge handed out: its row's id (for the session) and the options (JSON)
    for navigator.credentials."""

    challenge_id: int
    options: str


def rp_id() -> str:
    """The relying party id: the host of PUBLIC_URL (passkeys are bound to it)."""
    return urlsplit(current_app.config["PUBLIC_URL"]).hostname or ""


def challenge_lifetime() -> timedelta:
    """How long a challenge works (also how long a password may wait for its second step)."""
    return timedelta(seconds=int(current_app.config["PASSKEY_CHALLENGE_MAX_AGE"]))


def _store(challenge: bytes, purpose: str, reader: Reader | None) -> int:
    row = PasskeyChallenge(
        challenge=challenge,
        purpose=purpose,
        reader_id=reader.id if reader else None,
        expires_at=utcnow() + challenge_lifetime(),
    )
    db.session.add(row)
    db.session.flush()
    return row.id


def _take(challenge_id: int | None, purpose: str, reader: Reader | None) -> bytes:
    """Use up a challenge row and return its challenge.

    :raises PasskeyRefused: unknown, used, expired, of another purpose or reader.
    """
    if not isinstance(challenge_id, int):
        raise PasskeyRefused
    row = db.session.get(PasskeyChallenge, challenge_id)
    if row is None:
        raise PasskeyRefused
    challenge, owner, kind, expires_at = row.challenge, row.reader_id, row.purpose, row.expires_at
    # Delete and check the row count: of two concurrent answers, one wins.
    deleted = db.session.execute(
        delete(PasskeyChallenge).where(PasskeyChallenge.id == challenge_id)
    )
    db.session.commit()
    if (
        deleted.rowcount != 1  # type: ignore[attr-defined]
        or kind != purpose
        or expires_at <= utcnow()
        or owner != (reader.id if reader else None)
    ):
        raise PasskeyRefused
    return challenge


def _descriptor(passkey: Passkey) -> PublicKeyCredentialDescriptor:
    transports = []
    for name in passkey.transports.split(","):
        try:
            transports.append(AuthenticatorTransport(name))
        except ValueError:
            continue
    return PublicKeyCredentialDescriptor(id=passkey.credential_id, transports=transports or None)


def _timeout_ms() -> int:
    return int(challenge_lifetime().total_seconds() * 1000)


def begin_registration(reader: Reader) -> Ceremony:
    """Options for adding a passkey to reader's account (the reader's passkeys are
    excluded, so one authenticator is not added twice); does commit the challenge."""
    options = generate_registration_options(
        rp_id=rp_id(),
        rp_name=str(current_app.config["PASSKEY_RP_NAME"]),
        # The user handle names the account to the authenticator; the id, not the address.
        user_id=f"reader:{reader.id}".encode(),
        user_name=reader.email,
        user_display_name=reader.display_name,
        timeout=_timeout_ms(),
        authenticator_selection=AuthenticatorSelectionCriteria(
            resident_key=ResidentKeyRequirement.REQUIRED,
            user_verification=UserVerificationRequirement.REQUIRED,
        ),
        exclude_credentials=[_descriptor(p) for p in list_passkeys(reader)],
    )
    challenge_id = _store(options.challenge, REGISTER, reader)
    db.session.commit()
    return Ceremony(challenge_id, options_to_json(options))


def _parse(answer: str) -> dict[str, Any]:
    if len(answer) > ANSWER_MAX:
        raise PasskeyRefused
    try:
        data = json.loads(answer)
    except ValueError as exc:
        raise PasskeyRefused from exc
    if not isinstance(data, dict):
        raise PasskeyRefused
    return data


def normalise_name(name: str) -> str:
    """The passkey's name as the reader typed it, trimmed.

    :raises Invalid: empty or longer than NAME_MAX.
    """
    cleaned = " ".join(name.split())
    if not cleaned:
        raise Invalid(_l("Give the passkey a name, such as the device it is on."), "name")
    if len(cleaned) > NAME_MAX:
        raise Invalid(_l("Use at most %(n)d characters.", n=NAME_MAX), "name")
    return cleaned


def finish_registration(
    reader: Reader, challenge_id: int | None, answer: str, name: str
) -> Passkey:
    """Check the browser's answer to begin_registration() and store the new passkey.

    The reader is e-mailed about it, and a staff member's addition is in the audit log.

    :raises Invalid: a bad name, or too many passkeys.
    :raises PasskeyRefused: the answer does not prove a new credential for this service.
    """
    label = normalise_name(name)
    if len(list_passkeys(reader)) >= PER_READER:
        raise Invalid(_l("You have too many passkeys. Remove one first."), "name")
    challenge = _take(challenge_id, REGISTER, reader)
    data = _parse(answer)
    try:
        verified = verify_registration_response(
            credential=data,
            expected_challenge=challenge,
            expected_rp_id=rp_id(),
            expected_origin=own_origin(),
            require_user_verification=True,
        )
    except (WebAuthnException, ValueError, KeyError, TypeError) as exc:
        raise PasskeyRefused from exc
    taken = db.session.scalar(
        select(Passkey.id).where(Passkey.credential_id == verified.credential_id)
    )
    if taken is not None:
        raise PasskeyRefused
    raw_transports = data.get("response", {}).get("transports") or []
    transports = [t for t in raw_transports if isinstance(t, str)][:8]
    passkey = Passkey(
        reader_id=reader.id,
        credential_id=verified.credential_id,
        public_key=verified.credential_public_key,
        sign_count=verified.sign_count,
        name=label,
        transports=",".join(transports)[:200],
    )
    db.session.add(passkey)
    db.session.flush()
    security_events.passkey_added(reader, passkey)
    db.session.commit()
    return passkey


def begin_sign_in(reader: Reader | None = None) -> Ceremony:
    """Options for signing in with a passkey: any of this service's (reader None, the
    browser offers its discoverable ones), or one of reader's (a second step)."""
    allowed = [_descriptor(p) for p in list_passkeys(reader)] if reader else []
    options = generate_authentication_options(
        rp_id=rp_id(),
        timeout=_timeout_ms(),
        allow_credentials=allowed,
        user_verification=UserVerificationRequirement.REQUIRED,
    )
    challenge_id = _store(options.challenge, SECOND_STEP if reader else SIGN_IN, reader)
    db.session.commit()
    return Ceremony(challenge_id, options_to_json(options))


def finish_sign_in(challenge_id: int | None, answer: str, reader: Reader | None = None) -> Reader:
    """Check the browser's answer to begin_sign_in() and return the passkey's reader.

    With reader (a second step), the passkey must be one of theirs. The passkey's
    counter and last use are updated.

    :raises PasskeyRefused: see the class.
    """
    challenge = _take(challenge_id, SECOND_STEP if reader else SIGN_IN, reader)
    data = _parse(answer)
    raw_id = data.get("rawId") or data.get("id")
    try:
        credential_id = base64url_to_bytes(raw_id) if isinstance(raw_id, str) else b""
    except ValueError as exc:
        raise PasskeyRefused from exc
    passkey = db.session.scalar(select(Passkey).where(Passkey.credential_id == credential_id))
    if passkey is None or (reader is not None and passkey.reader_id != reader.id):
        raise PasskeyRefused
    user_handle = data.get("response", {}).get("userHandle")
    if user_handle:
        # A discoverable credential names its account: it must be the passkey's.
        try:
            handle = base64url_to_bytes(str(user_handle))
        except ValueError as exc:
            raise PasskeyRefused from exc
        if handle != f"reader:{passkey.reader_id}".encode():
            raise PasskeyRefused
    try:
        verified = verify_authentication_response(
            credential=data,
            expected_challenge=challenge,
            expected_rp_id=rp_id(),
            expected_origin=own_origin(),
            credential_public_key=passkey.public_key,
            credential_current_sign_count=passkey.sign_count,
            require_user_verification=True,
        )
    except (WebAuthnException, ValueError, KeyError, TypeError) as exc:
        raise PasskeyRefused from exc
    passkey.sign_count = verified.new_sign_count
    passkey.last_used_at = utcnow()
    db.session.commit()
    owner = db.session.get(Reader, passkey.reader_id)
    if owner is None:
        raise PasskeyRefused
    return owner


def list_passkeys(reader: Reader) -> list[Passkey]:
    """The reader's passkeys, oldest first."""
    return list(
        db.session.scalars(
            select(Passkey).where(Passkey.reader_id == reader.id).order_by(Passkey.id)
        )
    )


def count(reader: Reader) -> int:
    return int(
        db.session.scalar(select(func.count(Passkey.id)).where(Passkey.reader_id == reader.id)) or 0
    )


def remove_passkey(reader: Reader, passkey_id: int) -> Passkey:
    """Remove one of the reader's passkeys; the reader is e-mailed, staff audited.

    :raises NotFound: no such passkey, or another reader's.
    :raises security_events.LastFactor: it is the last second factor of staff who need one.
    """
    passkey = db.session.get(Passkey, passkey_id)
    if passkey is None or passkey.reader_id != reader.id:
        raise NotFound(_l("There is no such passkey."))
    security_events.check_can_remove(reader, passkey_count=count(reader) - 1)
    db.session.delete(passkey)
    security_events.passkey_removed(reader, passkey)
    db.session.commit()
    return passkey


def purge_expired() -> int:
    """Delete the challenges past their expiry (using one deletes it); return how many."""
    result = db.session.execute(
        delete(PasskeyChallenge).where(PasskeyChallenge.expires_at <= utcnow())
    )
    db.session.commit()
    return int(result.rowcount)  # type: ignore[attr-defined]
