"""The widget's end of the sign-in hand-off: the iframe trades the popup's single-use
code for its own session (the SameSite=None; Partitioned cookie under /embed)."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, request, session
from flask_babel import gettext as _
from flask_login import login_user

from commentsvc.accounts import sessions, widget_sign_in
from commentsvc.comments import sites
from commentsvc.core import security
from commentsvc.core.errors import LinkInvalid
from commentsvc.core.extensions import csrf, limiter

bp = Blueprint("embed_session", __name__, url_prefix="/embed")
# Only the widget itself may post here (see security.require_own_origin).
bp.before_request(security.require_own_origin)


@bp.post("/<site_slug>/session")
# Exempt from the session CSRF token (an anonymous reader has no session yet):
# the single-use code is the proof, and require_own_origin refuses other origins,
# so another site cannot sign a reader into someone else's account.
@csrf.exempt
@limiter.limit("30 per minute")
def exchange_code(site_slug: str) -> tuple[dict[str, Any], int]:
    site = sites.require_site(site_slug)
    code = request.form.get("code", "")
    try:
        reader = widget_sign_in.redeem_embed_code(code, site.id)
    except LinkInvalid:
        return {"error": _("That sign-in code is not valid. Please sign in again.")}, 400
    session.clear()
    sessions.start_session(
        reader, remember=False, user_agent=request.user_agent.string, site_id=site.id
    )
    login_user(reader, remember=False)
    return {"signed_in": True, "display_name": reader.display_name}, 200
