"""Votes on comments: one per reader per comment, +1 or -1."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from sqlalchemy import delete, func, select
from sqlalchemy.exc import IntegrityError

from commentsvc.accounts.models import Reader
from commentsvc.comments import lifecycle
from commentsvc.comments.models import CommentStatus, Vote
from commentsvc.comments.threads import get_comment
from commentsvc.core.errors import Conflict, Forbidden, Invalid, NotFound
from commentsvc.core.extensions import db


def vote(reader: Reader, comment_id: int, value: int) -> int:
    """Set the reader's vote on a comment to +1, -1 or 0 (none); return the new score.

    :raises NotFound: not an approved comment. :raises Forbidden: own comment,
        unverified reader, or locked thread. :raises Invalid: another value.
    """
    if value not in (-1, 0, 1):
        raise Invalid(_l("A vote is +1, -1 or 0."), "value")
    if not reader.is_verified:
        raise Forbidden(_l("Verify your e-mail address before you vote."))
    comment = get_comment(comment_id)
    if comment is None or comment.status != CommentStatus.APPROVED:
        raise NotFound(_l("There is no such comment."))
    if comment.author_id == reader.id:
        raise Forbidden(_l("You cannot vote on your own comment."))
    if comment.thread.locked:
        raise Forbidden(_l("This thread is locked: no new comments."))
    db.session.execute(
        delete(Vote).where(Vote.comment_id == comment_id, Vote.reader_id == reader.id)
    )
    if value:
        db.session.add(Vote(comment_id=comment_id, reader_id=reader.id, value=value))
    db.session.flush()
    score = (
        db.session.scalar(
            select(func.coalesce(func.sum(Vote.value), 0)).where(Vote.comment_id == comment_id)
        )
        or 0
    )
    comment.score = score
    lifecycle.thread_changed(comment.thread_id)
    try:
        db.session.commit()
    except IntegrityError as exc:
        # The same reader voting twice at the same instant: the other vote stands.
        db.session.rollback()
        raise Conflict(_l("Your vote was already counted.")) from exc
    return score


def export_for_reader(reader: Reader) -> list[dict[str, int]]:
    """The reader's votes, for their data export."""
    votes = db.session.scalars(select(Vote).where(Vote.reader_id == reader.id).order_by(Vote.id))
    return [{"comment_id": v.comment_id, "value": v.value} for v in votes]
