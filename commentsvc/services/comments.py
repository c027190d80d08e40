"""Threads and comments: reading pages of a thread, posting, editing, deleting, voting."""

from __future__ import annotations

import base64
import binascii
import enum
import json
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from flask_babel import lazy_gettext as _l
from sqlalchemy import and_, bindparam, delete, false, func, literal, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.sql import ColumnElement

from commentsvc.extensions import db, utcnow
from commentsvc.models import Comment, CommentStatus, Reader, Site, Thread, Vote
from commentsvc.sanitize import render_comment
from commentsvc.services import notifications, rules, sites
from commentsvc.services.identity import InvalidInput

BODY_MAX = 10_000
KEY_MAX = 200
TITLE_MAX = 300
URL_MAX = 2000
PAGE_SIZE = 50
# Larger ids or cursor values cannot name a row (SQLite raises OverflowError on them).
INT_MAX = 2**63 - 1
# Replies are stored at any depth; the page indents at most this far.
DISPLAY_DEPTH = 4


class Sort(enum.StrEnum):
    OLDEST = "oldest"
    NEWEST = "newest"
    TOP = "top"


class CommentRefused(Exception):
    """The action is not allowed; status is the HTTP status that fits, message is for the reader."""

    status = 403

    def __init__(self, message: object = "") -> None:
        super().__init__(str(message))


class NotFound(CommentRefused):
    status = 404


class NotAllowed(CommentRefused):
    status = 403


class Conflict(CommentRefused):
    status = 409


class Rejected(CommentRefused):
    """Refused by the site's rules (banned words); the reader may rephrase."""

    status = 422


# --- threads ---------------------------------------------------------------------------


def _check_key(key: str) -> str:
    if not 1 <= len(key) <= KEY_MAX or any(unicodedata.category(c)[0] == "C" for c in key):
        raise InvalidInput(_l("A thread key is 1 to 200 visible characters."), "key")
    return key


# Built once: every thread read starts with this query, and building the
# expression costs more than running it.
_FIND_THREAD = (
    select(Site, Thread)
    .outerjoin(Thread, and_(Thread.site_id == Site.id, Thread.key == bindparam("key")))
    .where(Site.slug == bindparam("slug"))
)


def find_thread(site_slug: str, key: str) -> tuple[Site, Thread | None] | None:
    """The site and, if it exists yet, the thread: one query. None if there is no such site."""
    row = db.session.execute(_FIND_THREAD, {"key": key, "slug": site_slug}).first()
    if row is None:
        return None
    return row[0], row[1]


def find_existing_thread(site_slug: str, key: str) -> tuple[Site, Thread] | None:
    """The site and thread, or None if either does not exist."""
    found = find_thread(site_slug, key)
    if found is None or found[1] is None:
        return None
    return found[0], found[1]


def create_thread(site: Site, key: str, title: str, url: str) -> Thread:
    """Create the thread on its first view, with the title and URL from the snippet.

    :raises InvalidInput: the key is malformed, or the URL is not on one of the site's origins.
    """
    _check_key(key)
    if len(url) > URL_MAX or not sites.url_is_on_site(site, url):
        raise InvalidInput(_l("The article URL is not on one of the site's origins."), "url")
    thread = Thread(site_id=site.id, key=key, title=" ".join(title.split())[:TITLE_MAX], url=url)
    db.session.add(thread)
    try:
        db.session.commit()
    except IntegrityError:
        # Two first views at once: the other one created it.
        db.session.rollback()
        found = find_thread(site.slug, key)
        if found is None or found[1] is None:
            raise
        return found[1]
    return thread


def set_locked(thread: Thread, locked: bool) -> None:
    thread.locked = locked
    thread.version += 1
    db.session.commit()


# --- reading ---------------------------------------------------------------------------


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


def _encode_cursor(comment: Comment, sort: Sort) -> str:
    values = (
        [int(comment.pinned), comment.id]
        if sort is not Sort.TOP
        else [int(comment.pinned), comment.score, comment.id]
    )
    return base64.urlsafe_b64encode(json.dumps(values).encode()).decode().rstrip("=")


def _after_cursor(cursor: str, sort: Sort) -> ColumnElement[bool]:
    """The keyset condition for rows after cursor in sort order.

    :raises InvalidInput: a cursor that was not made by this code for this sort.
    """
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        values = json.loads(raw)
    except (binascii.Error, ValueError, UnicodeDecodeError) as exc:
        raise InvalidInput(_l("That page link is not valid."), "cursor") from exc
    size = 3 if sort is Sort.TOP else 2
    if (
        not isinstance(values, list)
        or len(values) != size
        or not all(isinstance(v, int) and not isinstance(v, bool) for v in values)
        or not all(abs(v) <= INT_MAX for v in values)
        or values[0] not in (0, 1)
    ):
        raise InvalidInput(_l("That page link is not valid."), "cursor")
    pinned = values[0] == 1
    later_pin = (Comment.pinned == false()) if pinned else false()
    same_pin = Comment.pinned == pinned
    if sort is Sort.OLDEST:
        rest: ColumnElement[bool] = Comment.id > values[1]
    elif sort is Sort.NEWEST:
        rest = Comment.id < values[1]
    else:
        score, last_id = values[1], values[2]
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

    :raises InvalidInput: a malformed cursor.
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


def _check_body(body: str) -> tuple[str, str]:
    text = body.replace("\r\n", "\n").strip()
    if not text:
        raise InvalidInput(_l("Write something before you post."), "body")
    if len(text) > BODY_MAX:
        raise InvalidInput(
            _l(
                "A comment can be at most %(n)d characters long (yours has %(len)d).",
                n=BODY_MAX,
                len=len(text),
            ),
            "body",
        )
    if "\x00" in text:
        raise InvalidInput(_l("The comment contains characters that cannot be used."), "body")
    return text, render_comment(text)


def _bump(thread_id: int, approved_delta: int = 0) -> None:
    db.session.execute(
        update(Thread)
        .where(Thread.id == thread_id)
        .values(version=Thread.version + 1, comment_count=Thread.comment_count + approved_delta)
    )


def post_comment(
    reader: Reader,
    thread: Thread,
    site: Site,
    body: str,
    parent_id: int | None = None,
    signals: Sequence[rules.Hold] = (),
) -> Comment:
    """Post a comment or reply; held as pending when the site's rules say so (see
    services.rules), with the reasons stored for the moderators. signals are hold
    reasons found by the view (e.g. the form's honeypot).

    :raises NotAllowed: unverified, banned or suspended reader; locked or closed thread.
    :raises Rejected: banned words.
    :raises NotFound: the parent is not a visible comment of this thread.
    :raises InvalidInput: empty or over-long body.
    """
    if not reader.is_verified:
        raise NotAllowed(_l("Verify your e-mail address before you comment."))
    if thread.locked:
        raise NotAllowed(_l("This thread is locked: no new comments."))
    refusal = rules.posting_refusal(reader, site, thread)
    if refusal:
        raise NotAllowed(refusal)
    source, html = _check_body(body)
    parent = None
    if parent_id is not None:
        parent = get_comment(parent_id)
        if (
            parent is None
            or parent.thread_id != thread.id
            or parent.status != CommentStatus.APPROVED
        ):
            raise NotFound(_l("The comment you replied to is not available."))
    verdict = rules.assess(reader, site, source, html, list(signals))
    if verdict.refusal:
        raise Rejected(verdict.refusal)
    held = bool(verdict.holds)
    comment = Comment(
        thread_id=thread.id,
        parent_id=parent.id if parent else None,
        root_id=(parent.root_id or parent.id) if parent else None,
        depth=parent.depth + 1 if parent else 0,
        author_id=reader.id,
        body_source=source,
        body_html=html,
        status=CommentStatus.PENDING if held else CommentStatus.APPROVED,
    )
    db.session.add(comment)
    db.session.flush()
    if held:
        rules.store_holds(comment.id, verdict.holds)
    else:
        notifications.comment_published(comment)
    _bump(thread.id, 0 if held else 1)
    db.session.commit()
    return comment


def _own_comment(reader: Reader, comment_id: int) -> tuple[Comment, Thread]:
    comment = get_comment(comment_id)
    if comment is None or comment.status in (CommentStatus.REJECTED, CommentStatus.SPAM):
        raise NotFound(_l("There is no such comment."))
    if comment.author_id != reader.id:
        raise NotAllowed(_l("You can only change your own comments."))
    if comment.status == CommentStatus.DELETED:
        raise NotFound(_l("This comment was deleted."))
    return comment, comment.thread


def edit_comment(reader: Reader, comment_id: int, body: str) -> Comment:
    """Change the text of one's own comment within the site's edit window.

    :raises NotFound: no such comment. :raises NotAllowed: someone else's, or too late.
    :raises InvalidInput: empty or over-long body.
    """
    comment, thread = _own_comment(reader, comment_id)
    window = timedelta(seconds=thread.site.edit_window_seconds)
    if utcnow() - comment.created_at > window:
        raise NotAllowed(_l("The time to edit this comment is over."))
    if thread.locked:
        raise NotAllowed(_l("This thread is locked: no new comments."))
    refusal = rules.posting_refusal(reader, thread.site, thread)
    if refusal:
        raise NotAllowed(refusal)
    comment.body_source, comment.body_html = _check_body(body)
    # An edit meets the same rules as a new comment: it may go back to the queue.
    verdict = rules.assess(reader, thread.site, comment.body_source, comment.body_html, [])
    if verdict.refusal:
        db.session.rollback()
        raise Rejected(verdict.refusal)
    requeued = bool(verdict.holds) and comment.status == CommentStatus.APPROVED
    if verdict.holds and comment.status in (CommentStatus.APPROVED, CommentStatus.PENDING):
        comment.status = CommentStatus.PENDING
        rules.store_holds(comment.id, verdict.holds)
    comment.edited_at = utcnow()
    _bump(thread.id, -1 if requeued else 0)
    db.session.commit()
    return comment


def delete_comment(reader: Reader, comment_id: int) -> None:
    """Delete one's own comment, leaving a placeholder so its replies keep their place.

    :raises NotFound: no such comment. :raises NotAllowed: someone else's.
    """
    comment, _thread = _own_comment(reader, comment_id)
    _tombstone(comment)
    db.session.commit()


def _tombstone(comment: Comment) -> None:
    was_approved = comment.status == CommentStatus.APPROVED
    comment.status = CommentStatus.DELETED
    comment.body_source = ""
    comment.body_html = ""
    _bump(comment.thread_id, -1 if was_approved else 0)


def touch_threads_of(reader_id: int) -> None:
    """Bump the version of every thread the reader commented in (e.g. after a rename).

    Runs inside the caller's transaction.
    """
    db.session.execute(
        update(Thread)
        .where(Thread.id.in_(select(Comment.thread_id).where(Comment.author_id == reader_id)))
        .values(version=Thread.version + 1)
    )


def anonymise_author(reader_id: int) -> None:
    """Turn every comment of a reader into an anonymous placeholder (account deletion).

    Runs inside the caller's transaction.
    """
    for comment in db.session.scalars(
        select(Comment).where(
            Comment.author_id == reader_id, Comment.status != CommentStatus.DELETED
        )
    ):
        _tombstone(comment)
    db.session.execute(update(Comment).where(Comment.author_id == reader_id).values(author_id=None))


def vote(reader: Reader, comment_id: int, value: int) -> int:
    """Set the reader's vote on a comment to +1, -1 or 0 (none); return the new score.

    :raises NotFound: not an approved comment. :raises NotAllowed: own comment,
        unverified reader, or locked thread. :raises InvalidInput: another value.
    """
    if value not in (-1, 0, 1):
        raise InvalidInput(_l("A vote is +1, -1 or 0."), "value")
    if not reader.is_verified:
        raise NotAllowed(_l("Verify your e-mail address before you vote."))
    comment = get_comment(comment_id)
    if comment is None or comment.status != CommentStatus.APPROVED:
        raise NotFound(_l("There is no such comment."))
    if comment.author_id == reader.id:
        raise NotAllowed(_l("You cannot vote on your own comment."))
    if comment.thread.locked:
        raise NotAllowed(_l("This thread is locked: no new comments."))
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
    _bump(comment.thread_id)
    try:
        db.session.commit()
    except IntegrityError as exc:
        # The same reader voting twice at the same instant: the other vote stands.
        db.session.rollback()
        raise Conflict(_l("Your vote was already counted.")) from exc
    return score


_COUNTS = (
    select(Site.origins, Thread.key, Thread.comment_count)
    .outerjoin(
        Thread,
        and_(Thread.site_id == Site.id, Thread.key.in_(bindparam("keys", expanding=True))),
    )
    .where(Site.slug == bindparam("slug"))
)


@dataclass(frozen=True)
class SiteCounts:
    origins: list[str]
    counts: dict[str, int]


def counts(site_slug: str, keys: list[str]) -> SiteCounts | None:
    """Approved comment counts for many threads of a site (0 for unknown keys), with the
    site's origins; None if there is no such site. One query."""
    wanted = [k for k in dict.fromkeys(keys) if 1 <= len(k) <= KEY_MAX]
    rows = db.session.execute(_COUNTS, {"slug": site_slug, "keys": wanted}).all()
    if not rows:
        return None
    found = {key: count for _origins, key, count in rows if key is not None}
    return SiteCounts(list(rows[0][0]), {k: found.get(k, 0) for k in wanted})


def get_comment(comment_id: int) -> Comment | None:
    """The comment with this id, or None (also for ids too large for any row)."""
    if not 0 < comment_id <= INT_MAX:
        return None
    return db.session.get(Comment, comment_id)
