"""Accounts: readers, their sessions, the widget's single-use sign-in codes, the
codes e-mailed to the sign-in popup, passkeys and second factors."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from sqlalchemy import BigInteger, ForeignKey, Index, LargeBinary, String, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from commentsvc.core.extensions import Model, utcnow

if TYPE_CHECKING:
    from commentsvc.consent.models import PolicyAcceptance


class Reader(Model):
    """A person with an account: reader, moderator or admin."""

    __table_args__ = (
        Index(
            "uq_reader_display_name_key_verified",
            "display_name_key",
            unique=True,
            sqlite_where=text("email_verified_at IS NOT NULL"),
            postgresql_where=text("email_verified_at IS NOT NULL"),
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    # Normalised (see accounts.identity.normalise_email); unique.
    email: Mapped[str] = mapped_column(String(254), unique=True)
    email_verified_at: Mapped[datetime | None]
    display_name: Mapped[str] = mapped_column(String(50))
    # Case- and confusable-folded display name. Two verified readers never share one;
    # unverified accounts hold no name (see readers.check_name_free and mark_verified).
    display_name_key: Mapped[str] = mapped_column(String(200))
    password_hash: Mapped[str] = mapped_column(String(255))
    # Moves on every password change or reset: reset links signed with an older
    # value stop working.
    password_changed_at: Mapped[datetime] = mapped_column(default=utcnow)
    email_changed_at: Mapped[datetime] = mapped_column(default=utcnow)
    # Counters signed into links, so that moving one kills every link made before.
    # reset_serial: each reset request (only the newest reset link works).
    # email_change_serial: each e-mail change request, its cancellation and
    # "sign out everywhere" (only the newest change link works, and none survives those).
    reset_serial: Mapped[int] = mapped_column(default=0, server_default="0")
    email_change_serial: Mapped[int] = mapped_column(default=0, server_default="0")
    locale: Mapped[str | None] = mapped_column(String(8))
    is_admin: Mapped[bool] = mapped_column(default=False)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    sessions: Mapped[list[ReaderSession]] = relationship(
        back_populates="reader", cascade="all, delete-orphan", passive_deletes=True
    )
    acceptances: Mapped[list[PolicyAcceptance]] = relationship(
        back_populates="reader",
        cascade="all, delete-orphan",
        passive_deletes=True,
        order_by="PolicyAcceptance.accepted_at",
    )

    if TYPE_CHECKING:
        # Not a column: the token of the session this instance was loaded through.
        # Flask-Login stores get_id() in the cookie, so the cookie names a session
        # (which sign-out deletes), never the reader.
        session_token: str
        # The site whose widget that session belongs to (None: a first-party session).
        session_site_id: int | None
        # When that session last proved a second factor (None: never).
        session_second_factor_at: datetime | None

    @property
    def is_verified(self) -> bool:
        return self.email_verified_at is not None

    # The attributes Flask-Login expects of a user object.
    is_authenticated = True
    is_active = True
    is_anonymous = False

    def get_id(self) -> str:
        return str(self.__dict__.get("session_token", ""))


class ReaderSession(Model):
    """One signed-in browser. Deleting the row signs that browser out.

    The cookie carries a random token; only its SHA-256 is stored, so a copy
    of the database cannot be replayed as sessions.
    """

    id: Mapped[int] = mapped_column(primary_key=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    reader_id: Mapped[int] = mapped_column(ForeignKey("reader.id", ondelete="CASCADE"), index=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    # Indexed for the purge of expired sessions.
    expires_at: Mapped[datetime] = mapped_column(index=True)
    remember: Mapped[bool] = mapped_column(default=False)
    user_agent: Mapped[str] = mapped_column(String(200), default="")
    # Set for a session inside a site's embedded widget; it is valid there only.
    site_id: Mapped[int | None] = mapped_column(ForeignKey("site.id", ondelete="CASCADE"))
    # When this browser last proved a second factor (a passkey, an app's code or a
    # recovery code); None: a password alone. Staff pages ask for it (accounts.two_step).
    second_factor_at: Mapped[datetime | None]

    reader: Mapped[Reader] = relationship(back_populates="sessions")


class EmbedSignInCode(Model):
    """A single-use code the sign-in popup hands to the widget, valid for under a minute."""

    id: Mapped[int] = mapped_column(primary_key=True)
    code_hash: Mapped[str] = mapped_column(String(64), unique=True)
    reader_id: Mapped[int] = mapped_column(ForeignKey("reader.id", ondelete="CASCADE"), index=True)
    site_id: Mapped[int] = mapped_column(ForeignKey("site.id", ondelete="CASCADE"))
    # Indexed for the purge of expired codes.
    expires_at: Mapped[datetime] = mapped_column(index=True)


class EmailCode(Model):
    """A 6-digit code e-mailed to a reader and typed into the sign-in popup: it confirms
    a new account's address ("verify") or allows a password reset ("reset").

    Only an HMAC of the code is stored. A row dies when it is used, when it expires,
    after EMAIL_CODE_ATTEMPTS tries, when a newer code of its kind is sent, and when
    the password changes. The popup's session names the row, never the reader.
    """

    id: Mapped[int] = mapped_column(primary_key=True)
    # None: a stand-in for an address that gets no code (see accounts.email_codes.issue);
    # it answers every try as a wrong code, so the popup looks the same for every address.
    reader_id: Mapped[int | None] = mapped_column(
        ForeignKey("reader.id", ondelete="CASCADE"), index=True
    )
    purpose: Mapped[str] = mapped_column(String(10))
    code_hash: Mapped[str] = mapped_column(String(64))
    attempts: Mapped[int] = mapped_column(default=0, server_default="0")
    # Indexed for the purge of expired codes.
    expires_at: Mapped[datetime] = mapped_column(index=True)


class Passkey(Model):
    """A WebAuthn credential a reader signs in with (a discoverable one: the browser
    offers it without an address being typed). Only its public key is stored."""

    id: Mapped[int] = mapped_column(primary_key=True)
    reader_id: Mapped[int] = mapped_column(ForeignKey("reader.id", ondelete="CASCADE"), index=True)
    # Authenticators make ids of up to 1023 bytes; unique across every reader.
    credential_id: Mapped[bytes] = mapped_column(LargeBinary(1023), unique=True)
    public_key: Mapped[bytes] = mapped_column(LargeBinary(2048))
    # The authenticator's signature counter (0 for those that keep none).
    sign_count: Mapped[int] = mapped_column(BigInteger, default=0)
    # Chosen by the reader, to tell their passkeys apart.
    name: Mapped[str] = mapped_column(String(60))
    # Comma-separated hints from the browser ("internal,hybrid"), given back at sign-in.
    transports: Mapped[str] = mapped_column(String(200), default="")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_used_at: Mapped[datetime | None]


class PasskeyChallenge(Model):
    """A challenge handed to the browser for one passkey ceremony. The browser's session
    names the row; it is deleted when used and dies after a few minutes."""

    id: Mapped[int] = mapped_column(primary_key=True)
    challenge: Mapped[bytes] = mapped_column(LargeBinary(64))
    # "register", "sign_in" or "second_step".
    purpose: Mapped[str] = mapped_column(String(12))
    # The reader the ceremony is for (None: a sign-in, whoever the passkey names).
    reader_id: Mapped[int | None] = mapped_column(
        ForeignKey("reader.id", ondelete="CASCADE"), index=True
    )
    # Indexed for the purge of expired challenges.
    expires_at: Mapped[datetime] = mapped_column(index=True)


class TotpFactor(Model):
    """An authenticator app's shared secret (RFC 6238). A row is a set-up in progress
    until confirmed_at is set by the first correct code."""

    reader_id: Mapped[int] = mapped_column(
        ForeignKey("reader.id", ondelete="CASCADE"), primary_key=True
    )
    # Base32, as the app is given it: the server must compute the same codes.
    secret: Mapped[str] = mapped_column(String(64))
    confirmed_at: Mapped[datetime | None]
    # The 30-second step of the last code accepted: a code is never taken twice.
    last_step: Mapped[int] = mapped_column(BigInteger, default=0)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class RecoveryCode(Model):
    """One single-use code for signing in when the second factor is lost. Only an
    HMAC of it is stored (keyed with the SECRET_KEY and bound to the reader)."""

    id: Mapped[int] = mapped_column(primary_key=True)
    reader_id: Mapped[int] = mapped_column(ForeignKey("reader.id", ondelete="CASCADE"), index=True)
    code_hash: Mapped[str] = mapped_column(String(64), unique=True)
    used_at: Mapped[datetime | None]
