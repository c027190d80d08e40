"""A post reads what the site's rules ask (ban, trust, approved comments, policies to
accept) in its first statement, with the site and the thread: whether the reader's
session is read there too (rate limits off) or Flask-Login has loaded the reader already
(the per-reader rate limit's key). Each rule still decides as it would on its own."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import event, update

from commentsvc.comments.models import Comment, CommentStatus, ModerationPolicy, Site
from commentsvc.consent import policies, publishing
from commentsvc.consent.models import PolicyDocument
from commentsvc.core.extensions import db
from commentsvc.moderation import bans
from tests.conftest import build_app
from tests.moderation_support import Ids, build_world, client_for, get, post, reader

API = "/api/v1/sites/demo/threads/a1/comments"
PAGE = "/threads/demo/t/a1"


@pytest.fixture(params=[True, False], ids=["rate-limited", "no-rate-limits"])
def app(request: pytest.FixtureRequest, smtp_server: Any, tmp_path: Path) -> Flask:
    # Closed after the test by conftest's _close_databases, as every app build_app makes.
    return build_app(tmp_path, smtp_server.port, RATELIMIT_ENABLED=request.param)


@pytest.fixture
def ids(app: Flask) -> Ids:
    return build_world(app, "hold_first_n")


def statements_of(app: Flask, send: Any) -> tuple[Any, list[str]]:
    seen: list[str] = []

    def count(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        seen.append(" ".join(statement.split()))

    with app.app_context():
        engine = db.engine
    event.listen(engine, "before_cursor_execute", count)
    try:
        answer = send()
    finally:
        event.remove(engine, "before_cursor_execute", count)
    return answer, seen


def json_of(response: Any) -> dict[str, Any]:
    answer = response.get_json()
    assert isinstance(answer, dict), response.text
    return answer


def approve_all(app: Flask) -> None:
    with app.app_context():
        db.session.execute(update(Comment).values(status=CommentStatus.APPROVED))
        db.session.commit()


def site_rules(app: Flask, site_id: int, **values: Any) -> None:
    with app.app_context():
        db.session.execute(update(Site).where(Site.id == site_id).values(**values))
        db.session.commit()


@pytest.mark.parametrize("way", ["api", "form"])
def test_a_post_asks_the_rules_nothing_after_its_first_statement(app, ids, way):
    # The site's first post tells how far its rules count (see the last test).
    bob = client_for(app, "bob@example.org")
    assert bob.post(API, json={"body": "The first"}).status_code == 201
    alice = client_for(app, "alice@example.org")

    def send() -> Any:
        if way == "api":
            return alice.post(API, json={"body": "One statement for the rules"})
        return alice.post(PAGE, data={"body": "One statement for the rules"})

    answer, seen = statements_of(app, send)
    assert answer.status_code in (201, 303), answer.text
    reads_rules = [s for s in seen if "FROM ban" in s or "FROM policy_version" in s]
    assert len(reads_rules) == 1, seen
    # ... and it is the statement that finds the site and the thread.
    assert "FROM site LEFT OUTER JOIN thread" in reads_rules[0]
    # New reader, first comment: held by the site's rule, which counted her comments.
    with app.app_context():
        comment = db.session.query(Comment).filter_by(author_id=ids.alice).one()
        assert comment.status == CommentStatus.PENDING


def test_a_ban_or_new_terms_read_with_the_thread_stop_the_next_post(app, ids):
    site_rules(app, ids.site, moderation_policy=ModerationPolicy.HOLD_NONE)
    alice, bob = client_for(app, "alice@example.org"), client_for(app, "bob@example.org")
    assert alice.post(API, json={"body": "Before"}).status_code == 201
    with app.app_context():
        bans.ban(reader(ids.mod), ids.alice, ids.site, "Spam")
    refused = alice.post(API, json={"body": "After the ban"})
    assert refused.status_code == 403
    assert "banned" in json_of(refused)["error"]
    # Bob, on the same worker right after: his own standing, nothing of Alice's.
    assert bob.post(API, json={"body": "Still welcome"}).status_code == 201
    with app.app_context():
        # Bob accepted the versions in force (as sign-up records them); then new terms.
        for document in policies.ACCEPTED:
            policies.record_acceptance(reader(ids.bob), policies.current(document))
        db.session.commit()
        assert bob.post(API, json={"body": "Accepted"}).status_code == 201
        publishing.publish(PolicyDocument.TERMS, "New terms", "Read them.", None)
    refused = bob.post(API, json={"body": "Before accepting"})
    assert refused.status_code == 403
    assert json_of(refused)["accept_url"].endswith("/policies/accept?site=demo")
    with app.app_context():
        stored = [c.body_source for c in db.session.query(Comment).order_by(Comment.id)]
    assert stored == ["Before", "Still welcome", "Accepted"]


def test_rules_that_now_count_further_are_asked_again(app, ids):
    """A post counts the reader's approved comments only as far as the site's rules
    needed on the last post. When a moderator raises the number, the short count is not
    taken for the real one: the reader with enough approved comments is published."""
    site_rules(app, ids.site, hold_first_n=1, trust_after=0)
    for n in range(3):
        post(app, ids.alice, f"Approved {n}")
    approve_all(app)
    alice = client_for(app, "alice@example.org")
    first = alice.post(API, json={"body": "Counted up to one"})
    assert json_of(first)["status"] == CommentStatus.APPROVED
    site_rules(app, ids.site, hold_first_n=4)
    # Four approved now: published, though the last post counted only up to one.
    second = alice.post(API, json={"body": "Counted up to four"})
    assert json_of(second)["status"] == CommentStatus.APPROVED, second.json
    site_rules(app, ids.site, hold_first_n=6)
    third = alice.post(API, json={"body": "Five are not six"})
    assert json_of(third)["status"] == CommentStatus.PENDING, third.json
    # The trust rule counts the same way: trusted after five, so not held.
    site_rules(app, ids.site, moderation_policy=ModerationPolicy.HOLD_ALL, trust_after=5)
    fourth = alice.post(API, json={"body": "Trusted by now"})
    assert json_of(fourth)["status"] == CommentStatus.APPROVED, fourth.json
    with app.app_context():
        assert get(Site, ids.site).hold_first_n == 6
