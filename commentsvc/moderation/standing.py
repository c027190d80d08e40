"""A reader's standing on a site, read in one query: what posting asks of the database
before a comment is stored (is the reader banned here, what did the moderators mark,
how many comments of theirs were approved), rather than one query per rule."""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Integer,
    Select,
    and_,
    bindparam,
    exists,
    func,
    literal,
    or_,
    select,
)

from commentsvc.comments.models import Comment, CommentStatus, ModerationPolicy, Site, Thread
from commentsvc.core.extensions import db, utcnow
from commentsvc.moderation.models import Ban, TrustMark


def _in_force(now: Any) -> ColumnElement[bool]:
    """A ban or suspension neither lifted nor run out at now (a value or a parameter)."""
    return and_(Ban.lifted_at.is_(None), or_(Ban.until.is_(None), Ban.until > now))


def _on_site(site_id: Any) -> ColumnElement[bool]:
    """A ban on the site (a value or a parameter) or on every site."""
    return or_(Ban.site_id == site_id, Ban.site_id.is_(None))


def ban_in_force(reader_id: Any, site_id: Any, now: Any) -> ColumnElement[bool]:
    """The reader's bans and suspensions in force at now on the site (or everywhere);
    each argument a value or a parameter."""
    return and_(Ban.reader_id == reader_id, _in_force(now), _on_site(site_id))


def active_ban_filter(reader_ids: Collection[int], site_id: int | None) -> ColumnElement[bool]:
    """Bans and suspensions in force now for these readers (on the site or everywhere;
    every site's when site_id is None)."""
    condition = and_(Ban.reader_id.in_(reader_ids), _in_force(utcnow()))
    if site_id is not None:
        condition = and_(condition, _on_site(site_id))
    return condition


@dataclass(frozen=True)
class Standing:
    """banned: a ban or suspension stops the reader posting on the site now.
    trust_mark: the moderators' word (None: they said nothing). approved: the reader's
    approved comments on the site, counted up to the most the site's rules compare."""

    banned: bool
    trust_mark: bool | None
    approved: int
    trust_after: int

    @property
    def trusted(self) -> bool:
        """Marked trusted, or enough approved comments (unless marked not trusted)."""
        if self.trust_mark is not None:
            return self.trust_mark
        return self.trust_after > 0 and self.approved >= self.trust_after


def counted_up_to(site: Site) -> int:
    """How far approved comments need counting for the site's rules to compare."""
    first_n = site.hold_first_n if site.moderation_policy == ModerationPolicy.HOLD_FIRST_N else 0
    return max(site.trust_after, first_n, 0)


def facts(reader_id: Any, site_id: Any, now: Any, limit: Any | None) -> list[ColumnElement[Any]]:
    """The (banned, trust_mark, approved) columns of the reader's standing on the site,
    each argument a value, a parameter or a scalar subquery; approved counted up to limit
    (0 without one: the site's rules compare no count)."""
    banned = exists().where(ban_in_force(reader_id, site_id, now))
    mark = (
        select(TrustMark.trusted)
        .where(TrustMark.site_id == site_id, TrustMark.reader_id == reader_id)
        .scalar_subquery()
    )
    approved: ColumnElement[int] = literal(0)
    if limit is not None:
        some = (
            select(Comment.id)
            .join(Thread, Thread.id == Comment.thread_id)
            .where(
                Comment.author_id == reader_id,
                Thread.site_id == site_id,
                Comment.status == CommentStatus.APPROVED,
            )
            .limit(limit)
            .subquery()
        )
        approved = select(func.count()).select_from(some).scalar_subquery()
    return [banned.label("banned"), mark.label("trust_mark"), approved.label("approved")]


def _standing_statement(count_approved: bool) -> Select[Any]:
    """The one statement of of(), with the reader, site, time and count limit as
    parameters: built once, since building it costs more than running it."""
    limit = bindparam("limit", type_=Integer) if count_approved else None
    return select(
        *facts(
            bindparam("reader_id", type_=Integer),
            bindparam("site_id", type_=Integer),
            bindparam("now"),
            limit,
        )
    )


_STANDING = {counted: _standing_statement(counted) for counted in (False, True)}


def statement(site: Site) -> Select[Any]:
    """The one statement of of() for the site (see parameters), for a caller that reads
    the standing with other things in one statement (see comments.eligibility)."""
    return _STANDING[counted_up_to(site) > 0]


def parameters(reader_id: int, site: Site) -> dict[str, Any]:
    """The values of statement()'s parameters."""
    limit = counted_up_to(site)
    return {"reader_id": reader_id, "site_id": site.id, "now": utcnow(), "limit": limit}


def from_row(row: Sequence[Any], site: Site) -> Standing:
    """The standing from the (banned, trust_mark, approved) columns of statement()."""
    banned, mark, approved = row
    return Standing(
        banned=bool(banned),
        trust_mark=None if mark is None else bool(mark),
        approved=int(approved or 0),
        trust_after=site.trust_after,
    )


def of(reader_id: int, site: Site) -> Standing:
    """The reader's standing on the site, in one round trip."""
    row = db.session.execute(statement(site), parameters(reader_id, site)).one()
    return from_row(tuple(row), site)
