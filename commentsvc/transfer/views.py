"""Admins download a site's export (the same as `flask export`, without e-mail addresses)."""

from __future__ import annotations

from flask import Blueprint, Response, stream_with_context

from commentsvc.comments import sites
from commentsvc.core import access
from commentsvc.core.extensions import utcnow
from commentsvc.transfer import export

bp = Blueprint("transfer_admin", __name__, url_prefix="/admin")
access.restrict(bp, access.is_admin)


@bp.get("/sites/<slug>/export.jsonl")
def export_site(slug: str) -> Response:
    site = sites.require_site(slug)
    name = f"{site.slug}-comments-{utcnow():%Y-%m-%d}.jsonl"
    return Response(
        stream_with_context(export.lines(site)),
        mimetype="application/jsonl",
        headers={
            "Content-Disposition": f'attachment; filename="{name}"',
            "Cache-Control": "no-store",
        },
    )
