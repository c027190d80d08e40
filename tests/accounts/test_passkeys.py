"""Passkeys through the real routes: adding, signing in, removing, and the attacks a
passkey sign-in must refuse (replays, foreign origins and relying parties, another
reader's credential, expired challenges, floods)."""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from commentsvc.accounts import reset
from commentsvc.accounts.models import Passkey, PasskeyChallenge, Reader
from commentsvc.comments import sites
from commentsvc.core import tokens
from commentsvc.core.extensions import db, utcnow
from commentsvc.moderation.models import AuditEntry
from tests.accounts.passkey_support import SoftPasskey
from tests.conftest import Inbox, body_of, build_app
from tests.factories import PASSWORD, make_reader, sign_in


def add_passkey(client: FlaskClient, key: SoftPasskey, name: str = "Laptop") -> dict[str, Any]:
    options = client.post("/account/passkeys/options").get_json()
    response = client.post(
        "/account/passkeys", json={"credential": key.register(options), "name": name}
    )
    return {"status": response.status_code, **(response.get_json() or {})}


def passkey_sign_in(client: FlaskClient, key: SoftPasskey, next_url: str = "", **sign_args):
    options = client.post("/auth/passkey/options").get_json()
    url = "/auth/passkey/sign-in" + (f"?next={next_url}" if next_url else "")
    return client.post(url, json={"credential": key.sign(options, **sign_args)}), options


@pytest.fixture
def key(app: Flask, client: FlaskClient) -> SoftPasskey:
    """A passkey added to reader@example.org's account; the client is signed out again."""
    make_reader(app)
    sign_in(client)
    key = SoftPasskey()
    assert add_passkey(client, key)["status"] == 200
    client.post("/auth/sign-out")
    return key


def test_a_reader_adds_a_passkey_and_is_told_by_mail(app, client, inbox: Inbox, deliver):
    make_reader(app)
    sign_in(client)
    answer = add_passkey(client, SoftPasskey(), name="  My   phone ")
    assert answer["status"] == 200
    assert answer["redirect"].startswith("/account")
    page = client.get("/account").get_data(as_text=True)
    assert "My phone" in page
    assert "not used yet" in page
    deliver()
    mail = inbox.last_to("reader@example.org")
    assert mail["Subject"] == "A passkey was added to your account"
    assert "My phone" in body_of(mail)
    # A reader who is not staff leaves no audit entry.
    with app.app_context():
        assert db.session.query(AuditEntry).count() == 0


def test_the_same_authenticator_cannot_be_added_twice(app, client):
    make_reader(app)
    sign_in(client)
    key = SoftPasskey()
    assert add_passkey(client, key)["status"] == 200
    again = add_passkey(client, key, name="Again")
    assert again["status"] == 403
    assert "could not be used" in again["error"]


def test_a_passkey_needs_a_name(app, client):
    make_reader(app)
    sign_in(client)
    answer = add_passkey(client, SoftPasskey(), name="   ")
    assert answer["status"] == 422
    assert "Give the passkey a name" in answer["error"]


def test_sign_in_with_a_passkey_needs_no_address_and_updates_last_use(app, client, key):
    response, _ = passkey_sign_in(client, key)
    assert response.status_code == 200
    assert response.get_json()["redirect"] == "/account"
    page = client.get("/account").get_data(as_text=True)
    assert "Your account" in page
    assert "last used" in page
    with app.app_context():
        passkey = db.session.query(Passkey).one()
        assert passkey.sign_count == 1
        assert passkey.last_used_at is not None


def test_the_popup_sign_in_hands_over_like_a_password(app, client, key):
    with app.app_context():
        sites.create_site("demo", "Demo News", ["http://127.0.0.1:8001"])
    response, _ = passkey_sign_in(client, key, next_url="/auth/embed-sign-in?site=demo")
    target = response.get_json()["redirect"]
    assert target == "/auth/embed-sign-in?site=demo"
    handoff = client.get(target).get_data(as_text=True)
    assert 'data-code="' in handoff


def test_a_replayed_answer_is_refused(app, client, key):
    options = client.post("/auth/passkey/options").get_json()
    answer = key.sign(options)
    assert client.post("/auth/passkey/sign-in", json={"credential": answer}).status_code == 200
    client.post("/auth/sign-out")
    # The same answer again, in a session that asked for a new challenge.
    client.post("/auth/passkey/options")
    replay = client.post("/auth/passkey/sign-in", json={"credential": answer})
    assert replay.status_code == 403
    # And with no challenge waiting at all.
    assert client.post("/auth/passkey/sign-in", json={"credential": answer}).status_code == 403


def test_a_challenge_works_once(app, client, key):
    options = client.post("/auth/passkey/options").get_json()
    first = client.post("/auth/passkey/sign-in", json={"credential": key.sign(options)})
    assert first.status_code == 200
    with client.session_transaction() as session:
        assert "passkey_sign_in" not in session
    with app.app_context():
        assert db.session.query(PasskeyChallenge).count() == 0


def test_an_expired_challenge_is_refused(app, client, key):
    options = client.post("/auth/passkey/options").get_json()
    with app.app_context():
        row = db.session.query(PasskeyChallenge).one()
        row.expires_at = utcnow() - timedelta(seconds=1)
        db.session.commit()
    response = client.post("/auth/passkey/sign-in", json={"credential": key.sign(options)})
    assert response.status_code == 403


@pytest.mark.parametrize(
    "sign_args",
    [
        {"origin": "http://evil.example"},
        {"origin": "http://localhost:5001"},
        {"rp_id": "evil.example"},
    ],
    ids=["foreign-origin", "other-port", "foreign-rp-id"],
)
def test_foreign_origins_and_relying_parties_are_refused(app, client, key, sign_args):
    response, _ = passkey_sign_in(client, key, **sign_args)
    assert response.status_code == 403
    assert client.get("/account").status_code == 302


def test_another_readers_credential_id_does_not_sign_in(app, client, key):
    """An attacker's own passkey, answering with the victim's credential id, fails the
    signature; and the victim's id with the attacker's user handle is refused too."""
    victim = key
    make_reader(app, email="mallory@example.org", display_name="Mallory")
    sign_in(client, "mallory@example.org")
    mallory = SoftPasskey()
    assert add_passkey(client, mallory)["status"] == 200
    client.post("/auth/sign-out")
    response, _ = passkey_sign_in(client, mallory, credential_id=victim.credential_id)
    assert response.status_code == 403
    response, _ = passkey_sign_in(client, victim, user_handle=mallory.user_handle)
    assert response.status_code == 403
    assert client.get("/account").status_code == 302


def test_the_second_step_takes_only_the_readers_own_passkey(app, client, key):
    """A staff member's second step refuses another reader's passkey."""
    make_reader(app, email="admin@example.org", display_name="Admin", is_admin=True)
    sign_in(client, "admin@example.org")
    admin_key = SoftPasskey()
    assert add_passkey(client, admin_key)["status"] == 200
    client.post("/auth/sign-out")
    response = sign_in(client, "admin@example.org")
    assert response.headers["Location"] == "/auth/two-step"
    options = client.post("/auth/two-step/passkey/options").get_json()
    wrong = client.post("/auth/two-step/passkey", json={"credential": key.sign(options)})
    assert wrong.status_code == 403
    options = client.post("/auth/two-step/passkey/options").get_json()
    right = client.post("/auth/two-step/passkey", json={"credential": admin_key.sign(options)})
    assert right.status_code == 200
    assert right.get_json()["redirect"] == "/admin"
    assert client.get("/admin").status_code == 200


def test_a_garbage_answer_is_a_clear_refusal(app, client, key):
    client.post("/auth/passkey/options")
    for body in (
        {"credential": "not json"},
        {"credential": json.dumps([1])},
        {},
        {"credential": "x" * 20000},
    ):
        response = client.post("/auth/passkey/sign-in", json=body)
        assert response.status_code == 403
        assert "could not be used" in response.get_json()["error"]


def test_removing_a_passkey_stops_it_and_mails_the_reader(app, client, key, inbox, deliver):
    sign_in(client)
    with app.app_context():
        passkey_id = db.session.query(Passkey.id).scalar()
    response = client.post(f"/account/passkeys/{passkey_id}/remove")
    assert response.status_code == 303
    client.post("/auth/sign-out")
    refused, _ = passkey_sign_in(client, key)
    assert refused.status_code == 403
    deliver()
    assert (
        inbox.last_to("reader@example.org")["Subject"] == "A passkey was removed from your account"
    )


def test_another_readers_passkey_cannot_be_removed(app, client, key):
    make_reader(app, email="mallory@example.org", display_name="Mallory")
    sign_in(client, "mallory@example.org")
    with app.app_context():
        passkey_id = db.session.query(Passkey.id).scalar()
    client.post(f"/account/passkeys/{passkey_id}/remove")
    with app.app_context():
        assert db.session.query(Passkey).count() == 1


def test_sign_out_everywhere_and_a_reset_keep_passkeys(app, client, key):
    sign_in(client)
    client.post("/account/sign-out-everywhere")
    with app.app_context():
        reader = db.session.query(Reader).one()
        token = tokens.PASSWORD_RESET.make(reset._reset_payload(reader))
        reset.reset_password(token, "another long passphrase")
        assert db.session.query(Passkey).count() == 1
    response, _ = passkey_sign_in(client, key)
    assert response.status_code == 200


def test_passkey_sign_in_is_rate_limited(smtp_server, tmp_path):
    app = build_app(tmp_path, smtp_server.port, RATELIMIT_PASSKEY="3 per minute")
    client = app.test_client()
    statuses = [client.post("/auth/passkey/options").status_code for _ in range(4)]
    assert statuses == [200, 200, 200, 429]


def test_the_data_export_names_passkeys_but_holds_no_key(app, client, key):
    sign_in(client)
    data = json.loads(client.post("/account/export").get_data(as_text=True))
    assert [p["name"] for p in data["passkeys"]] == ["Laptop"]
    assert data["authenticator_app"] is False
    assert "public_key" not in json.dumps(data)
    assert "credential" not in json.dumps(data)


def test_deleting_the_account_deletes_its_passkeys(app, client, key):
    sign_in(client)
    assert (
        client.post("/account/delete", data={"delete-current_password": PASSWORD}).status_code
        == 303
    )
    with app.app_context():
        assert db.session.query(Passkey).count() == 0


def test_an_admin_signing_in_with_a_passkey_needs_no_further_step(smtp_server, tmp_path):
    app = build_app(tmp_path, smtp_server.port, ADMINS_NEED_SECOND_FACTOR=True)
    client = app.test_client()
    make_reader(app, email="admin@example.org", display_name="Admin", is_admin=True)
    sign_in(client, "admin@example.org")
    # No factor yet: the admin pages wait for one; the account page is open.
    assert client.get("/admin").headers["Location"] == "/account#two-step-heading"
    admin_key = SoftPasskey()
    assert add_passkey(client, admin_key)["status"] == 200
    assert client.get("/admin").status_code == 200
    client.post("/auth/sign-out")
    response, _ = passkey_sign_in(client, admin_key)
    assert response.get_json()["redirect"] == "/admin"
    assert client.get("/admin").status_code == 200
    # The last passkey of an admin who must have a factor stays.
    with app.app_context():
        passkey_id = db.session.query(Passkey.id).scalar()
    client.post(f"/account/passkeys/{passkey_id}/remove")
    with app.app_context():
        assert db.session.query(Passkey).count() == 1
        actions = [e.action for e in db.session.query(AuditEntry).order_by(AuditEntry.id)]
        assert actions == ["passkey_add"]
