"""What moderators read: the queue of pending comments, reported comments, a thread's
comments and recent decisions, each with the context needed to decide."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from markupsafe import Markup
from sqlalchemy import (
    ColumnElement,
    Select,
    SQLColumnExpression,
    case,
    column,
    func,
    literal_column,
    select,
    table,
)

from commentsvc.accounts.models import Reader
from commentsvc.comments import reports, search
from commentsvc.comments.models import Comment, CommentStatus, Report, Site, Thread
from commentsvc.comments.threads import INT_MAX
from commentsvc.core.extensions import db, utcnow
from commentsvc.moderation import decisions, highlight, moderators, rules
from commentsvc.moderation.models import AuditEntry, CommentHold, HoldReason, TrustMark

PAGE_SIZE = 25
SEARCH_MAX = 200


@dataclass
class QueueFilters:
    site_id: int | None = None
    thread_id: int | None = None
    reason: str | None = None
    author_id: int | None = None
    text: str = ""


@dataclass
class AuthorInfo:
    id: int
    name: str
    member_since: datetime
    approved: int
    rejected: int
    trusted: bool
    banned: str | None  # the reason the reader sees, when banned or suspended


@dataclass
class QueueItem:
    comment: Comment
    thread: Thread
    site: Site
    author: AuthorInfo | None
    parent: Comment | None
    parent_author: str | None
    holds: list[CommentHold] = field(default_factory=list)
    reports: list[Report] = field(default_factory=list)
    # The cleaned HTML with the words of the site's lists (and held-for links) marked.
    body: Markup = field(default_factory=Markup)


@dataclass
class QueuePage:
    items: list[QueueItem]
    next_after: int | None


def _visible(moderator: Reader) -> ColumnElement[bool] | None:
    site_ids = moderators.site_ids_for(moderator)
    return Thread.site_id.in_(site_ids) if site_ids is not None else None


def _filtered(
    stmt: Select[Comment, Thread, Site], moderator: Reader, filters: QueueFilters
) -> Select[Comment, Thread, Site]:
    visible = _visible(moderator)
    if visible is not None:
        stmt = stmt.where(visible)
    if filters.site_id is not None:
        stmt = stmt.where(Thread.site_id == filters.site_id)
    if filters.thread_id is not None:
        stmt = stmt.where(Comment.thread_id == filters.thread_id)
    if filters.author_id is not None:
        stmt = stmt.where(Comment.author_id == filters.author_id)
    if filters.reason:
        stmt = stmt.where(
            select(CommentHold.id)
            .where(CommentHold.comment_id == Comment.id, CommentHold.reason == filters.reason)
            .exists()
        )
    return stmt


_FTS = table(search.TABLE, column("rowid"), column(search.TABLE))
_PG_VECTOR: ColumnElement[str] = literal_column(search.pg_vector("comment."))


def _searched(
    stmt: Select[Comment, Thread, Site], text: str
) -> tuple[Select[Comment, Thread, Site], SQLColumnExpression[int]]:
    """Pending comments with every word of text, and the column to page them by (the
    comment id)."""
    found = search.query_words(text[:SEARCH_MAX])
    if not found:
        return stmt, Comment.id
    if db.session.get_bind().dialect.name == "postgresql":
        # Spelt as the GIN index is: the planner reads the index for rare words, and
        # walks the queue in id order for common ones.
        query = func.plainto_tsquery(literal_column("'simple'::regconfig"), " ".join(found))
        return stmt.where(_PG_VECTOR.bool_op("@@")(query)), Comment.id
    # SQLite: driven by the FTS5 table, which yields its ids in order, so a page stops
    # after page_size matches (and an absent word costs one index look-up).
    stmt = stmt.join(_FTS, _FTS.c.rowid == Comment.id).where(
        _FTS.c[search.TABLE].op("MATCH")(search.fts5_query(found))
    )
    return stmt, _FTS.c.rowid


def _base() -> Select[Comment, Thread, Site]:
    return (
        select(Comment, Thread, Site)
        .join(Thread, Thread.id == Comment.thread_id)
        .join(Site, Site.id == Thread.site_id)
    )


def pending(
    moderator: Reader,
    filters: QueueFilters,
    after: int | None = None,
    page_size: int = PAGE_SIZE,
) -> QueuePage:
    """Pending comments, oldest first, page_size at a time after the comment id `after`.

    Keyset paging on the (status, id) index: a deep page costs what the first one does.
    A text search (filters.text) uses the index of pending comments' words.
    """
    stmt = _filtered(_base().where(Comment.status == CommentStatus.PENDING), moderator, filters)
    stmt, key = _searched(stmt, filters.text)
    if after is not None:
        stmt = stmt.where(key > min(max(after, 0), INT_MAX))
    rows = db.session.execute(stmt.order_by(key).limit(page_size + 1)).all()
    more = len(rows) > page_size
    rows = rows[:page_size]
    items = decorate([(c, t, s) for c, t, s in rows])
    return QueuePage(items, rows[-1][0].id if more and rows else None)


def reported(moderator: Reader, site_id: int | None = None, after: int | None = None) -> QueuePage:
    """Comments with open reports (published, or back in the queue), oldest report first."""
    first_report = (
        select(Report.comment_id, func.min(Report.id).label("first"))
        .where(Report.resolved_at.is_(None))
        .group_by(Report.comment_id)
        .subquery()
    )
    stmt = _filtered(
        _base()
        .join(first_report, first_report.c.comment_id == Comment.id)
        .where(Comment.status.in_((CommentStatus.APPROVED, CommentStatus.PENDING))),
        moderator,
        QueueFilters(site_id=site_id),
    )
    if after is not None:
        stmt = stmt.where(first_report.c.first > after)
    rows = db.session.execute(
        stmt.add_columns(first_report.c.first).order_by(first_report.c.first).limit(PAGE_SIZE + 1)
    ).all()
    more = len(rows) > PAGE_SIZE
    rows = rows[:PAGE_SIZE]
    items = decorate([(c, t, s) for c, t, s, _ in rows])
    return QueuePage(items, rows[-1][3] if more and rows else None)


def in_thread(moderator: Reader, thread: Thread, before: int | None = None) -> QueuePage:
    """A thread's published and pending comments, newest first (to pin, unpin or remove)."""
    moderators.check_site(moderator, thread.site_id)
    stmt = _base().where(
        Comment.thread_id == thread.id,
        Comment.status.in_((CommentStatus.APPROVED, CommentStatus.PENDING)),
    )
    if before is not None:
        stmt = stmt.where(Comment.id < min(max(before, 0), INT_MAX))
    rows = db.session.execute(stmt.order_by(Comment.id.desc()).limit(PAGE_SIZE + 1)).all()
    more = len(rows) > PAGE_SIZE
    rows = rows[:PAGE_SIZE]
    items = decorate([(c, t, s) for c, t, s in rows])
    return QueuePage(items, rows[-1][0].id if more and rows else None)


def _author_infos(pairs: set[tuple[int, int]]) -> dict[tuple[int, int], AuthorInfo]:
    """AuthorInfo per (author id, site id), in a few grouped queries."""
    if not pairs:
        return {}
    author_ids = {a for a, _ in pairs}
    site_ids = {s for _, s in pairs}
    readers = {r.id: r for r in db.session.scalars(select(Reader).where(Reader.id.in_(author_ids)))}
    tallies: dict[tuple[int, int, str], int] = {
        (a, s, status): n
        for a, s, status, n in db.session.execute(
            select(Comment.author_id, Thread.site_id, Comment.status, func.count(Comment.id))
            .join(Thread, Thread.id == Comment.thread_id)
            .where(
                Comment.author_id.in_(author_ids),
                Thread.site_id.in_(site_ids),
                Comment.status.in_(
                    (CommentStatus.APPROVED, CommentStatus.REJECTED, CommentStatus.SPAM)
                ),
            )
            .group_by(Comment.author_id, Thread.site_id, Comment.status)
        )
        if a is not None
    }
    marks = {
        (a, s): trusted
        for a, s, trusted in db.session.execute(
            select(TrustMark.reader_id, TrustMark.site_id, TrustMark.trusted).where(
                TrustMark.reader_id.in_(author_ids)
            )
        )
    }
    sites = {s.id: s for s in db.session.scalars(select(Site).where(Site.id.in_(site_ids)))}
    bans = rules.active_bans(author_ids)
    infos = {}
    for author_id, site_id in pairs:
        reader = readers.get(author_id)
        if reader is None:
            continue
        site = sites[site_id]
        approved = tallies.get((author_id, site_id, CommentStatus.APPROVED), 0)
        mark = marks.get((author_id, site_id))
        trusted = (
            mark if mark is not None else (site.trust_after > 0 and approved >= site.trust_after)
        )
        ban = rules.strongest(
            [b for b in bans if b.reader_id == author_id and b.site_id in (None, site_id)]
        )
        infos[(author_id, site_id)] = AuthorInfo(
            id=reader.id,
            name=reader.display_name,
            member_since=reader.created_at,
            approved=approved,
            rejected=tallies.get((author_id, site_id, CommentStatus.REJECTED), 0)
            + tallies.get((author_id, site_id, CommentStatus.SPAM), 0),
            trusted=bool(trusted),
            banned=rules.ban_message(ban, site) if ban else None,
        )
    return infos


def decorate(rows: list[tuple[Comment, Thread, Site]]) -> list[QueueItem]:
    """Add authors, parents, hold reasons and open reports to comments, query by query
    for the whole page (never one query per comment)."""
    if not rows:
        return []
    ids = [c.id for c, _, _ in rows]
    pairs = {(c.author_id, s.id) for c, _, s in rows if c.author_id is not None}
    authors = _author_infos(pairs)
    parent_ids = {c.parent_id for c, _, _ in rows if c.parent_id is not None}
    parents = {
        p.id: (p, name)
        for p, name in db.session.execute(
            select(Comment, func.coalesce(Reader.display_name, Comment.imported_name))
            .outerjoin(Reader, Reader.id == Comment.author_id)
            .where(Comment.id.in_(parent_ids))
        )
    }
    holds: dict[int, list[CommentHold]] = {}
    for hold in db.session.scalars(
        select(CommentHold).where(CommentHold.comment_id.in_(ids)).order_by(CommentHold.id)
    ):
        holds.setdefault(hold.comment_id, []).append(hold)
    open_reports = reports.reports_for(ids)
    items = []
    for comment, thread, site in rows:
        parent, parent_author = parents.get(comment.parent_id or 0, (None, None))
        comment_holds = holds.get(comment.id, [])
        items.append(
            QueueItem(
                comment=comment,
                thread=thread,
                site=site,
                author=authors.get((comment.author_id or 0, site.id)),
                parent=parent,
                parent_author=parent_author,
                holds=comment_holds,
                reports=open_reports.get(comment.id, []),
                body=_marked(comment, site, comment_holds),
            )
        )
    return items


def _marked(comment: Comment, site: Site, holds: list[CommentHold]) -> Markup:
    """The comment's HTML with what the hold rules look for marked: the words of the
    site's lists now, and its links when it was held for them."""
    links = any(h.reason == HoldReason.LINKS for h in holds)
    words = [*site.suspicious_words, *site.banned_words]
    return highlight.highlight(comment.body_html, words, links)


@dataclass
class DecidedItem:
    entry: AuditEntry
    comment: Comment | None
    thread: Thread | None
    undoable: bool


def recently_decided(moderator: Reader, limit: int = 100) -> list[DecidedItem]:
    """Decisions within the undo window on the moderator's sites, newest first."""
    since = utcnow() - decisions.undo_window()
    stmt = (
        select(AuditEntry)
        .where(
            AuditEntry.target_type == "comment",
            AuditEntry.action.in_([a.value for a in decisions.DECISION_ACTIONS]),
            AuditEntry.created_at >= since,
        )
        .order_by(AuditEntry.id.desc())
        .limit(limit)
    )
    site_ids = moderators.site_ids_for(moderator)
    if site_ids is not None:
        stmt = stmt.where(AuditEntry.site_id.in_(site_ids))
    entries = list(db.session.scalars(stmt))
    comment_ids = {e.target_id for e in entries if e.target_id is not None}
    found = {
        c.id: (c, t)
        for c, t in db.session.execute(
            select(Comment, Thread)
            .join(Thread, Thread.id == Comment.thread_id)
            .where(Comment.id.in_(comment_ids))
        )
    }
    latest: dict[int, int] = {}
    for entry_id, target_id in db.session.execute(
        select(func.max(AuditEntry.id), AuditEntry.target_id)
        .where(
            AuditEntry.target_type == "comment",
            AuditEntry.target_id.in_(comment_ids),
            AuditEntry.status_after != "",
        )
        .group_by(AuditEntry.target_id)
    ):
        if target_id is not None:
            latest[target_id] = entry_id
    items = []
    for entry in entries:
        comment, thread = found.get(entry.target_id or 0, (None, None))
        can_undo = (
            comment is not None
            and latest.get(comment.id) == entry.id
            and decisions.undoable(entry, comment.status)
        )
        items.append(DecidedItem(entry, comment, thread, can_undo))
    return items


HOLD_REASONS = list(HoldReason)


@dataclass(frozen=True)
class PendingState:
    """How the queue stands, for a page that tells its moderator new comments arrived."""

    pending: int  # pending comments in the scope
    newest: int  # the id of the newest of them; 0 when none
    new: int  # those newer than the comment id the page was rendered with
    sites: dict[str, int]  # pending per site slug (a site with none is left out)


def pending_state(moderator: Reader, site_id: int | None = None, since: int = 0) -> PendingState:
    """Pending comments on the moderator's sites (or on one of them): how many, the
    newest id, how many came after `since`, and how many per site.

    One query grouped per site, over pending comments only (the (status, thread_id)
    index finds them); threads and sites are joined by primary key.
    """
    since = min(max(since, 0), INT_MAX)
    stmt = (
        select(
            Site.slug,
            func.count(Comment.id),
            func.max(Comment.id),
            func.sum(case((Comment.id > since, 1), else_=0)),
        )
        .join(Thread, Thread.id == Comment.thread_id)
        .join(Site, Site.id == Thread.site_id)
        .where(Comment.status == CommentStatus.PENDING)
        .group_by(Site.slug)
    )
    visible = _visible(moderator)
    if visible is not None:
        stmt = stmt.where(visible)
    if site_id is not None:
        stmt = stmt.where(Thread.site_id == site_id)
    rows = db.session.execute(stmt).all()
    return PendingState(
        pending=sum(int(n) for _, n, _, _ in rows),
        newest=max((int(top) for _, _, top, _ in rows), default=0),
        new=sum(int(fresh or 0) for _, _, _, fresh in rows),
        sites={slug: int(n) for slug, n, _, _ in rows},
    )
