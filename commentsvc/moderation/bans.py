"""Bans, suspensions and trust marks that moderators put on readers."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from flask_babel import lazy_gettext as _l
from sqlalchemy import ColumnElement, func, or_, select, update

from commentsvc.accounts.models import Reader
from commentsvc.comments.models import Comment, CommentStatus, Site, Thread
from commentsvc.core.extensions import db, utcnow
from commentsvc.core.input import DB_INT_MAX
from commentsvc.moderation import audit, decisions, moderators, rules
from commentsvc.moderation.decisions import Decision
from commentsvc.moderation.models import AuditAction, Ban, BanKind, TrustMark
from commentsvc.moderation.moderators import ModerationError, NothingThere, NotModerator

REASON_MAX = 500


def get_reader(reader_id: int) -> Reader:
    reader = db.session.get(Reader, reader_id) if 0 < reader_id <= DB_INT_MAX else None
    if reader is None:
        raise NothingThere(_l("There is no such reader."))
    return reader


def _scope_site(moderator: Reader, site_id: int | None) -> Site | None:
    """The site a ban applies to; None (all sites) is for admins only."""
    if site_id is None:
        if not moderator.is_admin:
            raise NotModerator(_l("Only an admin can ban a reader from every site."))
        return None
    moderators.check_site(moderator, site_id)
    site = db.session.get(Site, site_id)
    if site is None:
        raise NothingThere(_l("There is no such site."))
    return site


def _lift(reader_id: int, site_id: int | None, by: Reader) -> int:
    """Lift the reader's active bans with exactly this scope; returns how many."""
    now = utcnow()
    scope = Ban.site_id.is_(None) if site_id is None else Ban.site_id == site_id
    result = db.session.execute(
        update(Ban)
        .where(
            Ban.reader_id == reader_id,
            scope,
            Ban.lifted_at.is_(None),
            or_(Ban.until.is_(None), Ban.until > now),
        )
        .values(lifted_at=now, lifted_by_id=by.id)
        .execution_options(synchronize_session=False)
    )
    return int(getattr(result, "rowcount", 0) or 0)


def ban(
    moderator: Reader,
    reader_id: int,
    site_id: int | None,
    reason: str = "",
    until: datetime | None = None,
) -> Ban:
    """Ban a reader from one site (or every site, admins only), or suspend them until
    a moment. A new ban replaces an active one of the same scope.

    :raises NotModerator: another site, or every site without being an admin.
    :raises ModerationError: an end in the past, a reason too long, or banning oneself.
    """
    row = _add_ban(moderator, reader_id, site_id, reason, until)
    db.session.commit()
    return row


def _add_ban(
    moderator: Reader, reader_id: int, site_id: int | None, reason: str, until: datetime | None
) -> Ban:
    """ban() inside the caller's transaction."""
    reader = get_reader(reader_id)
    site = _scope_site(moderator, site_id)
    reason = reason.strip()
    if len(reason) > REASON_MAX:
        raise ModerationError(_l("A reason can be at most %(n)d characters.", n=REASON_MAX))
    if until is not None and until <= utcnow():
        raise ModerationError(_l("A suspension must end in the future."))
    if reader.id == moderator.id:
        raise ModerationError(_l("You cannot ban yourself."))
    _lift(reader.id, site_id, moderator)
    kind = BanKind.BAN if until is None else BanKind.SUSPENSION
    row = Ban(
        reader_id=reader.id,
        site_id=site_id,
        kind=kind,
        reason=reason,
        until=until,
        created_by_id=moderator.id,
    )
    db.session.add(row)
    audit.record(
        moderator,
        AuditAction.BAN if until is None else AuditAction.SUSPEND,
        target_type="reader",
        target_id=reader.id,
        target_label=reader.display_name,
        site=site,
        reason=reason,
        details={"until": until.isoformat() if until else None, "all_sites": site is None},
    )
    return row


def unban(moderator: Reader, reader_id: int, site_id: int | None) -> int:
    """Lift the reader's active bans and suspensions of this scope; returns how many."""
    reader = get_reader(reader_id)
    site = _scope_site(moderator, site_id)
    lifted = _lift(reader.id, site_id, moderator)
    if lifted:
        audit.record(
            moderator,
            AuditAction.UNBAN,
            target_type="reader",
            target_id=reader.id,
            target_label=reader.display_name,
            site=site,
            details={"all_sites": site is None},
        )
    db.session.commit()
    return lifted


def ban_author(
    moderator: Reader, comment_id: int, reason: str = "", all_sites: bool = False
) -> tuple[Reader, int]:
    """Ban the comment's author (from its site, or every site for admins) and reject
    all their pending comments there, in one transaction; returns (author, rejected)."""
    comment = moderators.get_comment(moderator, comment_id)
    author = comment.author
    if author is None:
        raise NothingThere(_l("The author of this comment deleted their account."))
    site_id = None if all_sites else comment.thread.site_id
    _add_ban(moderator, author.id, site_id, reason, None)
    stmt = (
        select(Comment)
        .join(Thread, Thread.id == Comment.thread_id)
        .where(Comment.author_id == author.id, Comment.status == CommentStatus.PENDING)
        .order_by(Comment.id)
    )
    if site_id is not None:
        stmt = stmt.where(Thread.site_id == site_id)
    rejected = 0
    for pending in db.session.scalars(stmt).all():
        rejected += decisions.apply(
            moderator, pending, Decision.REJECT, reason, CommentStatus.PENDING
        )
    db.session.commit()
    return author, rejected


def set_trust(moderator: Reader, reader_id: int, site_id: int, trusted: bool) -> None:
    """Mark a reader trusted on a site (their comments skip the holds), or not trusted
    (not even automatically after enough approved comments)."""
    reader = get_reader(reader_id)
    site = _scope_site(moderator, site_id)
    if site is None:
        raise NothingThere(_l("There is no such site."))
    mark = db.session.scalar(
        select(TrustMark).where(TrustMark.site_id == site.id, TrustMark.reader_id == reader.id)
    )
    if mark is None:
        mark = TrustMark(site_id=site.id, reader_id=reader.id)
        db.session.add(mark)
    mark.trusted = trusted
    mark.marked_by_id = moderator.id
    audit.record(
        moderator,
        AuditAction.TRUST if trusted else AuditAction.UNTRUST,
        target_type="reader",
        target_id=reader.id,
        target_label=reader.display_name,
        site=site,
    )
    db.session.commit()


@dataclass
class SiteStanding:
    """A reader as one site's moderators see them."""

    site: Site
    approved: int
    rejected: int
    pending: int
    trusted: bool
    trust_mark: bool | None
    ban: Ban | None


def standing(moderator: Reader, reader: Reader) -> list[SiteStanding]:
    """The reader's counts, trust and bans on each site the moderator moderates."""
    result = []
    counts: dict[tuple[int, str], int] = {
        (site_id, status): n
        for site_id, status, n in db.session.execute(
            select(Thread.site_id, Comment.status, func.count(Comment.id))
            .join(Thread, Thread.id == Comment.thread_id)
            .where(Comment.author_id == reader.id)
            .group_by(Thread.site_id, Comment.status)
        )
    }
    marks = dict(
        db.session.execute(
            select(TrustMark.site_id, TrustMark.trusted).where(TrustMark.reader_id == reader.id)
        ).all()
    )
    for site in moderators.sites_for(moderator):
        result.append(
            SiteStanding(
                site=site,
                approved=counts.get((site.id, CommentStatus.APPROVED), 0),
                rejected=counts.get((site.id, CommentStatus.REJECTED), 0)
                + counts.get((site.id, CommentStatus.SPAM), 0),
                pending=counts.get((site.id, CommentStatus.PENDING), 0),
                trusted=rules.is_trusted(reader.id, site),
                trust_mark=marks.get(site.id),
                ban=rules.active_ban(reader.id, site.id),
            )
        )
    return result


def history(moderator: Reader, reader: Reader) -> list[Ban]:
    """Every ban and suspension of the reader the moderator may see, newest first."""
    site_ids = moderators.site_ids_for(moderator)
    stmt = select(Ban).where(Ban.reader_id == reader.id).order_by(Ban.id.desc())
    if site_ids is not None:
        stmt = stmt.where(or_(Ban.site_id.in_(site_ids), Ban.site_id.is_(None)))
    return list(db.session.scalars(stmt))


def search(moderator: Reader, text: str, limit: int = 50) -> list[Reader]:
    """Readers by display name (and by e-mail address for admins) whom the moderator may
    look up (moderators.readers_visible_to; admins: anyone)."""
    text = text.strip()[:100]
    stmt = select(Reader).order_by(Reader.display_name).limit(limit)
    if text:
        pattern = "%" + text.replace("\\", "\\\\").replace("%", r"\%").replace("_", r"\_") + "%"
        match: ColumnElement[bool] = Reader.display_name.ilike(pattern, escape="\\")
        if moderator.is_admin:
            match = or_(match, Reader.email.ilike(pattern, escape="\\"))
        stmt = stmt.where(match)
    visible = moderators.readers_visible_to(moderator)
    if visible is not None:
        stmt = stmt.where(visible)
    return list(db.session.scalars(stmt))
