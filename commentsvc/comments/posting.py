"""Posting, editing and deleting one's own comments (the checks; lifecycle makes the change)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import timedelta

from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from commentsvc.accounts.models import Reader
from commentsvc.comments import eligibility, lifecycle
from commentsvc.comments.models import Comment, CommentStatus, Site, Thread
from commentsvc.comments.threads import get_comment
from commentsvc.core.errors import Forbidden, Invalid, NotFound
from commentsvc.core.extensions import commit_keeping_values, db, utcnow
from commentsvc.core.sanitize import render_comment
from commentsvc.moderation import rules

BODY_MAX = 10_000


class Rejected(Invalid):
    """Refused by the site's rules (banned words); the reader may rephrase."""

    def __init__(self, message: object) -> None:
        super().__init__(message, "body")


def _check_body(body: str) -> tuple[str, str]:
    text = body.replace("\r\n", "\n").strip()
    if not text:
        raise Invalid(_l("Write something before you post."), "body")
    if len(text) > BODY_MAX:
        raise Invalid(
            _l(
                "A comment can be at most %(n)d characters long (yours has %(len)d).",
                n=BODY_MAX,
                len=len(text),
            ),
            "body",
        )
    if "\x00" in text:
        raise Invalid(_l("The comment contains characters that cannot be used."), "body")
    return text, render_comment(text)


def post_comment(
    reader: Reader,
    thread: Thread,
    site: Site,
    body: str,
    parent_id: int | None = None,
    signals: Sequence[rules.Hold] = (),
) -> Comment:
    """Post a comment or reply; held as pending when the site's rules say so (see
    moderation.rules), with the reasons stored for the moderators. signals are hold
    reasons found by the view (e.g. the form's honeypot).

    :raises PostingRefused: the reader may not post here now (see eligibility).
    :raises Rejected: banned words.
    :raises NotFound: the parent is not a visible comment of this thread.
    :raises Invalid: empty or over-long body.
    """
    # One query for everything the rules ask: the reader's ban, trust, approved count and
    # policies to accept on the site.
    known = eligibility.check(reader, site, thread)
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
    verdict = rules.assess(reader, site, source, html, list(signals), known)
    if verdict.refusal:
        raise Rejected(verdict.refusal)
    comment = Comment(
        thread_id=thread.id,
        parent_id=parent.id if parent else None,
        root_id=(parent.root_id or parent.id) if parent else None,
        depth=parent.depth + 1 if parent else 0,
        author_id=reader.id,
        body_source=source,
        body_html=html,
    )
    lifecycle.add(comment, verdict.holds)
    commit_keeping_values()
    return comment


def _own_comment(reader: Reader, comment_id: int) -> tuple[Comment, Thread]:
    comment = get_comment(comment_id)
    if comment is None or comment.status in (CommentStatus.REJECTED, CommentStatus.SPAM):
        raise NotFound(_l("There is no such comment."))
    if comment.author_id != reader.id:
        raise Forbidden(_l("You can only change your own comments."))
    if comment.status == CommentStatus.DELETED:
        raise NotFound(_l("This comment was deleted."))
    return comment, comment.thread


def edit_comment(reader: Reader, comment_id: int, body: str) -> Comment:
    """Change the text of one's own comment within the site's edit window.

    :raises NotFound: no such comment. :raises Forbidden: someone else's, or too late.
    :raises PostingRefused: the reader may not post here now (see eligibility).
    :raises Rejected: banned words. :raises Invalid: empty or over-long body.
    """
    comment, thread = _own_comment(reader, comment_id)
    window = timedelta(seconds=thread.site.edit_window_seconds)
    if utcnow() - comment.created_at > window:
        raise Forbidden(_l("The time to edit this comment is over."))
    known = eligibility.check(reader, thread.site, thread)
    source, html = _check_body(body)
    # An edit meets the same rules as a new comment: it may go back to the queue.
    verdict = rules.assess(reader, thread.site, source, html, [], known)
    if verdict.refusal:
        raise Rejected(verdict.refusal)
    lifecycle.edit(comment, source, html, verdict.holds)
    db.session.commit()
    return comment


def delete_comment(reader: Reader, comment_id: int) -> None:
    """Delete one's own comment, leaving a placeholder so its replies keep their place.

    :raises NotFound: no such comment. :raises Forbidden: someone else's.
    """
    comment, _thread = _own_comment(reader, comment_id)
    lifecycle.delete(comment)
    db.session.commit()


def preview(body: str) -> str:
    """The HTML a comment with this text would be stored with (the same sanitiser).

    :raises Invalid: empty or over-long body, as posting would.
    """
    return _check_body(body)[1]


def export_for_reader(reader: Reader) -> list[dict[str, object]]:
    """Every comment the reader wrote (claimed imports too), for their data export:
    where, what, when, and what became of it."""
    rows = db.session.execute(
        select(Comment, Thread, Site)
        .join(Thread, Thread.id == Comment.thread_id)
        .join(Site, Site.id == Thread.site_id)
        .where(Comment.author_id == reader.id)
        .order_by(Comment.id)
    )
    return [
        {
            "id": comment.id,
            "site": site.slug,
            "thread": {"key": thread.key, "title": thread.title, "url": thread.url},
            "parent_id": comment.parent_id,
            "status": comment.status,
            "body": comment.body_source,
            "score": comment.score,
            "created_at": comment.created_at.isoformat(),
            "edited_at": comment.edited_at.isoformat() if comment.edited_at else None,
        }
        for comment, thread, site in rows
    ]
