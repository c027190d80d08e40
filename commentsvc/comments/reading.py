"""Reading a thread: one page of comments with their replies, sorted, in one query."""

from __future__ import annotations

import enum
import re
import threading
from collections import OrderedDict
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, cast

from flask import current_app
from flask_babel import lazy_gettext as _l
from sqlalchemy import Row, and_, false, func, literal, null, or_, select, union_all
from sqlalchemy.sql import ColumnElement

from commentsvc.accounts.models import Reader
from commentsvc.comments.models import Comment, CommentStatus, Report, Site, Thread, Vote
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
    # None for deleted comments and former readers (the avatar is then a neutral one).
    author_id: int | None = None
    edited_at: datetime | None = None
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
    # The comments on it the viewer reported.
    reported: frozenset[int] = frozenset()


def _visible(
    viewer_id: int | None, status: ColumnElement[str] | None = None
) -> ColumnElement[bool]:
    if status is None:
        status = Comment.status.expression
    shown = status.in_((CommentStatus.APPROVED, CommentStatus.DELETED))
    if viewer_id is None:
        return shown
    mine = and_(status == CommentStatus.PENDING, Comment.author_id == viewer_id)
    return or_(shown, mine)


# The replies' status, as an expression no index covers: SQLite would otherwise walk
# ix_comment_status_thread (every approved comment of every thread) instead of the few
# replies that ix_comment_root finds.
_REPLY_STATUS: ColumnElement[str] = Comment.status.concat("")


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


def _encode_cursor(row: CommentRow, sort: Sort) -> str:
    return f"{int(row.pinned)}.{row.score}.{row.id}"


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


# One comment of a page as the query returns it (see _COLUMNS), with its author's
# display name, the viewer's vote and, for top-level comments, its place on the page.
CommentRow = Row[Any]


def _columns(viewer_id: int | None) -> tuple[Any, ...]:
    vote = (
        select(Vote.value)
        .where(Vote.comment_id == Comment.id, Vote.reader_id == viewer_id)
        .correlate(Comment)
        .scalar_subquery()
        if viewer_id is not None
        else literal(0)
    )
    return (
        Comment.id,
        Comment.parent_id,
        Comment.depth,
        Comment.author_id,
        Comment.body_html,
        Comment.body_source,
        Comment.status,
        Comment.score,
        Comment.pinned,
        Comment.created_at,
        Comment.edited_at,
        # An imported comment nobody has claimed shows the name it was signed with.
        func.coalesce(Reader.display_name, Comment.imported_name).label("author_name"),
        vote.label("my_vote"),
    )


def _page_rows(
    top_where: list[ColumnElement[bool]],
    viewer_id: int | None,
    order: tuple[ColumnElement[Any], ...],
    limit: int,
) -> tuple[list[CommentRow], list[CommentRow]]:
    """One statement: up to limit top-level comments in order, and the visible replies
    below them (oldest first, so a parent always comes before its replies).

    Both halves start from the page's few ids (the primary key and ix_comment_root), so
    the cost follows the page, not the number of comments of the site.
    """
    page = (
        select(Comment.id, func.row_number().over(order_by=order).label("position"))
        .where(*top_where)
        .order_by(*order)
        .limit(limit)
        .cte("page")
    )
    columns = _columns(viewer_id)
    tops = (
        select(*columns, page.c.position)
        .select_from(page)
        .join(Comment, Comment.id == page.c.id)
        .outerjoin(Reader, Reader.id == Comment.author_id)
    )
    replies = (
        select(*columns, null().label("position"))
        .select_from(page)
        .join(Comment, Comment.root_id == page.c.id)
        .outerjoin(Reader, Reader.id == Comment.author_id)
        .where(_visible(viewer_id, _REPLY_STATUS))
    )
    both = union_all(tops, replies).subquery()
    stmt = select(both).order_by(func.coalesce(both.c.position, limit + 1), both.c.id)
    top_rows: list[CommentRow] = []
    reply_rows: list[CommentRow] = []
    for row in db.session.execute(stmt):
        (reply_rows if row.position is None else top_rows).append(row)
    return top_rows, reply_rows


def _view(
    row: CommentRow,
    viewer_id: int | None,
    window: timedelta,
    now: datetime,
    votes: dict[int, int] | None = None,
) -> CommentView:
    mine = viewer_id is not None and row.author_id == viewer_id
    deleted = row.status == CommentStatus.DELETED
    can_edit = mine and not deleted and now - row.created_at <= window
    return CommentView(
        id=row.id,
        parent_id=row.parent_id,
        depth=row.depth,
        author_name=None if deleted else row.author_name,
        body_html="" if deleted else row.body_html,
        status=row.status,
        score=row.score,
        pinned=row.pinned,
        created_at=row.created_at,
        edited=row.edited_at is not None,
        my_vote=(votes.get(row.id, 0) if votes else row.my_vote) or 0,
        is_mine=mine,
        can_edit=can_edit,
        source=row.body_source if can_edit else "",
        author_id=None if deleted else row.author_id,
        edited_at=row.edited_at,
    )


@dataclass(frozen=True)
class _Rows:
    """A page's rows as every reader sees it (no pending comments, no votes)."""

    tops: list[CommentRow]
    replies: list[CommentRow]
    more: bool


class _SharedRows:
    """Pages of rows kept per thread version: every visible change of a thread bumps its
    version (comments/lifecycle.py), so a kept page is never read after a change."""

    def __init__(self, max_entries: int) -> None:
        self.max_entries = max_entries
        self._data: OrderedDict[tuple[Any, ...], _Rows] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: tuple[Any, ...]) -> _Rows | None:
        with self._lock:
            found = self._data.get(key)
            if found is not None:
                self._data.move_to_end(key)
            return found

    def put(self, key: tuple[Any, ...], rows: _Rows) -> None:
        with self._lock:
            self._data[key] = rows
            while len(self._data) > self.max_entries:
                self._data.popitem(last=False)


def _kept() -> _SharedRows:
    """This app's kept pages (each app has its own database)."""
    found = current_app.extensions.get("commentsvc.shared_rows")
    if found is None:
        found = current_app.extensions.setdefault("commentsvc.shared_rows", _SharedRows(256))
    return cast(_SharedRows, found)


def _rows(
    thread: Thread, viewer_id: int | None, sort: Sort, cursor: str | None, page_size: int
) -> _Rows:
    where = [Comment.thread_id == thread.id, Comment.parent_id.is_(None), _visible(viewer_id)]
    if cursor:
        where.append(_after_cursor(cursor, sort))
    tops, replies = _page_rows(where, viewer_id, _ordering(sort), page_size + 1)
    return _Rows(tops[:page_size], replies, len(tops) > page_size)


def _shared_rows(thread: Thread, sort: Sort, cursor: str | None, page_size: int) -> _Rows:
    if cursor:
        _after_cursor(cursor, sort)  # a malformed cursor is refused before any lookup
    # As the page cache's stamp: a thread made again under the same id differs in time.
    key = (thread.id, thread.version, thread.created_at, sort, cursor or "", page_size)
    kept = _kept()
    found = kept.get(key)
    if found is None:
        found = _rows(thread, None, sort, cursor, page_size)
        kept.put(key, found)
    return found


@dataclass(frozen=True)
class _Stake:
    """What the viewer has in a thread: their votes by comment, whether a comment of
    theirs waits for a moderator (their page then differs from everyone's and is read
    in full), and the comments they reported."""

    votes: dict[int, int]
    pending: bool
    reported: frozenset[int]


_VOTE, _PENDING, _REPORTED = "v", "p", "r"


def _viewer_stake(thread: Thread, viewer_id: int) -> _Stake:
    """The viewer's stake in the thread, in one statement."""
    in_thread = Comment.thread_id == thread.id
    votes = (
        select(literal(_VOTE), Vote.comment_id, Vote.value)
        .join(Comment, Comment.id == Vote.comment_id)
        .where(Vote.reader_id == viewer_id, in_thread)
    )
    pending = select(literal(_PENDING), Comment.id, literal(0)).where(
        Comment.status == CommentStatus.PENDING, in_thread, Comment.author_id == viewer_id
    )
    reported = (
        select(literal(_REPORTED), Report.comment_id, literal(0))
        .join(Comment, Comment.id == Report.comment_id)
        .where(Report.reader_id == viewer_id, in_thread)
    )
    found: dict[int, int] = {}
    waiting, flagged = False, set()
    for kind, comment_id, value in db.session.execute(union_all(votes, pending, reported)):
        if kind == _VOTE:
            found[comment_id] = value
        elif kind == _PENDING:
            waiting = True
        else:
            flagged.add(comment_id)
    return _Stake(found, waiting, frozenset(flagged))


_NO_STAKE = _Stake({}, False, frozenset())


def read_thread(
    thread: Thread,
    site: Site,
    viewer_id: int | None = None,
    sort: Sort = Sort.OLDEST,
    cursor: str | None = None,
    page_size: int = PAGE_SIZE,
) -> ThreadPage:
    """One page of top-level comments with all their replies.

    Everyone's rows are kept per thread version; a signed-in viewer adds one query for
    their votes and reports (and, with a pending comment of their own, reads their page
    in full).
    Deleted comments stay as placeholders only where visible replies hang below them.

    :raises Invalid: a malformed cursor.
    """
    stake = _viewer_stake(thread, viewer_id) if viewer_id is not None else _NO_STAKE
    votes = stake.votes
    if stake.pending:
        rows = _rows(thread, viewer_id, sort, cursor, page_size)
    else:
        rows = _shared_rows(thread, sort, cursor, page_size)
    now = utcnow()
    window = timedelta(seconds=site.edit_window_seconds)
    tops = [_view(row, viewer_id, window, now, votes) for row in rows.tops]
    by_id = {view.id: view for view in tops}
    for row in rows.replies:
        parent = by_id.get(row.parent_id or 0)
        # Replies under the one extra top-level comment (fetched to know there is more)
        # have no parent here, and wait for the next page.
        if parent is not None:
            view = _view(row, viewer_id, window, now, votes)
            by_id[view.id] = view
            parent.replies.append(view)
    comments = [c for c in tops if _keep(c)]
    next_cursor = _encode_cursor(rows.tops[-1], sort) if rows.more and rows.tops else None
    return ThreadPage(comments, next_cursor, sort, stake.reported)


def _keep(view: CommentView) -> bool:
    """Drop deleted placeholders with nothing visible below them, depth first."""
    view.replies = [r for r in view.replies if _keep(r)]
    return not view.is_deleted or bool(view.replies)


def read_comment(
    thread: Thread, site: Site, viewer_id: int | None, comment_id: int
) -> CommentView | None:
    """One comment of the thread with its visible replies, as read_thread shows it to
    this viewer; None if the viewer cannot see it (or it is a deleted placeholder with
    nothing visible below it)."""
    root_of = (
        select(func.coalesce(Comment.root_id, Comment.id))
        .where(Comment.id == comment_id, Comment.thread_id == thread.id)
        .scalar_subquery()
    )
    stmt = (
        select(*_columns(viewer_id))
        .select_from(Comment)
        .outerjoin(Reader, Reader.id == Comment.author_id)
        .where(or_(Comment.id == root_of, Comment.root_id == root_of), _visible(viewer_id))
        .order_by(Comment.id)
    )
    now = utcnow()
    window = timedelta(seconds=site.edit_window_seconds)
    by_id: dict[int, CommentView] = {}
    for row in db.session.execute(stmt):
        view = _view(row, viewer_id, window, now)
        by_id[view.id] = view
        parent = by_id.get(row.parent_id or 0)
        if parent is not None:
            parent.replies.append(view)
    found = by_id.get(comment_id)
    return found if found is not None and _keep(found) else None
