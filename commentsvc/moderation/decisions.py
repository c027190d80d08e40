"""Moderators' decisions: approve, reject, mark as spam or delete (alone, in bulk, or all
of an author's pending comments), undo, pin and lock; each one lands in the audit log."""

from __future__ import annotations

import enum
from collections.abc import Sequence
from datetime import timedelta

from flask import current_app
from flask_babel import lazy_gettext as _l
from sqlalchemy import select, update

from commentsvc.accounts.models import Reader
from commentsvc.comments import lifecycle, threads
from commentsvc.comments.models import Comment, CommentStatus, Report, Thread
from commentsvc.core.errors import Invalid, ServiceError
from commentsvc.core.extensions import db, utcnow
from commentsvc.moderation import audit
from commentsvc.moderation.models import AuditAction, AuditEntry
from commentsvc.moderation.moderators import ModerationError, NothingThere, check_site, get_comment

REASON_MAX = 1000


class AlreadyDecided(ModerationError):
    """Someone else decided the comment first; nothing was overwritten."""

    def __init__(self, by: str, status: str) -> None:
        if by:
            message = _l(
                "This comment was already decided by %(name)s (now: %(status)s). "
                "Nothing was changed.",
                name=by,
                status=CommentStatus.label_of(status),
            )
        else:
            message = _l(
                "This comment changed meanwhile (now: %(status)s). Nothing was changed.",
                status=CommentStatus.label_of(status),
            )
        super().__init__(message)
        self.by = by


class Decision(enum.StrEnum):
    APPROVE = "approve"
    REJECT = "reject"
    SPAM = "spam"
    DELETE = "delete"


RESULT = {
    Decision.APPROVE: CommentStatus.APPROVED,
    Decision.REJECT: CommentStatus.REJECTED,
    Decision.SPAM: CommentStatus.SPAM,
    Decision.DELETE: CommentStatus.DELETED,
}
# The statuses each decision may start from. Approving a rejected comment goes
# through undo (back to the queue) first.
ALLOWED_FROM = {
    Decision.APPROVE: {CommentStatus.PENDING},
    Decision.REJECT: {CommentStatus.PENDING, CommentStatus.APPROVED},
    Decision.SPAM: {CommentStatus.PENDING, CommentStatus.APPROVED},
    Decision.DELETE: {
        CommentStatus.PENDING,
        CommentStatus.APPROVED,
        CommentStatus.REJECTED,
        CommentStatus.SPAM,
    },
}
DECISION_ACTIONS = {
    AuditAction.APPROVE,
    AuditAction.REJECT,
    AuditAction.SPAM,
    AuditAction.DELETE,
}


# --- decisions -------------------------------------------------------------------------


def _resolve_reports(comment_id: int) -> None:
    db.session.execute(
        update(Report)
        .where(Report.comment_id == comment_id, Report.resolved_at.is_(None))
        .values(resolved_at=utcnow())
        .execution_options(synchronize_session=False)
    )


def apply(
    moderator: Reader, comment: Comment, decision: Decision, reason: str, expected: str
) -> bool:
    """Decide one comment inside the caller's transaction (its reports are settled
    too); False if it was no longer in the expected status (someone else was first)."""
    decided = lifecycle.transition(
        comment,
        expected,
        RESULT[decision],
        actor=moderator,
        action=AuditAction(decision.value),
        reason=reason,
    )
    if decided:
        _resolve_reports(comment.id)
    return decided


def _check(decision: Decision, expected: str, reason: str) -> None:
    if expected not in ALLOWED_FROM[decision]:
        raise ModerationError(_l("That decision is not possible for this comment."))
    if len(reason) > REASON_MAX:
        raise ModerationError(_l("A reason can be at most %(n)d characters.", n=REASON_MAX))


def _already_decided(comment_id: int) -> AlreadyDecided:
    db.session.rollback()
    comment = db.session.get(Comment, comment_id)
    entry = audit.latest_decision(comment_id)
    return AlreadyDecided(entry.actor_name if entry else "", comment.status if comment else "?")


def decide(
    moderator: Reader,
    comment_id: int,
    decision: Decision,
    reason: str = "",
    expected: str = CommentStatus.PENDING,
) -> Comment:
    """Approve, reject, mark as spam or delete a comment the moderator saw as `expected`.

    :raises NothingThere: no such comment. :raises NotModerator: another site's comment.
    :raises AlreadyDecided: its status changed since the moderator saw it.
    :raises ModerationError: a decision that does not fit the status.
    """
    reason = reason.strip()
    _check(decision, expected, reason)
    comment = get_comment(moderator, comment_id)
    if not apply(moderator, comment, decision, reason, expected):
        raise _already_decided(comment_id)
    db.session.commit()
    return comment


def decide_many(
    moderator: Reader, comment_ids: Sequence[int], decision: Decision, reason: str = ""
) -> tuple[int, list[str]]:
    """Decide several pending comments; returns (how many, messages for the skipped ones).

    Comments of sites the moderator does not moderate are skipped, never touched.
    """
    reason = reason.strip()
    _check(decision, CommentStatus.PENDING, reason)
    done, skipped = 0, []
    for comment_id in dict.fromkeys(comment_ids):
        try:
            comment = get_comment(moderator, comment_id)
        except ServiceError as exc:
            skipped.append(f"#{comment_id}: {exc}")
            continue
        if apply(moderator, comment, decision, reason, CommentStatus.PENDING):
            done += 1
        else:
            entry = audit.latest_decision(comment_id)
            by = entry.actor_name if entry else ""
            skipped.append(f"#{comment_id}: {AlreadyDecided(by, comment.status)}")
    db.session.commit()
    return done, skipped


def pending_of_author(author_id: int, site_id: int) -> list[Comment]:
    return list(
        db.session.scalars(
            select(Comment)
            .join(Thread, Thread.id == Comment.thread_id)
            .where(
                Comment.author_id == author_id,
                Comment.status == CommentStatus.PENDING,
                Thread.site_id == site_id,
            )
            .order_by(Comment.id)
        )
    )


def decide_author(
    moderator: Reader, comment_id: int, decision: Decision, reason: str = ""
) -> tuple[Reader, int]:
    """Decide every pending comment of this comment's author on its site.

    :raises NothingThere: no comment, or its author deleted their account.
    """
    comment = get_comment(moderator, comment_id)
    author = comment.author
    if author is None:
        raise NothingThere(_l("The author of this comment deleted their account."))
    _check(decision, CommentStatus.PENDING, reason.strip())
    done = 0
    for pending in pending_of_author(author.id, comment.thread.site_id):
        done += apply(moderator, pending, decision, reason.strip(), CommentStatus.PENDING)
    db.session.commit()
    return author, done


# --- undo ------------------------------------------------------------------------------


def undo_window() -> timedelta:
    return timedelta(seconds=current_app.config["MODERATION_UNDO_SECONDS"])


def undoable(entry: AuditEntry, current_status: str) -> bool:
    """A decision can be undone while it is recent and still stands (not a delete)."""
    return (
        entry.action in {AuditAction.APPROVE, AuditAction.REJECT, AuditAction.SPAM}
        and entry.status_after == current_status
        and utcnow() - entry.created_at <= undo_window()
    )


def undo(moderator: Reader, comment_id: int) -> Comment:
    """Send a recently decided comment back to the queue.

    :raises ModerationError: too late, nothing to undo, or it changed since.
    """
    comment = get_comment(moderator, comment_id)
    entry = audit.latest_decision(comment_id)
    if entry is None or not undoable(entry, comment.status):
        raise ModerationError(_l("This decision can no longer be undone."))
    undone = lifecycle.transition(
        comment,
        entry.status_after,
        CommentStatus.PENDING,
        actor=moderator,
        action=AuditAction.UNDO,
        details={"undid": entry.id},
    )
    if not undone:
        raise _already_decided(comment_id)
    db.session.commit()
    return comment


# --- pins and locks --------------------------------------------------------------------


def set_pinned(moderator: Reader, comment_id: int, pinned: bool) -> Comment:
    """Pin an approved comment to the top of its thread, or unpin it."""
    comment = get_comment(moderator, comment_id)
    if pinned and comment.status != CommentStatus.APPROVED:
        raise ModerationError(_l("Only a published comment can be pinned."))
    if comment.pinned == pinned:
        return comment
    lifecycle.set_pinned(comment, pinned, moderator)
    db.session.commit()
    return comment


def get_thread(moderator: Reader, thread_id: int) -> Thread:
    thread = db.session.get(Thread, thread_id) if 0 < thread_id < threads.INT_MAX else None
    if thread is None:
        raise NothingThere(_l("There is no such thread."))
    check_site(moderator, thread.site_id)
    return thread


def set_locked(moderator: Reader, thread_id: int, locked: bool) -> Thread:
    """Lock a thread (no new comments, votes or edits) or unlock it."""
    thread = get_thread(moderator, thread_id)
    if thread.locked != locked:
        lifecycle.set_locked(thread, locked)
        audit.record(
            moderator,
            AuditAction.LOCK if locked else AuditAction.UNLOCK,
            target_type="thread",
            target_id=thread.id,
            target_label=thread.title or thread.key,
            site=thread.site,
        )
        db.session.commit()
    return thread


def correct_thread(moderator: Reader, thread_id: int, title: str, url: str) -> Thread:
    """Set a thread's title and URL for good (page views no longer change them).

    :raises Invalid: see comments.threads.correct_thread; nothing is changed then.
    """
    thread = get_thread(moderator, thread_id)
    before = {"title_before": thread.title, "url_before": thread.url}
    try:
        threads.correct_thread(thread, title, url)
    except Invalid:
        db.session.rollback()
        raise
    audit.record(
        moderator,
        AuditAction.THREAD_IDENTITY,
        target_type="thread",
        target_id=thread.id,
        target_label=thread.title,
        site=thread.site,
        details={**before, "title": thread.title, "url": thread.url},
    )
    db.session.commit()
    return thread


def dismiss_reports(moderator: Reader, comment_id: int) -> Comment:
    """Close a comment's open reports without changing it (the comment is fine)."""
    comment = get_comment(moderator, comment_id)
    _resolve_reports(comment.id)
    thread = comment.thread
    audit.record(
        moderator,
        AuditAction.DISMISS_REPORTS,
        target_type="comment",
        target_id=comment.id,
        target_label=lifecycle.label(comment),
        site=thread.site,
    )
    db.session.commit()
    return comment
