"""Reading a thread: one page of comments with their replies, sorted, in one query."""

from __future__ import annotations

import enum
import re
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from flask_babel import lazy_gettext as _l
from sqlalchemy import and_, false, func, literal, or_, select
from sqlalchemy.sql import ColumnElement

from commentsvc.accounts.models import Reader
from commentsvc.comments.models import Comment, CommentStatus, Site, Thread, Vote
from commentsvc.core.errors import Invalid
from commentsvc.core.extensions import db, utcnow

PAGE_SIZE = 50
# Replies are stored at any depth; the page indents at most this far.
DISPLAY_DEPTH = 4


class Sort(enum.StrEnum):
    OLDEST = "oldest"
    NEWEST = "newest"
    TOP = "top"


@dataclass
class CommentView:
    """One comment as a page shows it."""

    id: int
    parent_id: int | None
    depth: int
    author_name: str | None
    body_html: str
    status: str
    score: int
    pinned: bool
    created_at: datetime
    edited: bool
    my_vote: int
    is_mine: bool
    can_edit: bool
    # The Markdown source, filled only where the viewer may edit it.
    source: str = ""
    replies: list[CommentView] = field(default_factory=list)

    @property
    def is_deleted(self) -> bool:
        return self.status == CommentStatus.DELETED

    @property
    def is_pending(self) -> bool:
        return self.status == CommentStatus.PENDING

    @property
    def display_depth(self) -> int:
        return min(self.depth, DISPLAY_DEPTH)


@dataclass
class ThreadPage:
    comments: list[CommentView]
    next_cursor: str | None
    sort: Sort


def _visible(viewer_id: int | None) -> ColumnElement[bool]:
    shown = Comment.status.in_((CommentStatus.APPROVED, CommentStatus.DELETED))
    if viewer_id is None:
        return shown
    mine = and_(Comment.status == CommentStatus.PENDING, Comment.author_id == viewer_id)
    return or_(shown, mine)


def _ordering(sort: Sort) -> tuple[ColumnElement[Any], ...]:
    if sort is Sort.OLDEST:
        return (Comment.pinned.desc(), Comment.id.asc())
    if sort is Sort.NEWEST:
        return (Comment.pinned.desc(), Comment.id.desc())
    return (Comment.pinned.desc(), Comment.score.desc(), Comment.id.desc())


# A page link's cursor: "pinned.score.id" of the last top-level comment shown (the score
# is used only by the top sort). Any text of this form is a valid cursor for every sort,
# and every number in it fits the database; the API document gives this pattern.
CURSOR_PATTERN = r"^([01]\.-?[0-9]{1,18}\.[0-9]{1,18})?$"
_CURSOR_RE = re.compile(r"([01])\.(-?[0-9]{1,18})\.([0-9]{1,18})")


def _encode_cursor(comment: Comment, sort: Sort) -> str:
    return f"{int(comment.pinned)}.{comment.score}.{comment.id}"


def _after_cursor(cursor: str, sort: Sort) -> ColumnElement[bool]:
    """The keyset condition for rows after cursor in sort order.

    :raises Invalid: a cursor that is not of the form this code makes.
    """
    # Matched as text, never parsed as JSON or decoded: nothing in it can nest or overflow.
    match = _CURSOR_RE.fullmatch(cursor)
    if match is None:
        raise Invalid(_l("That page link is not valid."), "cursor")
    pinned = match.group(1) == "1"
    score, last_id = int(match.group(2)), int(match.group(3))
    later_pin = (Comment.pinned == false()) if pinned else false()
    same_pin = Comment.pinned == pinned
    if sort is Sort.OLDEST:
        rest: ColumnElement[bool] = Comment.id > last_id
    elif sort is Sort.NEWEST:
        rest = Comment.id < last_id
    else:
        rest = or_(Comment.score < score, and_(Comment.score == score, Comment.id < last_id))
    return or_(later_pin, and_(same_pin, rest))


# A comment, its author's display name, and the viewer's vote on it.
CommentRow = tuple[Comment, str | None, int | None]


def _page_rows(
    top_where: list[ColumnElement[bool]],
    viewer_id: int | None,
    order: tuple[ColumnElement[Any], ...],
    limit: int,
) -> tuple[list[CommentRow], list[CommentRow]]:
    """One statement: up to limit top-level comments in order, and the visible replies
    below them (oldest first, so a parent always comes before its replies)."""
    page = (
        select(Comment.id, func.row_number().over(order_by=order).label("position"))
        .where(*top_where)
        .order_by(*order)
        .limit(limit)
        .cte("page")
    )
    vote = (
        select(Vote.value)
        .where(Vote.comment_id == Comment.id, Vote.reader_id == viewer_id)
        .correlate(Comment)
        .scalar_subquery()
        if viewer_id is not None
        else literal(0)
    )
    stmt = (
        select(Comment, Reader.display_name, vote, page.c.position)
        .outerjoin(Reader, Reader.id == Comment.author_id)
        .outerjoin(page, page.c.id == Comment.id)
        .where(
            or_(
                page.c.position.is_not(None),
                and_(Comment.root_id.in_(select(page.c.id)), _visible(viewer_id)),
            )
        )
        .order_by(func.coalesce(page.c.position, limit + 1), Comment.id.asc())
    )
    tops: list[CommentRow] = []
    replies: list[CommentRow] = []
    for comment, name, my_vote, position in db.session.execute(stmt):
        (replies if position is None else tops).append((comment, name, my_vote))
    return tops, replies


def _view(
    comment: Comment,
    author: str | None,
    my_vote: int | None,
    viewer_id: int | None,
    window: timedelta,
    now: datetime,
) -> CommentView:
    mine = viewer_id is not None and comment.author_id == viewer_id
    deleted = comment.status == CommentStatus.DELETED
    can_edit = mine and not deleted and now - comment.created_at <= window
    return CommentView(
        id=comment.id,
        parent_id=comment.parent_id,
        depth=comment.depth,
        author_name=None if deleted else author,
        body_html="" if deleted else comment.body_html,
        status=comment.status,
        score=comment.score,
        pinned=comment.pinned,
        created_at=comment.created_at,
        edited=comment.edited_at is not None,
        my_vote=my_vote or 0,
        is_mine=mine,
        can_edit=can_edit,
        source=comment.body_source if can_edit else "",
    )


def read_thread(
    thread: Thread,
    site: Site,
    viewer_id: int | None = None,
    sort: Sort = Sort.OLDEST,
    cursor: str | None = None,
    page_size: int = PAGE_SIZE,
) -> ThreadPage:
    """One page of top-level comments with all their replies, in one query.

    Deleted comments stay as placeholders only where visible replies hang below them.

    :raises Invalid: a malformed cursor.
    """
    where = [Comment.thread_id == thread.id, Comment.parent_id.is_(None), _visible(viewer_id)]
    if cursor:
        where.append(_after_cursor(cursor, sort))
    top_rows, reply_rows = _page_rows(where, viewer_id, _ordering(sort), page_size + 1)
    more = len(top_rows) > page_size
    top_rows = top_rows[:page_size]
    now = utcnow()
    window = timedelta(seconds=site.edit_window_seconds)
    tops = [_view(c, name, v, viewer_id, window, now) for c, name, v in top_rows]
    by_id = {view.id: view for view in tops}
    for comment, name, vote in reply_rows:
        parent = by_id.get(comment.parent_id or 0)
        # Replies under the one extra top-level comment (fetched to know there is more)
        # have no parent here, and wait for the next page.
        if parent is not None:
            view = _view(comment, name, vote, viewer_id, window, now)
            by_id[view.id] = view
            parent.replies.append(view)
    comments = [c for c in tops if _keep(c)]
    next_cursor = _encode_cursor(top_rows[-1][0], sort) if more and top_rows else None
    return ThreadPage(comments=comments, next_cursor=next_cursor, sort=sort)


def _keep(view: CommentView) -> bool:
    """Drop deleted placeholders with nothing visible below them, depth first."""
    view.replies = [r for r in view.replies if _keep(r)]
    return not view.is_deleted or bool(view.replies)


# --- writing ---------------------------------------------------------------------------
