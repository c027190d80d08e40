"""Moderators' e-mail digests of held comments, at most one per interval each."""

from __future__ import annotations

from datetime import datetime, timedelta

from flask import current_app
from sqlalchemy import func, or_, select, update
from sqlalchemy.exc import IntegrityError

from commentsvc.accounts.models import Reader
from commentsvc.comments.models import (
    Comment,
    CommentStatus,
    Site,
    Thread,
)
from commentsvc.comments.notify import Setting, _queue, settings_for
from commentsvc.core.extensions import db, utcnow
from commentsvc.core.links import public_url
from commentsvc.moderation.models import CommentHold, ModeratorDigest, SiteModerator


def _claim(reader_id: int, now: datetime, interval: timedelta) -> ModeratorDigest | None:
    """Take this moderator's turn, or None if they were e-mailed within the interval.

    A conditional update, so two workers never both send the same digest.
    """
    state = db.session.get(ModeratorDigest, reader_id)
    if state is None:
        state = ModeratorDigest(reader_id=reader_id, last_sent_at=None, last_hold_id=0)
        db.session.add(state)
        try:
            db.session.flush()
        except IntegrityError:
            db.session.rollback()
            return None
    if state.last_sent_at is not None and now - state.last_sent_at < interval:
        return None
    claimed = db.session.execute(
        update(ModeratorDigest)
        .where(
            ModeratorDigest.reader_id == reader_id,
            or_(
                ModeratorDigest.last_sent_at.is_(None),
                ModeratorDigest.last_sent_at <= now - interval,
            ),
        )
        .values(last_sent_at=now)
        .execution_options(synchronize_session=False)
    )
    if claimed.rowcount != 1:  # type: ignore[attr-defined]
        db.session.rollback()
        return None
    return state


def queue_moderator_digests(now: datetime | None = None) -> int:
    """E-mail each site moderator about comments held since their last digest, at most
    once per MODERATION_DIGEST_INTERVAL; returns how many e-mails were queued.

    Run by the mail worker (`flask mail send-pending`) before each delivery round.
    """
    now = now or utcnow()
    interval = timedelta(seconds=current_app.config["MODERATION_DIGEST_INTERVAL"])
    moderator_ids = list(
        db.session.scalars(
            select(SiteModerator.reader_id).distinct().order_by(SiteModerator.reader_id)
        )
    )
    sent = 0
    for reader_id in moderator_ids:
        moderator = db.session.get(Reader, reader_id)
        if moderator is None or not moderator.is_verified:
            continue
        if not settings_for(reader_id).moderator_digest:
            continue
        state = db.session.get(ModeratorDigest, reader_id)
        if state is not None and state.last_sent_at and now - state.last_sent_at < interval:
            continue
        if _send_digest(moderator, state.last_hold_id if state else 0, now, interval):
            sent += 1
        db.session.commit()
    return sent


def _send_digest(moderator: Reader, last_hold_id: int, now: datetime, interval: timedelta) -> bool:
    site_ids = select(SiteModerator.site_id).where(SiteModerator.reader_id == moderator.id)
    held = db.session.execute(
        select(
            Thread.site_id,
            func.count(func.distinct(Comment.id)),
            func.max(CommentHold.id),
        )
        .select_from(CommentHold)
        .join(Comment, Comment.id == CommentHold.comment_id)
        .join(Thread, Thread.id == Comment.thread_id)
        .where(
            CommentHold.id > last_hold_id,
            Comment.status == CommentStatus.PENDING,
            Thread.site_id.in_(site_ids),
        )
        .group_by(Thread.site_id)
    ).all()
    if not held:
        return False
    state = _claim(moderator.id, now, interval)
    if state is None:
        return False
    pending = dict(
        db.session.execute(
            select(Thread.site_id, func.count(Comment.id))
            .join(Thread, Thread.id == Comment.thread_id)
            .where(Comment.status == CommentStatus.PENDING, Thread.site_id.in_(site_ids))
            .group_by(Thread.site_id)
        ).all()
    )
    sites = {s.id: s for s in db.session.scalars(select(Site).where(Site.id.in_(site_ids)))}
    rows = [
        (sites[site_id], new, pending.get(site_id, 0))
        for site_id, new, _ in sorted(held, key=lambda r: sites[r[0]].name.casefold())
    ]
    state.last_hold_id = max(int(r[2]) for r in held)
    _queue(
        moderator,
        "moderator_digest",
        Setting.MODERATOR_DIGEST,
        rows=rows,
        new_total=sum(r[1] for r in rows),
        queue_url=public_url("moderation.queue"),
    )
    return True
