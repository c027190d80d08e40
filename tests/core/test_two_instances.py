"""Two app servers on one database and one Redis behave as one service.

Two gunicorn instances (two workers each, the shipped gunicorn.conf.py) on different
ports share the suite's database (SQLite file, or PostgreSQL in the second run) and
Redis, as two machines behind one load balancer would. Readers and moderators move
between them from request to request; nothing but the database and Redis carries
state from one to the other.
"""

from __future__ import annotations

import os
import re
import threading
import uuid
from collections.abc import Iterator
from dataclasses import dataclass

import pyotp
import pytest
import requests
from flask import Flask
from sqlalchemy import func, select

from commentsvc.accounts import totp
from commentsvc.accounts.models import Reader
from commentsvc.comments.models import Comment
from commentsvc.core.extensions import db
from commentsvc.moderation.models import AuditEntry
from tests.conftest import build_app, make_config
from tests.factories import PASSWORD
from tests.moderation_support import Ids, build_world, post
from tests.servers import free_port, gunicorn

CSRF = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')
THREAD = "/threads/demo/t/a1"


@dataclass
class Service:
    """One public address, two instances behind it."""

    a: str
    b: str
    app: Flask
    ids: Ids
    public_url: str
    # The admin's recovery codes: in production mode an admin signs in in two steps.
    admin_codes: list[str]


@pytest.fixture
def service(smtp_server, tmp_path) -> Iterator[Service]:
    redis_url = os.environ.get("COMMENTSVC_TEST_REDIS_URL")
    if not redis_url:
        if os.environ.get("CI"):
            pytest.fail("COMMENTSVC_TEST_REDIS_URL is not set: CI must run the two-instance test")
        pytest.skip("set COMMENTSVC_TEST_REDIS_URL to run")
    ports = free_port(), free_port()
    public_url = f"http://127.0.0.1:{ports[0]}"
    config = make_config(
        tmp_path,
        smtp_server.port,
        TESTING=False,
        WTF_CSRF_ENABLED=True,
        PUBLIC_URL=public_url,
        REDIS_URL=redis_url,
        RATELIMIT_KEY_PREFIX=f"two-{uuid.uuid4().hex}",
        RATELIMIT_SIGN_IN_ACCOUNT="3 per minute",
    )
    app = build_app(tmp_path, smtp_server.port, **config)  # the tables both instances use
    ids = build_world(app, "hold_all")
    with app.app_context():
        admin = db.session.get(Reader, ids.admin)
        assert admin is not None
        setup = totp.begin_setup(admin)
        admin_codes = totp.confirm_setup(admin, pyotp.TOTP(setup.secret).now())
        db.engine.dispose()
    urls = [f"http://127.0.0.1:{port}" for port in ports]
    try:
        with gunicorn(config, ports[0]), gunicorn(config, ports[1]):
            yield Service(
                a=urls[0],
                b=urls[1],
                app=app,
                ids=ids,
                public_url=public_url,
                admin_codes=admin_codes,
            )
    finally:
        with app.app_context():
            db.session.remove()
            db.engine.dispose()


def token(session: requests.Session, url: str) -> str:
    found = CSRF.search(session.get(url, timeout=10).text)
    assert found, f"no form on {url}"
    return found.group(1)


def signed_in(base: str, email: str, recovery_code: str = "") -> requests.Session:
    """A browser signed in through the instance at base (with recovery_code as the
    second step, when one is due)."""
    browser = requests.Session()
    form = {
        "email": email,
        "password": PASSWORD,
        "csrf_token": token(browser, base + "/auth/sign-in"),
    }
    answer = browser.post(base + "/auth/sign-in", data=form, allow_redirects=False, timeout=10)
    assert answer.status_code in (302, 303), answer.text[:500]
    if answer.headers.get("Location", "").endswith("/auth/two-step"):
        assert recovery_code, f"{email} owes a second step"
        step = {"code": recovery_code, "csrf_token": token(browser, base + "/auth/two-step")}
        answer = browser.post(base + "/auth/two-step", data=step, allow_redirects=False, timeout=10)
        assert answer.status_code == 303, answer.text[:500]
    return browser


def test_a_rate_limit_counts_requests_to_both_instances(service):
    browser = requests.Session()

    def attempt(base: str, email: str) -> int:
        form = {
            "email": email,
            "password": "wrong",
            "csrf_token": token(browser, base + "/auth/sign-in"),
        }
        return browser.post(base + "/auth/sign-in", data=form, timeout=10).status_code

    # Three tries per account a minute, whichever instance and however it is spelled.
    assert attempt(service.a, "alice@example.org") == 422
    assert attempt(service.b, "ALICE@example.org") == 422
    assert attempt(service.a, " Alice@Example.org") == 422
    assert attempt(service.b, "alice@example.org") == 429
    assert attempt(service.a, "bob@example.org") == 422


def test_a_comment_posted_through_one_shows_through_the_others_kept_page(service):
    anonymous = requests.Session()
    # hold_all: approve a first comment so the page is not empty, then warm B's page cache.
    mina = signed_in(service.a, "mina@example.org")
    first = post(service.app, service.ids.alice, "The first word.")
    decided = mina.post(
        f"{service.a}/moderation/comments/{first}/decide",
        data={"action": "approve", "csrf_token": token(mina, service.a + "/moderation/")},
        timeout=10,
    )
    assert decided.status_code == 200
    for _ in range(4):  # each of B's workers keeps the page
        assert "The first word." in anonymous.get(service.b + THREAD, timeout=10).text
    second = post(service.app, service.ids.bob, "A second, later word.")
    page = anonymous.get(service.b + THREAD, timeout=10).text
    assert "A second, later word." not in page  # held: nobody but Bob sees it yet
    mina.post(
        f"{service.a}/moderation/comments/{second}/decide",
        data={"action": "approve", "csrf_token": token(mina, service.a + "/moderation/")},
        timeout=10,
    )
    for _ in range(4):
        assert "A second, later word." in anonymous.get(service.b + THREAD, timeout=10).text


def test_a_sign_in_code_minted_on_one_is_redeemed_once_on_the_other(service):
    alice = signed_in(service.a, "alice@example.org")
    popup = alice.get(service.a + "/auth/embed-sign-in?site=demo", timeout=10)
    code = re.search(r'data-code="([^"]+)"', popup.text)
    assert code, popup.text[:500]
    own = {"Origin": service.public_url}
    widget = requests.Session()
    first = widget.post(
        service.b + "/embed/demo/session", data={"code": code.group(1)}, headers=own, timeout=10
    )
    assert first.status_code == 200
    again = requests.post(
        service.a + "/embed/demo/session", data={"code": code.group(1)}, headers=own, timeout=10
    )
    assert again.status_code == 400
    # The widget session made on B is good on A. (Its cookie is Secure: a browser sends it
    # to the https service only, so here it is sent by hand.)
    cookie = widget.cookies.get("commentsvc_embed")
    assert cookie
    page = requests.get(
        service.a + "/embed/demo/t/a1", headers={"Cookie": f"commentsvc_embed={cookie}"}, timeout=10
    ).text
    assert "Signed in as Alice" in page


def test_two_moderators_on_two_instances_make_one_decision(service):
    comment = post(service.app, service.ids.alice, "Decide me once.")
    mina = signed_in(service.a, "mina@example.org")
    ada = signed_in(service.b, "admin@example.org", service.admin_codes[0])
    forms = [
        (mina, service.a, "approve", token(mina, service.a + "/moderation/")),
        (ada, service.b, "reject", token(ada, service.b + "/moderation/")),
    ]
    answers: list[str] = []
    start = threading.Barrier(len(forms))

    def decide(browser: requests.Session, base: str, action: str, csrf: str) -> None:
        start.wait()
        url = f"{base}/moderation/comments/{comment}/decide"
        answer = browser.post(url, data={"action": action, "csrf_token": csrf}, timeout=20)
        answers.append(answer.text)

    workers = [threading.Thread(target=decide, args=form) for form in forms]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    assert len(answers) == 2
    assert sum("already" in text.lower() for text in answers) == 1
    with service.app.app_context():
        status = db.session.scalar(select(Comment.status).where(Comment.id == comment))
        decisions = db.session.scalar(
            select(func.count())
            .select_from(AuditEntry)
            .where(AuditEntry.target_type == "comment", AuditEntry.target_id == comment)
        )
    assert status in ("approved", "rejected")
    assert decisions == 1


def test_sign_out_everywhere_on_one_ends_the_sessions_served_by_the_other(service):
    on_b = signed_in(service.b, "carol@example.org")
    on_a = signed_in(service.a, "carol@example.org")
    assert on_b.get(service.b + "/account", allow_redirects=False, timeout=10).status_code == 200
    ended = on_a.post(
        service.a + "/account/sign-out-everywhere",
        data={"csrf_token": token(on_a, service.a + "/account")},
        allow_redirects=False,
        timeout=10,
    )
    assert ended.status_code in (302, 303)
    for base in (service.b, service.a):
        answer = on_b.get(base + "/account", allow_redirects=False, timeout=10)
        assert answer.status_code == 302
        assert "/auth/sign-in" in answer.headers["Location"]
