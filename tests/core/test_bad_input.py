"""Hostile and malformed input: never a 500, always a readable message, no damage to data."""

from __future__ import annotations

import re

import pytest
from argon2.exceptions import HashingError
from sqlalchemy import func, select

from commentsvc.accounts.models import Reader
from commentsvc.core.extensions import db
from tests.conftest import build_app
from tests.factories import PASSWORD, make_reader, sign_in

FORM = "application/x-www-form-urlencoded"
SIGN_UP = {
    "email": "new@example.org",
    "display_name": "Newcomer",
    "password": PASSWORD,
    "accept_terms": "y",
}
UNUSABLE = "This field contains characters that cannot be used."
NOT_UTF8 = "The request contained text that is not valid UTF-8."
INVISIBLE = "Display names cannot contain control or invisible characters."
TOO_LARGE = "What you sent is too large."


def readers(app) -> int:
    with app.app_context():
        return int(db.session.scalar(select(func.count()).select_from(Reader)) or 0)


def field_errors(html: str) -> str:
    return " ".join(re.findall(r'class="error[^"]*"[^>]*>([^<]*)<', html))


@pytest.mark.parametrize("field", ["email", "display_name", "password"])
def test_a_nul_byte_in_any_sign_up_field_is_refused(app, client, field):
    data = {**SIGN_UP, field: SIGN_UP[field][:3] + "\x00" + SIGN_UP[field][3:]}
    response = client.post("/auth/sign-up", data=data)
    assert response.status_code == 422
    assert UNUSABLE in field_errors(response.text)
    assert readers(app) == 0


@pytest.mark.parametrize("field", ["email", "password"])
def test_a_nul_byte_at_sign_in_is_refused_and_the_account_still_works(app, client, field):
    make_reader(app)
    data = {"email": "reader@example.org", "password": PASSWORD}
    data[field] += "\x00"
    response = client.post("/auth/sign-in", data=data)
    assert response.status_code == 422
    assert UNUSABLE in field_errors(response.text)
    assert client.get("/account").status_code == 302
    assert sign_in(client).status_code == 303


@pytest.mark.parametrize(
    "body",
    [
        b"email=%FF%FE&display_name=Newcomer&password=correct+horse+battery&accept_terms=y",
        b"email=new%40example.org&display_name=Bad%C3%28name&password=correct+horse+battery"
        b"&accept_terms=y",
        b"email=new%40example.org&display_name=Raw\xffname&password=correct+horse+battery"
        b"&accept_terms=y",
        b"email=new%40example.org&display_name=Newcomer&password=correct+horse+%FF%FF"
        b"&accept_terms=y",
        b"email=new%40example.org&display_name\xff=Newcomer&password=correct+horse+battery"
        b"&accept_terms=y",
    ],
    ids=["escaped-email", "escaped-name", "raw-name", "escaped-password", "raw-key"],
)
def test_invalid_utf8_in_a_sign_up_form_is_refused_with_a_message(app, client, body):
    response = client.post("/auth/sign-up", data=body, content_type=FORM)
    assert response.status_code == 400
    assert NOT_UTF8 in response.text
    assert readers(app) == 0


@pytest.mark.parametrize(
    "body",
    [b"email=%FF%FE&password=correct+horse", b"email=reader%40example.org&password=\xff\xfe"],
)
def test_invalid_utf8_at_sign_in_is_refused_with_a_message(app, client, body):
    make_reader(app)
    response = client.post("/auth/sign-in", data=body, content_type=FORM)
    assert response.status_code == 400
    assert NOT_UTF8 in response.text
    assert sign_in(client).status_code == 303


def test_invalid_utf8_is_refused_even_with_a_valid_csrf_token(smtp_server, tmp_path):
    app = build_app(tmp_path, smtp_server.port, WTF_CSRF_ENABLED=True)
    client = app.test_client()
    page = client.get("/auth/sign-up").text
    token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page)
    assert token is not None
    body = (
        b"csrf_token=" + token.group(1).encode() + b"&email=new%40example.org"
        b"&display_name=Bad%C3%28name&password=correct+horse+battery&accept_terms=y"
    )
    response = client.post("/auth/sign-up", data=body, content_type=FORM)
    assert response.status_code == 400
    assert NOT_UTF8 in response.text
    assert readers(app) == 0
    with app.app_context():
        db.engine.dispose()


def test_invalid_utf8_in_a_multipart_form_is_refused_with_a_message(app, client):
    parts = [
        (b"email", b"new@example.org"),
        (b"display_name", b"Raw\xffname"),
        (b"password", PASSWORD.encode()),
        (b"accept_terms", b"y"),
    ]
    body = b"".join(
        b'--zz\r\nContent-Disposition: form-data; name="' + name + b'"\r\n\r\n' + value + b"\r\n"
        for name, value in parts
    )
    response = client.post(
        "/auth/sign-up", data=body + b"--zz--\r\n", content_type="multipart/form-data; boundary=zz"
    )
    assert response.status_code == 422
    assert UNUSABLE in field_errors(response.text)
    assert readers(app) == 0


@pytest.mark.parametrize("content_type", [FORM, "multipart/form-data; boundary=zz"])
def test_a_10_mb_body_gets_a_413_page(app, client, content_type):
    body = b"email=" + b"x" * (10 * 1024 * 1024)
    response = client.post("/auth/sign-up", data=body, content_type=content_type)
    assert response.status_code == 413
    assert response.mimetype == "text/html"
    assert TOO_LARGE in response.text
    assert readers(app) == 0


def test_a_10_mb_body_gets_a_413_json_error_when_json_is_wanted(client):
    response = client.post(
        "/auth/sign-in",
        data=b"email=" + b"x" * (10 * 1024 * 1024),
        content_type=FORM,
        headers={"Accept": "application/json"},
    )
    assert response.status_code == 413
    assert response.get_json() == {"error": TOO_LARGE}


@pytest.mark.parametrize(
    ("url", "field", "value"),
    [
        ("/auth/sign-up", "email", "a" * 250 + "@example.org"),
        ("/auth/sign-up", "display_name", "n" * 101),
        ("/auth/sign-up", "display_name", "n" * 51),
        ("/auth/sign-up", "password", "p" * 257),
        ("/auth/sign-in", "email", "a" * 250 + "@example.org"),
        ("/auth/sign-in", "password", "p" * 257),
        ("/auth/reset", "email", "a" * 250 + "@example.org"),
    ],
)
def test_every_field_over_its_length_limit_is_refused(app, client, url, field, value):
    data = {**SIGN_UP, field: value}
    response = client.post(url, data=data)
    assert response.status_code == 422
    assert field_errors(response.text).strip()
    assert readers(app) == 0


def test_an_absurdly_long_password_is_refused_before_it_is_hashed(smtp_server, tmp_path):
    # argon2 refuses zero lanes: any attempt to hash in this app fails loudly.
    app = build_app(tmp_path, smtp_server.port, ARGON2_PARALLELISM=0)
    client = app.test_client()
    with pytest.raises(HashingError):
        client.post("/auth/sign-up", data=SIGN_UP)

    huge = "p" * 100_000
    response = client.post("/auth/sign-up", data={**SIGN_UP, "password": huge})
    assert response.status_code == 422
    assert "256" in field_errors(response.text)
    response = client.post("/auth/sign-in", data={"email": "new@example.org", "password": huge})
    assert response.status_code == 422
    assert readers(app) == 0
    with app.app_context():
        db.engine.dispose()


@pytest.mark.parametrize(
    "address", ["not-an-address", "new@", "@example.org", "new@@example.org", "new@exa mple.org"]
)
def test_a_malformed_address_is_refused_at_sign_up(app, client, address):
    response = client.post("/auth/sign-up", data={**SIGN_UP, "email": address})
    assert response.status_code == 422
    assert "Enter a valid e-mail address." in field_errors(response.text)
    assert readers(app) == 0


@pytest.mark.parametrize(
    "name", ["gnp.exe\u202eadmin", "ad\u200bmin", "ring\x07bell", "esc\x1b[2Jclear", "two\nlines"]
)
def test_a_display_name_with_invisible_characters_is_refused(app, client, name):
    response = client.post("/auth/sign-up", data={**SIGN_UP, "display_name": name})
    assert response.status_code == 422
    assert INVISIBLE in field_errors(response.text)
    assert readers(app) == 0


def test_a_password_differing_only_after_character_64_is_refused(app, client):
    password = "sixty-four characters of passphrase, every one of them counts!!!"
    assert len(password) == 64
    response = client.post("/auth/sign-up", data={**SIGN_UP, "password": password + "tail"})
    assert response.status_code == 200
    assert sign_in(client, "new@example.org", password).status_code == 422
    assert sign_in(client, "new@example.org", password + "tale").status_code == 422
    assert sign_in(client, "new@example.org", password + "tail").status_code == 303


def test_a_64_character_password_is_accepted_at_sign_up(app, client):
    password = "x" * 60 + "long"
    response = client.post("/auth/sign-up", data={**SIGN_UP, "password": password})
    assert response.status_code == 200
    assert sign_in(client, "new@example.org", password).status_code == 303
    client.post("/auth/sign-out")
    assert sign_in(client, "new@example.org", password + "x").status_code == 422


def snapshot(app, reader_id: int) -> tuple[str, str, str, str]:
    with app.app_context():
        reader = db.session.get(Reader, reader_id)
        assert reader is not None
        return (reader.email, reader.display_name, reader.display_name_key, reader.password_hash)


LONG = "cannot be longer than"
CHANGE_PASSWORD = "password-current_password=correct+horse+battery+staple&password-new_password="


@pytest.mark.parametrize(
    ("url", "body", "message"),
    [
        ("/account/display-name", {"name-display_name": "admin\u202e"}, INVISIBLE),
        ("/account/display-name", {"name-display_name": "nul\x00name"}, UNUSABLE),
        ("/account/display-name", {"name-display_name": "x" * 5000}, LONG),
        ("/account/display-name", b"name-display_name=Bad%C3%28name", NOT_UTF8),
        ("/account/display-name", b"name-display_name=Raw\xffname", NOT_UTF8),
        (
            "/account/password",
            {"password-current_password": PASSWORD, "password-new_password": "new\x00password"},
            UNUSABLE,
        ),
        (
            "/account/password",
            {"password-current_password": PASSWORD, "password-new_password": "n" * 100_000},
            "between 8 and 256 characters",
        ),
        ("/account/password", CHANGE_PASSWORD.encode() + b"brand+new+%FF%FE+phrase", NOT_UTF8),
        (
            "/account/email",
            {"email-new_email": "other@example.org\x00", "email-current_password": PASSWORD},
            UNUSABLE,
        ),
        (
            "/account/email",
            b"email-new_email=other%40ex%FFample.org"
            b"&email-current_password=correct+horse+battery+staple",
            NOT_UTF8,
        ),
        ("/account/delete", {"delete-current_password": PASSWORD + "\x00"}, UNUSABLE),
        ("/account/delete", b"delete-current_password=correct+horse+battery+staple%FF", NOT_UTF8),
    ],
)
def test_hostile_input_on_the_account_page_changes_nothing(app, client, url, body, message):
    reader_id = make_reader(app)
    sign_in(client)
    before = snapshot(app, reader_id)
    if isinstance(body, bytes):
        response = client.post(url, data=body, content_type=FORM)
    else:
        response = client.post(url, data=body)
    assert response.status_code in (400, 422)
    assert message in response.text
    assert snapshot(app, reader_id) == before
    # Still signed in, and the old password still works.
    assert client.get("/account").status_code == 200
    client.post("/auth/sign-out")
    assert sign_in(client).status_code == 303
