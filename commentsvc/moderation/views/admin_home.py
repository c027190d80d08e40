"""The admin home (/admin): every site's counts and set-up checklist, where admins land
after signing in."""

from __future__ import annotations

from flask import Blueprint, render_template

from commentsvc.core import access
from commentsvc.moderation import overview
from commentsvc.moderation.views.live import held_state

bp = Blueprint("admin_home", __name__, url_prefix="/admin")
access.restrict(bp, access.is_admin)


@bp.get("")
def home() -> str:
    # The pending counts the page's title and new-held notice show too (one query).
    pending = held_state()["sites"]
    return render_template("admin/home.html", cards=overview.site_cards(pending))
