"""Routes for the home page and the health check."""

from __future__ import annotations

from flask import render_template
from sqlalchemy import text

from ..extensions import db
from . import bp


@bp.get("/")
def index() -> str:
    return render_template("main/index.html")


@bp.get("/healthz")
def healthz() -> dict[str, str]:
    db.session.execute(text("SELECT 1"))
    return {"status": "ok"}
