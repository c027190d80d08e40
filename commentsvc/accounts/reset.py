"""Password reset by e-mail: the same answer for every address, single-use links."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal, overload

from commentsvc.accounts import email_codes, equal_work, passwords, readers, sessions, two_step
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


@overload
def request_reset(email: str) -> None: ...
@overload
def request_reset(email: str, *, send_code: Literal[True]) -> int: ...
def request_reset(email: str, *, send_code: bool = False) -> int | None:
    """E-mail a reset link if the address has an account; silently do nothing otherwise.

    For an unknown address the link and the e-mail are built and written all the same,
    then thrown away (equal_work.kept_if), so the answer takes as long either way.

    With send_code, the e-mail also holds a 6-digit code for the sign-in popup, and the
    id of its row is returned (for an unknown address, a row no code matches).
    """
    try:
        address = normalise_email(email)
    except Invalid:
        return stand_in_code() if send_code else None
    reader = readers.find_by_email(address)
    code_id, code = email_codes.issue(email_codes.RESET, reader) if send_code else (None, None)
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
            code=code,
            minutes=email_codes.minutes(),
        )
    db.session.commit()
    return code_id


def stand_in_code() -> int:
    """A code row for the popup when no e-mail is sent (see email_codes.issue)."""
    code_id, _code = email_codes.issue(email_codes.RESET, None)
    db.session.commit()
    return code_id


def token_for_code(code_id: int, code: str) -> str:
    """Trade the e-mailed code for a reset token (kept in the popup's session).

    The token is the reset link's: it works once, for an hour, and dies when the
    password or address changes or a newer reset is asked for.

    :raises Invalid: not six digits. :raises email_codes.CodeWrong: a wrong code.
    :raises email_codes.CodeDead: no code can be accepted for this row any more.
    """
    reader = email_codes.check(code_id, email_codes.RESET, code)
    return tokens.PASSWORD_RESET.make(_reset_payload(reader))


def reader_for_reset(token: str) -> Reader:
    """:raises LinkInvalid: forged, older than an hour, used, or outdated by a change."""
    data = tokens.PASSWORD_RESET.read(token)
    reader = db.session.get(Reader, data.get("id"))
    if reader is None or data != _reset_payload(reader):
        raise LinkInvalid
    return reader


def needs_second_factor(reader: Reader) -> bool:
    """Whether resetting this account's password also takes its second factor: the
    address alone must not hand over a staff account (or one with an app)."""
    return two_step.asks_second_step(reader)


def reset_password(
    token: str, password: str, code: str | None = None, factor_proved: bool = False
) -> Reader:
    """Set a new password from a reset link and end every session of the account.

    Following the link proves the reader owns the address, so it also verifies it.
    An account that signs in in two steps also needs its second factor: code (an app's
    code or a recovery code), or factor_proved (a passkey, checked by the caller).
    Passkeys and second factors stay as they are.

    :raises LinkInvalid: see reader_for_reset().
    :raises Invalid: the new password fails the policy.
    :raises two_step.SecondFactorWrong: the second factor is due and code is not it.
    """
    reader = reader_for_reset(token)
    if needs_second_factor(reader) and not factor_proved:
        # The policy first: a refused password must not use up the code.
        passwords.check_policy(password)
        two_step.check_code(reader, code or "")
    readers.set_password(reader, password)
    if reader.email_verified_at is None:
        readers.mark_verified(reader)
    sessions.end_other_sessions(reader)
    mail.queue_email(reader.email, "password_reset_done", reader.locale, reader=reader)
    db.session.commit()
    return reader


# --- account self-service ------------------------------------------------------------
