"""Behind a reverse proxy (COMMENTSVC_PROXY_FIX_X_FOR and friends) rate limits count the
client the proxy reports; without that setting a forged X-Forwarded-For changes nothing."""

from __future__ import annotations

from flask import Flask

from tests.conftest import build_app
from tests.core.test_rate_limits import assert_limited, attempt
from tests.factories import make_reader

PROXY = {"REMOTE_ADDR": "10.0.0.2"}  # every request arrives from the proxy
CLIENT_A = "192.0.2.1"
CLIENT_B = "198.51.100.2"


def limited_app(smtp_server, tmp_path, **config) -> Flask:
    app = build_app(tmp_path, smtp_server.port, RATELIMIT_SIGN_IN_IP="2 per minute", **config)
    make_reader(app, email="reader@example.org", display_name="Reader")
    return app


def forwarded_for(client_address: str, remote: dict[str, str] = PROXY) -> dict[str, str]:
    return {**remote, "HTTP_X_FORWARDED_FOR": client_address}


def test_behind_a_proxy_limits_count_the_forwarded_client(smtp_server, tmp_path):
    app = limited_app(smtp_server, tmp_path, PROXY_FIX_X_FOR=1)
    client = app.test_client()
    assert attempt(client, ip=forwarded_for(CLIENT_A)).status_code == 422
    assert attempt(client, ip=forwarded_for(CLIENT_A)).status_code == 422
    assert_limited(attempt(client, ip=forwarded_for(CLIENT_A)))
    # Another reader behind the same proxy is not held back by the first.
    assert attempt(client, ip=forwarded_for(CLIENT_B)).status_code == 422
    # The client is the one the proxy names, whatever the client put before it.
    assert_limited(attempt(client, ip=forwarded_for(f"{CLIENT_B}, {CLIENT_A}")))


def test_the_forwarded_scheme_and_host_are_believed_only_when_configured(smtp_server, tmp_path):
    headers = {"X-Forwarded-Proto": "https", "X-Forwarded-Host": "comments.example.org"}
    trusting = build_app(tmp_path, smtp_server.port, PROXY_FIX_X_PROTO=1, PROXY_FIX_X_HOST=1)
    # The trailing-slash redirect names the address the app believes it is served at.
    response = trusting.test_client().get("/moderation", headers=headers)
    assert response.headers["Location"].startswith("https://comments.example.org/")
    plain = build_app(tmp_path, smtp_server.port)
    response = plain.test_client().get("/moderation", headers=headers)
    assert not response.headers["Location"].startswith("https://comments.example.org/")


def test_without_a_proxy_a_forged_forwarded_for_is_ignored(smtp_server, tmp_path):
    app = limited_app(smtp_server, tmp_path)
    client = app.test_client()
    # An attacker sends a new X-Forwarded-For with every attempt, from one address.
    attacker = {"REMOTE_ADDR": CLIENT_A}
    assert attempt(client, ip=forwarded_for("203.0.113.1", attacker)).status_code == 422
    assert attempt(client, ip=forwarded_for("203.0.113.2", attacker)).status_code == 422
    assert_limited(attempt(client, ip=forwarded_for("203.0.113.3", attacker)))
    assert_limited(attempt(client, ip=forwarded_for(CLIENT_B, attacker)))
