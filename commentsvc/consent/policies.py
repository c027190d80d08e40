"""Policy documents: published versions, and the versions a reader still has to accept."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from functools import cache
from typing import Any

from flask_babel import lazy_gettext as _l
from sqlalchemy import (
    ColumnElement,
    CompoundSelect,
    Integer,
    ScalarSelect,
    String,
    bindparam,
    cast,
    func,
    literal,
    or_,
    select,
    union_all,
)

from commentsvc.accounts.models import Reader
from commentsvc.comments.models import Site
from commentsvc.consent.models import PolicyAcceptance, PolicyDocument, PolicyVersion
from commentsvc.consent.policy_texts import BUILTIN
from commentsvc.core.errors import Conflict, Invalid
from commentsvc.core.extensions import db
from commentsvc.core.sanitize import render_document

# Readers accept these; the cookie policy is only linked from the banner.
ACCEPTED = (PolicyDocument.TERMS, PolicyDocument.PRIVACY)
TITLES = {
    PolicyDocument.PRIVACY: _l("Privacy policy"),
    PolicyDocument.TERMS: _l("Terms of use"),
    PolicyDocument.COOKIES: _l("Cookie policy"),
}
SOURCE_MAX = 100_000
SUMMARY_MAX = 500


class PolicyChanged(Conflict):
    """What the reader was shown is no longer what is in force (a newer version came out)."""


@dataclass(frozen=True)
class Policy:
    """One version of a document as pages show it."""

    document: PolicyDocument
    version: int
    # None: the service's document; otherwise the site's own.
    site_id: int | None
    body_html: str
    source: str
    summary: str
    # None for the built-in version 1.
    published_at: datetime | None

    @property
    def title(self) -> str:
        return str(TITLES[self.document])

    @property
    def builtin(self) -> bool:
        return self.published_at is None

    @property
    def key(self) -> str:
        """Names this exact version in an accept form: "terms:0:3"."""
        return f"{self.document}:{self.site_id or 0}:{self.version}"


def parse_document(name: str) -> PolicyDocument | None:
    try:
        return PolicyDocument(name)
    except ValueError:
        return None


@cache
def _builtin(document: PolicyDocument) -> Policy:
    source = BUILTIN[document.value]
    return Policy(
        document=document,
        version=1,
        site_id=None,
        body_html=render_document(source),
        source=source,
        summary="",
        published_at=None,
    )


def _policy(row: PolicyVersion) -> Policy:
    return Policy(
        document=PolicyDocument(row.document),
        version=row.version,
        site_id=row.site_id,
        body_html=row.body_html,
        source=row.source,
        summary=row.summary,
        published_at=row.published_at,
    )


def _scope(site_id: int | None) -> ColumnElement[bool]:
    return PolicyVersion.site_id.is_(None) if site_id is None else PolicyVersion.site_id == site_id


def get_version(
    document: PolicyDocument, version: int, site_id: int | None = None
) -> Policy | None:
    """That version of the service's document (site_id None) or of a site's own one."""
    row = db.session.scalar(
        select(PolicyVersion).where(
            PolicyVersion.document == document,
            _scope(site_id),
            PolicyVersion.version == version,
        )
    )
    if row is not None:
        return _policy(row)
    if site_id is None and version == 1:
        return _builtin(document)
    return None


def _with_site(site_id: Any) -> ColumnElement[bool]:
    """The service's versions, and the site's own (site_id: None, an id or a parameter)."""
    service: ColumnElement[bool] = PolicyVersion.site_id.is_(None)
    return service if site_id is None else or_(service, PolicyVersion.site_id == site_id)


def _latest_numbers(site_id: int | None) -> dict[tuple[str, int | None], int]:
    """(document, site_id) -> newest version number, for the service and one site."""
    rows = db.session.execute(
        select(PolicyVersion.document, PolicyVersion.site_id, func.max(PolicyVersion.version))
        .where(_with_site(site_id))
        .group_by(PolicyVersion.document, PolicyVersion.site_id)
    )
    return {(document, sid): number for document, sid, number in rows}


def _numbers_and_acceptances_statement(
    site_id: Any, reader_id: Any, outer: tuple[Any, ...] = ()
) -> CompoundSelect[Any]:
    """The rows pending_among reads (site_id: None, a parameter, a scalar subquery or a
    column of outer; reader_id: a parameter, a scalar subquery or a column of outer).
    outer: the tables of an enclosing statement whose columns these rows are read
    for, one row at a time."""
    latest = (
        select(
            literal("latest").label("kind"),
            PolicyVersion.document.label("document"),
            PolicyVersion.site_id.label("site_id"),
            cast(func.max(PolicyVersion.version), String).label("version"),
        )
        .where(_with_site(site_id))
        .group_by(PolicyVersion.document, PolicyVersion.site_id)
    )
    theirs = select(
        literal("accepted"),
        PolicyAcceptance.document,
        PolicyAcceptance.site_id,
        PolicyAcceptance.version,
    ).where(PolicyAcceptance.reader_id == reader_id)
    if outer:
        latest, theirs = latest.correlate(*outer), theirs.correlate(*outer)
    return union_all(latest, theirs)


# Built once (for a site, and for the service alone): building costs more than running.
_NUMBERS_AND_ACCEPTANCES = {
    with_site: _numbers_and_acceptances_statement(
        bindparam("site_id", type_=Integer) if with_site else None,
        bindparam("reader_id", type_=Integer),
    )
    for with_site in (False, True)
}

# What pending_among reads: (kind, document, site_id, version) rows.
PolicyRow = tuple[str, str, int | None, str]


def numbers_and_acceptances() -> CompoundSelect[Any]:
    """The rows pending_among reads, for the reader and site named by the parameters
    reader_id and site_id: for a caller that reads them with other things, in one
    statement (see comments.eligibility)."""
    return _NUMBERS_AND_ACCEPTANCES[True]


def packed_numbers_and_acceptances(
    site_id: Any, reader_id: Any, outer: tuple[Any, ...] = ()
) -> ScalarSelect[Any]:
    """The rows pending_among reads, for a site and a reader (each a parameter, a scalar
    subquery or a column of the tables outer names, in the statement this column is
    added to), as one text column: for a caller that reads them in a statement that has
    one row (see comments.eligibility; unpacked turns it back into rows)."""
    rows = _numbers_and_acceptances_statement(site_id, reader_id, outer).subquery()
    scope = func.coalesce(cast(rows.c.site_id, String), "")
    line = rows.c.kind + ":" + rows.c.document + ":" + scope + ":" + rows.c.version
    return select(func.aggregate_strings(line, ";")).scalar_subquery()


def unpacked(packed: str | None) -> list[PolicyRow]:
    """The rows of packed_numbers_and_acceptances' column (kinds, documents, ids and
    version numbers hold neither separator)."""
    rows: list[PolicyRow] = []
    for line in (packed or "").split(";"):
        if line:
            kind, document, scope, version = line.split(":")
            rows.append((kind, document, int(scope) if scope else None, version))
    return rows


def _numbers_and_accepted(
    rows: Iterable[PolicyRow],
) -> tuple[dict[tuple[str, int | None], int], set[tuple[str, int | None, str]]]:
    """(document, site_id) -> newest version number, and the reader's acceptances
    (document, site_id, version)."""
    numbers: dict[tuple[str, int | None], int] = {}
    accepted: set[tuple[str, int | None, str]] = set()
    for kind, document, sid, version in rows:
        if kind == "latest":
            numbers[(document, sid)] = int(version)
        else:
            accepted.add((document, sid, version))
    return numbers, accepted


def _in_force(
    document: PolicyDocument, site_id: int | None, numbers: dict[tuple[str, int | None], int]
) -> tuple[int | None, int]:
    """(site_id, version) of the version in force: the site's own, else the service's."""
    if site_id is not None and (document.value, site_id) in numbers:
        return site_id, numbers[(document.value, site_id)]
    return None, numbers.get((document.value, None), 1)


def current(document: PolicyDocument, site: Site | None = None) -> Policy:
    """The version in force for a site (its own if it has one) or for the service."""
    site_id = site.id if site is not None else None
    scope_id, version = _in_force(document, site_id, _latest_numbers(site_id))
    found = get_version(document, version, scope_id)
    if found is None:  # the number was just read from the table, or is the built-in 1
        raise LookupError(f"{document} version {version} vanished")
    return found


def versions(document: PolicyDocument, site_id: int | None = None) -> list[Policy]:
    """Every version of the service's (or a site's own) document, newest first."""
    rows = db.session.scalars(
        select(PolicyVersion)
        .where(PolicyVersion.document == document, _scope(site_id))
        .order_by(PolicyVersion.version.desc())
    )
    found = [_policy(row) for row in rows]
    if site_id is None:
        found.append(_builtin(document))
    return found


def has_own(document: PolicyDocument, site: Site) -> bool:
    return (document.value, site.id) in _latest_numbers(site.id)


def add_version(
    document: PolicyDocument,
    source: str,
    summary: str,
    published_by: Reader | None,
    site: Site | None = None,
) -> Policy:
    """A new version of the service's document, or of a site's own, in the caller's
    transaction (publishing.publish is the use case).

    :raises Invalid: empty or over-long text or summary.
    """
    text = source.replace("\r\n", "\n").strip()
    note = " ".join(summary.split())
    if not text or len(text) > SOURCE_MAX:
        raise Invalid(_l("The document is 1 to %(n)d characters long.", n=SOURCE_MAX), "source")
    if not note or len(note) > SUMMARY_MAX:
        raise Invalid(_l("Say in 1 to %(n)d characters what changed.", n=SUMMARY_MAX), "summary")
    site_id = site.id if site is not None else None
    newest = _latest_numbers(site_id).get((document.value, site_id))
    # The service's numbering starts after the built-in version 1; a site's at 1.
    number = (newest or (1 if site is None else 0)) + 1
    row = PolicyVersion(
        document=document.value,
        site_id=site_id,
        version=number,
        source=text,
        body_html=render_document(text),
        summary=note,
        published_by_id=published_by.id if published_by is not None else None,
    )
    db.session.add(row)
    db.session.flush()
    return _policy(row)


# --- acceptance --------------------------------------------------------------------------


def pending_acceptances(reader: Reader, site: Site | None = None) -> list[Policy]:
    """The terms and privacy versions in force that the reader has yet to accept.

    Only readers who accepted an earlier version of a document are asked: sign-up
    records the versions in force, so every account has one on record.
    """
    site_id = site.id if site is not None else None
    rows = db.session.execute(
        _NUMBERS_AND_ACCEPTANCES[site_id is not None],
        {"site_id": site_id, "reader_id": reader.id},
    )
    return pending_among((tuple(row) for row in rows), site_id)


def pending_among(rows: Iterable[PolicyRow], site_id: int | None) -> list[Policy]:
    """pending_acceptances, from the rows of numbers_and_acceptances() already read."""
    numbers, accepted = _numbers_and_accepted(rows)
    documents_on_record = {document for document, _, _ in accepted}
    pending = []
    for document in ACCEPTED:
        scope_id, version = _in_force(document, site_id, numbers)
        if document.value not in documents_on_record:
            continue
        if (document.value, scope_id, str(version)) in accepted:
            continue
        found = get_version(document, version, scope_id)
        if found is not None:
            pending.append(found)
    return pending


def record_acceptance(reader: Reader, policy: Policy) -> None:
    """Add an acceptance of this version to reader (the caller commits)."""
    reader.acceptances.append(
        PolicyAcceptance(
            document=policy.document.value, version=str(policy.version), site_id=policy.site_id
        )
    )


def accept(reader: Reader, shown: list[str], site: Site | None = None) -> None:
    """Record that the reader accepted the pending versions they were shown.

    :raises PolicyChanged: what was shown is not exactly what is pending now.
    """
    pending = pending_acceptances(reader, site)
    if not pending:
        return
    if sorted(shown) != sorted(p.key for p in pending):
        raise PolicyChanged
    for policy in pending:
        record_acceptance(reader, policy)
    db.session.commit()


def acceptance_history(reader: Reader) -> list[tuple[PolicyAcceptance, Site | None]]:
    """The reader's acceptances, newest first, with the site for a site's own document."""
    rows = db.session.execute(
        select(PolicyAcceptance, Site)
        .outerjoin(Site, Site.id == PolicyAcceptance.site_id)
        .where(PolicyAcceptance.reader_id == reader.id)
        .order_by(PolicyAcceptance.accepted_at.desc(), PolicyAcceptance.id.desc())
    )
    return [(acceptance, site) for acceptance, site in rows]


def preview(source: str) -> str:
    """The HTML a version with this text would show, without publishing it."""
    return render_document(source.replace("\r\n", "\n").strip())
