"""The popup's e-mailed codes, from an attacker's side: guessing, replaying, swapping
sessions, probing which addresses have accounts, and hostile input."""

from __future__ import annotations

import hashlib
import re
from datetime import timedelta

import pytest
from sqlalchemy import select, update

from commentsvc.accounts.models import EmailCode, Reader
from commentsvc.core.extensions import db, utcnow
from tests.accounts.popup_support import (
    CODE,
    HANDOFF,
    NEW_PASSWORD,
    OPENED,
    RESEND,
    RESET,
    SIGN_UP,
    code_in,
    enter,
    make_site,
    other_code,
    sign_up,
)
from tests.conftest import build_app
from tests.factories import PASSWORD, make_reader, sign_in

NEW = "new.reader@example.org"
DEAD = "This code has expired or was tried too often"


@pytest.fixture(autouse=True)
def site(app) -> int:
    return make_site(app)


def pending_code(client, inbox, deliver, address: str = NEW) -> str:
    sign_up(client, email=address)
    deliver()
    return code_in(inbox.last_to(address))


def is_verified(app, address: str = NEW) -> bool:
    with app.app_context():
        reader = db.session.scalar(select(Reader).where(Reader.email == address))
        return reader is not None and reader.is_verified


def test_the_code_is_six_digits_and_stored_only_as_a_keyed_hash(app, client, inbox, deliver):
    code = pending_code(client, inbox, deliver)
    assert len(code) == 6
    assert code.isascii()
    assert code.isdigit()
    with app.app_context():
        [row] = db.session.scalars(select(EmailCode))
        assert code not in row.code_hash
        assert row.code_hash != hashlib.sha256(code.encode()).hexdigest()


def test_five_wrong_tries_kill_the_code_even_for_the_right_one(app, client, inbox, deliver):
    code = pending_code(client, inbox, deliver)
    for remaining in (4, 3, 2, 1):
        response = enter(client, other_code(code))
        assert response.status_code == 422
        assert f"You can try {remaining} more time" in response.text
    assert DEAD in enter(client, other_code(code)).text
    response = enter(client, code)
    assert response.status_code == 422
    assert DEAD in response.text
    assert not is_verified(app)


def test_a_new_code_kills_the_older_one(app, client, inbox, deliver):
    old = pending_code(client, inbox, deliver)
    response = client.post(RESEND, follow_redirects=True)
    assert "We sent a new code" in response.text
    deliver()
    new = code_in(inbox.last_to(NEW))
    if new == old:  # one chance in a million: ask once more
        client.post(RESEND)
        deliver()
        new = code_in(inbox.last_to(NEW))
    response = enter(client, old)
    assert response.status_code == 422
    assert "That code is not right" in response.text
    assert not is_verified(app)
    assert enter(client, new).headers["Location"] == HANDOFF


def test_an_expired_code_is_refused(app, client, inbox, deliver):
    code = pending_code(client, inbox, deliver)
    with app.app_context():
        db.session.execute(update(EmailCode).values(expires_at=utcnow() - timedelta(seconds=1)))
        db.session.commit()
    assert DEAD in enter(client, code).text
    assert not is_verified(app)


def test_a_used_code_cannot_be_replayed_with_the_old_session(app, client, inbox, deliver):
    code = pending_code(client, inbox, deliver)
    cookie = client.get_cookie("commentsvc_session")
    assert cookie is not None
    assert enter(client, code).headers["Location"] == HANDOFF
    replay = app.test_client()
    replay.set_cookie("commentsvc_session", cookie.value)
    response = enter(replay, code)
    assert response.status_code == 422
    assert DEAD in response.text


def test_a_code_of_reader_a_cannot_verify_reader_b(app, inbox, deliver):
    a, b = app.test_client(), app.test_client()
    code_a = pending_code(a, inbox, deliver, "a@example.org")
    pending_code(b, inbox, deliver, "b@example.org")
    # B types A's code, and names A's address in the form: the session decides.
    response = b.post(CODE, data={"code": code_a, "email": "a@example.org"})
    assert response.status_code == 422
    assert not is_verified(app, "a@example.org")
    assert not is_verified(app, "b@example.org")
    # A's code still works for A.
    assert enter(a, code_a).headers["Location"] == HANDOFF


def test_a_password_change_kills_pending_codes(app, client, inbox, deliver):
    make_reader(app, email="reader@example.org")
    client.post(RESET, data={"email": "reader@example.org"})
    deliver()
    code = code_in(inbox.last_to("reader@example.org"))
    owner = app.test_client()
    sign_in(owner, "reader@example.org")
    response = owner.post(
        "/account/password",
        data={
            "password-current_password": PASSWORD,
            "password-new_password": "another long passphrase",
        },
    )
    assert response.status_code in (200, 303)
    assert DEAD in enter(client, code).text


def test_a_reset_code_proven_once_gives_one_password_change(app, client, inbox, deliver):
    make_reader(app, email="reader@example.org")
    client.post(RESET, data={"email": "reader@example.org"})
    deliver()
    code = code_in(inbox.last_to("reader@example.org"))
    assert enter(client, code).headers["Location"] == NEW_PASSWORD
    cookie = client.get_cookie("commentsvc_session")
    assert cookie is not None
    client.post(NEW_PASSWORD, data={"password": "the first new passphrase"})
    replay = app.test_client()
    replay.set_cookie("commentsvc_session", cookie.value)
    response = replay.post(NEW_PASSWORD, data={"password": "the attacker's passphrase"})
    assert response.status_code == 400
    assert (
        sign_in(app.test_client(), "reader@example.org", "the first new passphrase").status_code
        == 303
    )


def normalised(page: str, address: str) -> str:
    """The page with the address typed and the session's CSRF token taken out."""
    return re.sub(r'name="csrf_token" value="[^"]*"', "", page.replace(address, "ADDRESS"))


def test_sign_up_with_a_registered_address_looks_the_same_and_tells_the_owner(app, inbox, deliver):
    make_reader(app, email="taken@example.org", display_name="Owner")
    new, taken = app.test_client(), app.test_client()
    first = sign_up(new, email="free@example.org")
    second = sign_up(taken, email="taken@example.org")
    assert (first.status_code, first.headers["Location"]) == (303, CODE)
    assert (second.status_code, second.headers["Location"]) == (303, CODE)
    assert normalised(new.get(CODE).text, "free@example.org") == normalised(
        taken.get(CODE).text, "taken@example.org"
    )
    deliver()
    code = code_in(inbox.last_to("free@example.org"))
    msg = inbox.last_to("taken@example.org")
    assert "tried to create an account" in msg["Subject"]
    assert "you already have an account" in msg.get_body().get_content()

    # Any code is "wrong" for the registered address, exactly as a wrong code for the other.
    wrong_new = enter(new, other_code(code))
    wrong_taken = enter(taken, other_code(code))
    assert wrong_new.status_code == wrong_taken.status_code == 422
    assert normalised(wrong_new.text, "free@example.org") == normalised(
        wrong_taken.text, "taken@example.org"
    )
    assert "Your address is not verified yet" in taken.post(OPENED, follow_redirects=True).text
    # The resend step looks the same too, and the owner is told again.
    assert taken.post(RESEND).headers["Location"] == CODE
    deliver()
    assert len(inbox.to("taken@example.org")) == 2
    with app.app_context():
        owner = db.session.scalar(select(Reader).where(Reader.email == "taken@example.org"))
        assert owner is not None
        assert owner.display_name == "Owner"


def test_reset_for_an_unknown_address_looks_the_same(app, inbox, deliver):
    make_reader(app, email="reader@example.org")
    known, unknown = app.test_client(), app.test_client()
    first = known.post(RESET, data={"email": "reader@example.org"})
    second = unknown.post(RESET, data={"email": "nobody@example.org"})
    assert first.headers["Location"] == second.headers["Location"] == CODE
    assert normalised(known.get(CODE).text, "reader@example.org") == normalised(
        unknown.get(CODE).text, "nobody@example.org"
    )
    deliver()
    code = code_in(inbox.last_to("reader@example.org"))
    assert inbox.to("nobody@example.org") == []
    wrong_known = enter(known, other_code(code))
    wrong_unknown = enter(unknown, other_code(code))
    assert normalised(wrong_known.text, "reader@example.org") == normalised(
        wrong_unknown.text, "nobody@example.org"
    )


@pytest.mark.parametrize(
    "typed",
    [
        "١٢٣٤٥٦",  # Arabic-Indic digits
        "\uff11\uff12\uff13\uff14\uff15\uff16",  # fullwidth digits
        "1234567",
        "12345",
        "12a456",
        "",
        "1" * 5000,
        "123456\x00",
    ],
)
def test_malformed_codes_are_refused_without_using_up_a_try(app, client, inbox, deliver, typed):
    code = pending_code(client, inbox, deliver)
    # The same malformed input as often as the limit allows: none of it counts as a try.
    for _ in range(6):
        response = enter(client, typed)
        assert response.status_code == 422
        assert "aria-invalid" in response.text
    assert enter(client, code).headers["Location"] == HANDOFF


def test_the_real_code_in_other_digits_is_not_the_code(app, client, inbox, deliver):
    code = pending_code(client, inbox, deliver)
    arabic = code.translate(str.maketrans("0123456789", "٠١٢٣٤٥٦٧٨٩"))
    assert enter(client, arabic).status_code == 422
    assert not is_verified(app)
    assert enter(client, f"{code[:3]} {code[3:]}").headers["Location"] == HANDOFF


@pytest.mark.parametrize(
    ("path", "data", "statuses"),
    [
        (SIGN_UP, {"email": "a" * 300_000}, {413}),
        (SIGN_UP, {"email": "a" * 1000 + "@example.org", "display_name": "x" * 5000}, {422}),
        (SIGN_UP, {"password": "p" * 100_000, "email": "a@example.org"}, {422}),
        (RESET, {"email": "a" * 5000}, {422}),
        (CODE, {"code": "9" * 300_000}, {413}),
    ],
)
def test_oversized_fields_are_refused_not_crashed(client, path, data, statuses):
    client.post(SIGN_UP, data={"email": "a@example.org"})  # so the code step has no session
    response = client.post(path, data=data)
    assert response.status_code in statuses | {303} if path == CODE else statuses


def test_resend_is_limited_per_address_across_spellings_and_ips(smtp_server, tmp_path, inbox):
    (tmp_path / "own").mkdir()
    app = build_app(tmp_path / "own", smtp_server.port, RATELIMIT_SIGN_UP="100 per hour")
    make_site(app)
    statuses = []
    for n, spelling in enumerate(
        ["a@example.org", "A@Example.org", "a@EXAMPLE.ORG", "A@example.org"]
    ):
        client = app.test_client()
        client.environ_base["REMOTE_ADDR"] = f"192.0.2.{n + 1}"
        sign_up(client, email=spelling, display_name=f"Reader {n}")
        statuses.append(client.post(RESEND).status_code)
    assert statuses == [303, 303, 303, 429]


def test_resend_is_limited_per_client_address(smtp_server, tmp_path, inbox):
    (tmp_path / "own").mkdir()
    app = build_app(
        tmp_path / "own",
        smtp_server.port,
        RATELIMIT_SIGN_UP="100 per hour",
        RATELIMIT_CODE_RESEND_IP="3 per 15 minutes",
    )
    make_site(app)
    client = app.test_client()
    statuses = []
    for n in range(4):
        sign_up(client, email=f"reader{n}@example.org", display_name=f"Reader {n}")
        statuses.append(client.post(RESEND).status_code)
    assert statuses == [303, 303, 303, 429]
    refused = client.post(RESEND)
    assert "You asked for new codes too often" in refused.text
    assert "Enter the code" in refused.text  # still the popup's step, not an error page
