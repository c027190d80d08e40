"""Hostile and malformed input: never a 500, always a readable message, no damage to data."""

from __future__ import annotations

import base64
import re
from dataclasses import dataclass
from urllib.parse import quote_from_bytes

import pytest
from argon2.exceptions import HashingError
from flask.testing import FlaskClient
from sqlalchemy import func, select

from commentsvc.accounts.models import Reader
from commentsvc.comments import posting, sites, threads
from commentsvc.comments.models import Comment, Report
from commentsvc.consent.models import ConsentRecord
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


# --- the input rule (core/input.py): every parser, before any view -----------------------

SITE_ORIGIN = "https://news.example"
THREAD_API = "/api/v1/sites/demo/threads/a1/comments"
NESTED = "The JSON sent is nested more than 32 levels deep."
NO_FILES = "This form does not take files."


@dataclass
class Thread:
    """A thread with another reader's comment, and the reader signed in."""

    client: FlaskClient
    comment_id: int
    my_comment_id: int


@pytest.fixture
def thread(app, client) -> Thread:
    make_reader(app)
    other_id = make_reader(app, "other@example.org", "Other")
    with app.app_context():
        site = sites.create_site("demo", "Demo", [SITE_ORIGIN])
        row = threads.create_thread(site, "a1", "Title", SITE_ORIGIN + "/a1")
        other = db.session.get(Reader, other_id)
        assert other is not None
        comment_id = posting.post_comment(other, row, site, "Their words").id
    sign_in(client)
    mine = client.post(THREAD_API, json={"body": "My words"})
    assert mine.status_code == 201
    return Thread(client, comment_id, mine.json["id"])


def comments_state(app) -> list[tuple[int, str, int]]:
    with app.app_context():
        rows = db.session.execute(
            select(Comment.id, Comment.body_source, Comment.score).order_by(Comment.id)
        )
        return [(cid, body, score) for cid, body, score in rows]


def counts_of(app, model) -> int:
    with app.app_context():
        return int(db.session.scalar(select(func.count()).select_from(model)) or 0)


def json_routes(t: Thread) -> list[tuple[str, str]]:
    return [
        ("POST", THREAD_API),
        ("PATCH", f"/api/v1/comments/{t.my_comment_id}"),
        ("POST", f"/api/v1/comments/{t.comment_id}/vote"),
        ("POST", f"/api/v1/comments/{t.comment_id}/report"),
        ("POST", "/api/v1/consent"),
    ]


def nested(depth: int, inner: str = "1") -> str:
    return "[" * depth + inner + "]" * depth


@pytest.mark.parametrize("route", range(5), ids=["post", "edit", "vote", "report", "consent"])
@pytest.mark.parametrize(
    "payload",
    [
        nested(2000),  # past Python's recursion limit, under the consent route's 4 KiB
        "[" * 4000,  # unclosed
        '{"body": "x", "parent_id": ' + nested(33) + "}",
        '{"value": 1, "more": ' + "{" * 40 + "}" * 40 + "}",
    ],
    ids=["2000-levels", "unclosed", "33-levels", "objects"],
)
def test_deep_json_is_refused_with_400_by_every_json_route(app, thread, route, payload):
    before = (comments_state(app), counts_of(app, Report), counts_of(app, ConsentRecord))
    method, url = json_routes(thread)[route]
    response = thread.client.open(
        url,
        method=method,
        data=payload,
        content_type="application/json",
        headers={"Origin": SITE_ORIGIN},
    )
    assert response.status_code == 400
    assert response.get_json() == {"error": NESTED}
    assert (comments_state(app), counts_of(app, Report), counts_of(app, ConsentRecord)) == before


def test_deep_json_sent_as_text_to_the_consent_route_is_refused(app, thread):
    response = thread.client.post(
        "/api/v1/consent",
        data=nested(2000),
        content_type="text/plain",
        headers={"Origin": SITE_ORIGIN},
    )
    assert response.status_code == 400
    assert counts_of(app, ConsentRecord) == 0


def test_json_32_levels_deep_is_still_read(app, thread):
    # Unknown fields are ignored; the nesting alone is no reason to refuse.
    body = '{"body": "Deep but fine", "ignored": ' + nested(31) + "}"
    response = thread.client.post(THREAD_API, data=body, content_type="application/json")
    assert response.status_code == 201


@pytest.mark.parametrize(
    ("method", "path", "body"),
    [
        ("POST", THREAD_API, '{"body": "half \\ud800 a pair"}'),
        ("POST", THREAD_API, '{"body": "ok", "\\udfff": 1}'),
        ("PATCH", "/api/v1/comments/{mine}", '{"body": "low \\udc00 alone"}'),
        ("POST", "/api/v1/comments/{theirs}/report", '{"reason": "other", "text": "\\ud83d"}'),
    ],
    ids=["post", "key", "edit", "report"],
)
def test_a_lone_surrogate_in_json_is_refused_and_nothing_is_stored(app, thread, method, path, body):
    before = (comments_state(app), counts_of(app, Report))
    url = path.format(mine=thread.my_comment_id, theirs=thread.comment_id)
    response = thread.client.open(url, method=method, data=body, content_type="application/json")
    assert response.status_code == 400
    assert response.get_json() == {"error": NOT_UTF8}
    assert (comments_state(app), counts_of(app, Report)) == before
    # The reader's own comment is still theirs to edit.
    edited = thread.client.patch(f"/api/v1/comments/{thread.my_comment_id}", json={"body": "Fine"})
    assert edited.status_code == 200


def multipart(parts: list[tuple[str, bytes, str | None]]) -> tuple[bytes, str]:
    """A multipart body; a part with a file name is a file part."""
    body = b""
    for name, value, filename in parts:
        disposition = f'form-data; name="{name}"' + (f'; filename="{filename}"' if filename else "")
        body += f"--zz\r\nContent-Disposition: {disposition}\r\n".encode()
        if filename:
            body += b"Content-Type: text/plain\r\n"
        body += b"\r\n" + value + b"\r\n"
    return body + b"--zz--\r\n", "multipart/form-data; boundary=zz"


@pytest.mark.parametrize(
    ("path", "fields"),
    [
        ("/auth/sign-in", {"email": "reader@example.org", "password": PASSWORD}),
        ("/auth/sign-up", SIGN_UP),
        ("/auth/reset", {"email": "reader@example.org"}),
    ],
)
@pytest.mark.parametrize("as_file", ["email", "extra"])
def test_a_file_part_in_a_signed_out_form_is_refused(app, client, path, fields, as_file):
    make_reader(app)
    parts = [(k, v.encode(), "x.txt" if k == as_file else None) for k, v in fields.items()]
    if as_file == "extra":
        parts.append(("upload", b"GIF89a", "x.gif"))
    body, content_type = multipart(parts)
    response = client.post(path, data=body, content_type=content_type)
    assert response.status_code == 400
    assert NO_FILES in response.text
    assert readers(app) == 1
    assert client.get("/account").status_code == 302
    assert sign_in(client).status_code == 303


@pytest.mark.parametrize(
    ("path", "fields"),
    [
        ("/account/display-name", {"name-display_name": "Renamed"}),
        (
            "/account/password",
            {
                "password-current_password": PASSWORD,
                "password-new_password": "a brand new passphrase",
            },
        ),
        ("/threads/demo/t/a1", {"body": "From the form"}),
        ("/threads/demo/c/{theirs}/report/a1", {"reason": "other", "text": "Words"}),
        ("/threads/demo/c/{theirs}/vote/a1", {"value": "1"}),
    ],
    ids=["display-name", "password", "comment", "report", "vote"],
)
def test_a_file_part_in_a_signed_in_form_is_refused_and_nothing_changes(app, thread, path, fields):
    before = (snapshot(app, 1), comments_state(app), counts_of(app, Report))
    name = next(iter(fields))
    parts = [(k, v.encode(), "x.txt" if k == name else None) for k, v in fields.items()]
    body, content_type = multipart(parts)
    url = path.format(theirs=thread.comment_id)
    response = thread.client.post(url, data=body, content_type=content_type)
    assert response.status_code == 400
    assert NO_FILES in response.text
    assert (snapshot(app, 1), comments_state(app), counts_of(app, Report)) == before
    assert thread.client.get("/account").status_code == 200


@pytest.mark.parametrize(
    "body",
    [b"half \xed\xa0\x80 a pair", b"low \xed\xb0\x80 alone"],
    ids=["high", "low"],
)
def test_surrogate_bytes_in_a_comment_form_are_refused(app, thread, body):
    before = comments_state(app)
    form = b"body=" + quote_from_bytes(body).encode()
    parts, multipart_type = multipart([("body", body, None)])
    for data, content_type in [(form, FORM), (parts, multipart_type)]:
        response = thread.client.post("/threads/demo/t/a1", data=data, content_type=content_type)
        assert response.status_code in (400, 422)
    assert comments_state(app) == before


def old_cursor(value: str) -> str:
    return base64.urlsafe_b64encode(value.encode()).decode().rstrip("=")


@pytest.mark.parametrize(
    "cursor",
    [
        old_cursor("[" * 50_000),
        old_cursor(nested(5000, "0, 1")),
        "[" * 2000,
        "0.1." + "9" * 30,
        "0." + "9" * 30 + ".1",
        "1.0.18446744073709551616",
        "0.0.1" + "\u0661",
    ],
    ids=["base64-brackets", "base64-nested", "brackets", "big-id", "big-score", "u64", "digit"],
)
def test_a_hostile_page_cursor_is_a_400_with_a_message(app, thread, cursor):
    response = thread.client.get(THREAD_API, query_string={"after": cursor})
    assert response.status_code == 400
    assert response.get_json() == {"error": "That page link is not valid."}
    page = thread.client.get("/threads/demo/t/a1", query_string={"after": cursor})
    assert page.status_code == 400
    assert "That page link is not valid." in page.text


def test_the_next_page_cursor_still_leads_on(app, thread):
    for n in range(3):
        assert thread.client.post(THREAD_API, json={"body": f"More {n}"}).status_code == 201
    first = thread.client.get(THREAD_API, query_string={"limit": 2}).get_json()
    assert first["next_cursor"]
    second = thread.client.get(
        THREAD_API, query_string={"limit": 2, "after": first["next_cursor"]}
    ).get_json()
    shown = [c["id"] for c in first["comments"] + second["comments"]]
    assert len(shown) == len(set(shown)) == 4


THIRTY = "9" * 30


@pytest.mark.parametrize(
    "path",
    [
        f"/policies/terms/v{THIRTY}",
        f"/policies/privacy/v{THIRTY}",
        f"/sites/demo/policies/cookies/v{THIRTY}",
        f"/api/v1/comments/{THIRTY}",
        "/policies/terms/v9223372036854775808",
        # Past PostgreSQL's INTEGER (ids are INTEGER columns), well inside SQLite's.
        "/api/v1/comments/2147483648",
        "/api/v1/comments/85460242103000832",
        "/moderation/threads/2147483648",
    ],
)
def test_a_30_digit_number_in_a_path_is_not_found(app, thread, path):
    response = thread.client.get(path)
    assert response.status_code in (404, 405)
    assert response.status_code != 405 or "Allow" in response.headers


@pytest.mark.parametrize("number", [THIRTY, str(2**31)])
@pytest.mark.parametrize("method", ["PATCH", "DELETE"])
def test_a_30_digit_comment_id_to_write_is_not_found(app, thread, method, number):
    before = comments_state(app)
    response = thread.client.open(f"/api/v1/comments/{number}", method=method, json={"body": "x"})
    assert response.status_code == 404
    assert comments_state(app) == before


def test_a_30_digit_page_number_is_refused(app, client):
    make_reader(app, "admin@example.org", "Admin", is_admin=True)
    sign_in(client, "admin@example.org")
    for number in (THIRTY, str(2**31)):
        response = client.get("/admin/consent", query_string={"page": number})
        assert response.status_code == 400
    assert "A number in the request is too large." in response.text
    assert client.get("/admin/consent", query_string={"page": "2"}).status_code in (200, 404)


def test_a_30_digit_policy_version_in_a_consent_decision_is_refused(app, client):
    with app.app_context():
        sites.create_site("demo", "Demo", [SITE_ORIGIN])
    cfg = client.get("/api/v1/sites/demo/consent-config").get_json()
    decision = {
        "site": "demo",
        "action": "accept_all",
        "source": "banner",
        "granted": ["necessary", *cfg["categories"]],
        "refused": [],
        "revision": int(THIRTY),
        "settings_version": cfg["settings_version"],
        "language": cfg["language"],
        "text_hash": cfg["text_hash"],
    }
    response = client.post("/api/v1/consent", json=decision, headers={"Origin": SITE_ORIGIN})
    assert response.status_code == 400
    assert counts_of(app, ConsentRecord) == 0


@pytest.mark.parametrize(
    ("path", "allowed"),
    [
        ("/api/v1/consent", {"POST", "OPTIONS"}),
        ("/api/v1/sites/demo/counts", {"GET", "HEAD", "OPTIONS"}),
        ("/auth/sign-in", {"GET", "HEAD", "POST", "OPTIONS"}),
    ],
)
@pytest.mark.parametrize("method", ["TRACE", "PUT", "CONNECT"])
def test_an_unsupported_method_is_a_405_that_says_what_is_allowed(client, path, allowed, method):
    response = client.open(path, method=method)
    assert response.status_code == 405
    assert {m.strip() for m in response.headers["Allow"].split(",")} == allowed


def test_a_nul_in_the_address_is_refused_before_any_lookup(app, thread):
    # PostgreSQL cannot compare text with a NUL: it must never reach a query.
    response = thread.client.get("/api/v1/sites/demo/counts", query_string={"thread": "a\x001"})
    assert response.status_code == 400
    assert response.get_json() == {"error": "The address contains characters that cannot be used."}
    assert thread.client.get("/api/v1/sites/de%00mo/counts?thread=a1").status_code == 404
    assert thread.client.get("/api/v1/sites/demo/counts?thread=a1").get_json() == {
        "counts": {"a1": 2}
    }
