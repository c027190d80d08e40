"""Readers' reports of comments: once per reader per comment; enough of them send a
published comment back to the moderators' queue."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import selectinload

from commentsvc.accounts.models import Reader
from commentsvc.comments import lifecycle, threads
from commentsvc.comments.models import Comment, CommentStatus, Report, ReportReason
from commentsvc.core.errors import Conflict, Forbidden, Invalid, NotFound
from commentsvc.core.extensions import db
from commentsvc.moderation.models import AuditAction, Ban, HoldReason

TEXT_MAX = 1000


def report_comment(reader: Reader, comment_id: int, reason: str, text: str = "") -> Report:
    """Report a published comment. Past the site's threshold of readers it goes back to
    the queue, hidden until a moderator decides.

    :raises NotFound: not a published comment. :raises Forbidden: unverified reader,
        or their own comment. :raises Conflict: this reader already reported it.
    :raises Invalid: unknown reason, "other" without words, or text too long.
    """
    if not reader.is_verified:
        raise Forbidden(_l("Verify your e-mail address before you report a comment."))
    try:
        kind = ReportReason(reason)
    except ValueError as exc:
        raise Invalid(_l("Choose why you are reporting this comment."), "reason") from exc
    text = text.replace("\r\n", "\n").strip()
    if kind is ReportReason.OTHER and not text:
        raise Invalid(_l("Tell us what is wrong with this comment."), "text")
    if len(text) > TEXT_MAX:
        raise Invalid(_l("A report can be at most %(n)d characters long.", n=TEXT_MAX), "text")
    comment = threads.get_comment(comment_id)
    if comment is None or comment.status != CommentStatus.APPROVED:
        raise NotFound(_l("There is no such comment."))
    if comment.author_id == reader.id:
        raise Forbidden(_l("You cannot report your own comment."))
    report = Report(comment_id=comment.id, reader_id=reader.id, reason=kind, text=text)
    db.session.add(report)
    try:
        db.session.flush()
    except IntegrityError as exc:
        db.session.rollback()
        raise Conflict(_l("You already reported this comment.")) from exc
    _requeue_if_reported(comment)
    db.session.commit()
    return report


def _requeue_if_reported(comment: Comment) -> None:
    site = comment.thread.site
    count = open_report_count(comment.id)
    if count < site.report_threshold:
        return
    lifecycle.transition(
        comment,
        CommentStatus.APPROVED,
        CommentStatus.PENDING,
        actor=None,
        action=AuditAction.REQUEUE,
        holds=[(HoldReason.REPORTED, str(count))],
        details={"open_reports": count},
    )


def open_report_count(comment_id: int) -> int:
    return (
        db.session.scalar(
            select(func.count(Report.id)).where(
                Report.comment_id == comment_id, Report.resolved_at.is_(None)
            )
        )
        or 0
    )


def reported_ids(reader_id: int, thread_id: int) -> set[int]:
    """The comments of a thread this reader has reported (to show "you reported this")."""
    return set(
        db.session.scalars(
            select(Report.comment_id)
            .join(Comment, Comment.id == Report.comment_id)
            .where(Report.reader_id == reader_id, Comment.thread_id == thread_id)
        )
    )


def reports_for(comment_ids: list[int], open_only: bool = True) -> dict[int, list[Report]]:
    """Reports of these comments, oldest first, with their reporters loaded."""
    if not comment_ids:
        return {}
    stmt = (
        select(Report)
        .options(selectinload(Report.reader))
        .where(Report.comment_id.in_(comment_ids))
        .order_by(Report.id)
    )
    if open_only:
        stmt = stmt.where(Report.resolved_at.is_(None))
    found: dict[int, list[Report]] = {}
    for report in db.session.scalars(stmt):
        found.setdefault(report.comment_id, []).append(report)
    return found


def export_for_reader(reader: Reader) -> dict[str, object]:
    """The reports the reader made and the bans put on them, for their data export."""
    reports = db.session.scalars(
        select(Report).where(Report.reader_id == reader.id).order_by(Report.id)
    )
    bans = db.session.scalars(select(Ban).where(Ban.reader_id == reader.id).order_by(Ban.id))
    return {
        "reports": [
            {
                "comment_id": r.comment_id,
                "reason": r.reason,
                "text": r.text,
                "created_at": r.created_at.isoformat(),
            }
            for r in reports
        ],
        "bans": [
            {
                "kind": b.kind,
                "site": b.site.slug if b.site else None,
                "reason": b.reason,
                "created_at": b.created_at.isoformat(),
                "until": b.until.isoformat() if b.until else None,
                "lifted_at": b.lifted_at.isoformat() if b.lifted_at else None,
            }
            for b in bans
        ],
    }
