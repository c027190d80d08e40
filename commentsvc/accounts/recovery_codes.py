"""Recovery codes: ten single-use codes, shown once, for signing in when the second
factor is lost.

Only an HMAC of each code is kept, keyed with the SECRET_KEY and bound to its reader
(a copy of the database cannot be tried offline, and one reader's code never matches
another's row). A code is used up by one UPDATE that only an unused row matches, so two
concurrent uses cannot both succeed.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets

from flask import current_app
from sqlalchemy import delete, func, select, update

from commentsvc.accounts.models import Reader, RecoveryCode
from commentsvc.core.extensions import db, utcnow

COUNT = 10
# Ten letters and digits from an alphabet without look-alikes, shown as "abcde-fghjk".
_ALPHABET = "abcdefghjkmnpqrstuvwxyz23456789"
_LENGTH = 10
_CODE = re.compile(f"[{_ALPHABET}]{{{_LENGTH}}}")


def _digest(reader_id: int, code: str) -> str:
    key = str(current_app.config["SECRET_KEY"]).encode()
    message = f"commentsvc:recovery-code:{reader_id}:{code}".encode()
    return hmac.new(key, message, hashlib.sha256).hexdigest()


def _normalise(raw: str) -> str | None:
    code = raw.strip().lower().replace("-", "").replace(" ", "")
    return code if _CODE.fullmatch(code) else None


def replace_codes(reader: Reader) -> list[str]:
    """Make COUNT new codes for reader (every older one dies) and return them, to be
    shown once; does not commit."""
    db.session.execute(delete(RecoveryCode).where(RecoveryCode.reader_id == reader.id))
    codes = []
    for _ in range(COUNT):
        code = "".join(secrets.choice(_ALPHABET) for _ in range(_LENGTH))
        db.session.add(RecoveryCode(reader_id=reader.id, code_hash=_digest(reader.id, code)))
        codes.append(f"{code[:5]}-{code[5:]}")
    db.session.flush()
    return codes


def use(reader: Reader, raw: str) -> bool:
    """Use up raw if it is one of reader's unused codes; commits when it is."""
    code = _normalise(raw)
    if code is None:
        return False
    result = db.session.execute(
        update(RecoveryCode)
        .where(
            RecoveryCode.reader_id == reader.id,
            RecoveryCode.code_hash == _digest(reader.id, code),
            RecoveryCode.used_at.is_(None),
        )
        .values(used_at=utcnow())
        .execution_options(synchronize_session=False)
    )
    db.session.commit()
    return bool(result.rowcount == 1)  # type: ignore[attr-defined]


def remaining(reader: Reader) -> int:
    """How many of reader's codes are still unused."""
    return int(
        db.session.scalar(
            select(func.count(RecoveryCode.id)).where(
                RecoveryCode.reader_id == reader.id, RecoveryCode.used_at.is_(None)
            )
        )
        or 0
    )


def drop_all(reader: Reader) -> None:
    """Kill every code of reader (the last second factor went); does not commit."""
    db.session.execute(delete(RecoveryCode).where(RecoveryCode.reader_id == reader.id))
