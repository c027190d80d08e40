"""The one answer to "may this reader post in this thread now?".

`refusal()` is asked by the service before every post or edit, and by the thread
pages to decide what to show instead of the comment form. A refused post raises
`PostingRefused`, which carries the refusal, so a view that shows the page again
does not work it out a second time. (Rate limits are the views' decorators: they
count requests, not the reader's standing.)
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from functools import cache
from typing import Any

from flask_babel import format_datetime
from flask_babel import lazy_gettext as _l
from sqlalchemy import Select, select, true

from commentsvc.accounts.models import Reader
from commentsvc.comments.models import Site, Thread
from commentsvc.consent import policies
from commentsvc.consent.policies import Policy
from commentsvc.core.errors import Forbidden
from commentsvc.core.extensions import db
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
    """The reader's Inputs on the site, in one round trip."""
    statement = _inputs_statement(standing.statement(site))
    rows = db.session.execute(statement, standing.parameters(reader.id, site)).all()
    pending = policies.pending_among((tuple(r[3:]) for r in rows if r[3] is not None), site.id)
    return Inputs(standing.from_row(rows[0][:3], site), tuple(pending))


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
