"""Registering sites and checking origins and article URLs against them."""

from __future__ import annotations

import re
import secrets
from urllib.parse import urlsplit

from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from commentsvc.accounts.models import Reader
from commentsvc.comments.models import ModerationPolicy, Site
from commentsvc.core.errors import Conflict, Invalid, NotFound
from commentsvc.core.extensions import db
from commentsvc.core.links import DEFAULT_PORTS, origin_of
from commentsvc.moderation import audit
from commentsvc.moderation.models import AuditAction

SLUG_RE = re.compile(r"^[a-z0-9](?:[a-z0-9-]{0,58}[a-z0-9])?$")


class SiteExists(Conflict):
    """Another site already has this slug."""


def normalise_origin(raw: str) -> str:
    """The exact origin "scheme://host[:port]" of raw, which must be nothing more.

    :raises Invalid: not an http(s) origin, or it carries a path, query or credentials.
    """
    text = raw.strip()
    try:
        parts = urlsplit(text)
        port = parts.port
    except ValueError as exc:
        raise Invalid(_l("%(origin)s is not a valid origin.", origin=raw), "origin") from exc
    if (
        parts.scheme not in DEFAULT_PORTS
        or not parts.hostname
        or parts.username
        or parts.password
        or parts.path not in ("", "/")
        or parts.query
        or parts.fragment
    ):
        raise Invalid(
            _l("%(origin)s is not an origin like https://news.example.", origin=raw), "origin"
        )
    host = parts.hostname.lower()
    if ":" in host:
        host = f"[{host}]"
    if port is None or port == DEFAULT_PORTS[parts.scheme]:
        return f"{parts.scheme}://{host}"
    return f"{parts.scheme}://{host}:{port}"


def url_is_on_site(site: Site, url: str) -> bool:
    return origin_of(url) in site.origins


def _check(slug: str, name: str, origins: list[str]) -> tuple[str, str, list[str]]:
    slug = slug.strip().lower()
    if not SLUG_RE.match(slug):
        raise Invalid(_l("A slug is 1 to 60 lower-case letters, digits and hyphens."), "slug")
    name = " ".join(name.split())
    if not 1 <= len(name) <= 200:
        raise Invalid(_l("A site name is 1 to 200 characters long."), "name")
    cleaned: list[str] = []
    for raw in origins:
        origin = normalise_origin(raw)
        if origin not in cleaned:
            cleaned.append(origin)
    if not cleaned:
        raise Invalid(_l("A site needs at least one origin."), "origins")
    if len(cleaned) > 20:
        raise Invalid(_l("A site can have at most 20 origins."), "origins")
    return slug, name, cleaned


def create_site(
    slug: str,
    name: str,
    origins: list[str],
    moderation_policy: str = ModerationPolicy.HOLD_NONE,
    edit_window_seconds: int = 15 * 60,
    by: Reader | None = None,
) -> Site:
    """Register a site; by, the admin doing it (audited with the site's settings; the
    command line passes None).

    :raises Invalid: a bad slug, name or origin. :raises SiteExists: slug taken.
    """
    slug, name, cleaned = _check(slug, name, origins)
    site = Site(
        slug=slug,
        name=name,
        origins=cleaned,
        moderation_policy=ModerationPolicy(moderation_policy),
        edit_window_seconds=edit_window_seconds,
    )
    db.session.add(site)
    try:
        db.session.flush()
    except IntegrityError as exc:
        db.session.rollback()
        raise SiteExists from exc
    if by is not None:
        audit.record_site_change(by, AuditAction.SITE_CREATE, site)
    db.session.commit()
    return site


def update_site(
    site: Site,
    name: str,
    origins: list[str],
    moderation_policy: str,
    edit_window_seconds: int,
    by: Reader | None = None,
) -> None:
    """Change a site's settings; by, the admin doing it (audited in the same transaction).

    :raises Invalid: a bad name, origin, policy or edit window.
    """
    _, name, cleaned = _check(site.slug, name, origins)
    if not 0 <= edit_window_seconds <= 7 * 24 * 3600:
        raise Invalid(_l("The edit window is 0 to 10080 minutes."), "edit_window")
    try:
        policy = ModerationPolicy(moderation_policy)
    except ValueError as exc:
        raise Invalid(_l("Unknown moderation policy."), "moderation_policy") from exc
    site.name = name
    site.origins = cleaned
    site.moderation_policy = policy
    site.edit_window_seconds = edit_window_seconds
    if by is not None:
        audit.record_site_change(by, AuditAction.SITE_UPDATE, site)
    db.session.commit()


def new_thread_secret(site: Site, by: Reader | None = None) -> str:
    """Make (or replace) the secret the site's templates sign thread snippets with.

    Snippets signed with the old secret no longer count as signed.
    """
    site.thread_secret = secrets.token_hex(32)
    if by is not None:
        audit.record_site_change(by, AuditAction.SITE_UPDATE, site)
    db.session.commit()
    return site.thread_secret


def set_require_signed_threads(site: Site, required: bool, by: Reader | None = None) -> None:
    """Whether only signed snippets create threads and set their titles.

    :raises Invalid: required, but the site has no secret to sign with yet.
    """
    if required and not site.thread_secret:
        raise Invalid(_l("Make a signing secret first."), "require_signed_threads")
    site.require_signed_threads = required
    if by is not None:
        audit.record_site_change(by, AuditAction.SITE_UPDATE, site)
    db.session.commit()


def get_site(slug: str) -> Site | None:
    return db.session.scalar(select(Site).where(Site.slug == slug))


def require_site(slug: str) -> Site:
    """The site with this slug.

    :raises NotFound: there is none.
    """
    site = get_site(slug)
    if site is None:
        raise NotFound(_l("There is no such site."))
    return site


def list_sites() -> list[Site]:
    return list(db.session.scalars(select(Site).order_by(Site.slug)))
