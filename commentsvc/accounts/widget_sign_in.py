"""The widget's sign-in hand-off: a single-use code from the popup, redeemed by the iframe."""

from __future__ import annotations

import secrets
from datetime import timedelta

from sqlalchemy import delete, select

from commentsvc.accounts import sessions
from commentsvc.accounts.models import EmbedSignInCode, Reader
from commentsvc.core.errors import LinkInvalid
from commentsvc.core.extensions import db, utcnow

EMBED_CODE_LIFETIME = timedelta(seconds=50)
# Outstanding codes kept per reader: each visit of the popup's last page makes a code,
# and the oldest beyond this many are dropped, so reloading that page cannot grow the
# table (a reader rarely has more than one popup open at once).
EMBED_CODES_PER_READER = 5


def create_embed_code(reader: Reader, site_id: int) -> str:
    """A single-use code, valid for under a minute, that signs reader in to one site's widget.

    Only the reader's newest EMBED_CODES_PER_READER codes stay valid.
    """
    code = secrets.token_urlsafe(32)
    kept = (
        select(EmbedSignInCode.id)
        .where(EmbedSignInCode.reader_id == reader.id, EmbedSignInCode.expires_at > utcnow())
        .order_by(EmbedSignInCode.id.desc())
        .limit(EMBED_CODES_PER_READER - 1)
    )
    db.session.execute(
        delete(EmbedSignInCode).where(
            EmbedSignInCode.reader_id == reader.id, EmbedSignInCode.id.not_in(kept)
        )
    )
    db.session.add(
        EmbedSignInCode(
            code_hash=sessions.hash_token(code),
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
        select(EmbedSignInCode).where(EmbedSignInCode.code_hash == sessions.hash_token(code))
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


def purge_expired() -> int:
    """Delete the codes past their expiry (redeeming deletes the others); return how many."""
    result = db.session.execute(
        delete(EmbedSignInCode).where(EmbedSignInCode.expires_at <= utcnow())
    )
    db.session.commit()
    return int(result.rowcount)  # type: ignore[attr-defined]
