"""Reading a thread: one page of comments with their replies, sorted, in one query."""

from __future__ import annotations

import enum
import functools
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, NamedTuple

from flask import g
from flask_babel import lazy_gettext as _l
from sqlalchemy import (
    Integer,
    Select,
    String,
    and_,
    bindparam,
    false,
    func,
    literal,
    null,
    or_,
    select,
    union_all,
)
from sqlalchemy import cast as sql_cast
from sqlalchemy.sql import ColumnElement

from commentsvc.accounts.models import Reader, ReaderSession
from commentsvc.comments.models import (
    Comment,
    CommentStatus,
    NotificationSettings,
    Report,
    Site,
    Thread,
    Vote,
)
from commentsvc.consent import policies
from commentsvc.consent.policies import Policy
from commentsvc.core import kept
from commentsvc.core.errors import Invalid
from commentsvc.core.extensions import db, utcnow
from commentsvc.core.kept import KeptLRU
from commentsvc.moderation import standing
from commentsvc.moderation.models import Ban

PAGE_SIZE = 50
# Replies are stored at any depth; the page indents at most this far.
DISPLAY_DEPTH = 4


class Sort(enum.StrEnum):
    OLDEST = "oldest"
    NEWEST = "newest"
    TOP = "top"


@dataclass(slots=True)
class CommentView:
    """One comment as a page shows it (slots: kept pages hold many, see _SharedPage)."""

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
    # For each comment, when its subtree is the same for every reader without a stake
    # in it: what it shows (a key for its rendering, see comments/rendering.py) and the
    # ids in it; None for the viewer's own copy.
    subtrees: list[Subtree | None] | None = None
    stake: _Stake | None = None
    # The key of everyone's page this page was made from: its rendering is kept under
    # it, and a page with the viewer's own copies takes the others from there.
    shared_key: tuple[Any, ...] | None = None
    # When every subtree on the page is shared (the viewer has a stake in none): every
    # id on it, so the page's rendering can be served whole.
    whole: frozenset[int] | None = None

    @property
    def banned(self) -> bool:
        """A ban or suspension stops the viewer posting on the site."""
        return self.stake is not None and self.stake.banned

    @property
    def to_accept(self) -> tuple[Policy, ...]:
        """The policy versions the viewer has to accept before they may post."""
        return self.stake.to_accept if self.stake is not None else ()

    @property
    def reply_emails(self) -> bool:
        """The viewer asked for e-mails about replies to their comments."""
        return self.stake is not None and self.stake.reply_emails


# A subtree every reader without a stake in it sees alike: what it shows, and its ids.
Subtree = tuple["Shown", frozenset[int]]


_VIEWER = bindparam("viewer_id", type_=Integer)


def _visible(viewer: bool, status: ColumnElement[str] | None = None) -> ColumnElement[bool]:
    """Comments shown on a page: published ones and deleted placeholders, and with a
    viewer (the parameter viewer_id), the viewer's own pending ones."""
    if status is None:
        status = Comment.status.expression
    shown = status.in_((CommentStatus.APPROVED, CommentStatus.DELETED))
    if not viewer:
        return shown
    mine = and_(status == CommentStatus.PENDING, Comment.author_id == _VIEWER)
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


@dataclass(frozen=True)
class _Cursor:
    """A page link's cursor, read."""

    pinned: bool
    score: int
    last_id: int

    @property
    def params(self) -> dict[str, int]:
        return {"cursor_score": self.score, "cursor_id": self.last_id}


def _read_cursor(cursor: str) -> _Cursor:
    """:raises Invalid: a cursor that is not of the form this code makes."""
    # Matched as text, never parsed as JSON or decoded: nothing in it can nest or overflow.
    match = _CURSOR_RE.fullmatch(cursor)
    if match is None:
        raise Invalid(_l("That page link is not valid."), "cursor")
    return _Cursor(match.group(1) == "1", int(match.group(2)), int(match.group(3)))


def _after_cursor(pinned: bool, sort: Sort) -> ColumnElement[bool]:
    """The keyset condition for rows after a cursor (pinned or not) in sort order, with
    its score and id as the parameters cursor_score and cursor_id."""
    score = bindparam("cursor_score", type_=Integer)
    last_id = bindparam("cursor_id", type_=Integer)
    later_pin = (Comment.pinned == false()) if pinned else false()
    same_pin = Comment.pinned == pinned
    if sort is Sort.OLDEST:
        rest: ColumnElement[bool] = Comment.id > last_id
    elif sort is Sort.NEWEST:
        rest = Comment.id < last_id
    else:
        rest = or_(Comment.score < score, and_(Comment.score == score, Comment.id < last_id))
    return or_(later_pin, and_(same_pin, rest))


class CommentRow(NamedTuple):
    """One comment of a page as the query returns it (see _columns), with its author's
    display name, the viewer's vote and, for top-level comments, its place on the page.
    A plain tuple, not the database's row: kept pages hold these, and a row would keep
    its query, and the query's session, alive with them."""

    id: int
    parent_id: int | None
    depth: int
    author_id: int | None
    body_html: str
    body_source: str
    status: str
    score: int
    pinned: bool
    created_at: datetime
    edited_at: datetime | None
    author_name: str | None
    my_vote: int | None
    position: int | None = None


def _columns(viewer: bool) -> tuple[Any, ...]:
    vote = (
        select(Vote.value)
        .where(Vote.comment_id == Comment.id, Vote.reader_id == _VIEWER)
        .correlate(Comment)
        .scalar_subquery()
        if viewer
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


@functools.cache
def _page_statement(sort: Sort, cursor_pinned: bool | None, viewer: bool) -> Select[Any]:
    """One statement: up to :limit top-level comments of :thread_id in order (after a
    cursor, when cursor_pinned is not None), and the visible replies below them (oldest
    first, so a parent always comes before its replies). Built once for each kind of
    page, since building it costs more than running it.

    Both halves start from the page's few ids (the primary key and ix_comment_root), so
    the cost follows the page, not the number of comments of the site. The replies name
    their roots with IN, not a join: on a table with statistics, SQLite planned the join
    with a Bloom filter built over every comment of the service.
    """
    order = _ordering(sort)
    where = [
        Comment.thread_id == bindparam("thread_id", type_=Integer),
        Comment.parent_id.is_(None),
        _visible(viewer),
    ]
    if cursor_pinned is not None:
        where.append(_after_cursor(cursor_pinned, sort))
    page = (
        select(Comment.id, func.row_number().over(order_by=order).label("position"))
        .where(*where)
        .order_by(*order)
        .limit(bindparam("limit", type_=Integer))
        .cte("page")
    )
    columns = _columns(viewer)
    tops = (
        select(*columns, page.c.position)
        .select_from(page)
        .join(Comment, Comment.id == page.c.id)
        .outerjoin(Reader, Reader.id == Comment.author_id)
    )
    replies = (
        select(*columns, null().label("position"))
        .select_from(Comment)
        .outerjoin(Reader, Reader.id == Comment.author_id)
        .where(Comment.root_id.in_(select(page.c.id)), _visible(viewer, _REPLY_STATUS))
    )
    both = union_all(tops, replies).subquery()
    # Replies after every top-level comment (positions are at most the page's size).
    return select(both).order_by(func.coalesce(both.c.position, _AFTER_EVERY_TOP), both.c.id)


_AFTER_EVERY_TOP = 1_000_000


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


def _tree(
    rows: _Rows, viewer_id: int | None, window: timedelta, now: datetime, votes: dict[int, int]
) -> list[CommentView]:
    """The page's top-level comments with their replies, as viewer_id sees them."""
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
    return [c for c in tops if _keep(c)]


class _SharedPage:
    """A page as every reader sees it, kept per thread version (see _kept): its
    comments as a signed-out reader sees them, and for each top-level comment the ids
    and authors in its subtree, which tell whether a reader has a stake in it (their
    own comment or vote) and must see it differently.

    The views are shared by every request that reads this page: nothing may change them.
    """

    def __init__(self, key: tuple[Any, ...], rows: _Rows, sort: Sort) -> None:
        self.key = key
        # No viewer, so the edit window and the time are never looked at.
        self.views = _tree(rows, None, timedelta(0), utcnow(), {})
        self.rows = {row.id: row for row in (*rows.tops, *rows.replies)}
        self.ids: list[frozenset[int]] = []
        self.authors: list[frozenset[int]] = []
        self.shown: list[Shown] = []
        for top in self.views:
            ids = _subtree_ids(top)
            self.ids.append(frozenset(ids))
            authors = (self.rows[i].author_id for i in ids)
            self.authors.append(frozenset(a for a in authors if a is not None))
            self.shown.append(Shown(top))
        self.subtrees: list[Subtree | None] = list(zip(self.shown, self.ids, strict=True))
        self.all_ids = frozenset().union(*self.ids)
        self.all_authors = frozenset().union(*self.authors)
        self.next_cursor = _encode_cursor(rows.tops[-1], sort) if rows.more and rows.tops else None

    def personal(
        self, view: CommentView, viewer_id: int, votes: dict[int, int], window: timedelta
    ) -> CommentView:
        """A shared subtree as viewer_id sees it: a new tree, the kept one unchanged."""
        now = utcnow()

        def copy(shared: CommentView) -> CommentView:
            mine = _view(self.rows[shared.id], viewer_id, window, now, votes)
            mine.replies = [copy(reply) for reply in shared.replies]
            return mine

        return copy(view)


class Shown:
    """Everything a comment and its replies show to a reader with no stake in them, in
    page order: equal for equal subtrees, in any version of the thread, so a rendered
    subtree kept under it serves until something in it changes. Made once per kept
    page, with its hash."""

    __slots__ = ("_hash", "value")

    def __init__(self, top: CommentView) -> None:
        value: list[Any] = []
        stack = [top]
        while stack:
            c = stack.pop()
            value.append(Shown.of(c))
            stack.extend(reversed(c.replies))
        self.value = tuple(value)
        self._hash = hash(self.value)

    @staticmethod
    def of(c: CommentView) -> tuple[Any, ...]:
        """What one comment shows a reader with no stake in it (not its replies)."""
        fields = (c.id, c.status, c.score, c.depth, c.pinned, c.author_id, c.author_name)
        return (*fields, c.created_at, c.edited_at, c.body_html, len(c.replies))

    def __hash__(self) -> int:
        return self._hash

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Shown) and self.value == other.value


def _subtree_ids(top: CommentView) -> list[int]:
    ids, stack = [], [top]
    while stack:
        view = stack.pop()
        ids.append(view.id)
        stack.extend(view.replies)
    return ids


def _kept() -> KeptLRU[_SharedPage]:
    """This app's kept pages (each app has its own database), one per page of a thread,
    with the thread's version it shows. Every visible change of a thread bumps its
    version (comments/lifecycle.py), so a kept page is never read after a change: the
    next read of the page replaces it."""
    return kept.in_app("commentsvc.shared_rows", 256)


def _rows(
    thread: Thread, viewer_id: int | None, sort: Sort, cursor: _Cursor | None, page_size: int
) -> _Rows:
    """The page's rows: page_size top-level comments and their replies, and whether
    there are more."""
    statement = _page_statement(sort, cursor.pinned if cursor else None, viewer_id is not None)
    params = {"thread_id": thread.id, "viewer_id": viewer_id, "limit": page_size + 1}
    if cursor is not None:
        params |= cursor.params
    tops: list[CommentRow] = []
    replies: list[CommentRow] = []
    # On the connection: plain columns need none of the ORM's handling of results.
    for fetched in db.session.connection().execute(statement, params):
        row = CommentRow(*fetched)
        (replies if row.position is None else tops).append(row)
    return _Rows(tops[:page_size], replies, len(tops) > page_size)


def _shared_page(thread: Thread, sort: Sort, cursor: _Cursor | None, page_size: int) -> _SharedPage:
    # As the page cache's stamp: a thread made again under the same id differs in time.
    key = (thread.id, thread.version, thread.created_at, sort, cursor, page_size)
    # Kept under the page alone, so a new version replaces the old one instead of
    # crowding out other threads' pages (a busy thread changes many times a minute).
    place = (thread.id, sort, cursor, page_size)
    pages = _kept()
    found = pages.get(place)
    if found is None or found.key != key:
        found = _SharedPage(key, _rows(thread, None, sort, cursor, page_size), sort)
        pages.put(place, found)
    return found


@dataclass(frozen=True)
class _Stake:
    """What the viewer has in a thread: their votes by comment, whether a comment of
    theirs waits for a moderator (their page then differs from everyone's and is read
    in full), the comments they reported; and, for the page around the comments,
    whether a ban or suspension stops them posting on the site and whether they asked
    for e-mails about replies."""

    votes: dict[int, int]
    pending: bool
    reported: frozenset[int]
    banned: bool = False
    reply_emails: bool = False
    # The policy versions to accept before they may post (see policies.pending_among).
    to_accept: tuple[Policy, ...] = ()


_VOTE, _PENDING, _REPORTED, _BANNED, _EMAILS = "v", "p", "r", "b", "e"


def _packed_stake(
    viewer: Any, thread_id: Any, site_id: Any, outer: tuple[Any, ...] = ()
) -> tuple[Any, Any]:
    """The viewer's stake in the thread as two text columns of a statement of one row
    (viewer, thread_id and site_id: each a parameter or a column of the tables outer
    names, in the statement these columns are added to; the ban's time is the "now"
    parameter). The first holds the viewer's rows, "kind:id:value" with ";" between
    them (kinds and numbers hold neither separator); the second the policy versions in
    force and the viewer's acceptances ("latest" and "accepted" rows, see
    policies.pending_among): whether they may post without accepting first."""
    in_thread = Comment.thread_id == thread_id
    votes = (
        select(literal(_VOTE).label("kind"), Vote.comment_id.label("id"), Vote.value.label("value"))
        .join(Comment, Comment.id == Vote.comment_id)
        .where(Vote.reader_id == viewer, in_thread)
    )
    pending = select(literal(_PENDING), Comment.id, literal(0)).where(
        Comment.status == CommentStatus.PENDING, in_thread, Comment.author_id == viewer
    )
    reported = (
        select(literal(_REPORTED), Report.comment_id, literal(0))
        .join(Comment, Comment.id == Report.comment_id)
        .where(Report.reader_id == viewer, in_thread)
    )
    banned = select(literal(_BANNED), Ban.id, literal(0)).where(
        standing.ban_in_force(viewer, site_id, bindparam("now"))
    )
    choice = sql_cast(NotificationSettings.reply_emails, Integer)  # as the votes' column
    emails = select(literal(_EMAILS), NotificationSettings.reader_id, choice).where(
        NotificationSettings.reader_id == viewer
    )
    parts: tuple[Select[str, int, int], ...] = (votes, pending, reported, banned, emails)
    if outer:
        parts = tuple(part.correlate(*outer) for part in parts)
    rows = union_all(*parts).subquery()
    line = rows.c.kind + ":" + sql_cast(rows.c.id, String) + ":" + sql_cast(rows.c.value, String)
    return (
        select(func.aggregate_strings(line, ";")).scalar_subquery().label("stake"),
        policies.packed_numbers_and_acceptances(site_id, viewer, outer).label("stake_policies"),
    )


# The one statement of _viewer_stake, with the viewer, thread, site and time as
# parameters: built once, since building it costs more than running it.
_STAKE = select(
    *_packed_stake(
        bindparam("reader_id", type_=Integer),
        bindparam("thread_id", type_=Integer),
        bindparam("site_id", type_=Integer),
    )
)


def stake_alongside(statement: Select[*tuple[Any, ...]]) -> Select[*tuple[Any, ...]]:
    """statement, which reads a Site, its Thread and a ReaderSession (sessions.alongside),
    with the stake of the session's reader in the thread as two more columns: a page's
    first query reads it, so the stake costs no round trip of its own (see
    preload_stake). The time a ban is in force at is the "now" parameter."""
    outer = (Site, Thread, ReaderSession)
    columns = _packed_stake(ReaderSession.reader_id, Thread.id, Site.id, outer)
    return statement.add_columns(*columns)


_PRELOADED = "preloaded_stakes"


def preload_stake(viewer_id: int, thread_id: int, packed: Sequence[str | None]) -> None:
    """This request read the viewer's stake in the thread with a statement of its own
    (stake_alongside: packed is its two columns): read_thread takes it from there, once."""
    g.setdefault(_PRELOADED, {})[(viewer_id, thread_id)] = (packed[0], packed[1])


def _viewer_stake(thread: Thread, viewer_id: int) -> _Stake:
    """The viewer's stake in the thread: read with the thread (preload_stake), else in
    one statement."""
    packed = g.get(_PRELOADED, {}).pop((viewer_id, thread.id), None)
    if packed is None:
        params = {
            "reader_id": viewer_id,
            "thread_id": thread.id,
            "site_id": thread.site_id,
            "now": utcnow(),
        }
        # On the connection: a Core statement needs none of the ORM's handling of results.
        packed = db.session.connection().execute(_STAKE, params).one()
    found: dict[int, int] = {}
    waiting, banned, emails, flagged = False, False, False, set()
    for line in (packed[0] or "").split(";"):
        if not line:
            continue
        kind, key, value = line.split(":")
        if kind == _VOTE:
            found[int(key)] = int(value)
        elif kind == _PENDING:
            waiting = True
        elif kind == _REPORTED:
            flagged.add(int(key))
        elif kind == _BANNED:
            banned = True
        elif kind == _EMAILS:
            emails = value != "0"
    to_accept = tuple(policies.pending_among(policies.unpacked(packed[1]), thread.site_id))
    return _Stake(found, waiting, frozenset(flagged), banned, emails, to_accept)


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

    Everyone's page is kept per thread version; a signed-in viewer adds one query for
    their stake (votes, reports, pending comments, ban, e-mail choice), sees the
    subtrees holding their own comments or votes as their own copies, and, with a
    pending comment of their own, has their page read in full.
    Deleted comments stay as placeholders only where visible replies hang below them.

    :raises Invalid: a malformed cursor.
    """
    after = _read_cursor(cursor) if cursor else None  # refused before any lookup
    stake = _viewer_stake(thread, viewer_id) if viewer_id is not None else _NO_STAKE
    window = timedelta(seconds=site.edit_window_seconds)
    if stake.pending:
        rows = _rows(thread, viewer_id, sort, after, page_size)
        own = _tree(rows, viewer_id, window, utcnow(), stake.votes)
        more = rows.more and bool(rows.tops)
        next_cursor = _encode_cursor(rows.tops[-1], sort) if more else None
        return ThreadPage(own, next_cursor, sort, stake.reported, None, stake)
    shared = _shared_page(thread, sort, after, page_size)
    if viewer_id is None or (
        viewer_id not in shared.all_authors and shared.all_ids.isdisjoint(stake.votes)
    ):
        # No stake anywhere on the page (most readers of most pages): everyone's page.
        return ThreadPage(
            list(shared.views),
            shared.next_cursor,
            sort,
            stake.reported,
            list(shared.subtrees),
            stake,
            shared.key,
            shared.all_ids,
        )
    comments: list[CommentView] = []
    subtrees: list[Subtree | None] = []
    for view, ids, authors, key in zip(
        shared.views, shared.ids, shared.authors, shared.shown, strict=True
    ):
        if viewer_id is not None and (viewer_id in authors or not ids.isdisjoint(stake.votes)):
            comments.append(shared.personal(view, viewer_id, stake.votes, window))
            subtrees.append(None)
        else:
            comments.append(view)
            subtrees.append((key, ids))
    return ThreadPage(
        comments, shared.next_cursor, sort, stake.reported, subtrees, stake, shared.key
    )


def _keep(view: CommentView) -> bool:
    """Drop deleted placeholders with nothing visible below them, depth first."""
    view.replies = [r for r in view.replies if _keep(r)]
    return not view.is_deleted or bool(view.replies)


def _comment_statement(viewer: bool) -> Select[Any]:
    """read_comment's statement: :comment_id's subtree from its root, if in :thread_id."""
    root_of = (
        select(func.coalesce(Comment.root_id, Comment.id))
        .where(
            Comment.id == bindparam("comment_id", type_=Integer),
            Comment.thread_id == bindparam("thread_id", type_=Integer),
        )
        .scalar_subquery()
    )
    return (
        select(*_columns(viewer))
        .select_from(Comment)
        .outerjoin(Reader, Reader.id == Comment.author_id)
        .where(or_(Comment.id == root_of, Comment.root_id == root_of), _visible(viewer))
        .order_by(Comment.id)
    )


_COMMENT_STATEMENT = {viewer: _comment_statement(viewer) for viewer in (False, True)}


def read_comment(
    thread: Thread, site: Site, viewer_id: int | None, comment_id: int
) -> CommentView | None:
    """One comment of the thread with its visible replies, as read_thread shows it to
    this viewer; None if the viewer cannot see it (or it is a deleted placeholder with
    nothing visible below it)."""
    params = {"comment_id": comment_id, "thread_id": thread.id, "viewer_id": viewer_id}
    now = utcnow()
    window = timedelta(seconds=site.edit_window_seconds)
    by_id: dict[int, CommentView] = {}
    statement = _COMMENT_STATEMENT[viewer_id is not None]
    for fetched in db.session.connection().execute(statement, params):
        row = CommentRow(*fetched)
        view = _view(row, viewer_id, window, now)
        by_id[view.id] = view
        parent = by_id.get(row.parent_id or 0)
        if parent is not None:
            parent.replies.append(view)
    found = by_id.get(comment_id)
    return found if found is not None and _keep(found) else None
