"""The ?next= check and absolute links for e-mails (commentsvc.links)."""

from __future__ import annotations

import pytest

from commentsvc.core.links import public_url, safe_next_url
from tests.conftest import PUBLIC_URL, body_of, build_app, link_in
from tests.factories import make_reader

SAFE = [
    "/",
    "/account",
    "/account?tab=sessions",
    "/account#password-heading",
    "/auth/verify/abc.def-ghi",
    "/%E2%9C%93",  # an encoded non-ASCII path is still a local path
]

UNSAFE = [
    None,
    "",
    "account",  # relative to the current directory, not the site root
    "//evil.example",
    "//evil.example/account",
    "/\\evil.example",
    "\\\\evil.example",
    "/\\/evil.example",
    "https:evil.example",
    "https://evil.example",
    "http://localhost:5000/account",  # absolute, even to ourselves
    "%2F%2Fevil.example",
    "%2f%2fevil.example",
    "/%2F/evil.example",
    "/%2f/evil.example",
    "%5C%5Cevil",
    "/%5Cevil.example",
    "/%09/evil.example",
    "/\t/evil.example",
    "/%0d%0aSet-Cookie:%20x=y",
    "javascript:alert(1)",
    "JavaScript:alert(1)",
    "data:text/html,<script>alert(1)</script>",
    "%252F%252Fevil",
    "/%252F/evil.example",
    "/%25252F%25252Fevil",
    "/" + "a" * 2001,
]


@pytest.mark.parametrize("target", SAFE)
def test_same_origin_paths_are_kept(target):
    assert safe_next_url(target) == target


@pytest.mark.parametrize("target", UNSAFE)
def test_other_origins_and_their_disguises_are_refused(target):
    assert safe_next_url(target) is None


def test_public_url_ignores_the_request_host(app):
    headers = {"Host": "evil.example", "X-Forwarded-Host": "evil.example"}
    with app.test_request_context("/", base_url="http://evil.example", headers=headers):
        assert public_url("auth.sign_in") == f"{PUBLIC_URL}/auth/sign-in"
        assert public_url("auth.reset_link", token="abc") == f"{PUBLIC_URL}/auth/reset/abc"


def test_public_url_has_no_trailing_slash_doubling(smtp_server, tmp_path):
    app = build_app(tmp_path, smtp_server.port, PUBLIC_URL="https://comments.example/")
    with app.test_request_context("/"):
        assert public_url("auth.sign_in") == "https://comments.example/auth/sign-in"


def test_reset_email_link_uses_public_url_despite_a_forged_host(app, client, inbox, deliver):
    make_reader(app, email="victim@example.org")
    response = client.post(
        "/auth/reset",
        data={"email": "victim@example.org"},
        base_url="http://evil.example",
        headers={"Host": "evil.example", "X-Forwarded-Host": "evil.example"},
    )
    assert response.status_code == 200
    assert deliver() == (1, 0)
    body = body_of(inbox.last_to("victim@example.org"))
    assert "evil.example" not in body
    assert link_in(inbox.last_to("victim@example.org")).startswith("/auth/reset/")
    links = [word for word in body.split() if "://" in word]
    assert links
    assert all(link.startswith(f"{PUBLIC_URL}/") for link in links)
