"""Routes for the home page, the health and readiness checks, and the loader scripts."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, current_app, render_template, send_from_directory
from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError
from werkzeug.wrappers import Response

from commentsvc.core.extensions import db, limiter

bp = Blueprint("main", __name__)


@bp.get("/")
def index() -> str:
    return render_template("main/index.html")


@bp.get("/healthz")
def healthz() -> dict[str, str]:
    """Liveness: this process answers. It does not ask the database: restarting workers
    because the database is away would not bring it back (that is /readyz's question)."""
    return {"status": "ok"}


@bp.get("/readyz")
def readyz() -> tuple[dict[str, Any], int]:
    """Whether this process can serve: the database answers and, when rate limits are
    kept in Redis, Redis answers (503 otherwise). Warns when limits are per process."""
    checks: dict[str, str] = {}
    try:
        db.session.execute(text("SELECT 1"))
        checks["database"] = "ok"
    except SQLAlchemyError:
        db.session.rollback()
        current_app.logger.exception("Readiness: the database does not answer")
        checks["database"] = "unreachable"
    warnings: list[str] = []
    storage = str(current_app.config["RATELIMIT_STORAGE_URI"])
    if storage.startswith("memory://"):
        checks["rate_limits"] = "per process"
        if current_app.config["RATELIMIT_ENABLED"]:
            warnings.append(
                "Rate limits are counted in each process's memory: with several worker "
                "processes every limit is that many times higher. Set COMMENTSVC_REDIS_URL."
            )
    else:
        checks["rate_limits"] = "ok" if limiter.storage.check() else "unreachable"
    ready = "unreachable" not in checks.values()
    body = {"status": "ready" if ready else "not ready", "checks": checks, "warnings": warnings}
    return body, 200 if ready else 503


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
