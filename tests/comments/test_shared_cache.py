"""Thread reads kept for anonymous readers (commentsvc/comments/page_cache.py): the same bytes for
everyone without a session, never anyone's own page, never after a change."""

from __future__ import annotations

import re

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import update
from werkzeug.datastructures import Headers

from commentsvc.comments import sites, threads
from commentsvc.comments.models import Site, Thread
from commentsvc.comments.page_cache import SharedPageCache
from commentsvc.core.extensions import db
from tests.comments.test_embed import OWN, PAGE, POST, widget
from tests.comments.test_thread_queries import counted_statements
from tests.conftest import build_app
from tests.factories import make_reader, sign_in

ORIGIN = "https://news.example"
WWW = "https://www.news.example"
TWIN = "/threads/demo/t/a1"
API = "/api/v1/sites/demo/threads/a1/comments"


@pytest.fixture
def site_id(app: Flask) -> int:
    with app.app_context():
        site = sites.create_site("demo", "Demo", [ORIGIN, WWW])
        threads.create_thread(site, "a1", "First article", ORIGIN + "/a1")
        return site.id


def read(app: Flask, client: FlaskClient, url: str, **headers: str) -> tuple[str, int]:
    """The page's text and how many SQL statements answering it took."""
    with counted_statements(app) as statements:
        response = client.get(url, headers=headers)
    assert response.status_code == 200, response.text
    return response.text, len(statements)


def kept(app: Flask) -> SharedPageCache:
    cache = SharedPageCache.of(app)
    assert cache is not None
    return cache


def without_request_id(headers: Headers) -> list[tuple[str, str]]:
    return [(name, value) for name, value in headers if name != "X-Request-Id"]


def post_as(client: FlaskClient, body: str) -> None:
    response = client.post(POST, data={"body": body, "next": PAGE}, headers=OWN)
    assert response.status_code == 303, response.text


@pytest.mark.parametrize("url", [PAGE, TWIN, API])
def test_a_kept_read_is_the_same_response_after_one_statement(app, client, site_id, url):
    first = client.get(url)
    with counted_statements(app) as statements:
        again = client.get(url)
    assert len(statements) == 1
    assert again.status_code == 200
    assert again.data == first.data
    # The same headers, but for the request's own id.
    assert again.headers["X-Request-Id"] != first.headers["X-Request-Id"]
    assert without_request_id(again.headers) == without_request_id(first.headers)
    assert "Set-Cookie" not in again.headers
    assert again.headers["Cache-Control"].startswith("public, ")


def test_the_widgets_framing_rule_is_kept_with_the_page(app, client, site_id):
    client.get(PAGE)
    policy = client.get(PAGE).headers["Content-Security-Policy"]
    assert f"frame-ancestors {ORIGIN} {WWW}" in policy
    assert "nonce" not in policy  # no inline code: nothing to replay


def test_a_signed_in_reader_never_gets_the_anonymous_copy_nor_leaves_theirs(app, client, site_id):
    assert "Signed in as" not in client.get(PAGE).text
    alice = widget(app, "alice@example.org", "Alice", site_id)
    assert "Signed in as Alice" in alice.get(PAGE).text
    assert "Signed in as" not in client.get(PAGE).text
    # The first-party twin, with the service's own session.
    make_reader(app, "bob@example.org", "Bob")
    bob = app.test_client()
    sign_in(bob, "bob@example.org")
    assert "Signed in as Bob" in bob.get(TWIN).text
    assert "Bob" not in client.get(TWIN).text


def test_a_session_cookie_even_an_invalid_one_goes_past_the_copy(app, client, site_id):
    read(app, client, PAGE)
    client.set_cookie("commentsvc_embed", "not-a-session", path="/embed", secure=True)
    checks = kept(app).stamps.checks
    _text, statements = read(app, client, PAGE)
    # Rendered by the app (which keeps the thread's rows, so one statement may do),
    # without the copy's check.
    assert statements >= 1
    assert kept(app).stamps.checks == checks
    # Cookies that are not the service's sessions (say, a consent choice) do not.
    other = app.test_client()
    other.set_cookie("site_consent", "analytics", path="/")
    assert read(app, other, PAGE)[1] == 1


def test_a_comment_posted_through_another_worker_shows_at_once(app, smtp_server, tmp_path):
    other_worker = build_app(tmp_path, smtp_server.port)  # same database, its own cache
    with app.app_context():
        site_id = sites.create_site("demo", "Demo", [ORIGIN]).id
    reader = app.test_client()
    before, _ = read(app, reader, PAGE)
    alice = widget(other_worker, "alice@example.org", "Alice", site_id)
    post_as(alice, "Fresh from the other worker")
    after, statements = read(app, reader, PAGE)
    assert "Fresh from the other worker" not in before
    assert "Fresh from the other worker" in after
    assert statements > 1  # checked, found changed, rendered again
    assert read(app, reader, PAGE)[1] == 1


def test_removing_an_origin_takes_effect_on_kept_pages_at_once(app, client, site_id):
    from_www = f"/embed/demo/t/a1?url={ORIGIN}/a1&origin={WWW}"
    assert client.get(from_www).status_code == 200
    client.get(PAGE)
    with app.app_context():
        site = db.session.get(Site, site_id)
        assert site is not None
        sites.update_site(site, "Demo", [ORIGIN], site.moderation_policy, 900)
    assert client.get(from_www).status_code == 403
    policy = client.get(PAGE).headers["Content-Security-Policy"]
    assert re.search(r"frame-ancestors https://news\.example(;|$)", policy)


def test_each_language_has_its_own_copy(app, client, site_id):
    for _round in range(2):
        assert "Şərhlər" in client.get(PAGE, headers={"Accept-Language": "az"}).text
        assert "Комментарии" in client.get(PAGE, headers={"Accept-Language": "ru,en;q=0.5"}).text
        english = client.get(PAGE, headers={"Accept-Language": "de-DE"}).text
        assert ">Comments" in english
        assert "Şərhlər" not in english


def test_a_recreated_thread_is_not_shown_from_the_old_copy(app, client, site_id):
    assert "First article" in read(app, client, TWIN)[0]
    with app.app_context():
        db.session.delete(db.session.get(Site, site_id))
        db.session.commit()
        site = sites.create_site("demo", "Demo", [ORIGIN, WWW])
        # On SQLite the new thread may even get the old one's id and version.
        threads.create_thread(site, "a1", "Second article", ORIGIN + "/a1")
    page = read(app, client, TWIN)[0]
    assert "Second article" in page
    assert "First article" not in page


def test_errors_posts_and_failed_forms_are_never_kept(app, client, site_id):
    assert client.get("/embed/demo/t/a1?after=%%%").status_code == 400
    assert client.get("/embed/nosuch/t/a1").status_code == 404
    assert client.get(f"/embed/demo/t/a1?origin={ORIGIN}.evil").status_code == 403
    assert client.post(POST, data={"body": "x"}, headers=OWN).status_code == 401
    assert len(kept(app).entries) == 0
    client.get(PAGE)
    assert len(kept(app).entries) == 1


def test_the_cache_can_be_turned_off(smtp_server, tmp_path):
    app = build_app(tmp_path, smtp_server.port, SHARED_PAGE_CACHE_BYTES=0)
    assert SharedPageCache.of(app) is None
    with app.app_context():
        sites.create_site("demo", "Demo", [ORIGIN])
    client = app.test_client()
    read(app, client, PAGE)
    assert read(app, client, PAGE)[1] >= 1  # rendered again: the app reads the thread


def test_when_the_check_fails_the_app_answers(app, client, site_id):
    first = client.get(PAGE)
    stamps = kept(app).stamps
    stamps.sql = "SELECT no_such_column FROM thread"  # the database refuses the check
    again = client.get(PAGE)
    assert again.status_code == 200
    assert again.data == first.data
    assert stamps.checks == 1
    # The connection that failed was dropped; the next ones work.
    assert client.get(TWIN).status_code == 200


# --- comment counts on article lists ------------------------------------------------------

COUNTS = "/api/v1/sites/demo/counts?thread=a1&thread=a2&thread=nope"


def counts_of(app: Flask, client: FlaskClient, **headers: str) -> tuple[dict[str, int], int]:
    with counted_statements(app) as statements:
        response = client.get(COUNTS, headers=headers)
    assert response.status_code == 200, response.text
    body = response.get_json()
    assert body is not None
    return body["counts"], len(statements)


def test_kept_counts_are_checked_with_their_one_query_and_follow_every_new_comment(
    app, client, site_id
):
    reader = app.test_client()
    make_reader(app, email="r@example.org", display_name="R")
    sign_in(reader, "r@example.org")
    assert counts_of(app, client) == ({"a1": 0, "a2": 0, "nope": 0}, 1)
    assert len(kept(app).entries) == 1  # the answer is kept …
    assert counts_of(app, client) == ({"a1": 0, "a2": 0, "nope": 0}, 1)  # … served again
    response = reader.post(
        "/api/v1/sites/demo/threads/a1/comments", json={"body": "Counted at once."}
    )
    assert response.status_code == 201, response.text
    assert counts_of(app, client)[0] == {"a1": 1, "a2": 0, "nope": 0}
    # A reader with a session is answered by the app, and their answer is not kept.
    before = len(kept(app).entries)
    mine = reader.get(COUNTS)
    assert mine.json == {"counts": {"a1": 1, "a2": 0, "nope": 0}}
    assert len(kept(app).entries) == before


def test_kept_counts_name_only_the_asking_origin(app, client, site_id):
    first = client.get(COUNTS, headers={"Origin": ORIGIN})
    assert first.headers["Access-Control-Allow-Origin"] == ORIGIN
    # Another registered origin, and an unknown one, each get their own answer.
    other = client.get(COUNTS, headers={"Origin": WWW})
    assert other.headers["Access-Control-Allow-Origin"] == WWW
    evil = client.get(COUNTS, headers={"Origin": "https://evil.example"})
    assert "Access-Control-Allow-Origin" not in evil.headers
    again = client.get(COUNTS, headers={"Origin": ORIGIN})
    assert again.headers["Access-Control-Allow-Origin"] == ORIGIN
    assert "Origin" in again.headers["Vary"]
    # Dropping an origin ends its kept answer at once.
    with app.app_context():
        site = db.session.get(Site, site_id)
        assert site is not None
        sites.update_site(site, "Demo", [WWW], site.moderation_policy, 900)
    gone = client.get(COUNTS, headers={"Origin": ORIGIN})
    assert "Access-Control-Allow-Origin" not in gone.headers


def test_kept_counts_revalidate_with_304_and_change_tag_with_the_counts(app, client, site_id):
    first = client.get(COUNTS)
    etag = first.headers["ETag"]
    with counted_statements(app) as statements:
        again = client.get(COUNTS, headers={"If-None-Match": etag})
    assert (again.status_code, again.data, len(statements)) == (304, b"", 1)
    with app.app_context():
        thread = threads.find_existing_thread("demo", "a1")
        assert thread is not None
        # As a moderator's approval elsewhere would: only the count changes.
        db.session.execute(update(Thread).where(Thread.id == thread[1].id).values(comment_count=7))
        db.session.commit()
    changed = client.get(COUNTS, headers={"If-None-Match": etag})
    assert changed.status_code == 200
    assert changed.json["counts"]["a1"] == 7
    assert changed.headers["ETag"] != etag
