"""The audit log page with its filters, and the admins' JSON export."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

from flask import abort, render_template, request, stream_with_context
from werkzeug.datastructures import MultiDict
from werkzeug.wrappers import Response

from commentsvc.moderation import audit, moderators
from commentsvc.moderation.audit import AuditFilters
from commentsvc.moderation.forms import ActionForm
from commentsvc.moderation.models import AuditAction
from commentsvc.moderation.views.common import Page, bp, int_arg, me, site_filter


def _date(value: str) -> datetime | None:
    try:
        return datetime.strptime(value, "%Y-%m-%d").replace(tzinfo=UTC)
    except ValueError:
        return None


def _filters(args: MultiDict[str, str]) -> AuditFilters:
    """Filters from a query string or form; unknown values are ignored, not errors."""
    action = args.get("action", "")
    site_id = site_filter(args.get("site", ""))
    actor = args.get("moderator", "")
    until = _date(args.get("until", ""))
    return AuditFilters(
        actor_id=int(actor) if actor.isdigit() and len(actor) <= 18 else None,
        action=action if action in set(AuditAction) else None,
        site_id=site_id,
        since=_date(args.get("since", "")),
        # "until 2026-12-01" includes that whole day.
        until=until + timedelta(days=1) if until else None,
    )


@bp.get("/audit")
def audit_page() -> Page:
    filters = _filters(request.args)
    site_ids = moderators.site_ids_for(me())
    entries, before = audit.list_entries(site_ids, filters, int_arg("before"))
    return render_template(
        "moderation/audit.html",
        entries=entries,
        before=before,
        filters=filters,
        args=request.args,
        actors=audit.actors(site_ids),
        actions=list(AuditAction),
        sites=moderators.sites_for(me()),
        is_admin=me().is_admin,
        export_form=ActionForm(),
    )


@bp.post("/audit/export")
def audit_export() -> Response:
    """Every matching entry as one JSON document (admins only).

    POST with the CSRF token, like the readers' own export: another site cannot make
    an admin's browser download it.
    """
    if not me().is_admin:
        abort(403)
    if not ActionForm().validate():
        abort(400)
    filters = _filters(request.form)

    def generate() -> Iterator[str]:
        yield '{"exported_at": ' + json.dumps(datetime.now(UTC).isoformat())
        yield ', "audit_log": ['
        for n, entry in enumerate(audit.export(filters)):
            yield ("," if n else "") + "\n" + json.dumps(entry, ensure_ascii=False)
        yield "\n]}\n"

    return Response(
        stream_with_context(generate()),
        mimetype="application/json",
        headers={"Content-Disposition": 'attachment; filename="commentsvc-audit-log.json"'},
    )
