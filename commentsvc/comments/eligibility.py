"""The one answer to "may this reader post in this thread now?".

`refusal()` is asked by the service before every post or edit, and by the thread
pages to decide what to show instead of the comment form. A refused post raises
`PostingRefused`, which carries the refusal, so a view that shows the page again
does not work it out a second time. (Rate limits are the views' decorators: they
count requests, not the reader's standing.)
"""

from __future__ import annotations

import enum
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache
from typing import Any

from flask import current_app, g
from flask_babel import format_datetime
from flask_babel import lazy_gettext as _l
from sqlalchemy import Integer, Select, String, bindparam, select, true
from sqlalchemy.orm import aliased

from commentsvc.accounts.models import Reader, ReaderSession
from commentsvc.comments.models import Site, Thread
from commentsvc.consent import policies
from commentsvc.consent.policies import Policy
from commentsvc.core.errors import Forbidden
from commentsvc.core.extensions import db, utcnow
from commentsvc.moderation import rules, standing
from commentsvc.moderation.standing import Standing


class Reason(enum.StrEnum):
    LOCKED = "locked"
    SIGNED_OUT = "signed_out"
    POLICIES = "policies"
    UNVERIFIED = "unverified"
    BANNED = "banned"
    CLOSED = "closed"


@dataclass(frozen=True)
class Refusal:
    """Why the reader cannot post; message is for the reader. For POLICIES, the
    versions to accept first."""

    reason: Reason
    message: str
    pending: tuple[Policy, ...] = ()


class PostingRefused(Forbidden):
    """The reader may not post here now; refusal says why."""

    def __init__(self, refusal: Refusal) -> None:
        super().__init__(refusal.message)
        self.refusal = refusal


@dataclass(frozen=True)
class Inputs:
    """What the rules ask of the database about a reader on a site before a post: their
    standing (ban, trust, approved comments) and the policy versions they have yet to
    accept."""

    standing: Standing
    pending: tuple[Policy, ...]


@cache  # built once for each of standing's statements: building costs more than running
def _inputs_statement(of_standing: Select[Any]) -> Select[Any]:
    """The standing's one row, with the policy numbers and the reader's acceptances
    alongside (the outer join keeps the row when there are none)."""
    facts = of_standing.subquery()
    rows = policies.numbers_and_acceptances().subquery()
    return select(facts, rows).select_from(facts.outerjoin(rows, true()))


def inputs(reader: Reader, site: Site) -> Inputs:
    """The reader's Inputs on the site, in one round trip (none if this request read
    them already: see alongside)."""
    found = g.get(_PRELOADED, {}).pop((reader.id, site.id), None)
    if found is not None:
        row, limit = found
        if limit >= standing.counted_up_to(site):
            return _from_row(row, site)
    statement = _inputs_statement(standing.statement(site))
    rows = db.session.execute(statement, standing.parameters(reader.id, site)).all()
    pending = policies.pending_among((tuple(r[3:]) for r in rows if r[3] is not None), site.id)
    return Inputs(standing.from_row(rows[0][:3], site), tuple(pending))


# --- read with the thread, for a post ----------------------------------------------------
# A post's first query reads the site and the thread, and the session's reader when
# Flask-Login has not loaded them yet (see comments.threads.find_thread); with alongside,
# it reads the reader's Inputs too, so the rules cost no round trip of their own. The
# statement names the site by that query's "slug" parameter and the reader by its
# "token_hash" parameter (or by "reader_id"); approved comments are counted up to the
# "limit" the site's rules needed on the last post (parameters), and inputs asks the
# database again in the rare case they need more now.

_PRELOADED = "preloaded_inputs"
_COUNT_LIMITS = "commentsvc.count_limits"


def alongside(statement: Select[*tuple[Any, ...]], by_token: bool) -> Select[*tuple[Any, ...]]:
    """statement with the Inputs of a reader on the site the "slug" parameter names, as
    four more columns (see preload): the reader whose session the "token_hash" parameter
    names (by_token), else the one the "reader_id" parameter names."""
    # Each subquery reads its own alias of the table: it never correlates with statement.
    on_site = aliased(Site)
    by_slug = on_site.slug == bindparam("slug", type_=String)
    site_id = select(on_site.id).where(by_slug).scalar_subquery()
    reader_id: Any = bindparam("reader_id", type_=Integer)
    if by_token:
        session = aliased(ReaderSession)
        by_hash = session.token_hash == bindparam("token_hash", type_=String)
        reader_id = select(session.reader_id).where(by_hash).scalar_subquery()
    limit = bindparam("limit", type_=Integer)
    return statement.add_columns(
        *standing.facts(reader_id, site_id, bindparam("now"), limit),
        policies.packed_numbers_and_acceptances(site_id, reader_id).label("policy_rows"),
    )


def parameters(site_slug: str) -> dict[str, Any]:
    """The values of the parameters alongside adds to the thread query's ("now", "limit")."""
    limits: dict[str, int] = current_app.extensions.get(_COUNT_LIMITS, {})
    return {"now": utcnow(), "limit": limits.get(site_slug, 0)}


def preload(reader_id: int | None, site: Site, row: Sequence[Any], limit: int) -> None:
    """This request read a reader's Inputs on the site with a statement of its own
    (alongside: row is its four columns, limit the parameter's value): inputs takes them
    from there, once. The site's rules say how far the next such statement counts."""
    limits = current_app.extensions.setdefault(_COUNT_LIMITS, {})
    limits[site.slug] = standing.counted_up_to(site)
    if reader_id is not None:
        g.setdefault(_PRELOADED, {})[(reader_id, site.id)] = (tuple(row), limit)


def _from_row(row: Sequence[Any], site: Site) -> Inputs:
    pending = policies.pending_among(policies.unpacked(row[3]), site.id)
    return Inputs(standing.from_row(row[:3], site), tuple(pending))


def refusal(
    reader: Reader | None,
    site: Site,
    thread: Thread,
    banned: bool | None = None,
    pending: tuple[Policy, ...] | None = None,
) -> Refusal | None:
    """Why reader may not post in thread now, or None when they may.

    In this order: a locked thread (whoever reads it), signed out, new policy
    versions to accept, an unverified address, a ban or suspension on the site, a
    thread closed by the site's rule. banned: whether a ban or suspension stops the
    reader on the site, when the caller has read it already (posting reads the
    reader's standing for the hold rules too; thread pages read it with the reader's
    stake in the thread). pending: the policy versions to accept, likewise (see inputs).
    """
    if thread.locked:
        return Refusal(Reason.LOCKED, str(_l("This thread is locked: no new comments.")))
    if reader is None:
        return Refusal(Reason.SIGNED_OUT, str(_l("Sign in first.")))
    if pending is None:
        pending = tuple(policies.pending_acceptances(reader, site))
    if pending:
        message = _l("Please accept the new terms of use or privacy policy before you comment.")
        return Refusal(Reason.POLICIES, str(message), pending)
    if not reader.is_verified:
        return Refusal(Reason.UNVERIFIED, str(_l("Verify your e-mail address before you comment.")))
    ban = None if banned is False else rules.active_ban(reader.id, site.id)
    if ban is not None:
        return Refusal(Reason.BANNED, rules.ban_message(ban, site))
    closed = rules.closed_since(site, thread)
    if closed is not None:
        message = _l(
            "This thread closed for new comments on %(date)s.",
            date=format_datetime(closed, "short") + " UTC",
        )
        return Refusal(Reason.CLOSED, str(message))
    return None


def check(reader: Reader, site: Site, thread: Thread) -> Standing:
    """The reader's standing on the site, read with everything else the check needs.

    :raises PostingRefused: the reader may not post in thread now.
    """
    known = inputs(reader, site)
    found = refusal(reader, site, thread, known.standing.banned, known.pending)
    if found is not None:
        raise PostingRefused(found)
    return known.standing
