"""Admin pages: the sites that embed comments."""

from flask import Blueprint

bp = Blueprint("admin", __name__, url_prefix="/admin")

from commentsvc.admin import consent, moderators, policies, views  # noqa: E402, F401 -- registers the routes on bp
