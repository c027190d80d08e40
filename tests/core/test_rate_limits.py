"""Rate limits on sign-in, reset requests and sign-up, in memory and shared through Redis."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import uuid
from pathlib import Path

import pytest
from flask.testing import FlaskClient
from werkzeug.test import TestResponse

from commentsvc.core.extensions import db
from tests.conftest import build_app, make_config
from tests.factories import PASSWORD, make_reader

ROOT = Path(__file__).resolve().parents[2]
TOO_MANY = "Too many attempts. Please wait a little and try again."
IP_A = {"REMOTE_ADDR": "192.0.2.1"}
IP_B = {"REMOTE_ADDR": "198.51.100.2"}
LOOSE = "1000 per minute"


@pytest.fixture
def limited(smtp_server, tmp_path):
    """Build the app with some limits lowered; the others stay out of the way."""
    apps = []

    def build(**limits):
        settings = {
            "RATELIMIT_SIGN_IN_IP": LOOSE,
            "RATELIMIT_SIGN_IN_ACCOUNT": LOOSE,
            "RATELIMIT_RESET": LOOSE,
            "RATELIMIT_SIGN_UP": LOOSE,
            **limits,
        }
        app = build_app(tmp_path, smtp_server.port, **settings)
        apps.append(app)
        make_reader(app, email="reader@example.org", display_name="Reader")
        make_reader(app, email="other@example.org", display_name="Other")
        return app

    yield build
    for app in apps:
        with app.app_context():
            db.session.remove()
            db.engine.dispose()


WRONG = "not the password"


def attempt(
    client: FlaskClient,
    email: str = "reader@example.org",
    password: str = WRONG,
    ip: dict[str, str] = IP_A,
) -> TestResponse:
    return client.post(
        "/auth/sign-in", data={"email": email, "password": password}, environ_base=ip
    )


def assert_limited(response: TestResponse) -> None:
    assert response.status_code == 429
    assert int(response.headers["Retry-After"]) > 0
    assert response.mimetype == "text/html"
    assert TOO_MANY in response.text


def test_sign_in_is_limited_per_ip(limited):
    client = limited(RATELIMIT_SIGN_IN_IP="3 per minute").test_client()
    addresses = ["reader@example.org", "other@example.org", "nobody@example.org"]
    for address in addresses:
        assert attempt(client, address).status_code == 422
    assert_limited(attempt(client, "someone-else@example.org"))
    # The right password does not get past the IP limit either.
    assert_limited(attempt(client, password=PASSWORD))


def test_another_ip_is_not_held_back_by_the_first(limited):
    client = limited(RATELIMIT_SIGN_IN_IP="2 per minute").test_client()
    attempt(client, ip=IP_A)
    attempt(client, ip=IP_A)
    assert_limited(attempt(client, ip=IP_A))
    assert attempt(client, ip=IP_B).status_code == 422
    assert attempt(client, password=PASSWORD, ip=IP_B).status_code == 303


def test_sign_in_is_limited_per_account_across_ips(limited):
    client = limited(RATELIMIT_SIGN_IN_ACCOUNT="2 per minute").test_client()
    assert attempt(client, ip=IP_A).status_code == 422
    assert attempt(client, ip=IP_B).status_code == 422
    assert_limited(attempt(client, ip={"REMOTE_ADDR": "203.0.113.3"}))
    # The address is normalised before counting: a change of case is the same account.
    assert_limited(attempt(client, email=" Reader@Example.ORG", ip=IP_B))


def test_account_limit_counts_failed_attempts_only(limited):
    app = limited(RATELIMIT_SIGN_IN_ACCOUNT="2 per minute")
    for _ in range(4):
        client = app.test_client()
        assert attempt(client, password=PASSWORD).status_code == 303
    assert attempt(app.test_client()).status_code == 422
    assert attempt(app.test_client()).status_code == 422
    assert_limited(attempt(app.test_client()))


def test_different_addresses_from_one_ip_meet_only_the_ip_limit(limited):
    client = limited(
        RATELIMIT_SIGN_IN_IP="5 per minute", RATELIMIT_SIGN_IN_ACCOUNT="1 per minute"
    ).test_client()
    for n in range(5):
        assert attempt(client, f"reader{n}@example.org").status_code == 422
    assert_limited(attempt(client, "reader9@example.org"))


def test_the_account_limit_leaves_other_accounts_alone(limited):
    client = limited(RATELIMIT_SIGN_IN_ACCOUNT="1 per minute").test_client()
    assert attempt(client, "reader@example.org").status_code == 422
    assert_limited(attempt(client, "reader@example.org"))
    assert attempt(client, "other@example.org", PASSWORD).status_code == 303


def test_reset_requests_are_limited(limited):
    client = limited(RATELIMIT_RESET="2 per minute").test_client()
    for address in ("reader@example.org", "nobody@example.org"):
        response = client.post("/auth/reset", data={"email": address}, environ_base=IP_A)
        assert response.status_code == 200
    response = client.post("/auth/reset", data={"email": "other@example.org"}, environ_base=IP_A)
    assert_limited(response)
    response = client.post("/auth/reset", data={"email": "other@example.org"}, environ_base=IP_B)
    assert response.status_code == 200


def test_reset_requests_for_one_address_are_limited_across_ips(limited):
    client = limited(RATELIMIT_RESET="2 per minute").test_client()
    for ip in (IP_A, IP_B):
        response = client.post("/auth/reset", data={"email": "reader@example.org"}, environ_base=ip)
        assert response.status_code == 200
    response = client.post(
        "/auth/reset", data={"email": "reader@example.org"}, environ_base={"REMOTE_ADDR": "::1"}
    )
    assert_limited(response)


def test_sign_up_is_limited_per_ip(limited):
    client: FlaskClient = limited(RATELIMIT_SIGN_UP="2 per minute").test_client()

    def sign_up(n: int, ip: dict[str, str] = IP_A) -> TestResponse:
        form = {
            "email": f"new{n}@example.org",
            "display_name": f"Newcomer {n}",
            "password": PASSWORD,
            "accept_terms": "y",
        }
        return client.post("/auth/sign-up", data=form, environ_base=ip)

    assert sign_up(1).status_code == 200
    assert sign_up(2).status_code == 200
    assert_limited(sign_up(3))
    assert sign_up(4, ip=IP_B).status_code == 200


# --- shared storage -----------------------------------------------------------------------

# One worker: build the app from the JSON config on stdin, make the sign-in attempts
# listed, print their status codes. Separate processes, like gunicorn's workers, so that
# nothing but the storage can carry the count from one to the other (apps in one process
# would share the module-level limiter, and with it the count, even in memory).
WORKER = """
import json, sys
from commentsvc import create_app
job = json.load(sys.stdin)
client = create_app(job["config"]).test_client()
codes = [
    client.post(
        "/auth/sign-in",
        data={"email": email, "password": "not the password"},
        environ_base={"REMOTE_ADDR": "192.0.2.1"},
    ).status_code
    for email in job["emails"]
]
print(json.dumps(codes))
"""


def run_worker(config: dict[str, object], emails: list[str]) -> list[int]:
    result = subprocess.run(
        [sys.executable, "-c", WORKER],
        input=json.dumps({"config": config, "emails": emails}),
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    codes: list[int] = json.loads(result.stdout.strip().splitlines()[-1])
    return codes


def test_workers_sharing_redis_share_the_count(smtp_server, tmp_path):
    redis_url = os.environ.get("COMMENTSVC_TEST_REDIS_URL")
    if not redis_url:
        if os.environ.get("CI"):
            pytest.fail("COMMENTSVC_TEST_REDIS_URL is not set: CI must run the Redis limiter test")
        pytest.skip("set COMMENTSVC_TEST_REDIS_URL to run")
    config = make_config(
        tmp_path,
        smtp_server.port,
        REDIS_URL=redis_url,
        RATELIMIT_KEY_PREFIX=f"test-{uuid.uuid4().hex}",
        RATELIMIT_SIGN_IN_IP="3 per minute",
        RATELIMIT_SIGN_IN_ACCOUNT=LOOSE,
    )
    # Creates the tables in the database both workers use.
    app = build_app(tmp_path, smtp_server.port, **config)
    with app.app_context():
        db.engine.dispose()

    assert run_worker(config, ["a@example.org", "b@example.org"]) == [422, 422]
    assert run_worker(config, ["c@example.org", "d@example.org"]) == [422, 429]
