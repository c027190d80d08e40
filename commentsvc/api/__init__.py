"""The JSON API under /api/v1, described by /api/v1/openapi.json."""

from flask import Blueprint

bp = Blueprint("api", __name__, url_prefix="/api/v1")

from commentsvc.api import consent, reports, views  # noqa: E402, F401 -- registers the routes on bp
