"""Who must have a second factor: every admin, and the moderators of a site that asks
it of them (a site's rule, changed by an admin and audited)."""

from __future__ import annotations

from flask import current_app
from sqlalchemy import exists, select

from commentsvc.accounts.models import Reader
from commentsvc.comments.models import Site
from commentsvc.core.extensions import db, utcnow
from commentsvc.moderation import audit, moderators
from commentsvc.moderation.models import AuditAction, SiteModerator, SiteSecurity


def is_staff(reader: Reader) -> bool:
    """Admins and site moderators."""
    return reader.is_admin or moderators.can_moderate(reader)


def must_have_factor(reader: Reader) -> bool:
    """Whether the reader's staff role requires a second factor: every admin, and the
    moderators of a site that asks it of them."""
    if reader.is_admin:
        return bool(current_app.config["ADMINS_NEED_SECOND_FACTOR"])
    required = (
        select(SiteModerator.id)
        .join(SiteSecurity, SiteSecurity.site_id == SiteModerator.site_id)
        .where(
            SiteModerator.reader_id == reader.id,
            SiteSecurity.moderators_need_second_factor.is_(True),
        )
    )
    return bool(db.session.scalar(select(exists(required))))


def site_requires_factor(site: Site) -> bool:
    row = db.session.get(SiteSecurity, site.id)
    return bool(row and row.moderators_need_second_factor)


def set_site_rule(admin: Reader, site: Site, required: bool) -> None:
    """Require (or stop requiring) a second factor of the site's moderators; audited."""
    row = db.session.get(SiteSecurity, site.id)
    before = bool(row and row.moderators_need_second_factor)
    if row is None:
        row = SiteSecurity(site_id=site.id)
        db.session.add(row)
    row.moderators_need_second_factor = required
    row.changed_at = utcnow()
    if before != required:
        audit.record(
            admin,
            AuditAction.SECOND_FACTOR_RULE,
            target_type="site",
            target_id=site.id,
            target_label=site.name,
            site=site,
            before="required" if before else "optional",
            after="required" if required else "optional",
        )
    db.session.commit()
