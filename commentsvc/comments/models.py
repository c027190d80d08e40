"""Sites, threads, comments, votes and reports, and readers' notification choices."""

from __future__ import annotations

import enum
from datetime import datetime
from typing import TYPE_CHECKING

from flask_babel import lazy_gettext as _l
from sqlalchemy import (
    JSON,
    Connection,
    ForeignKey,
    Index,
    String,
    Text,
    UniqueConstraint,
    event,
    text,
)
from sqlalchemy.engine.default import DefaultExecutionContext
from sqlalchemy.orm import Mapped, mapped_column, relationship, validates

from commentsvc.comments import search
from commentsvc.core.extensions import Model, utcnow
from commentsvc.core.labels import LabelledEnum, name_members

if TYPE_CHECKING:
    from commentsvc.accounts.models import Reader


class ModerationPolicy(enum.StrEnum):
    HOLD_ALL = "hold_all"
    # Hold a reader's comments until they have hold_first_n approved ones on the site.
    HOLD_FIRST_N = "hold_first_n"
    HOLD_NONE = "hold_none"


class Site(Model):
    """A news site that embeds threads; only its registered origins may frame them."""

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(60), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    # Exact origins ("https://news.example"), in the order they were registered.
    # Kept in the row itself so reading a thread needs no extra query for them.
    origins: Mapped[list[str]] = mapped_column(JSON, default=list)
    edit_window_seconds: Mapped[int] = mapped_column(default=15 * 60)
    moderation_policy: Mapped[str] = mapped_column(String(20), default=ModerationPolicy.HOLD_NONE)
    # Hold rules and word lists (see moderation.rules); edited on the moderation pages.
    hold_first_n: Mapped[int] = mapped_column(default=1)
    max_links: Mapped[int] = mapped_column(default=2)
    report_threshold: Mapped[int] = mapped_column(default=3)
    trust_after: Mapped[int] = mapped_column(default=3)
    # Days after a thread's first comment when it closes for new comments; NULL: never.
    close_after_days: Mapped[int | None]
    suspicious_words: Mapped[list[str]] = mapped_column(JSON, default=list)
    banned_words: Mapped[list[str]] = mapped_column(JSON, default=list)
    # The key the site's templates sign thread snippets with (comments.threads); NULL:
    # none made yet. With require_signed_threads, only signed snippets create threads
    # or set their titles and URLs.
    thread_secret: Mapped[str | None] = mapped_column(String(64))
    require_signed_threads: Mapped[bool] = mapped_column(default=False)
    # The widget's look (comments.looks): an accent "#rrggbb" and a font stack's key;
    # NULL: the widget's defaults.
    accent_color: Mapped[str | None] = mapped_column(String(7))
    font_stack: Mapped[str | None] = mapped_column(String(20))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class TitleSource(enum.StrEnum):
    """Who set a thread's title and URL, and so who may change them."""

    # An unsigned snippet: provisional, refreshed by later views from the site's origins.
    SNIPPET = "snippet"
    # A snippet signed with the site's secret: changed only by later signed snippets.
    SIGNED = "signed"
    # Corrected by the site's staff: no view changes it any more.
    STAFF = "staff"


class Thread(Model):
    """The comments under one article, keyed by the site's own article key."""

    __table_args__ = (UniqueConstraint("site_id", "key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    site_id: Mapped[int] = mapped_column(ForeignKey("site.id", ondelete="CASCADE"))
    key: Mapped[str] = mapped_column(String(200))
    title: Mapped[str] = mapped_column(String(300), default="")
    url: Mapped[str] = mapped_column(String(2000), default="")
    title_source: Mapped[str] = mapped_column(String(10), default=TitleSource.SNIPPET)
    locked: Mapped[bool] = mapped_column(default=False)
    # Approved comments, kept up to date by the comment services (for counts).
    comment_count: Mapped[int] = mapped_column(default=0)
    # Bumped on every change that alters what readers see, so cached renders expire.
    version: Mapped[int] = mapped_column(default=0)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    site: Mapped[Site] = relationship()


class CommentStatus(LabelledEnum):
    PENDING = "pending"
    APPROVED = "approved"
    REJECTED = "rejected"
    SPAM = "spam"
    DELETED = "deleted"


name_members(
    CommentStatus,
    {
        CommentStatus.PENDING: _l("pending"),
        CommentStatus.APPROVED: _l("published"),
        CommentStatus.REJECTED: _l("rejected"),
        CommentStatus.SPAM: _l("spam"),
        CommentStatus.DELETED: _l("deleted"),
    },
)


def _searchable_default(context: DefaultExecutionContext) -> str:
    # Inserts that name no search_text (bulk inserts of seeds and imports) fold the body.
    parameters = context.get_current_parameters()  # type: ignore[no-untyped-call]
    return search.searchable(str(parameters.get("body_source") or ""))


class Comment(Model):
    """A comment or reply. Replies keep the id of their top-level ancestor in root_id,
    so one query loads every reply under a page of top-level comments."""

    __table_args__ = (
        Index("ix_comment_thread_top", "thread_id", "parent_id", "pinned", "id"),
        Index("ix_comment_root", "root_id"),
        # The moderation queue: pending comments, oldest first, paged by id.
        Index("ix_comment_status_id", "status", "id"),
        # Pending counts per site: counted per thread from this index alone.
        Index("ix_comment_status_thread", "status", "thread_id"),
        # A reader's comments; with the status and thread, "has this reader a pending
        # comment in this thread?" (asked on every signed-in read) is one index probe.
        Index("ix_comment_author_status_thread", "author_id", "status", "thread_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    thread_id: Mapped[int] = mapped_column(ForeignKey("thread.id", ondelete="CASCADE"))
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("comment.id", ondelete="CASCADE"))
    root_id: Mapped[int | None] = mapped_column(ForeignKey("comment.id", ondelete="CASCADE"))
    depth: Mapped[int] = mapped_column(default=0)
    # NULL once the author deleted their account: the comment stays as a placeholder.
    author_id: Mapped[int | None] = mapped_column(ForeignKey("reader.id", ondelete="SET NULL"))
    body_source: Mapped[str] = mapped_column(Text)
    body_html: Mapped[str] = mapped_column(Text)
    # body_source folded for word search (comments.search), set with body_source. Pending
    # comments are indexed: a GIN index on PostgreSQL, an FTS5 table on SQLite, both made
    # by comments.search.install, outside the model.
    search_text: Mapped[str] = mapped_column(Text, default=_searchable_default, server_default="")
    status: Mapped[str] = mapped_column(String(10), default=CommentStatus.PENDING)
    score: Mapped[int] = mapped_column(default=0)
    pinned: Mapped[bool] = mapped_column(default=False)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    edited_at: Mapped[datetime | None]
    # The name an imported comment was signed with in the site's former comment system
    # (commentsvc.transfer); shown while no account has claimed the comment.
    imported_name: Mapped[str | None] = mapped_column(String(100))

    thread: Mapped[Thread] = relationship()
    author: Mapped[Reader | None] = relationship()

    @validates("body_source")
    def _fold_for_search(self, key: str, source: str) -> str:
        self.search_text = search.searchable(source)
        return source


@event.listens_for(Comment.__table__, "after_create")
def _create_search_index(target: object, connection: Connection, **kw: object) -> None:
    search.install(connection)


@event.listens_for(Comment.__table__, "before_drop")
def _drop_search_index(target: object, connection: Connection, **kw: object) -> None:
    search.uninstall(connection)


# A thread's top-level comments in page order, pinned first, so a first page reads its
# few rows and stops instead of sorting every top-level comment of the thread:
# oldest first (the default), and newest first by walking the second backwards.
# Partial, because PostgreSQL orders by an index only after columns it knows to be equal,
# which "parent_id IS NULL" is not.
_TOP_LEVEL = text("parent_id IS NULL")
Index(
    "ix_comment_top_oldest",
    Comment.thread_id,
    Comment.pinned.desc(),
    Comment.id,
    sqlite_where=_TOP_LEVEL,
    postgresql_where=_TOP_LEVEL,
)
Index(
    "ix_comment_top_newest",
    Comment.thread_id,
    Comment.pinned,
    Comment.id,
    sqlite_where=_TOP_LEVEL,
    postgresql_where=_TOP_LEVEL,
)


class Vote(Model):
    """One reader's vote on one comment: +1 or -1."""

    __table_args__ = (UniqueConstraint("comment_id", "reader_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    comment_id: Mapped[int] = mapped_column(ForeignKey("comment.id", ondelete="CASCADE"))
    reader_id: Mapped[int] = mapped_column(ForeignKey("reader.id", ondelete="CASCADE"), index=True)
    value: Mapped[int]


class ReportReason(LabelledEnum):
    SPAM = "spam"
    ABUSE = "abuse"
    OFF_TOPIC = "off_topic"
    ILLEGAL = "illegal"
    OTHER = "other"


name_members(
    ReportReason,
    {
        ReportReason.SPAM: _l("Spam or advertising"),
        ReportReason.ABUSE: _l("Abuse or harassment"),
        ReportReason.OFF_TOPIC: _l("Off-topic"),
        ReportReason.ILLEGAL: _l("Illegal content"),
        ReportReason.OTHER: _l("Something else"),
    },
)


class Report(Model):
    """A reader's report of a comment; one per reader per comment."""

    __table_args__ = (
        UniqueConstraint("comment_id", "reader_id"),
        Index("ix_report_open", "resolved_at", "comment_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    comment_id: Mapped[int] = mapped_column(ForeignKey("comment.id", ondelete="CASCADE"))
    reader_id: Mapped[int] = mapped_column(ForeignKey("reader.id", ondelete="CASCADE"), index=True)
    reason: Mapped[str] = mapped_column(String(20))
    text: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    # Set when a moderator decided the comment or dismissed its reports.
    resolved_at: Mapped[datetime | None]

    comment: Mapped[Comment] = relationship()
    reader: Mapped[Reader] = relationship()


class NotificationSettings(Model):
    """A reader's e-mail choices. No row: the defaults (authors opt in, moderators opt out)."""

    reader_id: Mapped[int] = mapped_column(
        ForeignKey("reader.id", ondelete="CASCADE"), primary_key=True
    )
    reply_emails: Mapped[bool] = mapped_column(default=False)
    decision_emails: Mapped[bool] = mapped_column(default=False)
    moderator_digest: Mapped[bool] = mapped_column(default=True)


class CommentNotification(Model):
    """A reader's own choice about reply e-mails for one of their comments, where it
    differs from their account-wide setting (made when posting, or by an unsubscribe link)."""

    __table_args__ = (UniqueConstraint("reader_id", "comment_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    reader_id: Mapped[int] = mapped_column(ForeignKey("reader.id", ondelete="CASCADE"))
    comment_id: Mapped[int] = mapped_column(
        ForeignKey("comment.id", ondelete="CASCADE"), index=True
    )
    reply_emails: Mapped[bool] = mapped_column(default=False)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class SightingKind(enum.StrEnum):
    """What a site's page was first seen loading from the service (see comments.setup)."""

    WIDGET = "widget"
    BANNER = "banner"


class SiteSighting(Model):
    """The first time a registered origin of a site loaded the widget or the consent
    banner. One row per (site, kind, origin), and only for origins the site registered,
    so a site has at most 2 x 20 of them however often pages load."""

    __table_args__ = (UniqueConstraint("site_id", "kind", "origin"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    site_id: Mapped[int] = mapped_column(ForeignKey("site.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(10))
    origin: Mapped[str] = mapped_column(String(300))
    seen_at: Mapped[datetime] = mapped_column(default=utcnow)
