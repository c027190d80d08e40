"""The JSON API under /api/v1: comment pages, writes, counts, errors and the OpenAPI document."""

from __future__ import annotations

import re
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from openapi_spec_validator import validate
from sqlalchemy import update
from werkzeug.test import TestResponse

from commentsvc.comments import sites, threads
from commentsvc.comments.models import Comment, Site, Thread
from commentsvc.core.extensions import db
from tests.conftest import build_app
from tests.factories import PASSWORD, make_reader, sign_in

ORIGIN = "https://news.example"
THREAD = "/api/v1/sites/demo/threads/a1/comments"


def make_site(app: Flask) -> None:
    with app.app_context():
        site = sites.create_site("demo", "Demo", [ORIGIN])
        threads.create_thread(site, "a1", "Title", ORIGIN + "/a1")
        threads.create_thread(site, "a2", "Other", ORIGIN + "/a2")


@pytest.fixture
def alice(app: Flask, client: FlaskClient) -> FlaskClient:
    make_site(app)
    make_reader(app, "alice@example.org", "Alice")
    sign_in(client, "alice@example.org")
    return client


@pytest.fixture
def bob(app: Flask, alice: FlaskClient) -> FlaskClient:
    make_reader(app, "bob@example.org", "Bob")
    client = app.test_client()
    sign_in(client, "bob@example.org")
    return client


def write(client: FlaskClient, body: str = "Hello", thread: str = THREAD, **more: Any) -> int:
    response = client.post(thread, json={"body": body, **more})
    assert response.status_code == 201, response.data
    data = response.get_json()
    assert isinstance(data, dict)
    return int(data["id"])


def error(response: TestResponse, status: int) -> str:
    assert response.status_code == status, response.data
    data = response.get_json()
    assert isinstance(data, dict)
    assert set(data) == {"error"}
    return str(data["error"])


def stored(app: Flask, cid: int) -> Comment:
    with app.app_context():
        comment = db.session.get(Comment, cid)
        assert comment is not None
        db.session.expunge(comment)
        return comment


def test_post_returns_201_and_the_stored_html(app, alice):
    response = alice.post(THREAD, json={"body": "Hi *there* <b>x</b>"})
    assert response.status_code == 201
    assert response.json["status"] == "approved"
    assert response.json["body_html"] == stored(app, response.json["id"]).body_html
    assert response.json["body_html"] == "<p>Hi <em>there</em> &lt;b&gt;x&lt;/b&gt;</p>"


def test_who_may_post(app, alice):
    anonymous = app.test_client()
    assert "Sign in" in error(anonymous.post(THREAD, json={"body": "x"}), 401)
    make_reader(app, "new@example.org", "Newcomer", verified=False)
    newcomer = app.test_client()
    sign_in(newcomer, "new@example.org")
    assert "Verify your e-mail" in error(newcomer.post(THREAD, json={"body": "x"}), 403)
    assert error(alice.post("/api/v1/sites/demo/threads/nope/comments", json={"body": "x"}), 404)


@pytest.mark.parametrize(
    ("payload", "status"),
    [
        ({"body": "x" * 10_001}, 422),
        ({"body": "   "}, 422),
        ({"body": "nul \x00"}, 422),
        ({"body": 5}, 422),
        ({"body": None}, 422),
        ({}, 422),
        ({"body": "x", "parent_id": "1"}, 422),
        ({"body": "x", "parent_id": True}, 422),
        ({"body": "x", "parent_id": 1.0}, 422),
        ({"body": "x", "parent_id": 424242}, 404),
        ({"body": "x", "parent_id": 10**30}, 404),
        ({"body": "x", "parent_id": -1}, 404),
        ([{"body": "x"}], 400),
        ("body", 400),
    ],
)
def test_bad_comments_are_refused_with_json_errors(app, alice, payload, status):
    error(alice.post(THREAD, json=payload), status)
    with app.app_context():
        assert db.session.get(Comment, 1) is None


def test_ten_thousand_characters_are_accepted(alice):
    assert write(alice, "z" * 10_000)


@pytest.mark.parametrize(
    ("data", "content_type"),
    [("{not json", "application/json"), ('{"body": "x"}', "text/plain"), ("", "application/json")],
)
def test_malformed_json_is_400(alice, data, content_type):
    error(alice.post(THREAD, data=data, content_type=content_type), 400)


def test_body_over_the_size_limit_is_413(app, alice):
    big = '{"body": "' + "x" * app.config["MAX_CONTENT_LENGTH"] + '"}'
    error(alice.post(THREAD, data=big, content_type="application/json"), 413)


def test_reply_to_a_comment_of_another_thread_is_not_found(alice):
    other = write(alice, "elsewhere", thread=THREAD.replace("a1", "a2"))
    error(alice.post(THREAD, json={"body": "reply", "parent_id": other}), 404)


def test_edit_and_delete_own_comment(app, alice, bob):
    cid = write(alice, "first")
    write(bob, "reply", parent_id=cid)
    response = alice.patch(f"/api/v1/comments/{cid}", json={"body": "second"})
    assert response.status_code == 200
    assert response.json["body_html"] == "<p>second</p>"
    assert alice.get(THREAD).json["comments"][0]["edited"] is True
    assert alice.delete(f"/api/v1/comments/{cid}").status_code == 204
    listed = bob.get(THREAD).json["comments"]
    assert [(c["id"], c["status"], c["author"], c["body_html"]) for c in listed] == [
        (cid, "deleted", None, "")
    ]
    assert [r["body_html"] for r in listed[0]["replies"]] == ["<p>reply</p>"]
    error(alice.delete(f"/api/v1/comments/{cid}"), 404)


def test_edit_after_the_window_is_refused(app, alice):
    cid = write(alice, "first")
    with app.app_context():
        db.session.execute(update(Site).values(edit_window_seconds=0))
        db.session.commit()
    assert "time to edit" in error(alice.patch(f"/api/v1/comments/{cid}", json={"body": "x"}), 403)
    assert stored(app, cid).body_source == "first"


def test_nobody_edits_or_deletes_another_readers_comment(app, alice, bob):
    cid = write(alice, "alice's")
    error(bob.patch(f"/api/v1/comments/{cid}", json={"body": "bob's"}), 403)
    error(bob.delete(f"/api/v1/comments/{cid}"), 403)
    assert (stored(app, cid).body_source, stored(app, cid).status) == ("alice's", "approved")
    for path in ("/api/v1/comments/999", "/api/v1/comments/" + "9" * 30):
        error(bob.patch(path, json={"body": "x"}), 404)
        error(bob.delete(path), 404)
        error(bob.post(path + "/vote", json={"value": 1}), 404)


def test_forged_fields_are_ignored(app, alice):
    with app.app_context():
        db.session.execute(update(Site).values(moderation_policy="hold_all"))
        db.session.commit()
    forged = {"status": "approved", "author_id": 99, "score": 50, "pinned": True, "depth": 9}
    response = alice.post(THREAD, json={"body": "forged", **forged})
    assert response.json["status"] == "pending"
    comment = stored(app, response.json["id"])
    assert (comment.status, comment.score, comment.pinned, comment.depth) == (
        "pending",
        0,
        False,
        0,
    )
    assert comment.author_id == 1
    assert app.test_client().get(THREAD).json["comments"] == []
    assert alice.get(THREAD).json["comments"][0]["status"] == "pending"
    counts = app.test_client().get("/api/v1/sites/demo/counts?thread=a1")
    assert counts.json == {"counts": {"a1": 0}}


def test_votes_count_once_change_and_can_be_taken_back(app, alice, bob):
    cid = write(alice)
    vote = f"/api/v1/comments/{cid}/vote"
    assert bob.post(vote, json={"value": 1}).json == {"id": cid, "score": 1, "my_vote": 1}
    assert bob.post(vote, json={"value": 1}).json["score"] == 1
    assert bob.post(vote, json={"value": -1}).json["score"] == -1
    assert bob.get(THREAD).json["comments"][0]["my_vote"] == -1
    assert bob.post(vote, json={"value": 0}).json["score"] == 0
    assert "own comment" in error(alice.post(vote, json={"value": 1}), 403)
    for value in ("1", True, 2, None, 1.0):
        error(bob.post(vote, json={"value": value}), 422)
    error(bob.post(vote, json=[1]), 400)
    assert stored(app, cid).score == 0


def test_locked_thread_refuses_posts_and_votes(app, alice, bob):
    cid = write(alice)
    with app.app_context():
        db.session.execute(update(Thread).values(locked=True, version=Thread.version + 1))
        db.session.commit()
    assert "locked" in error(alice.post(THREAD, json={"body": "x"}), 403)
    assert "locked" in error(bob.post(f"/api/v1/comments/{cid}/vote", json={"value": 1}), 403)
    assert app.test_client().get(THREAD).json["thread"]["locked"] is True


@pytest.mark.parametrize("sort", ["oldest", "newest", "top"])
def test_pages_follow_the_cursor_without_gaps_or_repeats(app, alice, bob, sort):
    made = [write(alice, f"c{n}") for n in range(7)]
    for cid in made[::3]:
        bob.post(f"/api/v1/comments/{cid}/vote", json={"value": 1})
    seen, sizes, cursor = [], [], ""
    while True:
        page = app.test_client().get(f"{THREAD}?sort={sort}&limit=3&after={cursor}").json
        assert page["sort"] == sort
        seen += [c["id"] for c in page["comments"]]
        sizes.append(len(page["comments"]))
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert sizes == [3, 3, 1]
    expected = {"oldest": made, "newest": made[::-1]}.get(sort)
    assert seen == (expected or made[::3][::-1] + [c for c in made[::-1] if c not in made[::3]])


@pytest.mark.parametrize("limit", [3, 4])
def test_a_full_last_page_has_no_next_cursor(alice, limit):
    for n in range(4):
        write(alice, f"c{n}")
    page = alice.get(f"{THREAD}?limit={limit}").json
    assert (page["next_cursor"] is None) == (limit == 4)


@pytest.mark.parametrize(
    ("query", "status"),
    [("sort=best", 422), ("limit=0", 422), ("limit=101", 422), ("limit=x", 422), ("after=%%", 400)],
)
def test_bad_list_parameters(alice, query, status):
    error(alice.get(f"{THREAD}?{query}"), status)


def test_counts_are_public_and_readable_by_registered_origins_only(app, alice):
    write(alice)
    write(alice)
    url = "/api/v1/sites/demo/counts?thread=a1&thread=a2&thread=nope"
    response = app.test_client().get(url, headers={"Origin": ORIGIN})
    assert response.json == {"counts": {"a1": 2, "a2": 0, "nope": 0}}
    assert response.cache_control.public
    assert "no-store" not in response.headers["Cache-Control"]
    assert response.headers["Access-Control-Allow-Origin"] == ORIGIN
    assert "Access-Control-Allow-Credentials" not in response.headers
    foreign = app.test_client().get(url, headers={"Origin": "https://evil.example"})
    assert "Access-Control-Allow-Origin" not in foreign.headers
    many = "&".join(f"thread=k{n}" for n in range(101))
    error(app.test_client().get(f"/api/v1/sites/demo/counts?{many}"), 422)
    error(app.test_client().get("/api/v1/sites/demo/counts"), 422)
    error(app.test_client().get("/api/v1/sites/nope/counts?thread=a1"), 404)
    error(app.test_client().get("/api/v1/sites/nope/counts"), 404)
    # Keys no thread can have count 0 and cost nothing.
    odd = app.test_client().get("/api/v1/sites/demo/counts?thread=&thread=" + "k" * 5000)
    assert odd.status_code == 200
    assert odd.json == {"counts": {}}


def test_counts_can_be_revalidated_with_their_etag(app, alice):
    write(alice)
    client = app.test_client()
    url = "/api/v1/sites/demo/counts?thread=a1"
    first = client.get(url)
    etag = first.headers["ETag"]
    again = client.get(url, headers={"If-None-Match": etag})
    assert again.status_code == 304
    assert again.data == b""
    write(alice)
    changed = client.get(url, headers={"If-None-Match": etag})
    assert changed.status_code == 200
    assert changed.json == {"counts": {"a1": 2}}
    assert changed.headers["ETag"] != etag


def test_unknown_routes_and_methods_answer_json(alice):
    error(alice.get("/api/v1/nothing-here"), 404)
    error(alice.put("/api/v1/comments/1", json={}), 405)


def test_api_writes_need_the_csrf_header_when_csrf_is_on(smtp_server, tmp_path):
    app = build_app(tmp_path, smtp_server.port, WTF_CSRF_ENABLED=True)
    make_site(app)
    make_reader(app)
    client = app.test_client()
    page = client.get("/auth/sign-in")
    token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page.text)
    assert token
    data = {"email": "reader@example.org", "password": PASSWORD, "csrf_token": token.group(1)}
    assert client.post("/auth/sign-in", data=data).status_code == 303
    error(client.post(THREAD, json={"body": "x"}), 400)
    page = client.get("/threads/demo/t/a1")
    token = re.search(r'name="csrf_token" value="([^"]+)"', page.text)
    assert token
    response = client.post(THREAD, json={"body": "x"}, headers={"X-CSRFToken": token.group(1)})
    assert response.status_code == 201


def path_template(rule: str) -> str:
    return re.sub(r"[<{][^>}]*[>}]", "{}", rule)


def test_openapi_document_is_valid_and_describes_every_route(app, client):
    document = client.get("/api/v1/openapi.json").json
    validate(document)
    described = {
        (path_template("/api/v1" + path), method.upper())
        for path, item in document["paths"].items()
        for method in item
    }
    routes = {
        (path_template(rule.rule), method)
        for rule in app.url_map.iter_rules()
        if rule.rule.startswith("/api/v1/")
        for method in rule.methods or ()
        if method not in ("HEAD", "OPTIONS")
    }
    assert routes
    assert routes <= described
