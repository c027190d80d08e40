"""The one mail path: queue e-mails in the outbox, deliver them from a worker."""

from __future__ import annotations

import logging
import smtplib
import ssl
from datetime import datetime, timedelta
from email.headerregistry import Address
from email.message import EmailMessage
from email.utils import formataddr, formatdate, make_msgid, parseaddr
from typing import Any

from flask import current_app, render_template
from flask_babel import force_locale
from sqlalchemy import select

from commentsvc.core.extensions import db, utcnow
from commentsvc.core.models import OutboxMessage, OutboxStatus

log = logging.getLogger(__name__)


def _sender() -> str:
    name, address = parseaddr(current_app.config["MAIL_FROM"])
    return formataddr((name, address))


def build_message(
    recipient: str, subject: str, body: str, headers: dict[str, str] | None = None
) -> EmailMessage:
    """An EmailMessage whose headers no user input can extend.

    EmailMessage folds and encodes header values and refuses CR or LF in them,
    so a display name like "x\\r\\nBcc: y" cannot add a header.
    """
    msg = EmailMessage()
    msg["From"] = _sender()
    msg["To"] = Address(addr_spec=recipient)
    msg["Subject"] = " ".join(subject.split())
    # RFC 5322 requires Date; a relay need not add it, and spam filters penalise its absence.
    msg["Date"] = formatdate(usegmt=True)
    msg["Message-ID"] = make_msgid(
        domain=parseaddr(current_app.config["MAIL_FROM"])[1].split("@")[-1]
    )
    for key, value in (headers or {}).items():
        msg[key] = value
    msg.set_content(body)
    return msg


def queue_email(
    recipient: str,
    template: str,
    locale: str | None = None,
    *,
    headers: dict[str, str] | None = None,
    **context: Any,
) -> OutboxMessage:
    """Render templates/email/<template>.txt and add it to the outbox.

    The row joins the caller's transaction: it is sent only if the change that
    caused it commits. The first line of the template is the subject. headers
    are extra message headers (e.g. List-Unsubscribe), set by our code only.
    """
    with force_locale(locale or current_app.config["BABEL_DEFAULT_LOCALE"]):
        text = render_template(f"email/{template}.txt", **context)
    subject, _, body = text.strip().partition("\n")
    msg = build_message(recipient, subject.strip(), body.strip() + "\n", headers)
    # Header values such as a List-Unsubscribe URL are single long words: at the default
    # 78 columns they would be folded into encoded words no mail client reads as a URL.
    # RFC 5322 allows 998; longer lines are still folded.
    wire = msg.as_string(policy=msg.policy.clone(max_line_length=998) if headers else None)
    row = OutboxMessage(recipient=recipient, subject=str(msg["Subject"]), message=wire)
    db.session.add(row)
    if current_app.config["MAIL_ECHO"]:
        log.warning("E-mail queued for %s:\n%s", recipient, msg.as_string())
    return row


def _backoff(attempts: int) -> timedelta:
    # 30 s, 1 min, 2 min, ... capped at one hour.
    return timedelta(seconds=min(30 * 2 ** (attempts - 1), 3600))


def _connect() -> smtplib.SMTP:
    config = current_app.config
    smtp = smtplib.SMTP(config["MAIL_HOST"], config["MAIL_PORT"], timeout=config["MAIL_TIMEOUT"])
    if config["MAIL_STARTTLS"]:
        smtp.starttls(context=ssl.create_default_context())
    if config["MAIL_USERNAME"]:
        smtp.login(config["MAIL_USERNAME"], config["MAIL_PASSWORD"] or "")
    return smtp


def deliver_pending(limit: int = 100, now: datetime | None = None) -> tuple[int, int]:
    """Send due outbox messages; returns (sent, failed attempts).

    A message that cannot be sent stays pending with a later next_attempt_at;
    after MAIL_MAX_ATTEMPTS it is marked failed and kept for inspection.
    """
    now = now or utcnow()
    due = db.session.scalars(
        select(OutboxMessage)
        .where(OutboxMessage.status == OutboxStatus.PENDING, OutboxMessage.next_attempt_at <= now)
        .order_by(OutboxMessage.id)
        .limit(limit)
    ).all()
    if not due:
        return 0, 0
    sent = failed = 0
    smtp: smtplib.SMTP | None = None
    try:
        for row in due:
            try:
                if smtp is None:
                    smtp = _connect()
                smtp.sendmail(parseaddr(_sender())[1], [row.recipient], _wire_bytes(row.message))
            except (OSError, smtplib.SMTPException) as exc:
                failed += 1
                row.attempts += 1
                row.last_error = f"{type(exc).__name__}: {exc}"[:500]
                if row.attempts >= current_app.config["MAIL_MAX_ATTEMPTS"]:
                    row.status = OutboxStatus.FAILED
                else:
                    row.next_attempt_at = now + _backoff(row.attempts)
                # A broken connection is not reused for the next message.
                if smtp is not None:
                    _quit(smtp)
                    smtp = None
            else:
                sent += 1
                row.status = OutboxStatus.SENT
                row.sent_at = utcnow()
            db.session.commit()
    finally:
        if smtp is not None:
            _quit(smtp)
    return sent, failed


def _wire_bytes(message: str) -> bytes:
    # SMTP lines end in CRLF (RFC 5321 2.3.8). as_string() stores bare LF, and smtplib
    # fixes line endings only for str messages, which must then be ASCII; a server
    # that splits on CRLF alone sees one line and refuses it once it passes 1000 bytes.
    return message.replace("\r\n", "\n").replace("\n", "\r\n").encode("utf-8")


def _quit(smtp: smtplib.SMTP) -> None:
    try:
        smtp.quit()
    except (OSError, smtplib.SMTPException):
        smtp.close()
