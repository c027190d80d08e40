"""Failure, then recovery, without a restart: the tests stop and start the real servers
the service depends on while gunicorn keeps running.

- PostgreSQL stops: every page and JSON answer is a quick 503 with Retry-After (no
  hang, no traceback); when it is back the same workers serve again.
- PostgreSQL accepts connections but never answers: still a 503, after the connect
  timeout.
- Redis stops: reads keep working; rate limits still apply, counted per process, and go
  back to Redis when it answers again (config: RATELIMIT_IN_MEMORY_FALLBACK_ENABLED).
- A worker is killed mid-request: every comment whose post was acknowledged is stored.
The SMTP outage (mail waits in the outbox and goes out when the server is back) is in
tests/core/test_mail.py.
"""

from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import threading
import time
import uuid
from collections.abc import Iterator
from typing import Any

import pytest
import redis
import requests
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from commentsvc import create_app
from commentsvc.comments import sites, threads
from commentsvc.comments.models import Comment
from commentsvc.core.extensions import db
from tests.conftest import TEST_DATABASE_URL, build_app, make_config
from tests.factories import PASSWORD, make_reader
from tests.servers import (
    PrivatePostgres,
    PrivateRedis,
    free_port,
    gunicorn,
    postgres_bin,
    wait_for,
)

THREAD = "/threads/demo/t/a1"
API_LIST = "/api/v1/sites/demo/threads/a1/comments"
CSRF = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')
UNAVAILABLE = "The service is briefly unavailable. Please try again in a minute."


def _seed(app_config: dict[str, Any]) -> None:
    app = create_app(app_config)
    with app.app_context():
        db.create_all()
    _add_thread(app)


def _add_thread(app: Flask) -> None:
    """The site "demo" and its thread "a1"; then the app lets go of the database, which
    the gunicorn under test uses from now on."""
    with app.app_context():
        site = sites.create_site("demo", "Demo News", ["https://news.example"])
        threads.create_thread(site, "a1", "Blinken in Baku", "https://news.example/a1")
        db.session.remove()
        db.engine.dispose()


@pytest.fixture
def private_postgres() -> Iterator[PrivatePostgres]:
    if postgres_bin() is None:
        if os.environ.get("CI"):
            pytest.fail("PostgreSQL is not installed: CI must run the database outage test")
        pytest.skip("install PostgreSQL to run")
    server = PrivatePostgres()
    yield server
    server.close()


def test_a_lost_database_gives_quick_503s_and_the_same_workers_recover(
    private_postgres, smtp_server, tmp_path
):
    config = make_config(
        tmp_path, smtp_server.port, DATABASE_URL=private_postgres.url, TESTING=False
    )
    _seed(config)
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    with gunicorn(config, port, workers=2) as server:
        wait_for(lambda: len(_children(server.pid)) == 2, "both workers up")
        workers_before = set(_children(server.pid))
        for _ in range(4):  # each worker opens its connection and keeps the page
            assert requests.get(base + THREAD, timeout=10).status_code == 200
        private_postgres.stop()
        for path in (THREAD, THREAD + "?sort=newest", "/account"):
            page = requests.get(base + path, timeout=10, allow_redirects=False)
            assert page.status_code in (503, 302), path  # /account may go to sign-in first
        page = requests.get(base + THREAD, timeout=10)
        assert page.status_code == 503
        assert page.headers["Retry-After"] == "10"
        assert UNAVAILABLE in page.text
        assert "Traceback" not in page.text
        listing = requests.get(base + API_LIST, timeout=10)
        assert listing.status_code == 503
        assert listing.json() == {"error": UNAVAILABLE}
        assert requests.get(base + "/readyz", timeout=10).status_code == 503
        assert requests.get(base + "/healthz", timeout=10).status_code == 200

        private_postgres.start()
        for _ in range(4):
            assert requests.get(base + THREAD, timeout=10).status_code == 200
            assert requests.get(base + API_LIST, timeout=10).status_code == 200
        assert requests.get(base + "/readyz", timeout=10).status_code == 200
        assert set(_children(server.pid)) == workers_before  # no worker was restarted


@pytest.fixture
def in_process(private_postgres, smtp_server, tmp_path) -> Iterator[FlaskClient]:
    """The app in this process on the private PostgreSQL: one pool, so a request after
    an outage takes the very connection the pool kept from before it."""
    config = make_config(
        tmp_path, smtp_server.port, DATABASE_URL=private_postgres.url, TESTING=False
    )
    _seed(config)
    app = create_app(config)
    yield app.test_client()
    with app.app_context():
        db.engine.dispose()


def test_a_connection_lost_between_requests_gives_a_503_on_a_page_not_kept(
    in_process, private_postgres
):
    # On a page the page cache cannot answer.
    assert in_process.get(THREAD).status_code == 200
    private_postgres.stop()
    page = in_process.get(THREAD + "?sort=newest")
    assert page.status_code == 503
    assert UNAVAILABLE in page.text
    private_postgres.start()
    assert in_process.get(THREAD + "?sort=newest").status_code == 200


def test_a_restart_between_requests_costs_no_request(in_process, private_postgres):
    # The pool keeps the connection of the last request; the server restarts while no
    # request runs. The next request, on a page the page cache cannot answer, must not
    # be the one that finds the connection dead.
    assert in_process.get(THREAD).status_code == 200
    assert in_process.get(API_LIST).status_code == 200
    private_postgres.stop()
    private_postgres.start()
    assert in_process.get(API_LIST + "?sort=newest").status_code == 200
    assert in_process.get(THREAD + "?sort=newest").status_code == 200


def test_a_database_that_never_answers_gives_a_503_after_the_connect_timeout(smtp_server, tmp_path):
    if postgres_bin() is None and not os.environ.get("CI"):
        pytest.skip("install PostgreSQL to run")  # psycopg is there; the point is parity
    # A socket that takes connections into its backlog and never says a word, like a
    # server lost behind a firewall that drops packets.
    silent = socket.socket()
    silent.bind(("127.0.0.1", 0))
    silent.listen(64)
    url = f"postgresql+psycopg://commentsvc@127.0.0.1:{silent.getsockname()[1]}/commentsvc"
    config = make_config(
        tmp_path, smtp_server.port, DATABASE_URL=url, TESTING=False, DATABASE_CONNECT_TIMEOUT=2
    )
    port = free_port()
    try:
        with gunicorn(config, port, workers=1):
            # Without the connect timeout this would wait until gunicorn killed the worker.
            page = requests.get(f"http://127.0.0.1:{port}{THREAD}", timeout=20)
            assert page.status_code == 503
            assert UNAVAILABLE in page.text
    finally:
        silent.close()


@pytest.fixture
def private_redis() -> Iterator[PrivateRedis]:
    if subprocess.run(["which", "redis-server"], capture_output=True, check=False).returncode:
        if os.environ.get("CI"):
            pytest.fail("redis-server is not installed: CI must run the Redis outage test")
        pytest.skip("install redis-server to run")
    server = PrivateRedis()
    yield server
    server.stop()


def test_without_redis_reads_work_and_limits_count_per_process_until_it_is_back(
    private_redis, smtp_server, tmp_path
):
    prefix = f"fault-{uuid.uuid4().hex}"
    config = make_config(
        tmp_path,
        smtp_server.port,
        TESTING=False,
        REDIS_URL=private_redis.url,
        RATELIMIT_KEY_PREFIX=prefix,
        RATELIMIT_SIGN_IN_ACCOUNT="3 per minute",
        RATELIMIT_SIGN_IN_IP="1000 per minute",
    )
    app = build_app(tmp_path, smtp_server.port, **config)
    _add_thread(app)
    port = free_port()
    base = f"http://127.0.0.1:{port}"

    def attempts(email: str, count: int) -> list[int]:
        form = {"email": email, "password": "not the password"}
        return [
            requests.post(base + "/auth/sign-in", data=form, timeout=10).status_code
            for _ in range(count)
        ]

    with gunicorn(config, port, workers=1):
        assert attempts("before@example.org", 1) == [422]
        private_redis.stop()
        assert requests.get(base + THREAD, timeout=10).status_code == 200
        assert requests.get(base + API_LIST, timeout=10).status_code == 200
        # Still limited: three tries a minute per account, counted in the process.
        assert attempts("during@example.org", 4) == [422, 422, 422, 429]
        ready = requests.get(base + "/readyz", timeout=10)
        assert ready.status_code == 503
        assert ready.json()["checks"]["rate_limits"] == "unreachable"

        private_redis.start()  # empty: it kept nothing
        stored = redis.Redis.from_url(private_redis.url)
        deadline = time.monotonic() + 30
        while not stored.keys(f"*{prefix}*") and time.monotonic() < deadline:
            attempts("after@example.org", 1)  # the limiter looks at Redis again now and then
            time.sleep(0.5)
        assert stored.keys(f"*{prefix}*"), "the limits never went back to Redis"
        assert requests.get(base + "/readyz", timeout=10).status_code == 200


def _children(pid: int) -> list[int]:
    found = subprocess.run(["pgrep", "-P", str(pid)], capture_output=True, text=True, check=False)
    return [int(line) for line in found.stdout.split()]


def test_a_worker_killed_mid_request_loses_no_acknowledged_comment(smtp_server, tmp_path):
    config = make_config(
        tmp_path,
        smtp_server.port,
        TESTING=False,
        WTF_CSRF_ENABLED=True,
        RATELIMIT_ENABLED=False,
        **({"DATABASE_URL": TEST_DATABASE_URL} if TEST_DATABASE_URL else {}),
    )
    app = build_app(tmp_path, smtp_server.port, **config)
    make_reader(app, email="writer@example.org", display_name="Writer")
    _add_thread(app)
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    acknowledged: list[tuple[int, str]] = []
    stop = threading.Event()

    with gunicorn(config, port, workers=2) as server:
        browser = requests.Session()
        form = CSRF.search(browser.get(base + "/auth/sign-in", timeout=10).text)
        assert form
        signed = browser.post(
            base + "/auth/sign-in",
            data={"email": "writer@example.org", "password": PASSWORD, "csrf_token": form[1]},
            timeout=10,
        )
        assert signed.status_code == 200
        token = CSRF.search(browser.get(base + "/account", timeout=10).text)
        assert token
        headers = {"X-CSRFToken": token[1]}

        def write(writer: int) -> None:
            session = requests.Session()
            session.cookies.update(browser.cookies)
            n = 0
            while not stop.is_set():
                n += 1
                text = f"Writer {writer}, comment {n}."
                try:
                    answer = session.post(
                        base + API_LIST, json={"body": text}, headers=headers, timeout=10
                    )
                except (requests.ConnectionError, requests.exceptions.ChunkedEncodingError):
                    # Cut off with its worker, before or after the headers: an
                    # answer the writer never read whole was never acknowledged.
                    continue
                if answer.status_code == 201:
                    acknowledged.append((answer.json()["id"], text))

        writers = [threading.Thread(target=write, args=(w,)) for w in range(4)]
        for writer in writers:
            writer.start()
        try:
            for _ in range(3):
                seen = len(acknowledged)
                wait_for(lambda n=seen: len(acknowledged) >= n + 5, "five acknowledged posts")
                victim = _children(server.pid)[0]
                os.kill(victim, signal.SIGKILL)  # mid-request, with four writers busy
            seen = len(acknowledged)
            wait_for(lambda: len(acknowledged) >= seen + 5, "posts after the last kill")
        finally:
            stop.set()
            for writer in writers:
                writer.join(timeout=30)

    assert len(acknowledged) >= 15
    with app.app_context():
        stored = dict(
            db.session.execute(
                select(Comment.id, Comment.body_source).where(
                    Comment.id.in_([comment_id for comment_id, _ in acknowledged])
                )
            ).all()
        )
        db.session.remove()
        db.engine.dispose()
    assert stored == dict(acknowledged)
