"""Two-step sign-in: who is asked for a second factor at sign-in, checking an app's code
or a recovery code, and marking the session that proved one.

A second factor is a passkey or an authenticator app (accounts.totp), with recovery
codes (accounts.recovery_codes) for when it is lost. Admins must have one (unless
ADMINS_NEED_SECOND_FACTOR is off, which only tests may do); a site may require one of
its moderators. Staff with one are asked for it after their password, and a session
that has not proved one does not open staff pages (core.access).
"""

from __future__ import annotations

from datetime import datetime

from flask_babel import lazy_gettext as _l
from sqlalchemy import delete, exists, select, update

from commentsvc.accounts import factor_rules, recovery_codes, security_events, totp
from commentsvc.accounts.models import Passkey, Reader, ReaderSession, TotpFactor
from commentsvc.accounts.sessions import hash_token
from commentsvc.core.errors import Invalid
from commentsvc.core.extensions import db, utcnow


class SecondFactorWrong(Invalid):
    """The code is neither the app's current code nor an unused recovery code."""

    def __init__(self) -> None:
        super().__init__(
            _l("That code is not right, or was already used. Try the newest code."), "code"
        )


def has_passkey(reader: Reader) -> bool:
    return bool(db.session.scalar(select(exists().where(Passkey.reader_id == reader.id))))


def has_factor(reader: Reader) -> bool:
    """A passkey or a confirmed authenticator app."""
    return totp.is_set_up(reader) or has_passkey(reader)


def asks_second_step(reader: Reader) -> bool:
    """Whether a password alone does not sign the reader in: anyone with an
    authenticator app, and staff with a passkey."""
    return totp.is_set_up(reader) or (factor_rules.is_staff(reader) and has_passkey(reader))


def check_code(reader: Reader, code: str, at: datetime | None = None) -> str:
    """Accept the app's code (once) or an unused recovery code (used up); return
    "totp" or "recovery". at is the moment to check the app's code for (now).

    :raises SecondFactorWrong: neither.
    """
    cleaned = "".join(code.split())[:40]
    if totp.verify(reader, cleaned, at):
        return "totp"
    if recovery_codes.use(reader, cleaned):
        return "recovery"
    raise SecondFactorWrong


def mark_session(reader: Reader) -> None:
    """Record that the reader's current session proved a second factor now; commits."""
    token = getattr(reader, "session_token", "")
    if not token:
        return
    now = utcnow()
    db.session.execute(
        update(ReaderSession)
        .where(ReaderSession.token_hash == hash_token(token))
        .values(second_factor_at=now)
        .execution_options(synchronize_session=False)
    )
    reader.session_second_factor_at = now
    db.session.commit()


def session_proved_factor(reader: Reader) -> bool:
    return getattr(reader, "session_second_factor_at", None) is not None


def factor_summary(reader: Reader) -> dict[str, object]:
    """What the account page shows about the reader's second factors."""
    row = db.session.get(TotpFactor, reader.id)
    return {
        "totp": row is not None and row.confirmed_at is not None,
        "totp_since": row.confirmed_at if row is not None else None,
        "recovery_left": recovery_codes.remaining(reader),
        "must": factor_rules.must_have_factor(reader),
        "staff": factor_rules.is_staff(reader),
    }


def remove_every_factor(reader: Reader) -> int:
    """Remove every passkey, the app and the recovery codes of reader (an operator's
    command for someone who lost them all); return how many passkeys went.

    Staff who must have a factor are asked to add one at their next staff page. The
    reader is e-mailed and, for staff, the audit log names no actor (the service).
    """
    passkeys_gone = db.session.execute(delete(Passkey).where(Passkey.reader_id == reader.id))
    had_app = db.session.execute(delete(TotpFactor).where(TotpFactor.reader_id == reader.id))
    recovery_codes.drop_all(reader)
    count = int(passkeys_gone.rowcount)  # type: ignore[attr-defined]
    if count or had_app.rowcount:  # type: ignore[attr-defined]
        security_events.every_factor_removed(reader)
    # Sessions that proved a factor keep no advantage from it.
    db.session.execute(
        update(ReaderSession)
        .where(ReaderSession.reader_id == reader.id)
        .values(second_factor_at=None)
        .execution_options(synchronize_session=False)
    )
    db.session.commit()
    return count
