"""Threads: finding and creating them, locking, and approved-comment counts for many at once."""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass

from flask_babel import lazy_gettext as _l
from sqlalchemy import and_, bindparam, select
from sqlalchemy.exc import IntegrityError

from commentsvc.comments import lifecycle, sites
from commentsvc.comments.models import Comment, Site, Thread
from commentsvc.core.errors import Invalid
from commentsvc.core.extensions import db

KEY_MAX = 200
TITLE_MAX = 300
URL_MAX = 2000
# Larger ids or cursor values cannot name a row (SQLite raises OverflowError on them).
INT_MAX = 2**63 - 1


def _check_key(key: str) -> str:
    if not 1 <= len(key) <= KEY_MAX or any(unicodedata.category(c)[0] == "C" for c in key):
        raise Invalid(_l("A thread key is 1 to 200 visible characters."), "key")
    return key


# Built once: every thread read starts with this query, and building the
# expression costs more than running it.
_FIND_THREAD = (
    select(Site, Thread)
    .outerjoin(Thread, and_(Thread.site_id == Site.id, Thread.key == bindparam("key")))
    .where(Site.slug == bindparam("slug"))
)


def find_thread(site_slug: str, key: str) -> tuple[Site, Thread | None] | None:
    """The site and, if it exists yet, the thread: one query. None if there is no such site."""
    row = db.session.execute(_FIND_THREAD, {"key": key, "slug": site_slug}).first()
    if row is None:
        return None
    return row[0], row[1]


def find_existing_thread(site_slug: str, key: str) -> tuple[Site, Thread] | None:
    """The site and thread, or None if either does not exist."""
    found = find_thread(site_slug, key)
    if found is None or found[1] is None:
        return None
    return found[0], found[1]


def create_thread(site: Site, key: str, title: str, url: str) -> Thread:
    """Create the thread on its first view, with the title and URL from the snippet.

    :raises Invalid: the key is malformed, or the URL is not on one of the site's origins.
    """
    _check_key(key)
    if len(url) > URL_MAX or not sites.url_is_on_site(site, url):
        raise Invalid(_l("The article URL is not on one of the site's origins."), "url")
    thread = Thread(site_id=site.id, key=key, title=" ".join(title.split())[:TITLE_MAX], url=url)
    db.session.add(thread)
    try:
        db.session.commit()
    except IntegrityError:
        # Two first views at once: the other one created it.
        db.session.rollback()
        found = find_thread(site.slug, key)
        if found is None or found[1] is None:
            raise
        return found[1]
    return thread


def set_locked(thread: Thread, locked: bool) -> None:
    """Lock the thread or unlock it (the site's own tools; moderators go through
    moderation.decisions, which also writes the audit entry)."""
    lifecycle.set_locked(thread, locked)
    db.session.commit()


# --- reading ---------------------------------------------------------------------------


_COUNTS = (
    select(Site.origins, Thread.key, Thread.comment_count)
    .outerjoin(
        Thread,
        and_(Thread.site_id == Site.id, Thread.key.in_(bindparam("keys", expanding=True))),
    )
    .where(Site.slug == bindparam("slug"))
)


@dataclass(frozen=True)
class SiteCounts:
    origins: list[str]
    counts: dict[str, int]


def counts(site_slug: str, keys: list[str]) -> SiteCounts | None:
    """Approved comment counts for many threads of a site (0 for unknown keys), with the
    site's origins; None if there is no such site. One query."""
    wanted = [k for k in dict.fromkeys(keys) if 1 <= len(k) <= KEY_MAX]
    rows = db.session.execute(_COUNTS, {"slug": site_slug, "keys": wanted}).all()
    if not rows:
        return None
    found = {key: count for _origins, key, count in rows if key is not None}
    return SiteCounts(list(rows[0][0]), {k: found.get(k, 0) for k in wanted})


def get_comment(comment_id: int) -> Comment | None:
    """The comment with this id, or None (also for ids too large for any row)."""
    if not 0 < comment_id <= INT_MAX:
        return None
    return db.session.get(Comment, comment_id)
