"""The account page: name, password, e-mail address, sessions, export and deletion."""

from __future__ import annotations

import json
import re
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select
from werkzeug.test import TestResponse

from commentsvc.accounts.models import Reader
from commentsvc.core.extensions import db
from commentsvc.core.models import OutboxMessage
from tests.conftest import body_of, link_in
from tests.factories import PASSWORD, make_reader, sign_in

NEW_PASSWORD = "a brand new passphrase for me"


def signed_in(app: Flask, client: FlaskClient, **reader: Any) -> FlaskClient:
    make_reader(app, **reader)
    assert sign_in(client, reader.get("email", "reader@example.org")).status_code == 303
    return client


def can_sign_in(app: Flask, email: str, password: str = PASSWORD) -> bool:
    return sign_in(app.test_client(), email, password).status_code == 303


def flashes(html: str) -> str:
    match = re.search(r'<div role="status" class="flashes">(.*?)</div>', html, re.S)
    return match.group(1).strip() if match else ""


def outbox_count(app: Flask) -> int | None:
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(OutboxMessage))


def change_email(client: FlaskClient, new_email: str, password: str = PASSWORD) -> TestResponse:
    return client.post(
        "/account/email", data={"email-new_email": new_email, "email-current_password": password}
    )


def test_anonymous_visitor_is_sent_to_sign_in_and_back(app, client):
    make_reader(app)
    response = client.get("/account")
    assert response.status_code == 302
    target = urlsplit(response.location)
    assert target.path == "/auth/sign-in"
    assert parse_qs(target.query)["next"] == ["/account"]

    signed = sign_in(client, next_url="/account")
    assert signed.location == "/account"


def test_display_name_can_be_changed(app, client):
    signed_in(app, client)
    response = client.post("/account/display-name", data={"name-display_name": "  Şəhriyar  "})
    assert response.status_code == 303
    page = client.get("/account")
    assert "Your display name is now Şəhriyar." in page.text
    with app.app_context():
        assert db.session.scalar(select(Reader.display_name)) == "Şəhriyar"


@pytest.mark.parametrize("name", ["admin", "ADMIN", "\u0430dmin", "adm\u0456n"])
def test_a_taken_or_look_alike_display_name_is_refused(app, client, name):
    make_reader(app, email="admin@example.org", display_name="admin")
    signed_in(app, client)
    response = client.post("/account/display-name", data={"name-display_name": name})
    assert response.status_code == 422
    assert "one that looks the same, is already taken" in response.text
    with app.app_context():
        names = set(db.session.scalars(select(Reader.display_name)))
    assert names == {"admin", "Reader"}


def test_password_change_needs_the_current_password(app, client, inbox, deliver):
    signed_in(app, client)
    response = client.post(
        "/account/password",
        data={
            "password-current_password": "not my password",
            "password-new_password": NEW_PASSWORD,
        },
    )
    assert response.status_code == 422
    assert "That is not your current password." in response.text
    assert can_sign_in(app, "reader@example.org", PASSWORD)
    assert not can_sign_in(app, "reader@example.org", NEW_PASSWORD)
    assert deliver() == (0, 0)


def test_password_change_works_signs_out_other_devices_and_sends_an_email(
    app, client, inbox, deliver
):
    signed_in(app, client)
    phone = app.test_client()
    sign_in(phone)
    response = client.post(
        "/account/password",
        data={"password-current_password": PASSWORD, "password-new_password": NEW_PASSWORD},
    )
    assert response.status_code == 303
    assert client.get("/account").status_code == 200
    assert phone.get("/account").status_code == 302
    assert can_sign_in(app, "reader@example.org", NEW_PASSWORD)
    assert not can_sign_in(app, "reader@example.org", PASSWORD)
    deliver()
    assert "Your password was changed" in inbox.last_to("reader@example.org")["Subject"]


def test_email_change_needs_the_password(app, client, inbox, deliver):
    signed_in(app, client)
    response = change_email(client, "new@example.org", password="wrong password here")
    assert response.status_code == 422
    assert "That is not your current password." in response.text
    assert outbox_count(app) == 0


def test_email_change_takes_effect_only_after_the_link(app, client, inbox, deliver):
    signed_in(app, client)
    response = change_email(client, "New@Example.org")
    assert response.status_code == 303
    assert deliver() == (2, 0)
    confirm = inbox.last_to("new@example.org")
    assert "Confirm your new e-mail address" in confirm["Subject"]
    notice = inbox.last_to("reader@example.org")
    assert "new@example.org" in body_of(notice)
    assert "Nothing changes until" in body_of(notice)

    # Nothing has changed yet.
    assert can_sign_in(app, "reader@example.org")
    assert not can_sign_in(app, "new@example.org")

    followed = client.get(link_in(confirm))
    assert followed.status_code == 303
    assert "Your e-mail address is now new@example.org." in client.get("/account").text
    assert can_sign_in(app, "new@example.org")
    assert not can_sign_in(app, "reader@example.org")

    inbox.messages.clear()
    deliver()
    changed = inbox.last_to("reader@example.org")
    assert "Your e-mail address was changed" in changed["Subject"]
    assert "from reader@example.org to new@example.org" in body_of(changed)


def test_an_email_change_link_is_refused_once_the_address_has_moved_on(app, client, inbox, deliver):
    signed_in(app, client)
    change_email(client, "first@example.org")
    change_email(client, "second@example.org")
    deliver()
    first = link_in(inbox.last_to("first@example.org"))
    second = link_in(inbox.last_to("second@example.org"))

    assert client.get(second).status_code == 303
    response = client.get(first)
    assert response.status_code == 400
    assert "This link does not work" in response.text
    assert can_sign_in(app, "second@example.org")
    assert not can_sign_in(app, "first@example.org")


def test_changing_to_another_accounts_address_looks_the_same_but_sends_no_link(
    app, client, inbox, deliver
):
    make_reader(app, email="taken@example.org", display_name="Other")
    signed_in(app, client)

    free = change_email(client, "free@example.org")
    free_page = client.get("/account").text
    taken = change_email(client, "taken@example.org")
    taken_page = client.get("/account").text

    assert (free.status_code, free.location) == (taken.status_code, taken.location)
    assert flashes(free_page)
    assert flashes(free_page).replace("free@", "X@") == flashes(taken_page).replace("taken@", "X@")
    deliver()
    assert inbox.to("free@example.org")
    assert not inbox.to("taken@example.org")
    # The account owner is told about both requests.
    assert len(inbox.to("reader@example.org")) == 2
    assert can_sign_in(app, "taken@example.org")
    assert can_sign_in(app, "reader@example.org")


def test_sign_out_everywhere_ends_every_session(app, client):
    signed_in(app, client)
    tablet = app.test_client()
    sign_in(tablet)
    assert tablet.get("/account").status_code == 200

    response = client.post("/account/sign-out-everywhere")
    assert response.status_code == 303
    assert client.get("/account").status_code == 302
    assert tablet.get("/account").status_code == 302
    with app.app_context():
        reader = db.session.scalar(select(Reader))
        assert reader is not None
        assert reader.sessions == []


def test_download_my_data_gives_a_json_attachment_without_the_password_hash(app, client):
    client.post(
        "/auth/sign-up",
        data={
            "email": "data@example.org",
            "display_name": "Data Owner",
            "password": PASSWORD,
            "accept_terms": "y",
        },
    )
    sign_in(client, "data@example.org")

    response = client.post("/account/export")
    assert response.status_code == 200
    assert response.mimetype == "application/json"
    assert response.headers["Content-Disposition"].startswith("attachment;")
    data = json.loads(response.text)
    assert data["account"]["email"] == "data@example.org"
    assert data["account"]["display_name"] == "Data Owner"
    # A fresh installation's documents are the built-in version 1.
    assert {(a["document"], a["version"]) for a in data["policy_acceptances"]} == {
        ("terms", "1"),
        ("privacy", "1"),
    }
    assert len(data["sessions"]) == 1
    assert "password_hash" not in response.text
    assert "$argon2" not in response.text


def test_download_my_data_is_not_a_get(app, client):
    signed_in(app, client)
    assert client.get("/account/export").status_code == 405


def test_deleting_the_account_needs_the_password(app, client, inbox, deliver):
    signed_in(app, client)
    response = client.post("/account/delete", data={"delete-current_password": "wrong password!"})
    assert response.status_code == 422
    assert "That is not your current password." in response.text
    assert client.get("/account").status_code == 200
    assert can_sign_in(app, "reader@example.org")
    assert deliver() == (0, 0)


def test_deleting_the_account_removes_it_signs_out_and_confirms(app, client, inbox, deliver):
    signed_in(app, client)
    response = client.post("/account/delete", data={"delete-current_password": PASSWORD})
    assert response.status_code == 303
    assert "Your account has been deleted." in client.get(response.location).text

    assert client.get("/account").status_code == 302
    assert not can_sign_in(app, "reader@example.org")
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Reader)) == 0
    deliver()
    assert "Your account was deleted" in inbox.last_to("reader@example.org")["Subject"]
