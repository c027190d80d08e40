"""Session rotation, replayed cookies, ending sessions, and cookie flags."""

from __future__ import annotations

import secrets

import pytest
from flask import Flask
from flask.testing import FlaskClient
from werkzeug.test import TestResponse

from commentsvc import create_app
from tests.conftest import build_app, link_in, make_config
from tests.factories import PASSWORD, make_reader, sign_in

SESSION_COOKIE = "commentsvc_session"
REMEMBER_COOKIE = "commentsvc_remember"
NEW_PASSWORD = "a brand new passphrase for this test"


def is_signed_in(client: FlaskClient) -> bool:
    response = client.get("/account")
    assert response.status_code in (200, 302)
    return bool(response.status_code == 200)


def cookie_value(client: FlaskClient, name: str) -> str:
    cookie = client.get_cookie(name)
    assert cookie is not None, f"no {name} cookie"
    return str(cookie.value)


def replay(app: Flask, name: str, value: str) -> FlaskClient:
    """A fresh browser holding nothing but a copy of one cookie."""
    client = app.test_client()
    client.set_cookie(name, value)
    return client


class Device:
    """A browser signed in with "remember me", and copies of both its cookies."""

    def __init__(self, app: Flask) -> None:
        self.app = app
        self.client = app.test_client()
        assert sign_in(self.client, remember=True).status_code == 303
        self.session = cookie_value(self.client, SESSION_COOKIE)
        self.remember = cookie_value(self.client, REMEMBER_COOKIE)
        # The copies work before the event under test, so their failure after it counts.
        assert self.copies_signed_in() == [True, True]

    def copies_signed_in(self) -> list[bool]:
        return [
            is_signed_in(replay(self.app, SESSION_COOKIE, self.session)),
            is_signed_in(replay(self.app, REMEMBER_COOKIE, self.remember)),
        ]


@pytest.fixture
def devices(app):
    make_reader(app)
    return Device(app), Device(app)


def test_sign_in_rotates_the_session_and_drops_what_was_in_it(app, client):
    make_reader(app)
    with client.session_transaction() as sess:
        sess["planted"] = "before sign-in"
    before = cookie_value(client, SESSION_COOKIE)

    assert sign_in(client).status_code == 303

    assert cookie_value(client, SESSION_COOKIE) != before
    with client.session_transaction() as sess:
        assert "planted" not in sess
    assert is_signed_in(client)
    # Whoever kept the pre-sign-in cookie (a fixation attempt) is not signed in.
    assert not is_signed_in(replay(app, SESSION_COOKIE, before))


def test_session_cookie_replayed_after_sign_out_is_anonymous(app, client):
    make_reader(app)
    sign_in(client)
    copied = cookie_value(client, SESSION_COOKIE)
    assert is_signed_in(replay(app, SESSION_COOKIE, copied))

    client.post("/auth/sign-out")

    assert not is_signed_in(client)
    assert not is_signed_in(replay(app, SESSION_COOKIE, copied))


def test_remember_cookie_replayed_after_sign_out_is_anonymous(app, client):
    make_reader(app)
    sign_in(client, remember=True)
    copied = cookie_value(client, REMEMBER_COOKIE)
    assert is_signed_in(replay(app, REMEMBER_COOKIE, copied))

    client.post("/auth/sign-out")

    assert not is_signed_in(replay(app, REMEMBER_COOKIE, copied))


def test_password_change_rotates_this_devices_session_and_signs_out_the_others(app, devices):
    this, other = devices
    response = this.client.post(
        "/account/password",
        data={"password-current_password": PASSWORD, "password-new_password": NEW_PASSWORD},
    )
    assert response.status_code == 303

    # The device that changed the password stays signed in, under new cookie values
    # (and keeps "remember me")...
    assert is_signed_in(this.client)
    session_now = cookie_value(this.client, SESSION_COOKIE)
    remember_now = cookie_value(this.client, REMEMBER_COOKIE)
    assert (session_now, remember_now) != (this.session, this.remember)
    assert is_signed_in(replay(app, SESSION_COOKIE, session_now))
    assert is_signed_in(replay(app, REMEMBER_COOKIE, remember_now))
    # ...while copies of its cookies taken before the change are anonymous.
    assert this.copies_signed_in() == [False, False]
    assert not is_signed_in(other.client)
    assert other.copies_signed_in() == [False, False]


def test_password_change_without_remember_me_sets_no_remember_cookie(app, client):
    make_reader(app)
    sign_in(client)
    before = cookie_value(client, SESSION_COOKIE)
    response = client.post(
        "/account/password",
        data={"password-current_password": PASSWORD, "password-new_password": NEW_PASSWORD},
    )
    assert response.status_code == 303
    assert client.get_cookie(REMEMBER_COOKIE) is None
    assert is_signed_in(client)
    assert not is_signed_in(replay(app, SESSION_COOKIE, before))


def test_password_reset_signs_out_every_device(app, devices, inbox, deliver):
    this, other = devices
    this.client.post("/auth/reset", data={"email": "reader@example.org"})
    deliver()
    link = link_in(inbox.last_to("reader@example.org"))
    assert this.client.get(link).status_code == 303
    response = this.client.post("/auth/reset/new-password", data={"password": NEW_PASSWORD})
    assert response.status_code == 303

    assert this.client.get_cookie(REMEMBER_COOKIE) is None
    for device in (this, other):
        assert not is_signed_in(device.client)
        assert device.copies_signed_in() == [False, False]
    assert sign_in(app.test_client(), password=NEW_PASSWORD).status_code == 303


def test_sign_out_everywhere_signs_out_every_device(devices):
    this, other = devices
    response = this.client.post("/account/sign-out-everywhere")
    assert response.status_code == 303

    assert this.client.get_cookie(REMEMBER_COOKIE) is None
    for device in (this, other):
        assert not is_signed_in(device.client)
        assert device.copies_signed_in() == [False, False]


def test_account_deletion_signs_out_every_device(devices):
    this, other = devices
    response = this.client.post("/account/delete", data={"delete-current_password": PASSWORD})
    assert response.status_code == 303

    assert this.client.get_cookie(REMEMBER_COOKIE) is None
    for device in (this, other):
        assert not is_signed_in(device.client)
        assert device.copies_signed_in() == [False, False]


# --- cookie flags ---------------------------------------------------------------------


def set_cookie(response: TestResponse, name: str) -> dict[str, str]:
    """The attributes of the Set-Cookie header for name, lower-cased keys."""
    for header in response.headers.getlist("Set-Cookie"):
        if header.startswith(name + "="):
            attributes = {}
            for part in header.split(";")[1:]:
                key, _, value = part.strip().partition("=")
                attributes[key.lower()] = value
            return attributes
    raise AssertionError(f"no Set-Cookie for {name}: {response.headers.getlist('Set-Cookie')}")


def test_cookies_are_httponly_lax_and_not_secure_over_http(app, client):
    make_reader(app)
    response = sign_in(client, remember=True)
    for name in (SESSION_COOKIE, REMEMBER_COOKIE):
        attributes = set_cookie(response, name)
        assert "httponly" in attributes
        assert attributes["samesite"] == "Lax"
        assert "secure" not in attributes


def test_production_over_https_uses_secure_host_prefixed_cookies(smtp_server, tmp_path):
    app = build_app(
        tmp_path,
        smtp_server.port,
        TESTING=False,
        DEBUG=False,
        SECRET_KEY=secrets.token_hex(32),
        PUBLIC_URL="https://comments.example",
    )
    make_reader(app)
    client = app.test_client()
    response = client.post(
        "/auth/sign-in",
        base_url="https://comments.example",
        data={"email": "reader@example.org", "password": PASSWORD, "remember": "y"},
    )
    assert response.status_code == 303
    for name in ("__Host-" + SESSION_COOKIE, "__Host-" + REMEMBER_COOKIE):
        attributes = set_cookie(response, name)
        assert "secure" in attributes
        assert "httponly" in attributes
        assert attributes["samesite"] == "Lax"
        assert attributes["path"] == "/"
        assert "domain" not in attributes
    assert "Strict-Transport-Security" in response.headers


def test_the_development_secret_key_is_refused_in_production(smtp_server, tmp_path):
    config = make_config(tmp_path, smtp_server.port, TESTING=False, DEBUG=False, SECRET_KEY="dev")
    with pytest.raises(RuntimeError, match="SECRET_KEY"):
        create_app(config)


def test_a_new_secret_key_refuses_cookies_signed_with_the_old_one(app, client):
    make_reader(app)
    assert sign_in(client).status_code == 303
    old = cookie_value(client, SESSION_COOKIE)
    assert is_signed_in(replay(app, SESSION_COOKIE, old))  # read once under the old key
    app.config["SECRET_KEY_FALLBACKS"] = [app.secret_key]
    app.secret_key = "a rotated secret key of plenty of length"
    # Kept as a fallback, the old key still reads its cookies...
    assert is_signed_in(replay(app, SESSION_COOKIE, old))
    app.config["SECRET_KEY_FALLBACKS"] = []
    # ...and once dropped, a cookie it signed is worth nothing, in this process too.
    assert not is_signed_in(replay(app, SESSION_COOKIE, old))
