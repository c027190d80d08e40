"""The append-only audit log: every moderator and admin action, who, what, when and why."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Delete, Select, Update, event, select
from sqlalchemy.orm import ORMExecuteState, Session, UOWTransaction

from commentsvc.accounts.models import Reader
from commentsvc.comments.models import Site
from commentsvc.core.extensions import db
from commentsvc.moderation.models import AuditAction, AuditEntry

PAGE_SIZE = 50
EXPORT_CHUNK = 1000


class AuditLogIsAppendOnly(RuntimeError):
    """Something tried to change or delete an audit entry."""


@event.listens_for(Session, "before_flush")
def _refuse_changes(session: Session, flush_context: UOWTransaction, instances: object) -> None:
    for obj in session.deleted:
        if isinstance(obj, AuditEntry):
            raise AuditLogIsAppendOnly("audit entries cannot be deleted")
    for obj in session.dirty:
        if isinstance(obj, AuditEntry) and session.is_modified(obj):
            raise AuditLogIsAppendOnly("audit entries cannot be changed")


@event.listens_for(Session, "do_orm_execute")
def _refuse_bulk_changes(state: ORMExecuteState) -> None:
    statement = state.statement
    table = getattr(statement, "table", None)
    if isinstance(statement, Update | Delete) and getattr(table, "name", "") == "audit_entry":
        raise AuditLogIsAppendOnly("audit entries cannot be changed or deleted")


def record(
    actor: Reader | None,
    action: AuditAction,
    *,
    target_type: str,
    target_id: int | None,
    target_label: str = "",
    site: Site | None = None,
    before: str = "",
    after: str = "",
    reason: str = "",
    details: dict[str, Any] | None = None,
) -> AuditEntry:
    """Add an entry to the caller's transaction: it is kept only if the action commits.

    actor None means the service itself acted (e.g. readers' reports sent a comment back).
    """
    entry = AuditEntry(
        actor_id=actor.id if actor else None,
        actor_name=actor.display_name if actor else "",
        action=action,
        site_id=site.id if site else None,
        site_slug=site.slug if site else "",
        target_type=target_type,
        target_id=target_id,
        target_label=target_label[:200],
        status_before=before,
        status_after=after,
        reason=reason,
        details=details or {},
    )
    db.session.add(entry)
    return entry


@dataclass
class AuditFilters:
    actor_id: int | None = None
    action: str | None = None
    site_id: int | None = None
    since: datetime | None = None
    until: datetime | None = None


def _query(site_ids: list[int] | None, filters: AuditFilters) -> Select[AuditEntry]:
    """Entries the viewer may see (site_ids None: every site, and site-less entries)."""
    stmt = select(AuditEntry)
    if site_ids is not None:
        stmt = stmt.where(AuditEntry.site_id.in_(site_ids))
    if filters.actor_id is not None:
        stmt = stmt.where(AuditEntry.actor_id == filters.actor_id)
    if filters.action:
        stmt = stmt.where(AuditEntry.action == filters.action)
    if filters.site_id is not None:
        stmt = stmt.where(AuditEntry.site_id == filters.site_id)
    if filters.since is not None:
        stmt = stmt.where(AuditEntry.created_at >= filters.since)
    if filters.until is not None:
        stmt = stmt.where(AuditEntry.created_at < filters.until)
    return stmt


def list_entries(
    site_ids: list[int] | None,
    filters: AuditFilters,
    before_id: int | None = None,
    page_size: int = PAGE_SIZE,
) -> tuple[list[AuditEntry], int | None]:
    """A page of entries, newest first, and the id to continue before (None: last page)."""
    stmt = _query(site_ids, filters)
    if before_id is not None:
        stmt = stmt.where(AuditEntry.id < before_id)
    rows = list(db.session.scalars(stmt.order_by(AuditEntry.id.desc()).limit(page_size + 1)))
    more = len(rows) > page_size
    rows = rows[:page_size]
    return rows, (rows[-1].id if more and rows else None)


def actors(site_ids: list[int] | None) -> list[tuple[int, str]]:
    """(id, name) of everyone with entries the viewer may see, for the filter menu."""
    stmt = select(AuditEntry.actor_id, AuditEntry.actor_name).where(
        AuditEntry.actor_id.is_not(None)
    )
    if site_ids is not None:
        stmt = stmt.where(AuditEntry.site_id.in_(site_ids))
    seen: dict[int, str] = {}
    for actor_id, name in db.session.execute(stmt.distinct()):
        if actor_id is not None:
            seen[actor_id] = name
    return sorted(seen.items(), key=lambda item: item[1].casefold())


def as_json(entry: AuditEntry) -> dict[str, Any]:
    return {
        "id": entry.id,
        "at": entry.created_at.isoformat(),
        "actor": {"id": entry.actor_id, "name": entry.actor_name} if entry.actor_name else None,
        "action": entry.action,
        "site": entry.site_slug or None,
        "target": {"type": entry.target_type, "id": entry.target_id, "label": entry.target_label},
        "status_before": entry.status_before or None,
        "status_after": entry.status_after or None,
        "reason": entry.reason,
        "details": entry.details,
    }


def export(filters: AuditFilters) -> Iterator[dict[str, Any]]:
    """Every matching entry, oldest first, read in chunks (for the admins' JSON export)."""
    after = 0
    while True:
        chunk = list(
            db.session.scalars(
                _query(None, filters)
                .where(AuditEntry.id > after)
                .order_by(AuditEntry.id)
                .limit(EXPORT_CHUNK)
            )
        )
        if not chunk:
            return
        for entry in chunk:
            yield as_json(entry)
        after = chunk[-1].id


def latest_decision(comment_id: int) -> AuditEntry | None:
    """The newest entry that changed the comment's status."""
    return db.session.scalar(
        select(AuditEntry)
        .where(
            AuditEntry.target_type == "comment",
            AuditEntry.target_id == comment_id,
            AuditEntry.status_after != "",
        )
        .order_by(AuditEntry.id.desc())
        .limit(1)
    )


def record_site_change(actor: Reader, action: AuditAction, site: Site) -> None:
    """Log an admin's registering or editing of a site (its settings after the change), in
    the caller's transaction."""
    record(
        actor,
        action,
        target_type="site",
        target_id=site.id,
        target_label=site.name,
        site=site,
        details={
            "origins": list(site.origins),
            "moderation_policy": str(site.moderation_policy),
            "edit_window_seconds": site.edit_window_seconds,
        },
    )
