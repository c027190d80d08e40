"""Signing in and out: checking the password, server-side sessions and ending them."""

from __future__ import annotations

import hashlib
import secrets
from datetime import datetime
from functools import cache
from typing import Any, cast

from flask import current_app, g
from sqlalchemy import BindParameter, Select, String, bindparam, delete, select

from commentsvc.accounts import passwords, readers
from commentsvc.accounts.identity import (
    normalise_email,
)
from commentsvc.accounts.models import Reader, ReaderSession
from commentsvc.core.errors import Forbidden, Invalid
from commentsvc.core.extensions import db, utcnow


class SignInFailed(Forbidden):
    """Wrong address or password; deliberately does not say which."""


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def authenticate(email: str, password: str) -> Reader:
    """Return the reader whose address and password these are.

    :raises SignInFailed: for an unknown address and a wrong password alike.
    """
    try:
        address = normalise_email(email)
    except Invalid:
        address = ""
    reader = readers.find_by_email(address) if address else None
    if reader is None:
        passwords.burn_time(password)
        raise SignInFailed
    if not passwords.verify_password(reader.password_hash, password):
        raise SignInFailed
    if passwords.needs_rehash(reader.password_hash):
        reader.password_hash = passwords.hash_password(password)
        db.session.commit()
    return reader


def _add_session(
    reader: Reader,
    remember: bool,
    user_agent: str,
    site_id: int | None,
    expires_at: datetime | None = None,
    second_factor_at: datetime | None = None,
) -> str:
    token = secrets.token_urlsafe(32)
    if expires_at is None:
        lifetime = current_app.config["REMEMBER_LIFETIME" if remember else "SESSION_LIFETIME"]
        expires_at = utcnow() + lifetime
    db.session.add(
        ReaderSession(
            token_hash=hash_token(token),
            reader_id=reader.id,
            expires_at=expires_at,
            remember=remember,
            user_agent=user_agent[:200],
            site_id=site_id,
            second_factor_at=second_factor_at,
        )
    )
    reader.session_token = token
    reader.session_site_id = site_id
    reader.session_second_factor_at = second_factor_at
    return token


def start_session(
    reader: Reader,
    remember: bool,
    user_agent: str = "",
    site_id: int | None = None,
    second_factor: bool = False,
) -> str:
    """Open a new session for reader and return its token (for the cookie).

    site_id marks a session inside that site's embedded widget; second_factor, one
    whose sign-in proved a second factor (a passkey, an app's code, a recovery code).
    """
    proved = utcnow() if second_factor else None
    token = _add_session(reader, remember, user_agent, site_id, second_factor_at=proved)
    db.session.commit()
    return token


def restart_session(reader: Reader, token: str) -> bool:
    """End every session of reader, then open one in place of token's; does not commit.

    The browser holding token stays signed in under a new token (reader.session_token),
    with the same "remember me" choice and expiry, while the old token, replayed, is
    anonymous. Returns the "remember me" choice, for the new cookie.
    """
    row = db.session.scalar(
        select(ReaderSession).where(
            ReaderSession.token_hash == hash_token(token), ReaderSession.reader_id == reader.id
        )
    )
    remember = row.remember if row else False
    user_agent = row.user_agent if row else ""
    site_id = row.site_id if row else None
    expires_at = row.expires_at if row else None
    proved = row.second_factor_at if row else None
    end_other_sessions(reader)
    _add_session(reader, remember, user_agent, site_id, expires_at, proved)
    return remember


# What a session says, after its reader: when it ends, the site of a widget session,
# when its second factor was proved.
SessionRow = tuple[Reader | None, datetime | None, int | None, datetime | None]
_PRELOADED = "preloaded_sessions"
_NOT_PRELOADED = object()


def _session_columns() -> tuple[Any, ...]:
    return (Reader, ReaderSession.expires_at, ReaderSession.site_id, ReaderSession.second_factor_at)


def _token_hash_param() -> BindParameter[str]:
    return bindparam("token_hash", type_=String)


def usable_token(token: str | None) -> bool:
    return token is not None and 0 < len(token) <= 100


def alongside(
    statement: Select[*tuple[Any, ...]],
) -> Select[*tuple[Any, ...]]:
    """statement with the session its "token_hash" parameter names, and that session's
    reader, as four more columns: a SessionRow (all None when the token names none)."""
    return (
        statement.add_columns(*_session_columns())
        .outerjoin(ReaderSession, ReaderSession.token_hash == _token_hash_param())
        .outerjoin(Reader, Reader.id == ReaderSession.reader_id)
    )


@cache
def _load_session_statement() -> Select[Reader, datetime, int | None, datetime | None]:
    """Every signed-in request runs it (unless preload saved it): built once (on first
    use, when every model is mapped), one query for the reader and what their session
    says."""
    return (
        select(*_session_columns())
        .join(ReaderSession, ReaderSession.reader_id == Reader.id)
        .where(ReaderSession.token_hash == _token_hash_param())
    )


def preload(token: str, row: SessionRow) -> None:
    """This request read the session of token already, with a query of its own
    (comments.threads.find_thread): load_session takes it from there, once."""
    g.setdefault(_PRELOADED, {})[token] = row


def load_session(token: str) -> Reader | None:
    """The reader signed in through this token, or None if it was ended or has expired."""
    if not usable_token(token):
        return None
    row: Any = g.get(_PRELOADED, {}).pop(token, _NOT_PRELOADED)
    if row is _NOT_PRELOADED:
        row = db.session.execute(
            _load_session_statement(), {"token_hash": hash_token(token)}
        ).first()
    if row is None or row[0] is None:
        return None
    reader, expires_at, site_id, second_factor_at = row
    if expires_at <= utcnow():
        return None
    reader.session_token = token
    reader.session_site_id = site_id
    reader.session_second_factor_at = second_factor_at
    return cast(Reader, reader)


def end_session(token: str) -> None:
    """Sign one browser out: its cookie, replayed later, is worth nothing."""
    db.session.execute(delete(ReaderSession).where(ReaderSession.token_hash == hash_token(token)))
    db.session.commit()


def end_other_sessions(reader: Reader, keep_token: str | None = None) -> None:
    """End every session of reader except keep_token's (all of them when None)."""
    stmt = delete(ReaderSession).where(ReaderSession.reader_id == reader.id)
    if keep_token:
        stmt = stmt.where(ReaderSession.token_hash != hash_token(keep_token))
    db.session.execute(stmt)


def sign_out_everywhere(reader: Reader) -> None:
    """End every session, and kill the e-mail change links sent so far (whoever
    asked for them may be the one being signed out)."""
    end_other_sessions(reader)
    readers.bump_serial(reader, "email_change_serial")
    db.session.commit()


def active_sessions(reader: Reader) -> list[ReaderSession]:
    return list(
        db.session.scalars(
            select(ReaderSession)
            .where(ReaderSession.reader_id == reader.id, ReaderSession.expires_at > utcnow())
            .order_by(ReaderSession.created_at.desc())
        )
    )


def purge_expired() -> int:
    """Delete the sessions past their expiry (signing out deletes the others); return how many."""
    result = db.session.execute(delete(ReaderSession).where(ReaderSession.expires_at <= utcnow()))
    db.session.commit()
    return int(result.rowcount)  # type: ignore[attr-defined]
