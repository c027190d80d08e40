"""What imports remember: the authors of imported comments, and which record of which
source file became which thread or comment (so running an import again adds nothing)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from commentsvc.core.extensions import Model, utcnow


class ImportedAuthor(Model):
    """Someone who wrote comments in a site's former comment system. Not an account: the
    name is shown with their comments; the e-mail address is never shown or mailed, and
    serves only to let a reader who verifies that address claim the comments."""

    __table_args__ = (
        UniqueConstraint("site_id", "source", "source_key"),
        Index("ix_imported_author_email", "email"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    site_id: Mapped[int] = mapped_column(ForeignKey("site.id", ondelete="CASCADE"))
    # "disqus", "wordpress", "isso" or "json".
    source: Mapped[str] = mapped_column(String(20))
    # Who this author is in the source: a user name, an address, or a name.
    source_key: Mapped[str] = mapped_column(String(300))
    name: Mapped[str] = mapped_column(String(100))
    # Normalised (accounts.identity.normalise_email); NULL: none, or not an address.
    email: Mapped[str | None] = mapped_column(String(254))
    # The account that claimed these comments.
    reader_id: Mapped[int | None] = mapped_column(
        ForeignKey("reader.id", ondelete="SET NULL"), index=True
    )
    claimed_at: Mapped[datetime | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class ImportedItem(Model):
    """One record of a source (a Disqus thread, a WordPress comment…) and what it became."""

    __table_args__ = (UniqueConstraint("site_id", "source", "kind", "source_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    site_id: Mapped[int] = mapped_column(ForeignKey("site.id", ondelete="CASCADE"))
    source: Mapped[str] = mapped_column(String(20))
    # "thread" or "comment".
    kind: Mapped[str] = mapped_column(String(10))
    source_id: Mapped[str] = mapped_column(String(200))
    thread_id: Mapped[int | None] = mapped_column(
        ForeignKey("thread.id", ondelete="CASCADE"), index=True
    )
    comment_id: Mapped[int | None] = mapped_column(
        ForeignKey("comment.id", ondelete="CASCADE"), index=True
    )
    imported_author_id: Mapped[int | None] = mapped_column(
        ForeignKey("imported_author.id", ondelete="SET NULL"), index=True
    )
