"""Routes for the home page and the health check."""

from __future__ import annotations

from flask import Blueprint, current_app, render_template, send_from_directory
from sqlalchemy import text
from werkzeug.wrappers import Response

from commentsvc.core.extensions import db

bp = Blueprint("main", __name__)


@bp.get("/")
def index() -> str:
    return render_template("main/index.html")


@bp.get("/healthz")
def healthz() -> dict[str, str]:
    db.session.execute(text("SELECT 1"))
    return {"status": "ok"}


def serve_script(name: str) -> Response:
    """One of the scripts news sites load on every article page (embed.js, count.js,
    consent.js): browsers and CDNs may keep it a while."""
    response = send_from_directory(
        current_app.static_folder or "", name, mimetype="text/javascript"
    )
    response.cache_control.public = True
    response.cache_control.max_age = 3600
    return response


@bp.get("/embed.js")
def embed_js() -> Response:
    return serve_script("embed.js")


@bp.get("/count.js")
def count_js() -> Response:
    return serve_script("count.js")
