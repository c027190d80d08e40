"""The widget under /embed: who may do what, and the sessions and headers that keep it safe."""

from __future__ import annotations

import re
from datetime import timedelta
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select, update
from werkzeug.test import TestResponse

from commentsvc.accounts import widget_sign_in
from commentsvc.accounts.models import EmbedSignInCode, Reader
from commentsvc.comments import posting, sites, threads
from commentsvc.comments.models import Comment, CommentStatus, Site, Thread, Vote
from commentsvc.core.extensions import db, utcnow
from tests.conftest import build_app
from tests.factories import PASSWORD, make_reader, sign_in

ORIGIN = "https://news.example"
WWW = "https://www.news.example"
OWN = {"Origin": "http://localhost:5000"}
PAGE = f"/embed/demo/t/a1?url={ORIGIN}/a1&origin={ORIGIN}"
POST = "/embed/demo/t/a1"


@pytest.fixture
def site_id(app: Flask, client: FlaskClient) -> int:
    with app.app_context():
        site_id = sites.create_site("demo", "Demo", [ORIGIN, WWW]).id
    assert client.get(PAGE).status_code == 200  # the first view creates the thread
    return site_id


def embed_code(app: Flask, reader_id: int, site_id: int) -> str:
    """What the sign-in popup hands to the widget."""
    with app.app_context():
        reader = db.session.get(Reader, reader_id)
        assert reader is not None
        return widget_sign_in.create_embed_code(reader, site_id)


def widget(app: Flask, email: str, name: str, site_id: int, **kw) -> FlaskClient:
    """A new browser whose widget is signed in as a new reader."""
    code = embed_code(app, make_reader(app, email, name, **kw), site_id)
    client = app.test_client()
    response = client.post("/embed/demo/session", data={"code": code}, headers=OWN)
    assert response.status_code == 200, response.text
    return client


@pytest.fixture
def alice(app, site_id) -> FlaskClient:
    return widget(app, "alice@example.org", "Alice", site_id)


@pytest.fixture
def bob(app, site_id) -> FlaskClient:
    return widget(app, "bob@example.org", "Bob", site_id)


def post(client: FlaskClient, body: str = "Hello", **fields: str) -> TestResponse:
    return client.post(POST, data={"body": body, "next": PAGE, **fields}, headers=OWN)


def posted(client: FlaskClient, body: str = "Hello", **fields: str) -> int:
    response = post(client, body, **fields)
    assert response.status_code == 303, response.text
    match = re.search(r"#c(\d+)$", response.headers["Location"])
    assert match
    return int(match.group(1))


def act(client: FlaskClient, action: str, cid: int, **data: str) -> TestResponse:
    return client.post(f"/embed/demo/c/{cid}/{action}/a1", data={"next": PAGE, **data}, headers=OWN)


def row(app: Flask, cid: int) -> Comment:
    with app.app_context():
        comment = db.session.get(Comment, cid)
        assert comment is not None
        db.session.expunge(comment)
        return comment


def comment_ids(page: TestResponse) -> list[int]:
    return [int(i) for i in re.findall(r'<li class="comment[^"]*" id="c(\d+)"', page.text)]


def test_anonymous_reader_gets_no_form_and_cannot_post(app, client, site_id):
    page = client.get(PAGE)
    assert "Sign in to comment" in page.text
    assert 'name="body"' not in page.text
    assert post(client).status_code == 401
    with app.app_context():
        assert db.session.scalar(select(Comment)) is None


def test_unverified_reader_is_told_to_verify_and_refused(app, site_id):
    client = widget(app, "new@example.org", "Newcomer", site_id, verified=False)
    page = client.get(PAGE)
    assert "Please verify your e-mail address before you comment" in page.text
    assert 'name="body"' not in page.text
    assert post(client).status_code == 403


def test_post_redirects_back_to_the_frame_at_the_new_comment(app, alice):
    response = post(alice, "Hi **all** <script>alert(1)</script>")
    assert response.status_code == 303
    assert response.headers["Location"] == f"{PAGE}#c1"
    page = alice.get(PAGE)
    stored = row(app, 1).body_html
    assert "<strong>all</strong>" in stored
    assert f'<div class="body">{stored}</div>' in page.text
    assert "<script>alert" not in page.text


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ("x" * 10_001, "at most 10000 characters long (yours has 10001)"),
        ("   ", "Write something before you post"),
        ("bad \x00 byte", "cannot be used"),
    ],
)
def test_refused_comment_shows_why_and_keeps_the_text_while_ten_thousand_pass(
    app, alice, body, message
):
    response = post(alice, body)
    assert response.status_code == 422
    assert message in response.text
    assert f">{body}</textarea>" in response.text
    with app.app_context():
        assert db.session.scalar(select(Comment)) is None
    assert len(row(app, posted(alice, "y" * 10_000)).body_source) == 10_000


def test_deep_replies_are_kept_and_indentation_stops_at_four(app, alice, bob):
    chain = [posted(alice, "level 0")]
    for level in range(1, 7):
        chain.append(
            posted(bob if level % 2 else alice, f"level {level}", parent_id=str(chain[-1]))
        )
    assert row(app, chain[-1]).depth == 6
    page = alice.get(PAGE)
    assert all(f"level {n}" in page.text for n in range(7))
    assert set(re.findall(r'class="comment depth-(\d+)', page.text)) == {"0", "1", "2", "3", "4"}


def test_reply_to_a_comment_of_another_thread_is_not_found(app, alice):
    assert alice.get(PAGE.replace("a1", "a2")).status_code == 200
    other = alice.post("/embed/demo/t/a2", data={"body": "there"}, headers=OWN)
    foreign = int(other.headers["Location"].rsplit("#c", 1)[1])
    assert post(alice, "reply", parent_id=str(foreign)).status_code == 404
    assert row(app, foreign).thread_id != row(app, posted(alice)).thread_id


def test_edit_in_time_is_marked_edited_and_later_refused(app, alice):
    cid = posted(alice, "first")
    assert act(alice, "edit", cid, body="second").status_code == 303
    page = alice.get(PAGE)
    assert "second" in page.text
    assert re.search(r'<span class="mark edited">edited <time datetime="[^"]+\+00:00"', page.text)
    with app.app_context():
        db.session.execute(update(Site).values(edit_window_seconds=0))
        db.session.commit()
    assert act(alice, "edit", cid, body="third").status_code == 403
    assert row(app, cid).body_source == "second"
    assert f'id="edit-{cid}"' not in alice.get(PAGE).text


def test_deleted_comment_stays_as_a_placeholder_only_while_replies_remain(app, alice, bob):
    top = posted(alice, "top words")
    posted(bob, "bob replies", parent_id=str(top))
    lonely = posted(alice, "lonely words")
    assert act(alice, "delete", top).status_code == 303
    assert act(alice, "delete", lonely).status_code == 303
    page = bob.get(PAGE)
    assert comment_ids(page)[0] == top
    assert "This comment was deleted." in page.text
    assert "bob replies" in page.text
    assert "top words" not in page.text
    assert lonely not in comment_ids(page)


def test_account_deletion_leaves_anonymous_placeholders_with_replies(app, client, alice, bob):
    top = posted(alice, "alice speaks")
    posted(bob, "bob answers", parent_id=str(top))
    sign_in(client, "alice@example.org")
    deleted = client.post("/account/delete", data={"delete-current_password": PASSWORD})
    assert deleted.status_code == 303
    page = bob.get(PAGE)
    assert "alice speaks" not in page.text
    assert "Alice" not in page.text
    assert "Deleted comment" in page.text
    assert "bob answers" in page.text


def test_one_vote_per_reader_shown_in_the_score_and_not_on_own_comment(app, alice, bob):
    cid = posted(alice)
    assert act(bob, "vote", cid, value="1").status_code == 303
    assert act(bob, "vote", cid, value="1").status_code == 303
    assert row(app, cid).score == 1
    assert '<span class="score" aria-label="Score">1</span>' in alice.get(PAGE).text
    assert act(bob, "vote", cid, value="-1").status_code == 303
    assert row(app, cid).score == -1
    assert act(bob, "vote", cid, value="0").status_code == 303
    assert row(app, cid).score == 0
    assert act(alice, "vote", cid, value="1").status_code == 403
    assert act(bob, "vote", cid, value="5").status_code == 422
    assert row(app, cid).score == 0


def test_locked_thread_is_read_only_with_a_notice(app, alice, bob):
    cid = posted(alice, "before the lock")
    with app.app_context():
        db.session.execute(update(Thread).values(locked=True))
        db.session.commit()
    page = alice.get(PAGE)
    assert "This thread is locked" in page.text
    assert 'name="body"' not in page.text
    assert "before the lock" in page.text
    assert post(alice, "after").status_code == 403
    assert act(bob, "vote", cid, value="1").status_code == 403
    assert row(app, cid).score == 0


def hold_all(app: Flask) -> None:
    with app.app_context():
        db.session.execute(update(Site).values(moderation_policy="hold_all"))
        db.session.commit()


def test_held_comment_is_shown_only_to_its_author_and_not_counted(app, client, alice, bob):
    hold_all(app)
    posted(alice, "wait for me")
    mine = alice.get(PAGE)
    assert "wait for me" in mine.text
    assert "awaiting moderation" in mine.text
    for other in (bob, client):
        page = other.get(PAGE)
        assert "wait for me" not in page.text
        assert '<span class="count">(0)</span>' in page.text


def test_forged_fields_are_ignored(app, alice, bob):
    hold_all(app)
    forged = {"status": "approved", "author_id": "2", "score": "99", "pinned": "y"}
    cid = posted(alice, "forged", **forged)
    stored = row(app, cid)
    assert (stored.status, stored.score, stored.pinned) == (CommentStatus.PENDING, 0, False)
    assert stored.author_id == 1
    assert "forged" not in bob.get(PAGE).text


def test_nobody_changes_another_readers_comment_by_its_id(app, alice, bob):
    cid = posted(alice, "alice's words")
    assert act(bob, "edit", cid, body="bob's words").status_code == 403
    assert act(bob, "delete", cid).status_code == 403
    stored = row(app, cid)
    assert (stored.body_source, stored.status) == ("alice's words", CommentStatus.APPROVED)
    act(bob, "vote", cid, value="1", reader_id="1")
    with app.app_context():
        assert db.session.scalars(select(Vote.reader_id)).all() == [2]


def test_comment_ids_of_another_site_are_not_found_through_this_widget(app, alice):
    writer_id = make_reader(app, "writer@example.org", "Writer")
    with app.app_context():
        other = sites.create_site("other", "Other", ["https://other.example"])
        thread = threads.create_thread(other, "b1", "B", "https://other.example/b1")
        writer = db.session.get(Reader, writer_id)
        assert writer is not None
        foreign = posting.post_comment(writer, thread, other, "theirs").id
    assert act(alice, "vote", foreign, value="1").status_code == 404
    assert row(app, foreign).score == 0


@pytest.mark.parametrize(
    ("path", "status"),
    [
        (f"/embed/demo/t/new?url=https://evil.example/new&origin={ORIGIN}", 400),
        (f"/embed/demo/t/new?url={ORIGIN}.evil/new&origin={ORIGIN}", 400),
        (f"/embed/demo/t/new?origin={ORIGIN}", 400),
        (f"/embed/nosuch/t/new?url={ORIGIN}/new&origin={ORIGIN}", 404),
        (f"/embed/demo/t/new?url={ORIGIN}/new&origin=https://evil.example", 403),
    ],
)
def test_refused_thread_urls(app, client, site_id, path, status):
    assert client.get(path).status_code == status
    with app.app_context():
        assert db.session.scalars(select(Thread.key)).all() == ["a1"]


def csp_frame_ancestors(response: TestResponse) -> list[str]:
    for part in response.headers["Content-Security-Policy"].split(";"):
        name, *values = part.split()
        if name == "frame-ancestors":
            return values
    raise AssertionError("no frame-ancestors")


def test_only_the_sites_origins_may_frame_its_widget(client, site_id):
    for path in (PAGE, "/embed/demo/t/a1?url=https://evil.example/x"):
        response = client.get(path)
        assert csp_frame_ancestors(response) == [ORIGIN, WWW]
        assert "X-Frame-Options" not in response.headers
    for path in ("/threads/demo/t/a1", "/", "/auth/sign-in", "/api/v1/openapi.json"):
        response = client.get(path)
        assert csp_frame_ancestors(response) == ["'none'"]
        assert response.headers["X-Frame-Options"] == "DENY"


@pytest.mark.parametrize("csrf", [False, True])
def test_anonymous_widget_view_sets_no_cookie(smtp_server, tmp_path, csrf):
    app = build_app(tmp_path, smtp_server.port, WTF_CSRF_ENABLED=csrf)
    with app.app_context():
        sites.create_site("demo", "Demo", [ORIGIN])
    client = app.test_client()
    for _ in range(2):
        response = client.get(PAGE)
        assert response.status_code == 200
        assert "Set-Cookie" not in response.headers


@pytest.mark.parametrize(
    "headers",
    [{}, {"Origin": "https://evil.example"}, {"Origin": ORIGIN}, {"Sec-Fetch-Site": "cross-site"}],
)
def test_widget_posts_from_elsewhere_are_refused(app, alice, headers):
    assert alice.post(POST, data={"body": "x"}, headers=headers).status_code == 403
    same_origin = {"Sec-Fetch-Site": "same-origin"}
    assert alice.post(POST, data={"body": "x"}, headers=same_origin).status_code == 303


def app_with_csrf(smtp_port: int, tmp_path: Path) -> tuple[Flask, int]:
    """An app that checks CSRF tokens, with the demo site and its thread a1: (app, site id)."""
    app = build_app(tmp_path, smtp_port, WTF_CSRF_ENABLED=True)
    with app.app_context():
        site_id = sites.create_site("demo", "Demo", [ORIGIN]).id
    app.test_client().get(PAGE)
    return app, site_id


def test_widget_post_needs_the_csrf_token_when_csrf_is_on(smtp_server, tmp_path):
    app, site_id = app_with_csrf(smtp_server.port, tmp_path)
    client = widget(app, "alice@example.org", "Alice", site_id)
    assert post(client).status_code == 400
    token = re.search(r'name="csrf_token" value="([^"]+)"', client.get(PAGE).text)
    assert token
    assert post(client, csrf_token=token.group(1)).status_code == 303


def test_sign_in_code_works_once_for_its_site_until_it_expires(app, client, site_id):
    rid = make_reader(app)
    with app.app_context():
        other = sites.create_site("other", "Other", ["https://other.example"]).id
    once, wrong_site, late = (embed_code(app, rid, i) for i in (site_id, other, site_id))
    with app.app_context():
        db.session.execute(
            update(EmbedSignInCode)
            .where(EmbedSignInCode.id == 3)
            .values(expires_at=utcnow() - timedelta(seconds=1))
        )
        db.session.commit()
    exchange = "/embed/demo/session"
    assert client.post(exchange, data={"code": once}, headers=OWN).status_code == 200
    assert app.test_client().post(exchange, data={"code": once}, headers=OWN).status_code == 400
    assert client.post(exchange, data={"code": wrong_site}, headers=OWN).status_code == 400
    assert client.post(exchange, data={"code": late}, headers=OWN).status_code == 400
    assert client.post(exchange, data={"code": "made-up"}, headers=OWN).status_code == 400


def test_widget_cookie_is_secure_httponly_samesite_none_partitioned_on_embed(app, site_id):
    code = embed_code(app, make_reader(app), site_id)
    response = app.test_client().post("/embed/demo/session", data={"code": code}, headers=OWN)
    cookies = response.headers.getlist("Set-Cookie")
    assert len(cookies) == 1
    attributes = {a.strip().split("=")[0].lower(): a.strip() for a in cookies[0].split(";")[1:]}
    assert cookies[0].startswith("commentsvc_embed=")
    assert set(attributes) == {"secure", "httponly", "path", "samesite", "partitioned"}
    assert (attributes["path"], attributes["samesite"]) == ("Path=/embed", "SameSite=None")


def test_widget_session_counts_only_in_its_own_sites_widget(app, alice):
    assert "Signed in as Alice" in alice.get(PAGE).text
    with app.app_context():
        sites.create_site("other", "Other", ["https://other.example"])
    other = "/embed/other/t/b1?url=https://other.example/b1"
    assert "Signed in as" not in alice.get(other).text
    assert alice.post("/embed/other/t/b1", data={"body": "x"}, headers=OWN).status_code == 401
    # Replayed as the first-party cookie, the widget's session is worth nothing.
    token = alice.get_cookie("commentsvc_embed", path="/embed")
    assert token is not None
    first_party = app.test_client()
    first_party.set_cookie("commentsvc_session", token.value)
    account = first_party.get("/account")
    assert account.status_code == 302
    assert account.headers["Location"].startswith("/auth/sign-in")
    assert "Signed in as" not in first_party.get("/threads/demo/t/a1").text


def test_widget_sign_out_ends_the_session(app, alice):
    token = alice.get_cookie("commentsvc_embed", path="/embed")
    assert token is not None
    response = alice.post("/embed/demo/sign-out", data={"next": PAGE}, headers=OWN)
    assert response.status_code == 303
    assert response.headers["Location"] == PAGE
    assert "Signed in as" not in alice.get(PAGE).text
    alice.set_cookie("commentsvc_embed", token.value, path="/embed", secure=True)
    assert "Signed in as" not in alice.get(PAGE).text
    assert post(alice).status_code == 401


def test_sign_in_popup_hands_a_code_to_the_service_origin_only(app, client, site_id):
    response = client.get("/auth/embed-sign-in?site=demo")
    assert response.status_code == 303
    target = urlsplit(response.headers["Location"])
    assert target.path == "/auth/sign-in"
    assert parse_qs(target.query)["next"] == ["/auth/embed-sign-in?site=demo"]
    make_reader(app)
    sign_in(client)
    page = client.get("/auth/embed-sign-in?site=demo")
    assert page.status_code == 200
    assert 'data-origin="http://localhost:5000"' in page.text
    assert '"*"' not in page.text
    code = re.search(r'data-code="([^"]+)"', page.text)
    assert code
    fresh = app.test_client()
    exchange = fresh.post("/embed/demo/session", data={"code": code.group(1)}, headers=OWN)
    assert exchange.status_code == 200
    assert "Signed in as Reader" in fresh.get(PAGE).text


def test_cached_page_for_anonymous_readers_follows_a_rename(app, client, alice):
    posted(alice, "Before the rename")
    assert "Alice" in client.get(PAGE).text  # now cached for anonymous readers
    first_party = app.test_client()
    sign_in(first_party, "alice@example.org")
    response = first_party.post("/account/display-name", data={"name-display_name": "Alicia"})
    assert response.status_code == 303
    page = client.get(PAGE).text
    assert "Alicia" in page
    assert ">Alice<" not in page


def test_a_first_party_session_replayed_in_the_widget_cookie_is_anonymous(app, client, site_id):
    make_reader(app, "carol@example.org", "Carol")
    sign_in(client, "carol@example.org")
    first_party = client.get_cookie(app.config["SESSION_COOKIE_NAME"])
    assert first_party is not None
    assert "Carol" in client.get("/account").text
    replay = app.test_client()
    replay.set_cookie(app.config["EMBED_COOKIE_NAME"], first_party.value, path="/embed")
    page = replay.get(PAGE).text
    assert "Signed in as" not in page
    assert post(replay).status_code == 401
