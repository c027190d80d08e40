"""CSRF protection on every form post, with the real token check switched on."""

from __future__ import annotations

import re

import pytest
from flask import Flask
from flask.testing import FlaskClient
from werkzeug.test import TestResponse

from commentsvc.core.extensions import db
from tests.conftest import build_app
from tests.factories import PASSWORD, make_reader

EXPIRED = "Your form expired or was sent from another site."


@pytest.fixture
def csrf_app(smtp_server, tmp_path):
    app = build_app(tmp_path, smtp_server.port, WTF_CSRF_ENABLED=True)
    make_reader(app)
    yield app
    with app.app_context():
        db.session.remove()
        db.engine.dispose()


def token_from(page: TestResponse) -> str:
    assert page.status_code == 200
    match = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page.text)
    assert match, page.text
    return match.group(1)


def sign_in_with_token(client: FlaskClient) -> TestResponse:
    token = token_from(client.get("/auth/sign-in"))
    return client.post(
        "/auth/sign-in",
        data={"csrf_token": token, "email": "reader@example.org", "password": PASSWORD},
    )


def is_signed_in(client: FlaskClient) -> bool:
    response = client.get("/account")
    assert response.status_code in (200, 302)
    return bool(response.status_code == 200)


# Views that take no session CSRF token, each with what protects it instead. Any other
# view that stops asking for the token makes the enumeration below fail.
CSRF_EXEMPT = {
    # A single-use sign-in code plus an Origin / Sec-Fetch-Site check.
    "embed_session.exchange_code",
    # RFC 8058 one-click unsubscribe: mail clients post without cookies; the signed,
    # purpose-bound token in the URL turns off only the one setting it names.
    "notifications.unsubscribe_post",
    # Consent records from news sites: no cookies are sent, the Origin must be one the
    # site registered, and a record only adds proof.
    "consent_api.record_consent",
}


def post_rules(app: Flask) -> dict[str, str]:
    """Endpoint to URL for every rule that accepts POST, with placeholder variables."""
    adapter = app.url_map.bind("localhost")
    return {
        rule.endpoint: adapter.build(rule.endpoint, dict.fromkeys(rule.arguments, "1"))
        for rule in app.url_map.iter_rules()
        if "POST" in (rule.methods or ())
    }


def test_every_post_without_a_token_is_refused_with_a_readable_message(csrf_app):
    client = csrf_app.test_client()
    assert sign_in_with_token(client).status_code == 303
    rules = post_rules(csrf_app)
    assert {"auth.sign_in", "auth.sign_out", "account.delete"} <= set(rules)

    for endpoint, url in sorted(rules.items()):
        response = client.post(url, data={"delete-current_password": PASSWORD})
        if endpoint in CSRF_EXEMPT:
            assert 400 <= response.status_code < 500, url
            continue
        assert response.status_code == 400, url
        # An HTML page, or JSON under /api/: either way the reader's message.
        assert response.mimetype in ("text/html", "application/json"), url
        assert EXPIRED in response.text, url

    # Nothing happened: still signed in, account still there.
    assert is_signed_in(client)


def test_sign_in_without_a_token_is_refused(csrf_app):
    client = csrf_app.test_client()
    client.get("/auth/sign-in")
    response = client.post(
        "/auth/sign-in", data={"email": "reader@example.org", "password": PASSWORD}
    )
    assert response.status_code == 400
    assert EXPIRED in response.text
    assert not is_signed_in(client)


def test_sign_out_without_a_token_is_refused(csrf_app):
    client = csrf_app.test_client()
    sign_in_with_token(client)
    response = client.post("/auth/sign-out")
    assert response.status_code == 400
    assert EXPIRED in response.text
    assert is_signed_in(client)


def test_sign_in_with_the_token_from_the_form_works(csrf_app):
    client = csrf_app.test_client()
    response = sign_in_with_token(client)
    assert response.status_code == 303
    assert response.headers["Location"] == "/account"
    assert is_signed_in(client)


def test_sign_out_with_the_token_from_the_page_works(csrf_app):
    client = csrf_app.test_client()
    sign_in_with_token(client)
    token = token_from(client.get("/account"))
    assert client.post("/auth/sign-out", data={"csrf_token": token}).status_code == 303
    assert not is_signed_in(client)


def test_a_token_from_another_session_is_refused(csrf_app):
    attacker = csrf_app.test_client()
    stolen = token_from(attacker.get("/auth/sign-in"))
    victim = csrf_app.test_client()
    token_from(victim.get("/auth/sign-in"))  # the victim has a session and a token of its own
    response = victim.post(
        "/auth/sign-in",
        data={"csrf_token": stolen, "email": "reader@example.org", "password": PASSWORD},
    )
    assert response.status_code == 400
    assert EXPIRED in response.text
    assert not is_signed_in(victim)


def test_a_token_from_before_sign_in_stops_working_after_it(csrf_app):
    client = csrf_app.test_client()
    old = token_from(client.get("/auth/sign-in"))
    client.post(
        "/auth/sign-in",
        data={"csrf_token": old, "email": "reader@example.org", "password": PASSWORD},
    )
    response = client.post("/auth/sign-out", data={"csrf_token": old})
    assert response.status_code == 400
    assert is_signed_in(client)
