"""What a CDN in front of the service is told (commentsvc/core/cdn.py): anonymous thread
reads are public for a few seconds with an ETag and answered 304 when unchanged;
anything that may be someone's own stays private."""

from __future__ import annotations

import re

import pytest
from flask import Flask
from flask.testing import FlaskClient
from werkzeug.test import TestResponse

from commentsvc.comments import posting, sites, votes
from commentsvc.comments.models import Site
from commentsvc.core.extensions import db
from commentsvc.moderation import decisions
from tests.comments.test_embed import OWN, POST, widget
from tests.comments.test_thread_queries import counted_statements
from tests.conftest import build_app
from tests.factories import PASSWORD, make_reader
from tests.moderation_support import ORIGIN, Ids, build_world, client_for, post, reader

PAGE = f"/embed/demo/t/a1?url={ORIGIN}/a1&origin={ORIGIN}"
TWIN = "/threads/demo/t/a1"
API = "/api/v1/sites/demo/threads/a1/comments"
SHARED = "public, max-age=0, s-maxage=10, stale-while-revalidate=30"


@pytest.fixture
def ids(app: Flask) -> Ids:
    return build_world(app)


def vary(response: TestResponse) -> set[str]:
    return {v.strip().lower() for v in response.headers.get("Vary", "").split(",") if v.strip()}


def assert_shared(response: TestResponse) -> str:
    assert response.status_code == 200, response.text
    assert response.headers["Cache-Control"] == SHARED
    assert {"cookie", "accept-language"} <= vary(response)
    assert "Set-Cookie" not in response.headers
    etag = response.headers["ETag"]
    assert re.fullmatch(r'"[\w-]+"', etag)  # strong: no W/
    return etag


def assert_private(response: TestResponse) -> None:
    assert response.headers["Cache-Control"] == "private, no-store"
    assert "cookie" in vary(response)
    assert "ETag" not in response.headers


@pytest.mark.parametrize("url", [PAGE, TWIN, API])
def test_anonymous_thread_reads_are_public_for_seconds_with_an_etag(app, client, ids, url):
    first = client.get(url)
    etag = assert_shared(first)
    kept = client.get(url)  # answered by the page cache
    assert assert_shared(kept) == etag
    assert kept.data == first.data


def test_the_shared_lifetime_comes_from_the_configuration(smtp_server, tmp_path):
    app = build_app(tmp_path, smtp_server.port, CDN_S_MAXAGE=5, CDN_STALE_WHILE_REVALIDATE=0)
    build_world(app)
    response = app.test_client().get(TWIN)
    assert response.headers["Cache-Control"] == "public, max-age=0, s-maxage=5"


@pytest.mark.parametrize("cache_bytes", [0, 64 * 1024])
def test_no_shared_lifetime_keeps_every_page_out_of_shared_caches(
    smtp_server, tmp_path, cache_bytes
):
    app = build_app(tmp_path, smtp_server.port, CDN_S_MAXAGE=0, SHARED_PAGE_CACHE_BYTES=cache_bytes)
    build_world(app)
    client = app.test_client()
    for url in (PAGE, TWIN, API, PAGE):
        response = client.get(url, headers={"If-None-Match": "*"})
        assert response.status_code == 200
        assert_private(response)


def test_signed_in_readers_pages_stay_private(app, ids):
    alice = widget(app, "dana@example.org", "Dana", ids.site)
    page = alice.get(PAGE)
    assert "Signed in as Dana" in page.text
    assert_private(page)
    carol = client_for(app, "carol@example.org")
    for url in (TWIN, API):
        assert_private(carol.get(url))
    assert_private(carol.get(TWIN, headers={"If-None-Match": "*"}))


def test_a_refused_form_with_the_readers_text_stays_private(app, ids):
    alice = widget(app, "dana@example.org", "Dana", ids.site)
    refused = alice.post(POST, data={"body": "", "next": PAGE}, headers=OWN)
    assert refused.status_code == 422
    assert_private(refused)


@pytest.mark.parametrize(
    "url", ["/embed/demo/t/a1?after=%%%", "/embed/nosuch/t/a1", f"{PAGE}.evil", API + "?limit=0"]
)
def test_error_pages_stay_private(app, client, ids, url):
    response = client.get(url)
    assert response.status_code >= 400
    assert_private(response)


@pytest.mark.parametrize(
    "cookie", ["commentsvc_session", "commentsvc_remember", "commentsvc_embed"]
)
def test_a_session_cookie_even_a_forged_one_never_gets_a_public_page(app, ids, cookie):
    anonymous = app.test_client()
    etag = assert_shared(anonymous.get(PAGE))
    forger = app.test_client()
    forger.set_cookie(cookie, "forged-value", path="/")
    for url in (PAGE, TWIN, API):
        response = forger.get(url, headers={"If-None-Match": etag})
        assert response.status_code == 200  # its own page, never a shared 304
        assert "public" not in response.headers["Cache-Control"]
        assert_private(response)


def test_a_renamed_session_cookie_gets_only_what_everyone_gets(app, ids):
    """A CDN bypasses its cache by the session cookies' names: a reader who renames theirs
    is not signed in here either, so a public copy of their page holds nothing of theirs."""
    anonymous = app.test_client().get(TWIN)
    carol = client_for(app, "carol@example.org")
    assert "Carol" in carol.get(TWIN).text
    value = carol.get_cookie("commentsvc_session")
    assert value is not None
    renamed = app.test_client()
    for name in ("Commentsvc_Session", "commentsvc_session_", "x_commentsvc_session"):
        renamed.set_cookie(name, value.value, path="/")
    response = renamed.get(TWIN)
    assert_shared(response)
    assert "Carol" not in response.text
    assert response.data == anonymous.data


def test_no_cookie_on_a_public_page_after_signed_in_requests_in_the_same_process(
    smtp_server, tmp_path
):
    app = build_app(tmp_path, smtp_server.port, WTF_CSRF_ENABLED=True)
    build_world(app)
    make_reader(app, "dana@example.org", "Dana")
    dana = app.test_client()
    # Sign in for real, with the CSRF token of the sign-in page.
    token = re.search(
        r'name="csrf_token" type="hidden" value="([^"]+)"', dana.get("/auth/sign-in").text
    )
    assert token is not None
    credentials = {"email": "dana@example.org", "password": PASSWORD, "csrf_token": token[1]}
    signed = dana.post("/auth/sign-in", data=credentials)
    assert signed.status_code == 303, signed.text
    assert "Dana" in dana.get(TWIN).text
    for url in (PAGE, TWIN, API):
        response = app.test_client().get(url)
        assert_shared(response)
        assert "Dana" not in response.text
    # Signed out, the same browser reads what everyone reads.
    dana.delete_cookie("commentsvc_session")
    assert_shared(dana.get(TWIN))


def etags(client: FlaskClient, language: str = "en") -> tuple[str, ...]:
    headers = {"Accept-Language": language}
    return tuple(assert_shared(client.get(url, headers=headers)) for url in (PAGE, TWIN, API))


def test_every_visible_change_gives_new_etags(smtp_server, tmp_path):
    app = build_app(tmp_path, smtp_server.port)
    ids = build_world(app, "hold_all")
    client = app.test_client()
    seen = [etags(client)]
    cid = post(app, ids.alice, "Held first")
    with app.app_context():
        decisions.decide(reader(ids.mod), cid, decisions.Decision.APPROVE)
    seen.append(etags(client))
    assert "Held first" in client.get(TWIN).text
    with app.app_context():
        votes.vote(reader(ids.bob), cid, 1)
    seen.append(etags(client))
    with app.app_context():
        posting.edit_comment(reader(ids.alice), cid, "Edited since")
    seen.append(etags(client))
    with app.app_context():
        posting.delete_comment(reader(ids.alice), cid)
    seen.append(etags(client))
    with app.app_context():
        site = db.session.get(Site, ids.site)
        assert site is not None
        sites.update_site(site, "Demo", [ORIGIN, "https://m.news.example"], "hold_all", 900)
    seen.append(etags(client))
    every = [tag for round_ in seen for tag in round_]
    assert len(set(every)) == len(every)
    assert etags(client) == seen[-1]  # and nothing else does


def test_each_language_and_each_query_has_its_own_etag(app, client, ids):
    english, azerbaijani, russian = etags(client), etags(client, "az"), etags(client, "ru")
    assert len(set(english + azerbaijani + russian)) == 9
    assert etags(client, "az-AZ,az;q=0.9") == azerbaijani  # the same page
    assert etags(client, "de") == english  # the default language
    newest = assert_shared(client.get(TWIN + "?sort=newest"))
    assert newest not in english


def test_workers_of_one_release_agree_and_another_release_differs(app, client, tmp_path):
    # Other workers on the same database (built first: building empties a shared one).
    same_release = build_app(tmp_path, 1)
    next_release = build_app(tmp_path, 1, RELEASE="2026.12")
    build_world(app)
    assert etags(same_release.test_client()) == etags(client)
    assert set(etags(next_release.test_client())).isdisjoint(etags(client))


def conditional(client: FlaskClient, url: str, condition: str) -> TestResponse:
    return client.get(url, headers={"If-None-Match": condition})


@pytest.mark.parametrize("url", [PAGE, TWIN, API])
def test_an_unchanged_page_is_answered_304_after_one_statement(app, client, ids, url):
    etag = assert_shared(client.get(url))
    with counted_statements(app) as statements:
        again = conditional(client, url, etag)
    assert len(statements) == 1  # the thread's stamp; nothing rendered
    assert again.status_code == 304
    assert again.data == b""
    assert again.headers["ETag"] == etag
    assert again.headers["Cache-Control"] == SHARED
    assert {"cookie", "accept-language"} <= vary(again)
    assert "Content-Length" not in again.headers or again.headers["Content-Length"] == "0"


@pytest.mark.parametrize("cache_bytes", [0, 64 * 1024])
def test_a_page_not_kept_yet_is_answered_304_too(app, smtp_server, tmp_path, cache_bytes):
    # Another worker (its own memory) is asked with the tag the first one gave.
    worker = build_app(tmp_path, smtp_server.port, SHARED_PAGE_CACHE_BYTES=cache_bytes)
    build_world(app)
    etag = assert_shared(app.test_client().get(TWIN))
    client = worker.test_client()
    answer = conditional(client, TWIN, etag)
    assert answer.status_code == 304
    assert answer.data == b""
    assert answer.headers["Cache-Control"] == SHARED
    if cache_bytes:  # rendered once, kept: the next read costs one statement
        with counted_statements(worker) as statements:
            assert client.get(TWIN).headers["ETag"] == etag
        assert len(statements) == 1


@pytest.mark.parametrize(
    "condition",
    [
        "{etag}",
        "W/{etag}",  # If-None-Match compares weakly (RFC 9110 13.1.2)
        '"older", {etag}',
        '{etag} , W/"x"',
        ", {etag},",  # empty list elements are allowed
        "*",
    ],
)
def test_if_none_match_names_the_page(app, client, ids, condition):
    etag = assert_shared(client.get(TWIN))
    for _round in ("rendered", "kept"):
        answer = conditional(client, TWIN, condition.format(etag=etag))
        assert answer.status_code == 304


@pytest.mark.parametrize(
    "condition",
    [
        '"something-else"',
        "{bare}",  # not quoted
        "w/{etag}",  # the weak prefix is case-sensitive
        '{etag}"',
        "{etag} {etag}",  # no comma
        'W/"x", {bare}',  # one malformed element spoils the list
        "*, {etag}",
        "",
    ],
)
def test_other_or_malformed_conditions_get_the_page(app, client, condition, smtp_server, tmp_path):
    other_worker = build_app(tmp_path, smtp_server.port)  # renders the page afresh
    build_world(app)
    etag = assert_shared(client.get(TWIN))
    header = condition.format(etag=etag, bare=etag.strip('"'))
    kept = conditional(client, TWIN, header)
    for answer in (kept, conditional(other_worker.test_client(), TWIN, header)):
        assert answer.status_code == 200
        assert answer.headers["ETag"] == etag
        assert "Comments" in answer.text


def test_after_a_change_the_old_tag_gets_the_new_page(app, client, ids):
    etag = assert_shared(client.get(TWIN))
    post(app, ids.alice, "Newer than your copy")
    answer = conditional(client, TWIN, etag)
    assert answer.status_code == 200
    assert "Newer than your copy" in answer.text
    assert answer.headers["ETag"] != etag
    assert conditional(client, TWIN, answer.headers["ETag"]).status_code == 304
