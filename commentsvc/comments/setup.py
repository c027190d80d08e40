"""Whether a site's pages load the widget and the consent banner yet: the first load
from each registered origin, with its time, for the admin home's set-up checklist.

Recording is cheap by design. The widget page is usually answered by the page cache
(comments/page_cache.py) without Flask, but its cache key holds the whole query
string, and embed.js puts the embedding page's origin there (`origin=`): the first
framed load from an origin in a worker always reaches the view, which records it.
Each worker remembers the (kind, site, origin) triples it has recorded, so after the
first load a page view costs one set lookup; the row's unique key keeps workers from
recording twice. Only origins the site registered are recorded (and remembered), so
neither the table nor the set grows past 2 x 20 entries per site, whatever a client
sends.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime

from flask import current_app
from sqlalchemy import select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import IntegrityError

from commentsvc.comments.models import SightingKind, Site, SiteSighting
from commentsvc.core.extensions import db, utcnow

ORIGIN_MAX = 300
_RECORDED = "commentsvc.sightings"


@dataclass(frozen=True)
class Sighting:
    origin: str
    seen_at: datetime


def _recorded() -> set[tuple[str, int, str]]:
    recorded: set[tuple[str, int, str]] = current_app.extensions.setdefault(_RECORDED, set())
    return recorded


def record_sighting(site: Site, kind: SightingKind, origin: str | None) -> None:
    """Note that a page on origin loaded the site's widget or banner, if it is the first
    such load from that origin and the origin is one the site registered."""
    if not origin:
        return
    key = (kind.value, site.id, origin)
    recorded = _recorded()
    if key in recorded:
        return
    if origin not in site.origins or len(origin) > ORIGIN_MAX:
        return
    values = {"site_id": site.id, "kind": kind.value, "origin": origin, "seen_at": utcnow()}
    dialect = db.engine.dialect.name
    try:
        if dialect == "postgresql":
            db.session.execute(
                postgresql.insert(SiteSighting).values(**values).on_conflict_do_nothing()
            )
        elif dialect == "sqlite":
            db.session.execute(
                sqlite.insert(SiteSighting).values(**values).on_conflict_do_nothing()
            )
        else:  # pragma: no cover -- the service runs on SQLite or PostgreSQL
            db.session.add(SiteSighting(**values))
        db.session.commit()
    except IntegrityError:  # pragma: no cover -- another worker recorded it first
        db.session.rollback()
    recorded.add(key)


def sightings(site_ids: list[int]) -> dict[tuple[int, str], list[Sighting]]:
    """The recorded first loads per (site id, kind), oldest first."""
    found: dict[tuple[int, str], list[Sighting]] = defaultdict(list)
    if not site_ids:
        return found
    rows = db.session.execute(
        select(SiteSighting.site_id, SiteSighting.kind, SiteSighting.origin, SiteSighting.seen_at)
        .where(SiteSighting.site_id.in_(site_ids))
        .order_by(SiteSighting.seen_at, SiteSighting.id)
    )
    for site_id, kind, origin, seen_at in rows:
        found[(site_id, kind)].append(Sighting(origin, seen_at))
    return found
