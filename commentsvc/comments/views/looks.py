"""The site's stylesheet for its widget (comments.looks): its accent colour and font."""

from __future__ import annotations

from flask import Blueprint, abort, request
from werkzeug.wrappers import Response

from commentsvc.comments import looks, sites
from commentsvc.core.static_files import YEAR

bp = Blueprint("looks", __name__, url_prefix="/embed")

# A stale or missing version: the current sheet, for a short while (a kept page may still
# name the previous version until it is rendered again).
SHORT = 300


@bp.get("/<site_slug>/theme.css")
def stylesheet(site_slug: str) -> Response:
    site = sites.get_site(site_slug)
    css = looks.stylesheet(site) if site is not None else None
    if site is None or css is None:
        abort(404)
    response = Response(css, mimetype="text/css")
    response.cache_control.public = True
    if request.args.get("v") == looks.version(site):
        response.cache_control.max_age = YEAR
        response.cache_control.immutable = True
    else:
        response.cache_control.max_age = SHORT
    # The same for everyone: core.security sends it without Vary: Cookie.
    return response
