"""/readyz: ready only when the database (and Redis, when limits live there) answers, and
it says when rate limits are counted per process."""

from __future__ import annotations

import os
import socket

import pytest

from commentsvc import create_app
from tests.conftest import build_app, make_config

REDIS_URL = os.environ.get("COMMENTSVC_TEST_REDIS_URL", "")


def closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def test_ready_with_a_database_and_says_limits_are_per_process(smtp_server, tmp_path):
    app = build_app(tmp_path, smtp_server.port, RATELIMIT_ENABLED=True)
    response = app.test_client().get("/readyz")
    assert response.status_code == 200
    body = response.get_json()
    assert body["status"] == "ready"
    assert body["checks"] == {"database": "ok", "rate_limits": "per process"}
    (warning,) = body["warnings"]
    assert "COMMENTSVC_REDIS_URL" in warning


def test_not_ready_when_the_database_is_gone(smtp_server, tmp_path):
    # A SQLite file in a directory that does not exist: every connection fails.
    gone = f"sqlite:///{tmp_path / 'gone' / 'db.sqlite3'}"
    app = create_app(make_config(tmp_path, smtp_server.port, DATABASE_URL=gone))
    response = app.test_client().get("/readyz")
    assert response.status_code == 503
    assert response.get_json()["checks"]["database"] == "unreachable"


def test_not_ready_when_redis_does_not_answer(smtp_server, tmp_path):
    url = f"redis://127.0.0.1:{closed_port()}/0"
    app = build_app(tmp_path, smtp_server.port, RATELIMIT_STORAGE_URI=url, RATELIMIT_ENABLED=True)
    response = app.test_client().get("/readyz")
    assert response.status_code == 503
    body = response.get_json()
    assert body == {
        "status": "not ready",
        "checks": {"database": "ok", "rate_limits": "unreachable"},
        "warnings": [],
    }
    # The liveness check does not depend on Redis.
    assert app.test_client().get("/healthz").status_code == 200


@pytest.mark.skipif(not REDIS_URL, reason="set COMMENTSVC_TEST_REDIS_URL to run")
def test_ready_with_redis(smtp_server, tmp_path):
    app = build_app(
        tmp_path, smtp_server.port, RATELIMIT_STORAGE_URI=REDIS_URL, RATELIMIT_ENABLED=True
    )
    response = app.test_client().get("/readyz")
    assert response.status_code == 200
    assert response.get_json()["checks"] == {"database": "ok", "rate_limits": "ok"}
