"""Moderation: site moderators, holds, bans, trust marks, the audit log, moderators' digests."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from flask_babel import lazy_gettext as _l
from sqlalchemy import JSON, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from commentsvc.core.extensions import Model, utcnow
from commentsvc.core.labels import LabelledEnum, name_members

if TYPE_CHECKING:
    from commentsvc.accounts.models import Reader
    from commentsvc.comments.models import Site


class SiteModerator(Model):
    """A reader who may moderate one site. Admins moderate every site without a row."""

    __table_args__ = (UniqueConstraint("site_id", "reader_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    site_id: Mapped[int] = mapped_column(ForeignKey("site.id", ondelete="CASCADE"))
    reader_id: Mapped[int] = mapped_column(ForeignKey("reader.id", ondelete="CASCADE"), index=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    site: Mapped[Site] = relationship()
    reader: Mapped[Reader] = relationship()


class HoldReason(LabelledEnum):
    """Why a comment waits in the queue."""

    HOLD_ALL = "hold_all"
    NEW_READER = "new_reader"
    LINKS = "links"
    SUSPICIOUS_WORDS = "suspicious_words"
    REPORTED = "reported"
    HONEYPOT = "honeypot"
    TOO_FAST = "too_fast"


name_members(
    HoldReason,
    {
        HoldReason.HOLD_ALL: _l("Site holds every comment"),
        HoldReason.NEW_READER: _l("New reader"),
        HoldReason.LINKS: _l("Many links"),
        HoldReason.SUSPICIOUS_WORDS: _l("Suspicious words"),
        HoldReason.REPORTED: _l("Reported by readers"),
        HoldReason.HONEYPOT: _l("Hidden field filled in (likely a bot)"),
        HoldReason.TOO_FAST: _l("Form sent too fast (likely a bot)"),
    },
)


class CommentHold(Model):
    """One reason a comment was held; a comment held for three reasons has three rows."""

    __table_args__ = (Index("ix_comment_hold_reason", "reason", "comment_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    comment_id: Mapped[int] = mapped_column(
        ForeignKey("comment.id", ondelete="CASCADE"), index=True
    )
    reason: Mapped[str] = mapped_column(String(20))
    # What triggered it, e.g. the matched words or the number of links.
    detail: Mapped[str] = mapped_column(String(300), default="")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class BanKind(LabelledEnum):
    BAN = "ban"
    SUSPENSION = "suspension"


name_members(
    BanKind,
    {BanKind.BAN: _l("banned"), BanKind.SUSPENSION: _l("suspended")},
)


class Ban(Model):
    """A ban (no end) or suspension (until a moment) of a reader on one site or on all.

    Lifting a ban sets lifted_at; the row stays as history.
    """

    __table_args__ = (Index("ix_ban_reader_site", "reader_id", "site_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    reader_id: Mapped[int] = mapped_column(ForeignKey("reader.id", ondelete="CASCADE"))
    # NULL: every site.
    site_id: Mapped[int | None] = mapped_column(ForeignKey("site.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(12), default=BanKind.BAN)
    reason: Mapped[str] = mapped_column(String(500), default="")
    until: Mapped[datetime | None]
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("reader.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    lifted_at: Mapped[datetime | None]
    lifted_by_id: Mapped[int | None] = mapped_column(ForeignKey("reader.id", ondelete="SET NULL"))

    site: Mapped[Site | None] = relationship()


class TrustMark(Model):
    """A moderator's word on a reader for one site: trusted, or never trusted automatically."""

    __table_args__ = (UniqueConstraint("site_id", "reader_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    site_id: Mapped[int] = mapped_column(ForeignKey("site.id", ondelete="CASCADE"))
    reader_id: Mapped[int] = mapped_column(ForeignKey("reader.id", ondelete="CASCADE"), index=True)
    trusted: Mapped[bool] = mapped_column(default=True)
    marked_by_id: Mapped[int | None] = mapped_column(ForeignKey("reader.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class AuditAction(LabelledEnum):
    APPROVE = "approve"
    REJECT = "reject"
    SPAM = "spam"
    DELETE = "delete"
    UNDO = "undo"
    REQUEUE = "requeue"
    DISMISS_REPORTS = "dismiss_reports"
    PIN = "pin"
    UNPIN = "unpin"
    LOCK = "lock"
    UNLOCK = "unlock"
    BAN = "ban"
    SUSPEND = "suspend"
    UNBAN = "unban"
    TRUST = "trust"
    UNTRUST = "untrust"
    HOLD_RULES = "hold_rules"
    WORD_LISTS = "word_lists"
    ADD_MODERATOR = "add_moderator"
    REMOVE_MODERATOR = "remove_moderator"
    SITE_CREATE = "site_create"
    SITE_UPDATE = "site_update"
    THREAD_IDENTITY = "thread_identity"
    PASSKEY_ADD = "passkey_add"
    PASSKEY_REMOVE = "passkey_remove"
    TOTP_ADD = "totp_add"
    TOTP_REMOVE = "totp_remove"
    RECOVERY_CODES = "recovery_codes"
    SECOND_FACTOR_RULE = "second_factor_rule"


name_members(
    AuditAction,
    {
        AuditAction.APPROVE: _l("approved"),
        AuditAction.REJECT: _l("rejected"),
        AuditAction.SPAM: _l("marked as spam"),
        AuditAction.DELETE: _l("deleted"),
        AuditAction.UNDO: _l("undid a decision"),
        AuditAction.REQUEUE: _l("sent back to the queue (reports)"),
        AuditAction.DISMISS_REPORTS: _l("dismissed reports"),
        AuditAction.PIN: _l("pinned"),
        AuditAction.UNPIN: _l("unpinned"),
        AuditAction.LOCK: _l("locked"),
        AuditAction.UNLOCK: _l("unlocked"),
        AuditAction.THREAD_IDENTITY: _l("corrected the title and URL"),
        AuditAction.BAN: _l("banned"),
        AuditAction.SUSPEND: _l("suspended"),
        AuditAction.UNBAN: _l("lifted a ban"),
        AuditAction.TRUST: _l("marked trusted"),
        AuditAction.UNTRUST: _l("removed trust"),
        AuditAction.HOLD_RULES: _l("changed hold rules"),
        AuditAction.WORD_LISTS: _l("changed word lists"),
        AuditAction.ADD_MODERATOR: _l("added a moderator"),
        AuditAction.REMOVE_MODERATOR: _l("removed a moderator"),
        AuditAction.SITE_CREATE: _l("registered a site"),
        AuditAction.SITE_UPDATE: _l("changed a site"),
        AuditAction.PASSKEY_ADD: _l("added a passkey"),
        AuditAction.PASSKEY_REMOVE: _l("removed a passkey"),
        AuditAction.TOTP_ADD: _l("added an authenticator app"),
        AuditAction.TOTP_REMOVE: _l("removed an authenticator app"),
        AuditAction.RECOVERY_CODES: _l("made new recovery codes"),
        AuditAction.SECOND_FACTOR_RULE: _l("changed the two-step sign-in rule"),
    },
)


class AuditEntry(Model):
    """One moderator, admin or system action. Append-only: rows are never changed or
    deleted by the application (see moderation.audit, which refuses it at flush time).

    Names are copied at the time of the action, so the log still reads after an
    account or site is gone; the ids then become NULL.
    """

    __table_args__ = (
        Index("ix_audit_entry_site", "site_id", "id"),
        Index("ix_audit_entry_actor", "actor_id", "id"),
        Index("ix_audit_entry_action", "action", "id"),
        Index("ix_audit_entry_target", "target_type", "target_id", "id"),
        Index("ix_audit_entry_created", "created_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    # NULL with an empty name: the service itself (e.g. reports sent a comment back).
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("reader.id", ondelete="SET NULL"))
    actor_name: Mapped[str] = mapped_column(String(50), default="")
    action: Mapped[str] = mapped_column(String(20))
    site_id: Mapped[int | None] = mapped_column(ForeignKey("site.id", ondelete="SET NULL"))
    site_slug: Mapped[str] = mapped_column(String(60), default="")
    # "comment", "reader", "thread" or "site", and its id.
    target_type: Mapped[str] = mapped_column(String(10))
    target_id: Mapped[int | None]
    target_label: Mapped[str] = mapped_column(String(200), default="")
    status_before: Mapped[str] = mapped_column(String(20), default="")
    status_after: Mapped[str] = mapped_column(String(20), default="")
    reason: Mapped[str] = mapped_column(Text, default="")
    details: Mapped[dict[str, object]] = mapped_column(JSON, default=dict)


class ModeratorDigest(Model):
    """When a moderator was last e-mailed about held comments, and up to which hold."""

    reader_id: Mapped[int] = mapped_column(
        ForeignKey("reader.id", ondelete="CASCADE"), primary_key=True
    )
    last_sent_at: Mapped[datetime | None]
    # Holds with a larger id are news for the next digest.
    last_hold_id: Mapped[int] = mapped_column(default=0)


class SiteSecurity(Model):
    """What a site asks of its moderators' accounts. No row: the defaults (a second
    factor is not required of its moderators; admins always need one)."""

    site_id: Mapped[int] = mapped_column(
        ForeignKey("site.id", ondelete="CASCADE"), primary_key=True
    )
    moderators_need_second_factor: Mapped[bool] = mapped_column(default=False)
    changed_at: Mapped[datetime] = mapped_column(default=utcnow)
