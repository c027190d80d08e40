"""Every change of a comment's state keeps the thread's count and version true: whatever
readers, authors and moderators do, the count is the number of published comments, and
every visible change gives the thread a new version (which the page cache trusts)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, select

from commentsvc.accounts import profile
from commentsvc.comments import posting, reports
from commentsvc.comments.models import Comment, CommentStatus, Thread
from commentsvc.core.extensions import db
from commentsvc.moderation import bans, decisions
from commentsvc.moderation.decisions import Decision
from commentsvc.moderation.models import AuditEntry
from tests.factories import PASSWORD
from tests.moderation_support import build_world, get, post, reader


def test_count_and_version_follow_every_change(app):
    ids = build_world(app)
    seen: list[int] = []

    def check(step: str) -> None:
        with app.app_context():
            db.session.expire_all()
            thread = get(Thread, ids.thread)
            published = db.session.scalar(
                select(func.count(Comment.id)).where(
                    Comment.thread_id == ids.thread, Comment.status == CommentStatus.APPROVED
                )
            )
            assert thread.comment_count == published, step
            assert not seen or thread.version > seen[-1], f"{step}: version did not move"
            seen.append(thread.version)

    with app.app_context():
        site = get(Thread, ids.thread).site
        site.suspicious_words = ["casino"]
        site.report_threshold = 1
        db.session.commit()
    check("start")
    first = post(app, ids.alice, "A fair point.")
    check("published")
    held = post(app, ids.bob, "Visit my casino")
    check("held")
    mod = ids.mod
    with app.app_context():
        decisions.decide(reader(mod), held, Decision.APPROVE)
    check("approved")
    with app.app_context():
        decisions.undo(reader(mod), held)
    check("undone")
    with app.app_context():
        decisions.decide(reader(mod), held, Decision.REJECT, "Advertising")
    check("rejected")
    with app.app_context():
        reports.report_comment(reader(ids.carol), first, "abuse")
    check("requeued by a report")
    with app.app_context():
        decisions.decide(reader(mod), first, Decision.APPROVE)
    check("approved again")
    with app.app_context():
        decisions.set_pinned(reader(mod), first, True)
    check("pinned")
    with app.app_context():
        posting.edit_comment(reader(ids.alice), first, "A fair point about the casino.")
    check("edited back into the queue")
    second = post(app, ids.carol, "Agreed.")
    check("another published")
    with app.app_context():
        posting.delete_comment(reader(ids.carol), second)
    check("deleted by its author")
    third = post(app, ids.bob, "One more.")
    with app.app_context():
        decisions.decide(reader(mod), third, Decision.DELETE, "Illegal", CommentStatus.APPROVED)
    check("deleted by a moderator")
    post(app, ids.bob, "Still here.")
    with app.app_context():
        bans.ban_author(reader(mod), held, "Spam")
        profile.delete_account(reader(ids.bob), PASSWORD)
    check("author banned, then gone")
    with app.app_context():
        actions = db.session.scalars(select(AuditEntry.action).order_by(AuditEntry.id)).all()
    # Each moderator action and the readers' requeue left its entry, in order.
    assert actions == [
        "approve",
        "undo",
        "reject",
        "requeue",
        "approve",
        "pin",
        "delete",
        "ban",
    ]


def _thread_row(app, thread_id: int) -> dict[str, Any]:
    with app.app_context():
        row = db.session.execute(select(Thread.__table__).where(Thread.id == thread_id)).one()
        return dict(row._mapping)


def test_a_post_moves_only_its_threads_count_and_version(app):
    # On PostgreSQL the INSERT and the thread's change are one statement: it must touch
    # nothing else of the thread (its created_at shares a name with the comment's), nor
    # any other thread, and hand back the comment as stored.
    ids = build_world(app)
    before, other_before = _thread_row(app, ids.thread), _thread_row(app, ids.other_thread)
    with app.app_context():
        thread = get(Thread, ids.thread)
        comment = posting.post_comment(reader(ids.alice), thread, thread.site, "Well *put*.")
        # The session's thread and comment carry what the database now has.
        assert (thread.version, thread.comment_count) == (before["version"] + 1, 1)
        assert comment.id is not None
        assert (comment.score, comment.pinned) == (0, False)
        assert comment.body_html == "<p>Well <em>put</em>.</p>"
        stored = db.session.execute(select(Comment.__table__).where(Comment.id == comment.id)).one()
        assert stored.created_at == comment.created_at
        assert stored.status == CommentStatus.APPROVED
        assert stored.search_text == comment.search_text != ""
    after = _thread_row(app, ids.thread)
    assert after == {**before, "version": before["version"] + 1, "comment_count": 1}
    assert _thread_row(app, ids.other_thread) == other_before
