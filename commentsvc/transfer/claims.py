"""Readers claiming the comments imported under their verified e-mail address.

An imported author's address serves only this: once a reader has verified the same
address, they may attach that author's comments to their account, and the comments
then show under the account's display name. The address is never shown, and is
forgotten once claimed.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from typing import Any, cast

from flask_babel import lazy_gettext as _l
from sqlalchemy import ColumnElement, CursorResult, Select, and_, func, or_, select, update

from commentsvc.accounts.models import Reader
from commentsvc.comments.models import Comment, CommentStatus, Site, Thread
from commentsvc.core.errors import Forbidden
from commentsvc.core.extensions import db, utcnow
from commentsvc.transfer.models import ImportedAuthor, ImportedItem


@dataclass(frozen=True, slots=True)
class Claimable:
    """The comments a reader may claim: how many on each site, by the site's name."""

    by_site: tuple[tuple[str, int], ...] = ()

    @property
    def count(self) -> int:
        return sum(n for _, n in self.by_site)

    @property
    def sites(self) -> tuple[str, ...]:
        return tuple(name for name, _ in self.by_site)


def _authors_of(reader: Reader) -> ColumnElement[bool]:
    """Imported authors with the reader's address that nobody has claimed, and those the
    reader claimed before (a later import may add comments to them).

    An author claimed once stays claimed (claimed_at) even when the account that
    claimed it is deleted.
    """
    return or_(
        and_(
            ImportedAuthor.email == reader.email,
            ImportedAuthor.reader_id.is_(None),
            ImportedAuthor.claimed_at.is_(None),
        ),
        ImportedAuthor.reader_id == reader.id,
    )


def _unowned(author_ids: Collection[int] | Select[int]) -> ColumnElement[bool]:
    """Comments of these imported authors that no account holds yet. Deleted ones keep
    their place for their replies, without a name: they stay anonymous."""
    return and_(
        Comment.id.in_(
            select(ImportedItem.comment_id).where(ImportedItem.imported_author_id.in_(author_ids))
        ),
        Comment.author_id.is_(None),
        Comment.status != CommentStatus.DELETED,
    )


def claimable(reader: Reader) -> Claimable:
    """What claim() would give the reader now; nothing for an unverified address."""
    if not reader.is_verified:
        return Claimable()
    authors = select(ImportedAuthor.id).where(_authors_of(reader))
    rows = db.session.execute(
        select(Site.name, func.count(Comment.id))
        .join(Thread, Thread.site_id == Site.id)
        .join(Comment, Comment.thread_id == Thread.id)
        .where(_unowned(authors))
        .group_by(Site.id, Site.name)
        .order_by(Site.name, Site.id)
    )
    return Claimable(tuple((name, count) for name, count in rows))


def claim(reader: Reader) -> int:
    """Attach the comments of claimable() to the reader's account, as the account's own
    (without the imported name), and mark their authors claimed, forgetting their
    address; returns how many comments moved (0 when there were none).

    :raises Forbidden: the reader's address is not verified.
    """
    if not reader.is_verified:
        raise Forbidden(_l("Verify your e-mail address before you claim comments."))
    author_ids = list(db.session.scalars(select(ImportedAuthor.id).where(_authors_of(reader))))
    if not author_ids:
        return 0
    db.session.execute(
        update(ImportedAuthor)
        .where(ImportedAuthor.id.in_(author_ids), ImportedAuthor.claimed_at.is_(None))
        .values(reader_id=reader.id, claimed_at=utcnow(), email=None)
        .execution_options(synchronize_session=False)
    )
    unowned = _unowned(author_ids)
    # New versions, so pages cached for anonymous readers show the account's name; before
    # the comments move, while they still match.
    db.session.execute(
        update(Thread)
        .where(Thread.id.in_(select(Comment.thread_id).where(unowned)))
        .values(version=Thread.version + 1)
        .execution_options(synchronize_session=False)
    )
    result = cast(
        CursorResult[Any],
        db.session.execute(
            update(Comment)
            .where(unowned)
            .values(author_id=reader.id, imported_name=None)
            .execution_options(synchronize_session=False)
        ),
    )
    db.session.commit()
    return int(result.rowcount)
