"""The development outbox: every e-mail the service queued, newest first."""

from __future__ import annotations

from email import message_from_string
from email.message import EmailMessage
from email.policy import default

from flask import Blueprint, render_template
from sqlalchemy import select

from commentsvc.core.extensions import db
from commentsvc.core.models import OutboxMessage

bp = Blueprint("dev", __name__, url_prefix="/dev")


@bp.get("/outbox")
def outbox() -> str:
    messages = db.session.scalars(
        select(OutboxMessage).order_by(OutboxMessage.id.desc()).limit(100)
    ).all()
    bodies = {m.id: _readable_body(m.message) for m in messages}
    return render_template("dev/outbox.html", messages=messages, bodies=bodies)


def _readable_body(raw: str) -> str:
    """The decoded plain-text body, not the base64 or quoted-printable it is stored as."""
    msg = message_from_string(raw, policy=default)
    part = msg.get_body(("plain",)) if isinstance(msg, EmailMessage) else None
    return str(part.get_content()) if part is not None else raw
