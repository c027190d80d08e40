"""The widget's in-place answers (one comment, or {"error", "field"}), its preview, and its
"anything new?" poll; and the parent's origin kept on every page a form leads to."""

from __future__ import annotations

import re
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select, update
from werkzeug.test import TestResponse

from commentsvc.comments import sites
from commentsvc.comments.models import Comment, Site
from commentsvc.core.extensions import db
from tests.comments.test_embed import ORIGIN, OWN, PAGE, POST, WWW, hold_all, row, widget
from tests.comments.test_thread_queries import counted_statements
from tests.conftest import build_app

FRAGMENT = {**OWN, "X-Commentsvc-Fragment": "1", "Accept": "application/json"}
PREVIEW = "/embed/demo/preview/a1"
CHANGES = "/embed/demo/changes/a1"


@pytest.fixture
def site_id(app: Flask, client: FlaskClient) -> int:
    with app.app_context():
        site_id = sites.create_site("demo", "Demo", [ORIGIN, WWW]).id
    assert client.get(PAGE).status_code == 200  # the first view creates the thread
    return site_id


@pytest.fixture
def alice(app: Flask, site_id: int) -> FlaskClient:
    return widget(app, "alice@example.org", "Alice", site_id)


@pytest.fixture
def bob(app: Flask, site_id: int) -> FlaskClient:
    return widget(app, "bob@example.org", "Bob", site_id)


def send(client: FlaskClient, url: str, **data: str) -> TestResponse:
    return client.post(url, data={"next": PAGE, **data}, headers=FRAGMENT)


def new_comment(client: FlaskClient, body: str, **data: str) -> int:
    answer = send(client, POST, body=body, **data)
    assert answer.status_code == 200, answer.text
    match = re.match(r'<li class="comment[^"]*" id="c(\d+)"', answer.text.strip())
    assert match, answer.text
    return int(match.group(1))


def js(response: TestResponse) -> dict[str, Any]:
    data = response.get_json()
    assert isinstance(data, dict), response.text
    return data


def ban_word(app: Flask, word: str) -> None:
    with app.app_context():
        db.session.execute(update(Site).values(banned_words=[word]))
        db.session.commit()


def test_a_new_comment_is_answered_with_its_item_and_whether_it_is_published(app, alice):
    answer = send(alice, POST, body="Hi **all**")
    assert answer.status_code == 200
    assert answer.headers["X-Commentsvc-Status"] == "published"
    item = answer.text.strip()
    assert item.startswith('<li class="comment depth-0" id="c1">')
    assert "<strong>all</strong>" in item
    assert "Alice" in item
    # Its own controls, as on the page: edit and delete, and forms that lead back to it.
    assert "Edit your comment" in item
    assert ">Delete<" in item
    assert f'name="next" value="{PAGE.replace("&", "&amp;")}"' in item
    assert "<html" not in item

    reply = send(alice, POST, body="and me", parent_id="1")
    assert reply.text.strip().startswith('<li class="comment depth-1" id="c2">')

    hold_all(app)
    held = send(alice, POST, body="wait for me")
    assert held.headers["X-Commentsvc-Status"] == "held"
    assert "awaiting moderation" in held.text


def test_a_refused_comment_is_answered_as_an_error_of_its_field(app, alice):
    ban_word(app, "scam")
    answer = send(alice, POST, body="what a scam")
    assert answer.status_code == 422
    assert answer.is_json
    assert js(answer)["field"] == "body"
    assert js(answer)["error"]
    empty = send(alice, POST, body="  ")
    assert (empty.status_code, js(empty)["field"]) == (422, "body")
    assert "Write something" in js(empty)["error"]
    anonymous = app.test_client().post(POST, data={"body": "x"}, headers=FRAGMENT)
    assert anonymous.status_code == 401
    assert anonymous.is_json
    with app.app_context():
        assert db.session.scalar(select(Comment)) is None


def test_a_refused_plain_form_keeps_the_parents_origin(app, alice):
    """Without JavaScript the refused post is answered at the POST URL: the page must
    still know the embedding page's origin, or the frame stops being resized."""
    ban_word(app, "scam")
    page = alice.post(POST, data={"body": "what a scam", "next": PAGE}, headers=OWN)
    assert page.status_code == 422
    assert f'data-parent-origin="{ORIGIN}"' in page.text
    assert ">what a scam</textarea>" in page.text
    # Its forms lead back to the embedding page's thread, origin and all.
    assert f'name="next" value="{PAGE.replace("&", "&amp;")}"' in page.text
    # An origin the site does not have is refused, as on the thread page.
    forged = alice.post(
        POST, data={"body": "scam", "next": "/embed/demo/t/a1?origin=https://evil.example"}
    )
    assert forged.status_code == 403


def test_vote_edit_report_and_delete_answer_with_the_comment_now(app, alice, bob):
    cid = new_comment(alice, "first words")
    voted = send(bob, f"/embed/demo/c/{cid}/vote/a1", value="1")
    assert voted.status_code == 200
    assert '<span class="score" aria-label="Score">1</span>' in voted.text
    assert 'aria-label="Vote up" aria-pressed="true"' in voted.text

    edited = send(alice, f"/embed/demo/c/{cid}/edit/a1", body="second words")
    assert "second words" in edited.text
    assert "edited" in edited.text

    refused = send(bob, f"/embed/demo/c/{cid}/report/a1", reason="other", text="")
    assert refused.status_code == 422
    assert js(refused)["field"]
    reported = send(bob, f"/embed/demo/c/{cid}/report/a1", reason="spam")
    assert "You reported this comment" in reported.text

    reply = new_comment(bob, "a reply", parent_id=str(cid))
    # Deleted with a reply below: the placeholder, with the reply.
    placeholder = send(alice, f"/embed/demo/c/{cid}/delete/a1")
    assert "This comment was deleted." in placeholder.text
    assert f'id="c{reply}"' in placeholder.text
    # Deleted with nothing below: nothing left to show.
    gone = send(bob, f"/embed/demo/c/{reply}/delete/a1")
    assert (gone.status_code, gone.text) == (204, "")
    # Someone else's comment: refused, as JSON.
    assert send(bob, f"/embed/demo/c/{cid}/edit/a1", body="mine now").status_code in (403, 404)


def test_preview_is_what_would_be_stored(app, alice):
    text = "Read [this](https://example.org/x) **now** <script>alert(1)</script>\r\n\r\n> quoted"
    preview = alice.post(PREVIEW, data={"body": text}, headers=OWN)
    assert preview.status_code == 200
    cid = new_comment(alice, text)
    assert js(preview)["html"] == row(app, cid).body_html
    assert 'target="_blank"' in js(preview)["html"]
    assert "<script>" not in js(preview)["html"]


def test_preview_refuses_what_posting_would_and_too_much(app, client, alice):
    too_long = alice.post(PREVIEW, data={"body": "x" * 10_001}, headers=OWN)
    assert too_long.status_code == 422
    assert "at most 10000 characters" in js(too_long)["error"]
    assert alice.post(PREVIEW, data={"body": " " + "y" * 10_000}, headers=OWN).status_code == 200
    assert alice.post(PREVIEW, data={"body": "x" * 20_001}, headers=OWN).status_code == 413
    assert alice.post(PREVIEW, data={"body": "   "}, headers=OWN).status_code == 422
    # Only for a signed-in reader of the widget, from the widget's own pages.
    assert client.post(PREVIEW, data={"body": "hi"}, headers=OWN).status_code == 401
    elsewhere = {"Origin": "https://evil.example"}
    assert alice.post(PREVIEW, data={"body": "hi"}, headers=elsewhere).status_code == 403


def test_preview_needs_the_csrf_token_and_is_rate_limited(smtp_server, tmp_path):
    app = build_app(
        tmp_path, smtp_server.port, WTF_CSRF_ENABLED=True, RATELIMIT_PREVIEW_READER="3 per minute"
    )
    with app.app_context():
        site_id = sites.create_site("demo", "Demo", [ORIGIN]).id
    app.test_client().get(PAGE)
    client = widget(app, "alice@example.org", "Alice", site_id)
    assert client.post(PREVIEW, data={"body": "hi"}, headers=OWN).status_code == 400
    token = re.search(r'name="csrf_token" value="([^"]+)"', client.get(PAGE).text)
    assert token
    data = {"body": "hi", "csrf_token": token.group(1)}
    assert [client.post(PREVIEW, data=data, headers=OWN).status_code for _ in range(4)] == [
        200,
        200,
        200,
        429,
    ]


def test_the_poll_says_how_many_comments_are_new_and_is_answered_304_until_one_is(
    app, client, alice, bob
):
    first = client.get(f"{CHANGES}?seen=0&lang=en")
    assert first.status_code == 200
    assert js(first) == {"count": 0, "new": 0, "notice": ""}
    etag = first.headers["ETag"]
    # Unchanged: 304 from the kept answer, after one query of the thread's stamp.
    with counted_statements(app) as statements:
        again = client.get(f"{CHANGES}?seen=0&lang=en", headers={"If-None-Match": etag})
    assert again.status_code == 304
    assert again.data == b""
    assert len(statements) == 1

    new_comment(bob, "one")
    new_comment(bob, "two")
    changed = client.get(f"{CHANGES}?seen=0&lang=en", headers={"If-None-Match": etag})
    assert changed.status_code == 200
    assert js(changed) == {"count": 2, "new": 2, "notice": "2 new comments"}
    one = client.get(f"{CHANGES}?seen=1&lang=en").json
    assert one["notice"] == "1 new comment"
    assert client.get(f"{CHANGES}?seen=x&lang=zz").json["new"] == 0
    assert client.get("/embed/demo/changes/nothing-here").status_code == 404
