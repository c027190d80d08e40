"""Authenticator apps (TOTP, RFC 6238): set-up with a QR code, checking a code once.

The secret is made by pyotp and kept in the database: the server must compute the same
codes as the app. Set-up stores it unconfirmed; the first correct code confirms it. A
code is accepted for its own 30-second step and the ones either side (clocks drift), and
only for a step later than the last one accepted, so no code works twice.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import pyotp
import segno
from flask import current_app
from flask_babel import lazy_gettext as _l
from pyotp.exceptions import OTPVerificationError
from sqlalchemy import update

from commentsvc.accounts import recovery_codes, security_events
from commentsvc.accounts.models import Reader, TotpFactor
from commentsvc.core.errors import Conflict, Invalid
from commentsvc.core.extensions import db, utcnow

# Steps either side of now whose codes are still taken.
DRIFT = 1
_DIGITS = 6


@dataclass(frozen=True)
class Setup:
    """What the set-up page shows: the secret (to type in), its URI and the QR code."""

    secret: str
    uri: str
    qr_svg: str


def is_set_up(reader: Reader) -> bool:
    row = db.session.get(TotpFactor, reader.id)
    return row is not None and row.confirmed_at is not None


def _setup_of(row: TotpFactor, reader: Reader) -> Setup:
    uri = pyotp.TOTP(row.secret).provisioning_uri(
        name=reader.email, issuer_name=str(current_app.config["PASSKEY_RP_NAME"])
    )
    # Inline SVG (no script, no external file): the page's CSP needs no exception.
    svg = segno.make(uri, error="m").svg_inline(scale=4, border=2, dark="#000", light="#fff")
    return Setup(secret=row.secret, uri=uri, qr_svg=svg)


def begin_setup(reader: Reader) -> Setup:
    """A secret for the reader's app (kept while unconfirmed, so reloading the page
    shows the same one).

    :raises Conflict: an app is already set up (remove it first).
    """
    row = db.session.get(TotpFactor, reader.id)
    if row is not None and row.confirmed_at is not None:
        raise Conflict(_l("An authenticator app is already set up. Remove it first."))
    if row is None:
        row = TotpFactor(reader_id=reader.id, secret=pyotp.random_base32(), last_step=0)
        db.session.add(row)
        db.session.commit()
    return _setup_of(row, reader)


def _matching_step(secret: str, code: str, at: datetime) -> int | None:
    """The step whose code code is (within DRIFT of at's), or None."""
    if len(code) != _DIGITS or not code.isascii() or not code.isdigit():
        return None
    try:
        return int(
            pyotp.TOTP(secret).verify_and_get_timecode(code, for_time=at, valid_window=DRIFT)
        )
    except OTPVerificationError:
        return None


def _take_step(reader: Reader, step: int) -> bool:
    """Move last_step to step if it is later; of two concurrent uses of one code, one wins."""
    result = db.session.execute(
        update(TotpFactor)
        .where(TotpFactor.reader_id == reader.id, TotpFactor.last_step < step)
        .values(last_step=step)
        .execution_options(synchronize_session=False)
    )
    return bool(result.rowcount == 1)  # type: ignore[attr-defined]


def confirm_setup(reader: Reader, code: str, at: datetime | None = None) -> list[str]:
    """Confirm the app with its first code and return new recovery codes (shown once).

    The reader is e-mailed, and a staff member's change is in the audit log.

    :raises Conflict: no set-up in progress, or already confirmed.
    :raises Invalid: the code is not the app's.
    """
    row = db.session.get(TotpFactor, reader.id)
    if row is None or row.confirmed_at is not None:
        raise Conflict(_l("Start the set-up again."))
    step = _matching_step(row.secret, "".join(code.split()), at or utcnow())
    if step is None or not _take_step(reader, step):
        db.session.rollback()
        raise Invalid(_l("That code is not right. Type the code the app shows now."), "code")
    row.confirmed_at = utcnow()
    codes = recovery_codes.replace_codes(reader)
    security_events.totp_added(reader)
    db.session.commit()
    return codes


def verify(reader: Reader, code: str, at: datetime | None = None) -> bool:
    """Whether code is the reader's app's code and was not taken before (it is taken now)."""
    row = db.session.get(TotpFactor, reader.id)
    if row is None or row.confirmed_at is None:
        return False
    step = _matching_step(row.secret, code, at or utcnow())
    if step is None:
        return False
    taken = _take_step(reader, step)
    db.session.commit()
    return taken


def remove(reader: Reader) -> None:
    """Remove the reader's app and its recovery codes.

    :raises security_events.LastFactor: staff who need a second factor would have none.
    """
    row = db.session.get(TotpFactor, reader.id)
    if row is None or row.confirmed_at is None:
        return
    security_events.check_can_remove(reader, totp_left=False)
    db.session.delete(row)
    recovery_codes.drop_all(reader)
    security_events.totp_removed(reader)
    db.session.commit()


def new_recovery_codes(reader: Reader) -> list[str]:
    """Replace the reader's recovery codes (every older one dies); audited for staff.

    :raises Conflict: the reader has no second factor to recover.
    """
    if not is_set_up(reader):
        raise Conflict(_l("Set up an authenticator app first."))
    codes = recovery_codes.replace_codes(reader)
    security_events.recovery_codes_made(reader)
    db.session.commit()
    return codes
