"""Signing in and out, "remember me", and where ?next= may send the reader."""

from __future__ import annotations

import re
from urllib.parse import quote

import pytest
from flask.testing import FlaskClient

from tests.accounts.spellings import wide
from tests.conftest import build_app
from tests.factories import PASSWORD, make_reader, sign_in, without_tokens

REMEMBER_COOKIE = "commentsvc_remember"
FAILED = "Wrong e-mail address or password."

EVIL_NEXT = [
    "//evil.example",
    "/\\evil.example",
    "https:evil.example",
    "https://evil.example",
    "%2F%2Fevil.example",
    "/%2F/evil.example",
    "%5C%5Cevil",
    "/%09/evil.example",
    "javascript:alert(1)",
    "%252F%252Fevil",
]


def is_signed_in(client: FlaskClient) -> bool:
    response = client.get("/account")
    assert response.status_code in (200, 302)
    return bool(response.status_code == 200)


def form_action(html: str) -> str:
    match = re.search(r'<form method="post" action="([^"]*/auth/sign-in[^"]*)"', html)
    assert match, html
    return match.group(1)


def test_sign_in_opens_the_account_page(app, client):
    make_reader(app, email="reader@example.org", display_name="Jo Reader")
    response = sign_in(client, "reader@example.org")
    assert response.status_code == 303
    assert response.headers["Location"] == "/account"
    page = client.get("/account")
    assert page.status_code == 200
    assert "reader@example.org" in page.text


def test_the_address_is_case_insensitive_and_trimmed(app, client):
    make_reader(app, email="reader@example.org")
    response = sign_in(client, "  Reader@EXAMPLE.org ")
    assert response.status_code == 303
    assert is_signed_in(client)


def test_wrong_password_and_unknown_address_look_the_same(app, client):
    make_reader(app, email="known@example.org")
    wrong_password = sign_in(client, "known@example.org", "not the right password")
    unknown_address = sign_in(client, "nobody@example.org", PASSWORD)
    assert wrong_password.status_code == unknown_address.status_code == 422
    assert FAILED in wrong_password.text
    assert FAILED in unknown_address.text
    # Apart from the echoed address, the two pages are the same.
    assert without_tokens(wrong_password.text.replace("known@", "X@")) == without_tokens(
        unknown_address.text.replace("nobody@", "X@")
    )
    assert not is_signed_in(client)


def test_a_malformed_address_is_a_failed_sign_in_too(app, client):
    response = sign_in(client, "not-an-address", PASSWORD)
    assert response.status_code == 422
    assert FAILED in response.text


def test_remember_me_sets_a_remember_cookie(app, client):
    make_reader(app)
    sign_in(client, remember=True)
    cookie = client.get_cookie(REMEMBER_COOKIE)
    assert cookie is not None
    assert cookie.value


def test_without_remember_me_there_is_no_remember_cookie(app, client):
    make_reader(app)
    response = sign_in(client)
    assert response.status_code == 303
    assert client.get_cookie(REMEMBER_COOKIE) is None
    assert all(REMEMBER_COOKIE not in h for h in response.headers.getlist("Set-Cookie"))


def test_sign_out_by_get_is_not_allowed(app, client):
    make_reader(app)
    sign_in(client)
    response = client.get("/auth/sign-out")
    assert response.status_code == 405
    assert "That action is not available here." in response.text
    assert is_signed_in(client)


def test_sign_out_ends_the_session_and_forgets_the_device(app, client):
    make_reader(app)
    sign_in(client, remember=True)
    assert is_signed_in(client)
    response = client.post("/auth/sign-out")
    assert response.status_code == 303
    assert client.get_cookie(REMEMBER_COOKIE) is None
    assert not is_signed_in(client)
    assert "You have signed out." in client.get("/").text


@pytest.mark.parametrize(
    "target", ["/", "/account?tab=sessions", "/auth/verify/some-token", "/%E2%9C%93"]
)
def test_next_same_origin_path_is_followed(app, client, target):
    make_reader(app)
    response = client.post(
        "/auth/sign-in",
        query_string={"next": target},
        data={"email": "reader@example.org", "password": PASSWORD},
    )
    assert response.status_code == 303
    assert response.headers["Location"] == target


@pytest.mark.parametrize("target", EVIL_NEXT)
def test_next_to_another_origin_falls_back_to_the_account_page(app, client, target):
    make_reader(app)
    response = client.post(
        "/auth/sign-in",
        query_string={"next": target},
        data={"email": "reader@example.org", "password": PASSWORD},
    )
    assert response.status_code == 303
    assert response.headers["Location"] == "/account"


@pytest.mark.parametrize("target", EVIL_NEXT)
def test_next_written_raw_into_the_url_also_falls_back(app, client, target):
    # Werkzeug decodes the query string once, so "%2F%2F" arrives as "//".
    make_reader(app)
    response = sign_in(client, next_url=target)
    assert response.status_code == 303
    assert response.headers["Location"] == "/account"


def test_next_survives_a_failed_attempt(app, client):
    make_reader(app)
    page = client.get("/auth/sign-in", query_string={"next": "/account?tab=email"})
    action = form_action(page.text)
    failed = client.post(action, data={"email": "reader@example.org", "password": "wrong one"})
    assert failed.status_code == 422
    retry = client.post(
        form_action(failed.text).replace("&amp;", "&"),
        data={"email": "reader@example.org", "password": PASSWORD},
    )
    assert retry.status_code == 303
    assert retry.headers["Location"] == "/account?tab=email"


@pytest.mark.parametrize("target", ["//evil.example", "https://evil.example"])
def test_a_refused_next_is_not_echoed_into_the_form(client, target):
    page = client.get("/auth/sign-in?next=" + quote(target, safe=""))
    assert page.status_code == 200
    assert "evil.example" not in page.text
    assert form_action(page.text) == "/auth/sign-in"


# --- the per-account limit and spellings of one address -----------------------------------

# Spellings of reader@example.org: case, fullwidth letters and full stops in the domain
# (which sign in to the account), and malformed ones (which cannot, but must not get a
# bucket of their own either).
VARIANTS = [
    "READER@Example.ORG",
    "reader@" + wide("example") + ".org",
    "reader@example\u3002org",
    "reader@example\uff61org",
    wide("reader") + "@example.org",
    "reader" + wide("@") + "example.org",
    "reader@exa\u00admple.org",
    "reader@example.org.",
]
# The widget's sign-in popup is this page with ?next= leading back to the widget.
POPUP = "/auth/sign-in?next=/auth/embed-sign-in%3Fsite%3Dblog"


def test_every_spelling_of_an_address_counts_against_one_account(smtp_server, tmp_path):
    app = build_app(tmp_path, smtp_server.port, RATELIMIT_SIGN_IN_ACCOUNT="5 per minute")
    make_reader(app, email="reader@example.org")
    client = app.test_client()
    for n, variant in enumerate(VARIANTS[:5]):
        url = POPUP if n % 2 else "/auth/sign-in"
        response = client.post(
            url,
            data={"email": variant, "password": "wrong password"},
            environ_base={"REMOTE_ADDR": f"192.0.2.{n + 1}"},
        )
        assert response.status_code == 422, variant
    # The sixth wrong attempt is refused whatever the spelling, in the popup too.
    for n, variant in enumerate(VARIANTS):
        response = client.post(
            POPUP if n % 2 else "/auth/sign-in",
            data={"email": variant, "password": "wrong password"},
            environ_base={"REMOTE_ADDR": f"198.51.100.{n + 1}"},
        )
        assert response.status_code == 429, variant
    # And so is the right password: the account is resting.
    assert sign_in(client, "reader@example.org").status_code == 429


@pytest.mark.parametrize(
    "variant",
    ["READER@Example.ORG", "reader@" + wide("example") + ".org", "reader@example\u3002org"],
)
def test_a_domain_spelled_in_fullwidth_or_with_an_ideographic_stop_is_the_same_account(
    app, client, variant
):
    # normalise_email() folds the domain (IDNA), so it is the same address and account.
    make_reader(app, email="reader@example.org")
    assert sign_in(client, variant).status_code == 303


def test_a_fullwidth_local_part_is_another_mailbox_and_does_not_sign_in(app, client):
    # The local part is only NFC-normalised (RFC 6532): a fullwidth "reader" is another mailbox,
    # so another account; it only shares the limit's bucket.
    make_reader(app, email="reader@example.org")
    assert sign_in(client, wide("reader") + "@example.org").status_code == 422
