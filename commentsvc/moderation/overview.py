"""The admin home: every site's pending comments, open reports, comments today, and how
far its set-up has come (origins, widget seen, first comment, banner seen, moderators).

A fixed number of queries for all sites together, whatever their number.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, time
from typing import Any

from sqlalchemy import Select, case, distinct, func, select

from commentsvc.comments import setup, sites
from commentsvc.comments.models import Comment, Report, SightingKind, Site, Thread
from commentsvc.core.extensions import db, utcnow
from commentsvc.moderation.models import SiteModerator


@dataclass(frozen=True)
class Step:
    """One step of a site's set-up: done or not, since when, and on which origins."""

    name: str  # origins, widget, comment, banner, moderators
    done: bool
    at: datetime | None = None
    seen: list[setup.Sighting] = field(default_factory=list)
    count: int = 0


@dataclass(frozen=True)
class SiteCard:
    site: Site
    pending: int
    open_reports: int
    comments_today: int
    steps: list[Step]

    @property
    def steps_done(self) -> int:
        return sum(1 for step in self.steps if step.done)

    @property
    def set_up(self) -> bool:
        return all(step.done for step in self.steps)


def _per_site(stmt: Select[int, Any, datetime | None]) -> dict[int, tuple[int, datetime | None]]:
    return {site_id: (int(n), at) for site_id, n, at in db.session.execute(stmt)}


def _open_reports() -> dict[int, int]:
    """Comments with reports no moderator has decided yet, per site id."""
    stmt = (
        select(Thread.site_id, func.count(distinct(Report.comment_id)))
        .join(Comment, Comment.id == Report.comment_id)
        .join(Thread, Thread.id == Comment.thread_id)
        .where(Report.resolved_at.is_(None))
        .group_by(Thread.site_id)
    )
    return {site_id: int(n) for site_id, n in db.session.execute(stmt)}


def _comments(since: datetime) -> dict[int, tuple[int, datetime | None]]:
    """Comments written since `since`, and the time of the very first one, per site id."""
    today = func.sum(case((Comment.created_at >= since, 1), else_=0))
    stmt = (
        select(Thread.site_id, func.coalesce(today, 0), func.min(Comment.created_at))
        .join(Thread, Thread.id == Comment.thread_id)
        .group_by(Thread.site_id)
    )
    return _per_site(stmt)


def _moderators() -> dict[int, tuple[int, datetime | None]]:
    stmt = select(SiteModerator.site_id, func.count(), func.min(SiteModerator.created_at)).group_by(
        SiteModerator.site_id
    )
    return _per_site(stmt)


def _steps(
    site: Site,
    seen: dict[tuple[int, str], list[setup.Sighting]],
    comments: tuple[int, datetime | None],
    moderators: tuple[int, datetime | None],
) -> list[Step]:
    # Only origins the site still registers count as "seen".
    widget = [s for s in seen.get((site.id, SightingKind.WIDGET), []) if s.origin in site.origins]
    banner = [s for s in seen.get((site.id, SightingKind.BANNER), []) if s.origin in site.origins]
    return [
        Step("origins", bool(site.origins), site.created_at, count=len(site.origins)),
        Step("widget", bool(widget), widget[0].seen_at if widget else None, widget),
        Step("comment", comments[1] is not None, comments[1]),
        Step("banner", bool(banner), banner[0].seen_at if banner else None, banner),
        Step("moderators", moderators[0] > 0, moderators[1], count=moderators[0]),
    ]


def site_cards(pending: Mapping[str, int]) -> list[SiteCard]:
    """One card per site, by slug; pending: pending comments per site slug (the page
    has them from queue.pending_state)."""
    all_sites = sites.list_sites()
    reports = _open_reports()
    now = utcnow()
    midnight = datetime.combine(now.date(), time.min, tzinfo=now.tzinfo)
    comments = _comments(midnight)
    moderators = _moderators()
    seen = setup.sightings([s.id for s in all_sites])
    cards = []
    for site in all_sites:
        site_comments = comments.get(site.id, (0, None))
        cards.append(
            SiteCard(
                site=site,
                pending=pending.get(site.slug, 0),
                open_reports=reports.get(site.id, 0),
                comments_today=site_comments[0],
                steps=_steps(site, seen, site_comments, moderators.get(site.id, (0, None))),
            )
        )
    return cards
