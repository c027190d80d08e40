"""A reader's record as one moderator may see it: their comments on the moderator's
sites, newest first, with what became of each and the reports against it."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import func, select

from commentsvc.accounts.models import Reader
from commentsvc.comments.models import Comment, Report, Site, Thread
from commentsvc.comments.threads import INT_MAX
from commentsvc.core.extensions import db
from commentsvc.moderation import moderators
from commentsvc.moderation.models import AuditEntry

RECENT = 20
PAGE_SIZE = 50


@dataclass
class PastComment:
    comment: Comment
    thread: Thread
    site: Site
    decision: AuditEntry | None  # the latest decision on it, if any
    reports: int
    open_reports: int


@dataclass
class History:
    comments: list[PastComment]
    next_before: int | None  # the id to page on from, when there are older ones
    reports: int  # reports against all their comments on the moderator's sites
    open_reports: int


def comments_of(
    moderator: Reader, reader: Reader, before: int | None = None, limit: int = RECENT
) -> History:
    """The reader's comments on the moderator's sites, newest first, limit at a time
    before the comment id `before` (keyset paging on the author index)."""
    site_ids = moderators.site_ids_for(moderator)
    stmt = (
        select(Comment, Thread, Site)
        .join(Thread, Thread.id == Comment.thread_id)
        .join(Site, Site.id == Thread.site_id)
        .where(Comment.author_id == reader.id)
    )
    if site_ids is not None:
        stmt = stmt.where(Thread.site_id.in_(site_ids))
    if before is not None:
        stmt = stmt.where(Comment.id < min(max(before, 0), INT_MAX))
    rows = db.session.execute(stmt.order_by(Comment.id.desc()).limit(limit + 1)).all()
    more = len(rows) > limit
    rows = rows[:limit]
    ids = [c.id for c, _, _ in rows]
    decisions = _latest_decisions(ids)
    per_comment = _report_counts(ids)
    reports, open_reports = _reports_against(reader, site_ids)
    comments = [
        PastComment(c, t, s, decisions.get(c.id), *per_comment.get(c.id, (0, 0)))
        for c, t, s in rows
    ]
    return History(comments, rows[-1][0].id if more and rows else None, reports, open_reports)


def _latest_decisions(ids: list[int]) -> dict[int, AuditEntry]:
    if not ids:
        return {}
    latest = (
        select(func.max(AuditEntry.id))
        .where(
            AuditEntry.target_type == "comment",
            AuditEntry.target_id.in_(ids),
            AuditEntry.status_after != "",
        )
        .group_by(AuditEntry.target_id)
    )
    entries = db.session.scalars(select(AuditEntry).where(AuditEntry.id.in_(latest)))
    return {e.target_id: e for e in entries if e.target_id is not None}


def _report_counts(ids: list[int]) -> dict[int, tuple[int, int]]:
    if not ids:
        return {}
    return {
        comment_id: (int(total), int(still_open or 0))
        for comment_id, total, still_open in db.session.execute(
            select(
                Report.comment_id,
                func.count(Report.id),
                func.count(Report.id).filter(Report.resolved_at.is_(None)),
            )
            .where(Report.comment_id.in_(ids))
            .group_by(Report.comment_id)
        )
    }


def _reports_against(reader: Reader, site_ids: list[int] | None) -> tuple[int, int]:
    stmt = (
        select(
            func.count(Report.id),
            func.count(Report.id).filter(Report.resolved_at.is_(None)),
        )
        .join(Comment, Comment.id == Report.comment_id)
        .join(Thread, Thread.id == Comment.thread_id)
        .where(Comment.author_id == reader.id)
    )
    if site_ids is not None:
        stmt = stmt.where(Thread.site_id.in_(site_ids))
    total, still_open = db.session.execute(stmt).one()
    return int(total or 0), int(still_open or 0)
