"""Readers' e-mail notifications: replies to their comments and moderators' decisions,
their settings, and one-click unsubscribe links (RFC 8058)."""

from __future__ import annotations

import enum
from dataclasses import dataclass

from sqlalchemy import delete, select
from sqlalchemy.exc import IntegrityError

from commentsvc.accounts.models import Reader
from commentsvc.comments.models import (
    Comment,
    CommentNotification,
    CommentStatus,
    NotificationSettings,
    Site,
    Thread,
)
from commentsvc.core import mail, tokens
from commentsvc.core.errors import LinkInvalid
from commentsvc.core.extensions import db
from commentsvc.core.links import public_url


class Setting(enum.StrEnum):
    """The switches an unsubscribe link can turn off, one per link."""

    REPLY_EMAILS = "reply_emails"
    DECISION_EMAILS = "decision_emails"
    MODERATOR_DIGEST = "moderator_digest"
    COMMENT_REPLIES = "comment_replies"  # replies to one comment


# --- settings --------------------------------------------------------------------------


def settings_for(reader_id: int) -> NotificationSettings:
    """The reader's settings (the defaults, not yet stored, when they never chose)."""
    found = db.session.get(NotificationSettings, reader_id)
    if found is not None:
        return found
    return NotificationSettings(
        reader_id=reader_id, reply_emails=False, decision_emails=False, moderator_digest=True
    )


def _stored_settings(reader_id: int) -> NotificationSettings:
    found = db.session.get(NotificationSettings, reader_id)
    if found is None:
        found = settings_for(reader_id)
        db.session.add(found)
    return found


def update_settings(
    reader: Reader, reply_emails: bool, decision_emails: bool, moderator_digest: bool
) -> None:
    """Save the account-wide choices from the account page."""
    found = _stored_settings(reader.id)
    found.reply_emails = reply_emails
    found.decision_emails = decision_emails
    found.moderator_digest = moderator_digest
    db.session.commit()


def comment_choices(reader_id: int) -> list[tuple[Comment, Thread, bool]]:
    """The reader's comments with their own reply e-mail choice, newest choice first."""
    return [
        (comment, thread, choice.reply_emails)
        for choice, comment, thread in db.session.execute(
            select(CommentNotification, Comment, Thread)
            .join(Comment, Comment.id == CommentNotification.comment_id)
            .join(Thread, Thread.id == Comment.thread_id)
            .where(CommentNotification.reader_id == reader_id)
            .order_by(CommentNotification.id.desc())
        )
    ]


def wants_replies(reader_id: int, comment_id: int) -> bool:
    """Whether the reader wants e-mails about replies to this comment of theirs."""
    choice = db.session.scalar(
        select(CommentNotification.reply_emails).where(
            CommentNotification.reader_id == reader_id,
            CommentNotification.comment_id == comment_id,
        )
    )
    return settings_for(reader_id).reply_emails if choice is None else bool(choice)


def set_comment_replies(reader: Reader, comment_id: int, on: bool) -> None:
    """Choose reply e-mails for one of the reader's own comments.

    A choice equal to the account-wide setting is not stored, so changing that setting
    later still covers the comment.
    """
    comment = db.session.get(Comment, comment_id)
    if comment is None or comment.author_id != reader.id:
        return
    _set_choice(reader.id, comment_id, None if on == settings_for(reader.id).reply_emails else on)
    db.session.commit()


def _set_choice(reader_id: int, comment_id: int, on: bool | None) -> None:
    db.session.execute(
        delete(CommentNotification).where(
            CommentNotification.reader_id == reader_id,
            CommentNotification.comment_id == comment_id,
        )
    )
    if on is not None:
        db.session.add(
            CommentNotification(reader_id=reader_id, comment_id=comment_id, reply_emails=on)
        )


# --- unsubscribe -----------------------------------------------------------------------


def unsubscribe_token(reader_id: int, setting: Setting, comment_id: int | None = None) -> str:
    payload: dict[str, object] = {"r": reader_id, "s": setting.value}
    if comment_id is not None:
        payload["c"] = comment_id
    return tokens.UNSUBSCRIBE.make(payload)


@dataclass
class Unsubscription:
    reader: Reader
    setting: Setting
    comment: Comment | None


def read_unsubscribe(token: str) -> Unsubscription:
    """What an unsubscribe link turns off. It proves nothing else and signs no one in.

    :raises LinkInvalid: forged, expired, or naming a reader or comment now gone.
    """
    try:
        payload = tokens.UNSUBSCRIBE.read(token)
        setting = Setting(payload["s"])
        reader_id = int(payload["r"])
        comment_id = payload.get("c")
    except (LinkInvalid, KeyError, TypeError, ValueError) as exc:
        raise LinkInvalid from exc
    reader = db.session.get(Reader, reader_id)
    if reader is None:
        raise LinkInvalid
    comment = None
    if setting is Setting.COMMENT_REPLIES:
        comment = db.session.get(Comment, comment_id) if isinstance(comment_id, int) else None
        if comment is None or comment.author_id != reader.id:
            raise LinkInvalid
    return Unsubscription(reader, setting, comment)


def unsubscribe(token: str) -> Unsubscription:
    """Turn off the one setting the link names. Doing it twice changes nothing.

    :raises LinkInvalid: see read_unsubscribe.
    """
    found = read_unsubscribe(token)
    if found.comment is not None:
        _set_choice(found.reader.id, found.comment.id, False)
    else:
        setattr(_stored_settings(found.reader.id), found.setting.value, False)
    try:
        db.session.commit()
    except IntegrityError:
        # The same link clicked twice at once: the other request turned it off.
        db.session.rollback()
    return found


def _queue(
    reader: Reader,
    template: str,
    setting: Setting,
    comment_id: int | None = None,
    **context: object,
) -> None:
    """Queue a notification with a visible unsubscribe link and RFC 8058 one-click headers."""
    url = public_url(
        "notifications.unsubscribe", token=unsubscribe_token(reader.id, setting, comment_id)
    )
    headers = {
        "List-Unsubscribe": f"<{url}>",
        "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
    }
    mail.queue_email(
        reader.email,
        template,
        reader.locale,
        headers=headers,
        reader=reader,
        unsubscribe_url=url,
        settings_url=public_url("account.index"),
        **context,
    )


# --- authors ---------------------------------------------------------------------------


def _comment_url(comment: Comment, thread: Thread) -> str:
    """Where the comment can be read: the article itself, or the first-party thread page."""
    if thread.url:
        return f"{thread.url}#comments"
    site = db.session.get(Site, thread.site_id)
    slug = site.slug if site else ""
    return public_url("threads.thread", site_slug=slug, key=thread.key) + f"#c{comment.id}"


def comment_published(comment: Comment) -> None:
    """A comment became visible: tell the author of the comment it answers, if they asked.

    Runs inside the caller's transaction.
    """
    if comment.parent_id is None:
        return
    parent = db.session.get(Comment, comment.parent_id)
    if parent is None or parent.author_id is None or parent.author_id == comment.author_id:
        return
    if parent.status != CommentStatus.APPROVED:
        return
    author = db.session.get(Reader, parent.author_id)
    if author is None or not author.is_verified or not wants_replies(author.id, parent.id):
        return
    replier = db.session.get(Reader, comment.author_id) if comment.author_id else None
    thread = comment.thread
    _queue(
        author,
        "comment_reply",
        Setting.COMMENT_REPLIES,
        parent.id,
        thread=thread,
        replier=replier.display_name if replier else "",
        reply=comment.body_source,
        url=_comment_url(comment, thread),
    )


def comment_decided(comment: Comment, approved: bool, reason: str = "") -> None:
    """Tell the author a moderator approved or rejected their comment, if they asked.

    Runs inside the caller's transaction.
    """
    if comment.author_id is None:
        return
    author = db.session.get(Reader, comment.author_id)
    if author is None or not author.is_verified or not settings_for(author.id).decision_emails:
        return
    thread = comment.thread
    _queue(
        author,
        "comment_approved" if approved else "comment_rejected",
        Setting.DECISION_EMAILS,
        thread=thread,
        body=comment.body_source,
        reason=reason,
        url=_comment_url(comment, thread),
    )


# --- moderators ------------------------------------------------------------------------


def export_for_reader(reader: Reader) -> dict[str, object]:
    """The reader's e-mail settings, account-wide and per comment, for their data export."""
    found = settings_for(reader.id)
    return {
        "reply_emails": found.reply_emails,
        "decision_emails": found.decision_emails,
        "moderator_digest": found.moderator_digest,
        "reply_emails_per_comment": {
            str(comment.id): on for comment, _, on in comment_choices(reader.id)
        },
    }
