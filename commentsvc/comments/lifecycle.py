"""Every change of a comment's state, in one place.

Publishing, holding, editing, deleting, a moderator's decision and its undo, a
requeue by readers' reports, a pin: each function here changes the comment and,
together, what depends on it: the thread's approved count and its version (which
the anonymous page cache trusts), the reasons a held comment waits, the e-mails to
its author and repliers, and the audit entry. Nothing else writes Comment.status,
Thread.version or Thread.comment_count.

They run in the caller's transaction and never commit: the use case commits once.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, cast

from sqlalchemy import (
    CursorResult,
    Integer,
    Table,
    bindparam,
    insert,
    inspect,
    select,
    text,
    update,
)
from sqlalchemy.orm import make_transient_to_detached
from sqlalchemy.orm.attributes import set_committed_value
from sqlalchemy.orm.util import identity_key

from commentsvc.accounts.models import Reader
from commentsvc.comments import notify
from commentsvc.comments.models import Comment, CommentStatus, Thread
from commentsvc.core.extensions import db, utcnow
from commentsvc.moderation import audit, rules
from commentsvc.moderation.models import AuditAction
from commentsvc.moderation.rules import Hold

APPROVED = CommentStatus.APPROVED


# Built once: every post, edit and decision runs it. On the table rather than the mapped
# class: the ORM's bulk update would also search the session for the thread and work out
# its new values in Python, which costs more than the statement itself.
_THREADS = cast(Table, Thread.__table__)
_THREAD_CHANGED = (
    update(_THREADS)
    .where(_THREADS.c.id == bindparam("thread_id", type_=Integer))
    .values(
        version=_THREADS.c.version + 1,
        comment_count=_THREADS.c.comment_count + bindparam("delta", type_=Integer),
    )
    .returning(_THREADS.c.version, _THREADS.c.comment_count)
)


def thread_changed(thread_id: int, approved_delta: int = 0) -> None:
    """Something visible in the thread changed: a new version for the page cache, and
    approved_delta added to its approved count. The thread, if this session holds it,
    gets the values the database now has (a page rendered next keys on its version)."""
    version, count = db.session.execute(
        _THREAD_CHANGED, {"thread_id": thread_id, "delta": approved_delta}
    ).one()
    _thread_now(thread_id, version, count)


def _thread_now(thread_id: int, version: int, count: int) -> None:
    thread = db.session.identity_map.get(identity_key(Thread, thread_id))
    if thread is not None:
        set_committed_value(thread, "version", version)
        set_committed_value(thread, "comment_count", count)


def label(comment: Comment) -> str:
    """How the audit log names a comment: its thread and number (never its text, which
    a delete or the author's account deletion must be able to remove)."""
    thread = comment.thread
    return f"{thread.title or thread.key} #{comment.id}"


# Every post runs it: one INSERT that gives back the whole row (ids, defaults), instead of
# the ORM's unit of work, which costs several times the statement.
_COMMENTS = cast(Table, Comment.__table__)
_ADD = insert(_COMMENTS).returning(*_COMMENTS.c)

# On PostgreSQL the thread's change rides on the same INSERT, in a data-modifying WITH
# (which SQLite lacks): a post is one round trip to the server fewer. Written out rather
# than built: SQLAlchemy would also apply the INSERT's parameters (created_at) to the
# thread's UPDATE.
_NEW_COLUMNS = [c.name for c in _COMMENTS.c if not c.primary_key]
_ADD_AND_CHANGE = text(
    "WITH changed AS (UPDATE thread"  # noqa: S608 -- names from the table; values bound
    " SET version = version + 1, comment_count = comment_count + :delta"
    " WHERE id = :changed_thread RETURNING version, comment_count)"
    " INSERT INTO comment ({}) VALUES ({}) RETURNING {},"
    " (SELECT version FROM changed) AS thread_version,"
    " (SELECT comment_count FROM changed) AS thread_comment_count".format(
        ", ".join(_NEW_COLUMNS),
        ", ".join(":" + name for name in _NEW_COLUMNS),
        ", ".join(c.name for c in _COMMENTS.c),
    )
).columns(*_COMMENTS.c, thread_version=Integer, thread_comment_count=Integer)


def _insert(comment: Comment, approved_delta: int) -> None:
    """Store a new comment, make the object the session's as if it had been loaded, and
    count the change in its thread (thread_changed)."""
    # The column defaults, set here: the written-out statement names every column.
    comment.score, comment.pinned, comment.created_at = 0, False, utcnow()
    values = {key: value for key, value in inspect(comment).dict.items() if key in _COMMENTS.c}
    together = db.session.get_bind().dialect.name == "postgresql"
    if together:
        values = {name: values.get(name) for name in _NEW_COLUMNS}
        values.update(changed_thread=comment.thread_id, delta=approved_delta)
    row = db.session.execute(_ADD_AND_CHANGE if together else _ADD, values).one()
    for key, value in row._mapping.items():
        if key in _COMMENTS.c:
            set_committed_value(comment, key, value)
    make_transient_to_detached(comment)
    db.session.add(comment)
    if together:
        _thread_now(comment.thread_id, row.thread_version, row.thread_comment_count)
    else:
        thread_changed(comment.thread_id, approved_delta)


def add(comment: Comment, holds: Sequence[Hold]) -> None:
    """A new comment: held as pending with the reasons, or published (and repliers told)."""
    comment.status = CommentStatus.PENDING if holds else APPROVED
    _insert(comment, 0 if holds else 1)
    if holds:
        rules.store_holds(comment.id, list(holds), new=True)
    else:
        notify.comment_published(comment)


def edit(comment: Comment, source: str, html: str, holds: Sequence[Hold]) -> None:
    """New text for a comment; holds send a published or pending one (back) to the queue."""
    requeued = bool(holds) and comment.status == APPROVED
    comment.body_source, comment.body_html = source, html
    if holds and comment.status in (APPROVED, CommentStatus.PENDING):
        comment.status = CommentStatus.PENDING
        rules.store_holds(comment.id, list(holds))
    comment.edited_at = utcnow()
    thread_changed(comment.thread_id, -1 if requeued else 0)


def delete(comment: Comment) -> None:
    """The author's delete: a placeholder without text, so replies keep their place."""
    was_approved = comment.status == APPROVED
    comment.status = CommentStatus.DELETED
    comment.body_source = ""
    comment.body_html = ""
    thread_changed(comment.thread_id, -1 if was_approved else 0)


def anonymise_author(reader_id: int) -> None:
    """Every comment of a reader becomes an anonymous placeholder (account deletion)."""
    for comment in db.session.scalars(
        select(Comment).where(
            Comment.author_id == reader_id, Comment.status != CommentStatus.DELETED
        )
    ):
        delete(comment)
    db.session.execute(update(Comment).where(Comment.author_id == reader_id).values(author_id=None))


def author_renamed(reader_id: int) -> None:
    """Every thread the reader commented in shows a new name: new versions for the cache."""
    db.session.execute(
        update(Thread)
        .where(Thread.id.in_(select(Comment.thread_id).where(Comment.author_id == reader_id)))
        .values(version=Thread.version + 1)
    )


def transition(
    comment: Comment,
    expected: str,
    new: CommentStatus,
    *,
    actor: Reader | None,
    action: AuditAction,
    reason: str = "",
    holds: Sequence[Hold] = (),
    details: dict[str, Any] | None = None,
) -> bool:
    """Move the comment from expected to new, if it is still in expected: False when
    someone else changed it first (the database decides between two moderators).

    A moderator's delete also removes the text for good. Approving publishes (repliers
    and the author are told), rejecting tells the author why; holds are stored when the
    comment goes back to the queue. The audit entry names actor (None: the service).
    """
    values: dict[str, Any] = {"status": new}
    if new == CommentStatus.DELETED:
        values.update(body_source="", body_html="", search_text="", pinned=False)
    result = cast(
        CursorResult[Any],
        db.session.execute(
            update(Comment)
            .where(Comment.id == comment.id, Comment.status == expected)
            .values(**values)
            .execution_options(synchronize_session=False)
        ),
    )
    if result.rowcount != 1:
        return False
    thread_changed(comment.thread_id, int(new == APPROVED) - int(expected == APPROVED))
    if holds:
        rules.store_holds(comment.id, list(holds))
    thread = comment.thread
    audit.record(
        actor,
        action,
        target_type="comment",
        target_id=comment.id,
        target_label=label(comment),
        site=thread.site,
        before=expected,
        after=new,
        reason=reason,
        details=details,
    )
    db.session.expire(comment)
    if action is AuditAction.APPROVE:
        notify.comment_published(comment)
        notify.comment_decided(comment, approved=True)
    elif action is AuditAction.REJECT:
        notify.comment_decided(comment, approved=False, reason=reason)
    return True


def set_pinned(comment: Comment, pinned: bool, actor: Reader) -> None:
    """Pin a comment to the top of its thread, or unpin it."""
    comment.pinned = pinned
    thread_changed(comment.thread_id)
    audit.record(
        actor,
        AuditAction.PIN if pinned else AuditAction.UNPIN,
        target_type="comment",
        target_id=comment.id,
        target_label=label(comment),
        site=comment.thread.site,
    )


def set_locked(thread: Thread, locked: bool) -> None:
    """Lock a thread (no new comments, votes or edits) or unlock it."""
    thread.locked = locked
    thread_changed(thread.id)
