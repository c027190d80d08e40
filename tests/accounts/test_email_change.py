"""Moving an account to another address, from the attacker's side.

Someone who once knew the password, or who opened an account with another person's
address, must not be able to move the account to their own address once the owner
has taken it back: every confirmation link dies with a password change, a reset,
"sign out everywhere", a newer request or the owner's cancel link.
"""

from __future__ import annotations

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select
from werkzeug.test import TestResponse

from commentsvc.accounts.models import Reader
from commentsvc.core.extensions import db
from commentsvc.core.models import OutboxMessage
from tests.conftest import Inbox, body_of, link_in
from tests.factories import PASSWORD, make_reader, sign_in

OWNER = "owner@example.org"
ATTACKER = "attacker@evil.example"
NEW_PASSWORD = "a brand new passphrase for me"


def change_email(client: FlaskClient, new_email: str, password: str = PASSWORD) -> TestResponse:
    return client.post(
        "/account/email", data={"email-new_email": new_email, "email-current_password": password}
    )


def address_of(app: Flask, reader_id: int) -> str:
    with app.app_context():
        reader = db.session.get(Reader, reader_id)
        assert reader is not None
        return reader.email


def can_sign_in(app: Flask, email: str, password: str) -> bool:
    return sign_in(app.test_client(), email, password).status_code == 303


def attacker_requests_change(app: Flask, inbox: Inbox, deliver) -> tuple[FlaskClient, str]:
    """The attacker signs in with the password they know and asks to move the account to
    their own address; returns their browser and the confirmation link from their mail."""
    attacker = app.test_client()
    assert sign_in(attacker, OWNER).status_code == 303
    assert change_email(attacker, ATTACKER).status_code == 303
    deliver()
    return attacker, link_in(inbox.last_to(ATTACKER))


def owner_changes_password(app: Flask) -> FlaskClient:
    owner = app.test_client()
    assert sign_in(owner, OWNER).status_code == 303
    response = owner.post(
        "/account/password",
        data={"password-current_password": PASSWORD, "password-new_password": NEW_PASSWORD},
    )
    assert response.status_code == 303
    return owner


def owner_resets_password(app: Flask, inbox: Inbox, deliver) -> None:
    owner = app.test_client()
    assert owner.post("/auth/reset", data={"email": OWNER}).status_code == 200
    deliver()
    assert owner.get(link_in(inbox.last_to(OWNER))).status_code == 303
    response = owner.post("/auth/reset/new-password", data={"password": NEW_PASSWORD})
    assert response.status_code == 303


def test_an_old_change_link_does_not_survive_the_owner_taking_the_account_back(app, inbox, deliver):
    owner_id = make_reader(app, email=OWNER)
    attacker, link = attacker_requests_change(app, inbox, deliver)

    owner = owner_changes_password(app)
    assert owner.post("/account/sign-out-everywhere").status_code == 303
    assert attacker.get("/account").status_code == 302

    # The link from the attacker's mailbox, opened signed out, moves nothing...
    followed = app.test_client().get(link)
    assert followed.status_code == 400
    assert "This link does not work" in followed.text
    assert address_of(app, owner_id) == OWNER
    # ...so a reset asked for the attacker's address reaches no account,
    inbox.messages.clear()
    app.test_client().post("/auth/reset", data={"email": ATTACKER})
    deliver()
    assert not inbox.to(ATTACKER)
    # and the owner keeps the account.
    assert can_sign_in(app, OWNER, NEW_PASSWORD)
    assert not can_sign_in(app, ATTACKER, NEW_PASSWORD)


@pytest.mark.parametrize(
    "killer", ["password change", "reset", "sign out everywhere", "newer request"]
)
def test_each_of_these_kills_a_pending_change_link(app, inbox, deliver, killer):
    owner_id = make_reader(app, email=OWNER)
    _, link = attacker_requests_change(app, inbox, deliver)

    if killer == "password change":
        owner_changes_password(app)
    elif killer == "reset":
        owner_resets_password(app, inbox, deliver)
    elif killer == "sign out everywhere":
        owner = app.test_client()
        sign_in(owner, OWNER)
        assert owner.post("/account/sign-out-everywhere").status_code == 303
    else:
        owner = app.test_client()
        sign_in(owner, OWNER)
        assert change_email(owner, "second@example.org").status_code == 303

    assert app.test_client().get(link).status_code == 400
    assert address_of(app, owner_id) == OWNER


def test_the_newest_change_link_still_works(app, client, inbox, deliver):
    owner_id = make_reader(app, email=OWNER)
    sign_in(client, OWNER)
    change_email(client, "first@example.org")
    change_email(client, "second@example.org")
    deliver()
    first = link_in(inbox.last_to("first@example.org"))
    second = link_in(inbox.last_to("second@example.org"))

    assert client.get(first).status_code == 400
    assert client.get(second).status_code == 303
    assert address_of(app, owner_id) == "second@example.org"


def test_an_account_signed_up_with_someone_elses_address_cannot_be_moved(
    app, client, inbox, deliver
):
    # The attacker signs up with the victim's address, which they cannot verify...
    response = client.post(
        "/auth/sign-up",
        data={
            "email": OWNER,
            "display_name": "Squatter",
            "password": PASSWORD,
            "accept_terms": "y",
        },
    )
    assert response.status_code == 200
    assert sign_in(client, OWNER).status_code == 303

    # ...and asks to move the account to their own address: refused, and nothing is sent.
    inbox.messages.clear()
    with app.app_context():
        queued = db.session.scalar(select(func.count()).select_from(OutboxMessage))
    refused = change_email(client, ATTACKER)
    assert refused.status_code == 422
    assert "Verify your current address first" in refused.text
    assert "sign up again with the address you want" in refused.text
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(OutboxMessage)) == queued
    deliver()
    assert not inbox.to(ATTACKER)

    # The victim later resets into the account; it stays theirs and the squatter is out.
    owner_resets_password(app, inbox, deliver)
    assert client.get("/account").status_code == 302
    assert can_sign_in(app, OWNER, NEW_PASSWORD)
    assert not can_sign_in(app, OWNER, PASSWORD)


def test_the_cancel_link_in_the_notice_kills_every_pending_change(app, inbox, deliver):
    owner_id = make_reader(app, email=OWNER)
    attacker = app.test_client()
    sign_in(attacker, OWNER)
    change_email(attacker, ATTACKER)
    change_email(attacker, "accomplice@evil.example")
    deliver()
    links = [link_in(inbox.last_to(ATTACKER)), link_in(inbox.last_to("accomplice@evil.example"))]
    notice = inbox.to(OWNER)[0]
    assert "cancel the change" in body_of(notice)
    cancel = link_in(notice)

    # The owner opens it without signing in: a page with a button, then the cancellation.
    owner = app.test_client()
    page = owner.get(cancel)
    assert page.status_code == 200
    assert "Cancel the change" in page.text
    done = owner.post(cancel)
    assert done.status_code == 200
    assert "The change is cancelled" in done.text
    assert "Change it now" in done.text

    for link in links:
        assert app.test_client().get(link).status_code == 400
    assert address_of(app, owner_id) == OWNER
    # It only cancels: the password is unchanged and nobody was signed out.
    assert attacker.get("/account").status_code == 200
    assert can_sign_in(app, OWNER, PASSWORD)


def test_the_cancel_link_does_nothing_but_cancel(app, client, inbox, deliver):
    make_reader(app, email=OWNER)
    sign_in(client, OWNER)
    change_email(client, "new@example.org")
    deliver()
    cancel_token = link_in(inbox.last_to(OWNER)).rsplit("/", 1)[1]
    confirm_token = link_in(inbox.last_to("new@example.org")).rsplit("/", 1)[1]

    # Not a confirmation link, not a reset link; and a confirmation link does not cancel.
    assert app.test_client().get(f"/account/email/confirm/{cancel_token}").status_code == 400
    assert app.test_client().get(f"/auth/reset/{cancel_token}").status_code == 400
    assert app.test_client().get(f"/account/email/cancel/{confirm_token}").status_code == 400
    assert app.test_client().post(f"/account/email/cancel/{confirm_token}").status_code == 400
    tampered = cancel_token[:3] + ("A" if cancel_token[3] != "A" else "B") + cancel_token[4:]
    assert app.test_client().post(f"/account/email/cancel/{tampered}").status_code == 400
    # The change confirmed, the notice's cancel link is dead: the address it went to
    # no longer holds the account.
    assert client.get(f"/account/email/confirm/{confirm_token}").status_code == 303
    assert app.test_client().post(f"/account/email/cancel/{cancel_token}").status_code == 400


def test_an_unverified_account_is_told_to_verify_first(app, client, inbox, deliver):
    make_reader(app, email=OWNER, verified=False)
    sign_in(client, OWNER)
    response = change_email(client, "new@example.org")
    assert response.status_code == 422
    assert "Verify your current address first" in response.text
    assert deliver() == (0, 0)
