"""The 6-digit codes e-mailed to a reader and typed into the sign-in popup.

A code is six digits from `secrets`. Only an HMAC of it is stored, keyed with the
SECRET_KEY and bound to its purpose and reader: a copy of the database cannot be tried
offline, and a code sent to one reader never matches another reader's row. The popup's
session names the row it waits on (never a reader or an address), so what a code
proves is decided here, not by anything the browser posts.

A row takes EMAIL_CODE_ATTEMPTS tries, then it is dead; it also dies when it is used,
after EMAIL_CODE_MAX_AGE seconds, when a newer code of its kind is sent to the reader,
and when the reader's password or address changes (kill_for).
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
from datetime import timedelta

from flask import current_app
from flask_babel import lazy_gettext as _l
from flask_babel import ngettext
from sqlalchemy import delete, update

from commentsvc.accounts.models import EmailCode, Reader
from commentsvc.core.errors import Invalid, LinkInvalid
from commentsvc.core.extensions import db, utcnow

VERIFY = "verify"
RESET = "reset"
DIGITS = 6
# What a reader may type around the digits: spaces and a hyphen ("123 456", "123-456").
_SEPARATORS = re.compile(r"[ \-]")
# ASCII digits only: "\d" would also take Arabic-Indic and other digits.
_CODE = re.compile(f"[0-9]{{{DIGITS}}}")
# Longer input is refused before it is looked at.
INPUT_MAX = 20


class CodeWrong(Invalid):
    """The code does not match; the row takes `remaining` more tries."""

    def __init__(self, remaining: int) -> None:
        super().__init__(
            ngettext(
                "That code is not right. You can try %(num)d more time.",
                "That code is not right. You can try %(num)d more times.",
                remaining,
            ),
            "code",
        )
        self.remaining = remaining


class CodeDead(LinkInvalid):
    """No code can be accepted for this row any more: ask for a new one."""

    def __init__(self) -> None:
        super().__init__(
            _l("This code has expired or was tried too often. Ask for a new code below.")
        )


def normalise_code(raw: str) -> str:
    """The six ASCII digits the reader typed (spaces and a hyphen allowed between).

    :raises Invalid: anything else (letters, other scripts' digits, more or fewer digits).
    """
    code = _SEPARATORS.sub("", raw[: INPUT_MAX + 1].strip())
    if len(raw) > INPUT_MAX or not _CODE.fullmatch(code):
        raise Invalid(_l("Enter the 6 digits from the e-mail."), "code")
    return code


def _digest(purpose: str, reader_id: int | None, code: str) -> str:
    key = str(current_app.config["SECRET_KEY"]).encode()
    message = f"commentsvc:email-code:{purpose}:{reader_id}:{code}".encode()
    return hmac.new(key, message, hashlib.sha256).hexdigest()


def _lifetime() -> timedelta:
    return timedelta(seconds=int(current_app.config["EMAIL_CODE_MAX_AGE"]))


def issue(purpose: str, reader: Reader | None) -> tuple[int, str]:
    """Store a new code for reader and return (its row's id, the code); does not commit.

    The reader's older codes of this purpose die. For None (an address that must get
    no code, or not this one) the row is made the same way but holds the digest of a
    random string, which no six digits match.
    """
    code = f"{secrets.randbelow(10**DIGITS):0{DIGITS}d}"
    if reader is not None:
        db.session.execute(
            delete(EmailCode).where(EmailCode.reader_id == reader.id, EmailCode.purpose == purpose)
        )
        digest = _digest(purpose, reader.id, code)
    else:
        digest = _digest(purpose, None, secrets.token_hex(16))
    row = EmailCode(
        reader_id=reader.id if reader is not None else None,
        purpose=purpose,
        code_hash=digest,
        expires_at=utcnow() + _lifetime(),
    )
    db.session.add(row)
    db.session.flush()
    return row.id, code


def _alive(code_id: int, purpose: str) -> EmailCode | None:
    row = db.session.get(EmailCode, code_id)
    if row is None or row.purpose != purpose or row.expires_at <= utcnow():
        return None
    if row.attempts >= int(current_app.config["EMAIL_CODE_ATTEMPTS"]):
        return None
    return row


def check(code_id: int, purpose: str, raw: str) -> Reader:
    """Use up the code of row code_id if raw is it, and return the row's reader.

    Every try of a well-formed code counts, before the comparison (done in constant
    time); malformed input is refused without counting.

    :raises Invalid: raw is not six ASCII digits.
    :raises CodeWrong: a wrong code (how many tries remain).
    :raises CodeDead: expired, used, replaced, tried too often, or of another purpose.
    """
    code = normalise_code(raw)
    limit = int(current_app.config["EMAIL_CODE_ATTEMPTS"])
    row = _alive(code_id, purpose)
    if row is None:
        raise CodeDead
    stored, owner = row.code_hash, row.reader_id
    # Count in the database: of concurrent tries, no more than the limit get through.
    attempts = db.session.execute(
        update(EmailCode)
        .where(EmailCode.id == code_id, EmailCode.attempts < limit, EmailCode.expires_at > utcnow())
        .values(attempts=EmailCode.attempts + 1)
        .returning(EmailCode.attempts)
        .execution_options(synchronize_session=False)
    ).scalar_one_or_none()
    db.session.commit()
    if attempts is None:
        raise CodeDead
    matches = hmac.compare_digest(stored, _digest(purpose, owner, code))
    if not matches or owner is None:
        if attempts >= limit:
            raise CodeDead
        raise CodeWrong(limit - attempts)
    return _use(code_id, owner)


def _use(code_id: int, owner: int | None) -> Reader:
    # Delete and check the row count: of two concurrent uses, one wins.
    deleted = db.session.execute(delete(EmailCode).where(EmailCode.id == code_id))
    db.session.commit()
    reader = db.session.get(Reader, owner) if owner is not None else None
    if deleted.rowcount != 1 or reader is None:  # type: ignore[attr-defined]
        raise CodeDead
    return reader


def waiting_reader(code_id: int, purpose: str) -> Reader | None:
    """The reader whose live code row code_id is (None for a stand-in or a dead row)."""
    row = _alive(code_id, purpose)
    if row is None or row.reader_id is None:
        return None
    return db.session.get(Reader, row.reader_id)


def use_without_code(code_id: int, purpose: str) -> Reader:
    """Use up a live row without its code (the reader proved the address another way).

    :raises CodeDead: as check() does.
    """
    row = _alive(code_id, purpose)
    if row is None:
        raise CodeDead
    return _use(code_id, row.reader_id)


def discard(code_id: int) -> None:
    """Kill one row (a stand-in replaced by a newer one); does not commit."""
    db.session.execute(delete(EmailCode).where(EmailCode.id == code_id))


def kill_for(reader: Reader) -> None:
    """Kill every code of the reader (their password or address changed); does not commit."""
    if reader.id is not None:
        db.session.execute(delete(EmailCode).where(EmailCode.reader_id == reader.id))


def purge_expired() -> int:
    """Delete the codes past their expiry; return how many."""
    result = db.session.execute(delete(EmailCode).where(EmailCode.expires_at <= utcnow()))
    db.session.commit()
    return int(result.rowcount)  # type: ignore[attr-defined]


def minutes() -> int:
    """How many minutes a code works (for the e-mails)."""
    return int(current_app.config["EMAIL_CODE_MAX_AGE"]) // 60
