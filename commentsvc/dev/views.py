"""The development outbox: every e-mail the service queued, newest first."""

from __future__ import annotations

from flask import render_template
from sqlalchemy import select

from ..extensions import db
from ..models import OutboxMessage
from . import bp


@bp.get("/outbox")
def outbox() -> str:
    messages = db.session.scalars(
        select(OutboxMessage).order_by(OutboxMessage.id.desc()).limit(100)
    ).all()
    return render_template("dev/outbox.html", messages=messages)
