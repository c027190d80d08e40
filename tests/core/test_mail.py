"""The outbox: mail written with the change, delivered over SMTP, retried, built safely."""

from __future__ import annotations

import email
import email.policy
import re
from collections.abc import Iterator
from datetime import timedelta
from email.message import EmailMessage
from email.utils import parsedate_to_datetime

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select
from werkzeug.test import TestResponse

from commentsvc.core.extensions import db, utcnow
from commentsvc.core.mail import build_message, deliver_pending
from commentsvc.core.models import OutboxMessage, OutboxStatus
from tests.conftest import SMTPServer, body_of, build_app, link_in
from tests.factories import PASSWORD, make_reader, sign_in

AZ_NAME = "Şəhriyar Əliyev"


def sign_up(
    client: FlaskClient, address: str = "new@example.org", name: str = "New Reader"
) -> TestResponse:
    return client.post(
        "/auth/sign-up",
        data={"email": address, "display_name": name, "password": PASSWORD, "accept_terms": "y"},
    )


def outbox(app: Flask) -> list[OutboxMessage]:
    with app.app_context():
        rows = list(db.session.scalars(select(OutboxMessage).order_by(OutboxMessage.id)))
        db.session.expunge_all()
        return rows


def outbox_count(app: Flask) -> int | None:
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(OutboxMessage))


@pytest.fixture
def smtp_down(smtp_server: SMTPServer) -> Iterator[SMTPServer]:
    """The SMTP server stopped for the test, and started again whatever happens."""
    smtp_server.stop()
    yield smtp_server
    if smtp_server.controller is None:
        smtp_server.start()


def test_mail_is_queued_with_the_change_before_any_delivery(app, client, inbox):
    sign_up(client)
    rows = outbox(app)
    assert [(r.recipient, r.status) for r in rows] == [("new@example.org", OutboxStatus.PENDING)]
    assert "Verify your e-mail address" in rows[0].subject
    assert inbox.messages == []


def test_a_refused_sign_up_queues_no_mail(app, client):
    make_reader(app, email="first@example.org", display_name="Popular Name")
    response = sign_up(client, "second@example.org", "popular name")
    assert response.status_code == 422
    assert outbox_count(app) == 0


def test_mail_from_a_change_that_fails_to_commit_is_not_queued(app, client, inbox, deliver):
    make_reader(app)
    sign_in(client)
    client.post(
        "/account/email",
        data={"email-new_email": "wanted@example.org", "email-current_password": PASSWORD},
    )
    deliver()
    link = link_in(inbox.last_to("wanted@example.org"))
    # Someone else takes the address before the link is followed: the commit fails.
    make_reader(app, email="wanted@example.org", display_name="Squatter")
    before = outbox_count(app)

    assert client.get(link).status_code == 400
    assert outbox_count(app) == before  # no "your address was changed" notice


def test_the_worker_delivers_over_smtp_and_marks_the_message_sent(app, client, inbox, deliver):
    make_reader(app)
    client.post("/auth/reset", data={"email": "reader@example.org"})

    assert deliver() == (1, 0)
    assert "Reset your password" in inbox.last_to("reader@example.org")["Subject"]
    [row] = outbox(app)
    assert row.status == OutboxStatus.SENT
    assert row.sent_at is not None
    assert deliver() == (0, 0)  # nothing is sent twice


def test_an_smtp_outage_loses_nothing_and_retries_after_a_backoff(
    app, client, inbox, deliver, smtp_down
):
    make_reader(app)
    started = utcnow()
    response = client.post("/auth/reset", data={"email": "reader@example.org"})
    assert response.status_code == 200

    assert deliver() == (0, 1)
    [row] = outbox(app)
    assert row.status == OutboxStatus.PENDING
    assert row.attempts == 1
    assert row.next_attempt_at > started + timedelta(seconds=10)
    assert row.last_error

    smtp_down.start()
    assert deliver() == (0, 0)  # not due yet
    with app.app_context():
        assert deliver_pending(now=row.next_attempt_at + timedelta(seconds=1)) == (1, 0)
    msg = inbox.last_to("reader@example.org")
    assert "Reset your password" in msg["Subject"]
    assert client.get(link_in(msg)).status_code == 303  # and the link still works


def test_a_message_is_marked_failed_after_the_last_attempt(app, client, inbox, smtp_down):
    app.config["MAIL_MAX_ATTEMPTS"] = 3
    make_reader(app)
    client.post("/auth/reset", data={"email": "reader@example.org"})

    later = utcnow()
    with app.app_context():
        for _ in range(3):
            later += timedelta(days=1)
            assert deliver_pending(now=later) == (0, 1)
        assert deliver_pending(now=later + timedelta(days=1)) == (0, 0)
    [row] = outbox(app)
    assert row.status == OutboxStatus.FAILED
    assert row.attempts == 3
    assert "Error" in row.last_error  # kept for inspection

    smtp_down.start()
    with app.app_context():
        assert deliver_pending(now=later + timedelta(days=2)) == (0, 0)
    assert inbox.messages == []


def test_a_display_name_with_a_line_break_cannot_add_a_header(app, client, inbox, deliver):
    response = sign_up(client, name="Eve\r\nBcc: x@evil.example")
    assert response.status_code == 422
    assert "control or invisible characters" in response.text
    assert outbox_count(app) == 0

    make_reader(app)
    sign_in(client)
    renamed = client.post("/account/display-name", data={"name-display_name": "Eve\nBcc: x@evil"})
    assert renamed.status_code == 422
    deliver()
    assert all(m["Bcc"] is None for m in inbox.messages)


def test_a_subject_with_a_line_break_stays_one_subject_header(app):
    with app.app_context():
        msg = build_message("reader@example.org", "Hello\r\nBcc: evil@example.org", "Body\n")
    raw = msg.as_string()
    parsed = email.message_from_string(raw, policy=email.policy.default)

    assert parsed["Bcc"] is None
    assert len(parsed.get_all("Subject") or []) == 1
    assert len(re.findall(r"^Subject:", raw, re.M)) == 1
    assert not re.search(r"^Bcc:", raw, re.M | re.I)
    assert parsed.get_all("To") == ["reader@example.org"]


def test_extra_headers_with_a_line_break_are_refused(app):
    with app.app_context(), pytest.raises(ValueError, match="linefeed or carriage return"):
        build_message("reader@example.org", "Hi", "Body\n", {"Reply-To": "a@b.org\r\nBcc: e@f"})


def test_messages_have_proper_headers_and_a_utf8_body(app, client, inbox, deliver):
    sign_up(client, "az@example.org", AZ_NAME)
    client.post("/auth/reset", data={"email": "az@example.org"})
    assert deliver() == (2, 0)

    verify, reset = inbox.to("az@example.org")
    assert verify["From"] == app.config["MAIL_FROM"]
    assert verify["To"] == "az@example.org"
    assert verify["Subject"] == "Verify your e-mail address"
    assert re.fullmatch(r"<[^<>@\s]+@localhost>", verify["Message-ID"])
    assert verify["Message-ID"] != reset["Message-ID"]
    assert abs(parsedate_to_datetime(verify["Date"]) - utcnow()) < timedelta(minutes=5)
    assert verify.get_content_type() == "text/plain"
    assert verify.get_content_charset() == "utf-8"
    assert f"Hello {AZ_NAME}," in body_of(verify)
    assert f"Hello {AZ_NAME}," in body_of(reset)


def test_a_non_ascii_subject_survives_encoding(app):
    with app.app_context():
        msg = build_message("reader@example.org", f"Salam, {AZ_NAME}", f"{AZ_NAME}\n")
    parsed = email.message_from_bytes(msg.as_bytes(), policy=email.policy.default)
    assert isinstance(parsed, EmailMessage)
    assert parsed["Subject"] == f"Salam, {AZ_NAME}"
    assert msg.as_string().isascii()  # transfer-encoded, safe for any relay
    assert body_of(parsed) == f"{AZ_NAME}\n"


def test_the_development_outbox_shows_queued_mail_readably(smtp_server, tmp_path):
    app = build_app(tmp_path, smtp_server.port, DEBUG=True)
    try:
        client = app.test_client()
        sign_up(client, "az@example.org", AZ_NAME)
        page = client.get("/dev/outbox")
    finally:
        with app.app_context():
            db.engine.dispose()
    assert page.status_code == 200
    assert "Verify your e-mail address" in page.text
    assert "az@example.org" in page.text
    assert f"Hello {AZ_NAME}," in page.text
    assert "http://localhost:5000/auth/verify/" in page.text


def test_the_development_outbox_is_absent_outside_debug_mode(app, client):
    sign_up(client)
    assert client.get("/dev/outbox").status_code == 404
