"""Who moderates what: admins every site, site moderators their own sites (and the
readers seen there); assigning moderators; each site's hold rules and word lists."""

from __future__ import annotations

from dataclasses import dataclass

from flask_babel import lazy_gettext as _l
from sqlalchemy import ColumnElement, or_, select
from sqlalchemy.exc import IntegrityError

from commentsvc.accounts.identity import normalise_email
from commentsvc.accounts.models import Reader
from commentsvc.comments import threads
from commentsvc.comments.models import Comment, ModerationPolicy, Report, Site, Thread
from commentsvc.core.errors import Conflict, Forbidden, Invalid, NotFound
from commentsvc.core.extensions import db
from commentsvc.core.input import DB_INT_MAX
from commentsvc.moderation import audit, rules
from commentsvc.moderation.models import AuditAction, Ban, SiteModerator, TrustMark


class ModerationError(Conflict):
    """The moderation action cannot be done in the comment's or reader's current state."""


class NotModerator(Forbidden):
    """Not a moderator of the site in question (or not of any site)."""


class NothingThere(NotFound):
    """No such comment, reader or thread (for this moderator)."""


# --- roles -----------------------------------------------------------------------------


def site_ids_for(reader: Reader) -> list[int] | None:
    """The ids of the sites the reader moderates; None for an admin (every site)."""
    if reader.is_admin:
        return None
    return list(
        db.session.scalars(
            select(SiteModerator.site_id).where(SiteModerator.reader_id == reader.id)
        )
    )


def sites_for(reader: Reader) -> list[Site]:
    site_ids = site_ids_for(reader)
    stmt = select(Site).order_by(Site.name)
    if site_ids is not None:
        stmt = stmt.where(Site.id.in_(site_ids))
    return list(db.session.scalars(stmt))


def can_moderate(reader: Reader) -> bool:
    site_ids = site_ids_for(reader)
    return site_ids is None or bool(site_ids)


def check_site(reader: Reader, site_id: int) -> None:
    """:raises NotModerator: the reader may not moderate this site."""
    site_ids = site_ids_for(reader)
    if site_ids is not None and site_id not in site_ids:
        raise NotModerator(_l("You do not moderate this site."))


def get_comment(reader: Reader, comment_id: int) -> Comment:
    comment = threads.get_comment(comment_id)
    if comment is None:
        raise NothingThere(_l("There is no such comment."))
    check_site(reader, comment.thread.site_id)
    return comment


# --- which readers a moderator may look up ----------------------------------------------


def readers_visible_to(moderator: Reader) -> ColumnElement[bool] | None:
    """The readers the moderator may look up, as a condition on Reader; None for an admin
    (everyone).

    A site moderator sees the readers who commented on, reported a comment on, were
    banned or suspended on, or were marked trusted or untrusted on one of their sites,
    and no one else: every page that names a reader by id asks this (visible_reader).
    """
    site_ids = site_ids_for(moderator)
    if site_ids is None:
        return None
    on_my_sites = Thread.site_id.in_(site_ids)
    commented = (
        select(Comment.id)
        .join(Thread, Thread.id == Comment.thread_id)
        .where(Comment.author_id == Reader.id, on_my_sites)
        .exists()
    )
    reported = (
        select(Report.id)
        .join(Comment, Comment.id == Report.comment_id)
        .join(Thread, Thread.id == Comment.thread_id)
        .where(Report.reader_id == Reader.id, on_my_sites)
        .exists()
    )
    banned = select(Ban.id).where(Ban.reader_id == Reader.id, Ban.site_id.in_(site_ids)).exists()
    marked = (
        select(TrustMark.id)
        .where(TrustMark.reader_id == Reader.id, TrustMark.site_id.in_(site_ids))
        .exists()
    )
    return or_(commented, reported, banned, marked)


def visible_reader(moderator: Reader, reader_id: int) -> Reader:
    """The reader, if the moderator may look them up (see readers_visible_to).

    :raises NothingThere: no such reader, or none the moderator may see (the same
        answer, so an id tells nothing about readers of other sites).
    """
    reader = None
    if 0 < reader_id <= DB_INT_MAX:
        stmt = select(Reader).where(Reader.id == reader_id)
        visible = readers_visible_to(moderator)
        if visible is not None:
            stmt = stmt.where(visible)
        reader = db.session.scalar(stmt)
    if reader is None:
        raise NothingThere(_l("There is no such reader."))
    return reader


def list_moderators(site: Site) -> list[Reader]:
    return list(
        db.session.scalars(
            select(Reader)
            .join(SiteModerator, SiteModerator.reader_id == Reader.id)
            .where(SiteModerator.site_id == site.id)
            .order_by(Reader.display_name)
        )
    )


def add_moderator(actor: Reader | None, site: Site, email: str) -> Reader:
    """Make the account with this e-mail address a moderator of the site.

    :raises NothingThere: no account has the address.
    :raises ModerationError: it already moderates the site.
    """
    reader = db.session.scalar(select(Reader).where(Reader.email == normalise_email(email)))
    if reader is None:
        raise NothingThere(_l("There is no account with this e-mail address."))
    db.session.add(SiteModerator(site_id=site.id, reader_id=reader.id))
    audit.record(
        actor,
        AuditAction.ADD_MODERATOR,
        target_type="reader",
        target_id=reader.id,
        target_label=reader.display_name,
        site=site,
    )
    try:
        db.session.commit()
    except IntegrityError as exc:
        db.session.rollback()
        raise ModerationError(
            _l("%(name)s already moderates this site.", name=reader.display_name)
        ) from exc
    return reader


def remove_moderator(actor: Reader, site: Site, reader_id: int) -> None:
    row = db.session.scalar(
        select(SiteModerator).where(
            SiteModerator.site_id == site.id, SiteModerator.reader_id == reader_id
        )
    )
    if row is None:
        return
    audit.record(
        actor,
        AuditAction.REMOVE_MODERATOR,
        target_type="reader",
        target_id=reader_id,
        target_label=row.reader.display_name,
        site=site,
    )
    db.session.delete(row)
    db.session.commit()


# --- each site's rules -----------------------------------------------------------------


@dataclass
class HoldRules:
    policy: str
    hold_first_n: int
    max_links: int
    report_threshold: int
    trust_after: int
    close_after_days: int | None


LIMITS = {
    "hold_first_n": (1, 100),
    "max_links": (0, 100),
    "report_threshold": (1, 100),
    "trust_after": (0, 1000),
    "close_after_days": (1, 3650),
}


def update_hold_rules(admin: Reader, site: Site, new: HoldRules) -> None:
    """Change what the site holds for moderation (admins only).

    :raises NotModerator: not an admin. :raises Invalid: a value out of range.
    """
    if not admin.is_admin:
        raise NotModerator(_l("Only an admin can change what a site holds."))
    try:
        policy = ModerationPolicy(new.policy)
    except ValueError as exc:
        raise Invalid(_l("Unknown moderation policy."), "policy") from exc
    for name, (low, high) in LIMITS.items():
        value = getattr(new, name)
        if value is not None and not low <= value <= high:
            raise Invalid(
                _l("This must be a number from %(low)d to %(high)d.", low=low, high=high), name
            )
    before = _hold_rules(site)
    site.moderation_policy = policy
    site.hold_first_n = new.hold_first_n
    site.max_links = new.max_links
    site.report_threshold = new.report_threshold
    site.trust_after = new.trust_after
    site.close_after_days = new.close_after_days
    audit.record(
        admin,
        AuditAction.HOLD_RULES,
        target_type="site",
        target_id=site.id,
        target_label=site.name,
        site=site,
        details={"before": before, "after": _hold_rules(site)},
    )
    db.session.commit()


def _hold_rules(site: Site) -> dict[str, object]:
    return {
        "policy": str(site.moderation_policy),
        "hold_first_n": site.hold_first_n,
        "max_links": site.max_links,
        "report_threshold": site.report_threshold,
        "trust_after": site.trust_after,
        "close_after_days": site.close_after_days,
    }


def update_word_lists(moderator: Reader, site: Site, suspicious: str, banned: str) -> None:
    """Replace the site's suspicious-word and banned-word lists (one entry per line).

    :raises NotModerator: another site. :raises Invalid: a list too long.
    """
    check_site(moderator, site.id)
    try:
        new_suspicious = rules.parse_word_list(suspicious)
    except Invalid as exc:
        raise Invalid(str(exc), "suspicious_words") from exc
    try:
        new_banned = rules.parse_word_list(banned)
    except Invalid as exc:
        raise Invalid(str(exc), "banned_words") from exc
    details = {
        "suspicious_added": sorted(set(new_suspicious) - set(site.suspicious_words)),
        "suspicious_removed": sorted(set(site.suspicious_words) - set(new_suspicious)),
        "banned_added": sorted(set(new_banned) - set(site.banned_words)),
        "banned_removed": sorted(set(site.banned_words) - set(new_banned)),
    }
    site.suspicious_words = new_suspicious
    site.banned_words = new_banned
    audit.record(
        moderator,
        AuditAction.WORD_LISTS,
        target_type="site",
        target_id=site.id,
        target_label=site.name,
        site=site,
        details=details,
    )
    db.session.commit()


def get_site(reader: Reader, slug: str) -> Site:
    """:raises NothingThere: no such site. :raises NotModerator: not one of the reader's."""
    site = db.session.scalar(select(Site).where(Site.slug == slug))
    if site is None:
        raise NothingThere(_l("There is no such site."))
    check_site(reader, site.id)
    return site
