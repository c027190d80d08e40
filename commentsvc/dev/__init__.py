"""Development-only pages; registered only when the app runs in debug mode."""

from flask import Blueprint

bp = Blueprint("dev", __name__, url_prefix="/dev")

from commentsvc.dev import views  # noqa: E402, F401 -- registers the routes on bp
