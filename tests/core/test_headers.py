"""Security and caching headers on every page, error pages and static files."""

from __future__ import annotations

import re

import pytest
from flask.testing import FlaskClient
from werkzeug.test import TestResponse

from commentsvc.comments import sites
from commentsvc.core.extensions import db
from tests.conftest import build_app
from tests.factories import make_reader, sign_in

# path -> status for a signed-in browser
PAGES = {
    "/": 200,
    "/auth/sign-in": 200,
    "/auth/sign-up": 200,
    "/account": 200,
    "/no-such-page": 404,
}


@pytest.fixture
def signed_in(app, client: FlaskClient) -> FlaskClient:
    make_reader(app)
    sign_in(client)
    return client


def get(client: FlaskClient, path: str) -> TestResponse:
    response = client.get(path)
    assert response.status_code == PAGES[path]
    return response


def csp(response: TestResponse) -> dict[str, list[str]]:
    header = response.headers["Content-Security-Policy"]
    directives = {}
    for part in header.split(";"):
        name, *values = part.split()
        directives[name] = values
    return directives


def nonce_of(response: TestResponse) -> str:
    found = [v for v in csp(response)["script-src"] if v.startswith("'nonce-")]
    assert len(found) == 1, response.headers["Content-Security-Policy"]
    return found[0]


@pytest.mark.parametrize("path", PAGES)
def test_every_page_has_a_strict_content_security_policy(signed_in, path):
    response = get(signed_in, path)
    policy = csp(response)
    assert policy["object-src"] == ["'none'"]
    assert policy["base-uri"] == ["'none'"]
    assert policy["frame-ancestors"] == ["'none'"]
    # These pages have no inline code: only the service's own files may run.
    assert policy["script-src"] == ["'self'"]
    assert policy["style-src"] == ["'self'"]


def handoff_page(app, client: FlaskClient) -> TestResponse:
    """The sign-in popup's last page: its inline script hands the code to the widget."""
    with app.app_context():
        sites.create_site("demo", "Demo", ["https://news.example"])
    response = client.get("/auth/embed-sign-in?site=demo")
    assert response.status_code == 200
    return response


def test_a_page_with_inline_code_names_a_new_nonce_on_every_response(app, signed_in):
    first = handoff_page(app, signed_in)
    second = signed_in.get("/auth/embed-sign-in?site=demo")
    assert re.fullmatch(r"'nonce-[A-Za-z0-9_-]{16,}'", nonce_of(first))
    assert nonce_of(first) != nonce_of(second)
    # Styles share the response's nonce, and the inline script carries it.
    assert nonce_of(first) in csp(first)["style-src"]
    assert f'<script nonce="{nonce_of(first)[7:-1]}">' in first.text
    policy = csp(first)["script-src"]
    assert "'unsafe-inline'" not in policy
    assert "'unsafe-eval'" not in policy
    assert not any(source in {"*", "http:", "https:", "data:"} for source in policy)


@pytest.mark.parametrize("path", PAGES)
def test_every_page_refuses_framing_sniffing_and_cross_site_referrers(signed_in, path):
    headers = get(signed_in, path).headers
    assert headers["X-Frame-Options"] == "DENY"
    assert headers["X-Content-Type-Options"] == "nosniff"
    assert headers["Referrer-Policy"] == "same-origin"


@pytest.mark.parametrize("path", PAGES)
def test_no_hsts_when_the_public_url_is_plain_http(signed_in, path):
    assert "Strict-Transport-Security" not in get(signed_in, path).headers


@pytest.fixture
def https_client(smtp_server, tmp_path):
    app = build_app(tmp_path, smtp_server.port, PUBLIC_URL="https://news.example.org")
    yield app.test_client()
    with app.app_context():
        db.engine.dispose()


@pytest.mark.parametrize("path", ["/", "/auth/sign-in", "/no-such-page", "/static/style.css"])
def test_hsts_is_sent_when_the_public_url_is_https(https_client, path):
    response = https_client.get(path)
    response.close()
    hsts = response.headers["Strict-Transport-Security"]
    max_age = re.search(r"max-age=(\d+)", hsts)
    assert max_age is not None
    assert int(max_age.group(1)) >= 180 * 24 * 3600


@pytest.mark.parametrize("path", ["/account", "/auth/sign-in"])
def test_pages_that_read_the_session_are_never_stored_by_caches(signed_in, path):
    headers = get(signed_in, path).headers
    assert headers["Cache-Control"] == "private, no-store"
    assert "cookie" in {v.strip().lower() for v in headers.get("Vary", "").split(",")}


def test_the_anonymous_sign_in_page_is_not_stored_by_caches(client):
    headers = client.get("/auth/sign-in").headers
    assert headers["Cache-Control"] == "private, no-store"
    assert "cookie" in headers.get("Vary", "").lower()


def assert_cacheable(response: TestResponse) -> None:
    response.close()  # static files are streamed from disk
    assert response.status_code == 200
    assert "no-store" not in response.headers.get("Cache-Control", "")
    assert "cookie" not in response.headers.get("Vary", "").lower()
    assert "Set-Cookie" not in response.headers


def test_the_stylesheet_stays_cacheable_for_anonymous_readers(client):
    response = client.get("/static/style.css")
    assert_cacheable(response)
    assert response.headers["X-Content-Type-Options"] == "nosniff"


def test_the_stylesheet_stays_cacheable_for_signed_in_readers(signed_in):
    assert_cacheable(signed_in.get("/static/style.css"))


def test_the_stylesheet_stays_cacheable_with_a_remember_me_cookie(app, client):
    make_reader(app)
    sign_in(client, remember=True)
    assert_cacheable(client.get("/static/style.css"))
