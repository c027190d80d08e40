"""Password reset: request, the link from the e-mail, the new-password form."""

from __future__ import annotations

import time
from collections.abc import Callable

import pytest
from flask import Flask
from flask.testing import FlaskClient
from itsdangerous import TimestampSigner, URLSafeTimedSerializer
from sqlalchemy import select
from werkzeug.test import TestResponse

from commentsvc.accounts.models import Reader
from commentsvc.core.extensions import db
from commentsvc.core.mail import deliver_pending
from tests.conftest import Inbox, body_of, build_app, link_in
from tests.factories import PASSWORD, make_reader, sign_in, without_tokens

NEW_PASSWORD = "a brand new passphrase for me"
RESET_PAGE = "/auth/reset/new-password"


def reset_link(
    client: FlaskClient,
    inbox: Inbox,
    deliver: Callable[[], tuple[int, int]],
    email: str = "reader@example.org",
) -> str:
    """Ask for a reset through the page and return the link path from the real e-mail."""
    response = client.post("/auth/reset", data={"email": email})
    assert response.status_code == 200
    deliver()
    msg = inbox.last_to(email)
    assert "Reset your password" in msg["Subject"]
    return link_in(msg)


def choose_password(client: FlaskClient, link: str, password: str = NEW_PASSWORD) -> TestResponse:
    """Follow a reset link and submit the new-password form."""
    opened = client.get(link)
    assert opened.status_code == 303, opened.text
    return client.post(RESET_PAGE, data={"password": password})


def can_sign_in(app: Flask, email: str, password: str) -> bool:
    return sign_in(app.test_client(), email, password).status_code == 303


def test_reset_request_looks_the_same_for_known_and_unknown_addresses(app, client, inbox, deliver):
    make_reader(app, email="known@example.org")
    known = client.post("/auth/reset", data={"email": "known@example.org"})
    unknown = client.post("/auth/reset", data={"email": "nobody@example.org"})

    assert known.status_code == unknown.status_code == 200
    assert without_tokens(known.text.replace("known@", "X@")) == without_tokens(
        unknown.text.replace("nobody@", "X@")
    )
    assert deliver() == (1, 0)
    assert inbox.to("known@example.org")
    assert not inbox.to("nobody@example.org")


def test_reset_link_moves_the_token_out_of_the_url(app, client, inbox, deliver):
    make_reader(app)
    link = reset_link(client, inbox, deliver)
    token = link.rsplit("/", 1)[1]

    response = client.get(link)
    assert response.status_code == 303
    assert response.location == RESET_PAGE
    assert token not in response.location

    page = client.get(response.location)
    assert page.status_code == 200
    assert "Choose a new password" in page.text
    assert token not in page.text
    assert token not in page.request.url


def test_new_password_replaces_the_old_one(app, client, inbox, deliver):
    make_reader(app)
    response = choose_password(client, reset_link(client, inbox, deliver))

    assert response.status_code == 303
    assert response.location == "/auth/sign-in"
    assert can_sign_in(app, "reader@example.org", NEW_PASSWORD)
    assert not can_sign_in(app, "reader@example.org", PASSWORD)


def test_reset_link_works_once(app, client, inbox, deliver):
    make_reader(app)
    link = reset_link(client, inbox, deliver)
    assert choose_password(client, link).status_code == 303

    again = client.get(link)
    assert again.status_code == 400
    assert "This link does not work" in again.text
    # Nor can the form be replayed from a copy of the session cookie taken before.
    assert client.post(RESET_PAGE, data={"password": "yet another passphrase"}).status_code == 400
    assert can_sign_in(app, "reader@example.org", NEW_PASSWORD)


def _aged(app: Flask, token: str, seconds: int) -> str:
    """The same reset token, re-signed as if issued `seconds` ago."""

    class Backdated(TimestampSigner):
        def get_timestamp(self) -> int:
            return int(time.time()) - seconds

    serializer = URLSafeTimedSerializer(
        app.config["SECRET_KEY"], salt="commentsvc:password-reset", signer=Backdated
    )
    payload: dict[str, object] = serializer.loads(token)  # also proves the salt matches the app's
    return serializer.dumps(payload)


def test_reset_link_expires_after_an_hour(app, client, inbox, deliver):
    make_reader(app)
    token = reset_link(client, inbox, deliver).rsplit("/", 1)[1]

    expired = client.get(f"/auth/reset/{_aged(app, token, 3600 + 60)}")
    assert expired.status_code == 400
    assert "This link does not work" in expired.text

    nearly = client.get(f"/auth/reset/{_aged(app, token, 3600 - 60)}")
    assert nearly.status_code == 303


def test_reset_link_expires_with_a_short_max_age(smtp_server, tmp_path, inbox):
    app = build_app(tmp_path, smtp_server.port, RESET_TOKEN_MAX_AGE=1)
    make_reader(app)
    client = app.test_client()
    client.post("/auth/reset", data={"email": "reader@example.org"})
    with app.app_context():
        deliver_pending()
        db.engine.dispose()
    link = link_in(inbox.last_to("reader@example.org"))
    time.sleep(2)
    assert client.get(link).status_code == 400


def test_reset_link_dies_after_a_password_change(app, client, inbox, deliver):
    make_reader(app)
    link = reset_link(client, inbox, deliver)
    sign_in(client)
    changed = client.post(
        "/account/password",
        data={"password-current_password": PASSWORD, "password-new_password": NEW_PASSWORD},
    )
    assert changed.status_code == 303

    response = client.get(link)
    assert response.status_code == 400
    assert can_sign_in(app, "reader@example.org", NEW_PASSWORD)


def test_reset_link_dies_after_an_email_change(app, client, inbox, deliver):
    make_reader(app)
    link = reset_link(client, inbox, deliver)
    sign_in(client)
    client.post(
        "/account/email",
        data={"email-new_email": "moved@example.org", "email-current_password": PASSWORD},
    )
    deliver()
    assert client.get(link_in(inbox.last_to("moved@example.org"))).status_code == 303

    # The link went to the old address, which no longer controls the account.
    assert client.get(link).status_code == 400


def test_reset_signs_out_every_session(app, client, inbox, deliver):
    make_reader(app)
    laptop = app.test_client()
    sign_in(laptop)
    assert laptop.get("/account").status_code == 200
    sign_in(client)

    assert choose_password(client, reset_link(client, inbox, deliver)).status_code == 303

    assert laptop.get("/account").status_code == 302
    assert client.get("/account").status_code == 302
    with app.app_context():
        reader = db.session.scalar(select(Reader))
        assert reader is not None
        assert reader.sessions == []


def test_a_common_new_password_is_refused_and_the_form_keeps_working(app, client, inbox, deliver):
    make_reader(app)
    link = reset_link(client, inbox, deliver)

    refused = choose_password(client, link, "password123")
    assert refused.status_code == 422
    assert "commonly used passwords" in refused.text
    assert can_sign_in(app, "reader@example.org", PASSWORD)

    accepted = client.post(RESET_PAGE, data={"password": NEW_PASSWORD})
    assert accepted.status_code == 303
    assert can_sign_in(app, "reader@example.org", NEW_PASSWORD)


def test_a_reset_sends_a_notice_email(app, client, inbox, deliver):
    make_reader(app)
    choose_password(client, reset_link(client, inbox, deliver))
    inbox.messages.clear()

    assert deliver() == (1, 0)
    msg = inbox.last_to("reader@example.org")
    assert "Your password was reset" in msg["Subject"]
    assert "every device was signed out" in body_of(msg)


def test_a_reset_verifies_an_unverified_address(app, client, inbox, deliver):
    make_reader(app, verified=False)
    choose_password(client, reset_link(client, inbox, deliver))

    sign_in(client, password=NEW_PASSWORD)
    page = client.get("/account")
    assert "(verified)" in page.text
    assert "Please verify your e-mail address" not in page.text


@pytest.mark.parametrize("kind", ["tampered", "random"])
def test_a_bad_reset_token_gives_a_readable_400(app, client, inbox, deliver, kind):
    make_reader(app)
    link = reset_link(client, inbox, deliver)
    # Change a character of the signed payload: the last character of the
    # signature can carry only padding bits, so changing it proves nothing.
    prefix, token = link.rsplit("/", 1)
    flipped = f"{prefix}/{token[:3]}{'A' if token[3] != 'A' else 'B'}{token[4:]}"
    bad = flipped if kind == "tampered" else "/auth/reset/not-a-real-token"

    response = client.get(bad)
    assert response.status_code == 400
    assert "This link does not work" in response.text
    assert "Request a new password reset link" in response.text
    # The form page without a link in the session is refused the same way.
    assert client.get(RESET_PAGE).status_code == 400


def test_a_newer_reset_link_kills_the_older_one(app, client, inbox, deliver):
    make_reader(app)
    older = reset_link(client, inbox, deliver)
    newer = reset_link(client, inbox, deliver)
    assert older != newer

    # Whoever holds the older mail (a forwarded copy, an old mailbox) gets nowhere.
    response = app.test_client().get(older)
    assert response.status_code == 400
    assert "This link does not work" in response.text
    assert choose_password(client, newer).status_code == 303
    assert can_sign_in(app, "reader@example.org", NEW_PASSWORD)


def test_a_reset_link_opened_before_a_newer_request_cannot_be_used(app, client, inbox, deliver):
    make_reader(app)
    older = reset_link(client, inbox, deliver)
    assert client.get(older).status_code == 303  # the token now waits in the session
    reset_link(app.test_client(), inbox, deliver)

    assert client.post(RESET_PAGE, data={"password": NEW_PASSWORD}).status_code == 400
    assert can_sign_in(app, "reader@example.org", PASSWORD)
