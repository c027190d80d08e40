"""Public policy pages, the page to accept new versions, and the banner script consent.js."""

from flask import Blueprint

bp = Blueprint("consent", __name__)

from commentsvc.consent import views  # noqa: E402, F401 -- registers the routes on bp
