"""Sign-up, e-mail verification and the unverified-reader notice."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from commentsvc.accounts.models import Reader
from commentsvc.consent.models import PolicyAcceptance
from commentsvc.core.extensions import db
from tests.conftest import link_in
from tests.factories import PASSWORD, make_reader, sign_in

FORM = {
    "email": "New.Reader@Example.ORG ",
    "display_name": "New Reader",
    "password": PASSWORD,
    "accept_terms": "y",
}


def test_sign_up_sends_a_verification_link_that_verifies(app, client, inbox, deliver):
    response = client.post("/auth/sign-up", data=FORM)
    assert response.status_code == 200
    assert "Check your inbox" in response.text

    assert deliver() == (1, 0)
    msg = inbox.last_to("new.reader@example.org")
    assert "Verify" in msg["Subject"]

    sign_in(client, "new.reader@example.org")
    page = client.get("/account")
    assert "Please verify your e-mail address before you comment" in page.text

    response = client.get(link_in(msg))
    assert response.status_code == 303
    page = client.get("/account")
    assert "Please verify your e-mail address" not in page.text
    assert "(verified)" in page.text


def test_sign_up_records_the_accepted_policy_versions(app, client):
    client.post("/auth/sign-up", data=FORM)
    with app.app_context():
        reader = db.session.scalar(select(Reader))
        assert reader is not None
        assert reader.email == "new.reader@example.org"
        accepted = {(a.document, a.version) for a in db.session.scalars(select(PolicyAcceptance))}
    # A fresh installation's documents are the built-in version 1.
    assert accepted == {("terms", "1"), ("privacy", "1")}


def test_terms_checkbox_is_unticked_and_required(client):
    page = client.get("/auth/sign-up")
    assert 'name="accept_terms"' in page.text
    assert "checked" not in page.text
    response = client.post("/auth/sign-up", data={**FORM, "accept_terms": ""})
    assert response.status_code == 422
    assert "You need to accept the terms" in response.text


def test_sign_up_with_a_registered_address_looks_the_same_and_warns_the_owner(
    app, client, inbox, deliver
):
    make_reader(app, email="taken@example.org", display_name="Owner")
    response = client.post(
        "/auth/sign-up", data={**FORM, "email": "taken@example.org", "display_name": "Someone"}
    )
    assert response.status_code == 200
    assert "Check your inbox" in response.text
    deliver()
    msg = inbox.last_to("taken@example.org")
    assert "tried to create an account" in msg["Subject"]
    with app.app_context():
        assert (
            db.session.scalar(
                select(Reader.display_name).where(Reader.email == "taken@example.org")
            )
            == "Owner"
        )


def test_resend_verification_sends_a_new_link(app, client, inbox, deliver):
    make_reader(app, email="slow@example.org", display_name="Slow", verified=False)
    sign_in(client, "slow@example.org")
    response = client.post("/auth/verify/resend")
    assert response.status_code == 303
    deliver()
    msg = inbox.last_to("slow@example.org")
    client.get(link_in(msg))
    assert "(verified)" in client.get("/account").text


def test_a_tampered_verification_link_is_refused(app, client, inbox, deliver):
    client.post("/auth/sign-up", data=FORM)
    deliver()
    link = link_in(inbox.last_to("new.reader@example.org"))
    response = client.get(link[:-3] + "abc")
    assert response.status_code == 400
    assert "This link does not work" in response.text


# --- display names: held by verified readers only --------------------------------------------

TAKEN = "This display name, or one that looks the same, is already taken."


def sign_up_as(client, email: str, name: str):
    return client.post(
        "/auth/sign-up",
        data={"email": email, "display_name": name, "password": PASSWORD, "accept_terms": "y"},
    )


def verification_link(inbox, deliver, email: str) -> str:
    deliver()
    return link_in(inbox.last_to(email))


@pytest.mark.parametrize("asked", ["Alice", "ALICE", "\u0410lice"])  # Cyrillic capital A
def test_a_name_held_only_by_an_unverified_sign_up_is_not_reported_taken(app, client, asked):
    # The attacker's oracle: sign up as "Alice" and see whether the name is refused.
    make_reader(app, email="victim@example.org", display_name="Alice", verified=False)
    response = sign_up_as(client, "attacker@example.org", asked)
    assert response.status_code == 200
    assert "Check your inbox" in response.text
    assert TAKEN not in response.text


def test_a_verified_readers_name_stays_unique(app, client):
    make_reader(app, email="alice@example.org", display_name="Alice", verified=True)
    for asked in ("Alice", "al\u0456ce", "\u0410lice"):
        response = sign_up_as(client, "other@example.org", asked)
        assert response.status_code == 422
        assert TAKEN in response.text


def test_the_first_to_verify_keeps_the_name_the_other_is_asked_to_choose(
    app, client, inbox, deliver
):
    assert sign_up_as(client, "first@example.org", "Alice").status_code == 200
    assert sign_up_as(client, "second@example.org", "ALICE").status_code == 200
    first_link = verification_link(inbox, deliver, "first@example.org")
    second_link = verification_link(inbox, deliver, "second@example.org")

    # The second to sign up verifies first and keeps the name.
    assert client.get(second_link).status_code == 200
    with app.app_context():
        second = db.session.scalar(select(Reader).where(Reader.email == "second@example.org"))
        assert second is not None
        assert second.display_name == "ALICE"
        assert second.is_verified

    other = app.test_client()
    sign_in(other, "first@example.org")
    response = other.get(first_link, follow_redirects=True)
    assert response.status_code == 200
    with app.app_context():
        first = db.session.scalar(select(Reader).where(Reader.email == "first@example.org"))
        assert first is not None
        assert first.is_verified
        placeholder = first.display_name
    assert placeholder == f"Reader {first.id}"
    assert "your e-mail address is verified" in response.text
    assert "Please choose another name on your account page" in response.text
    assert placeholder in response.text

    # The verified name is taken now, for sign-ups and renames alike.
    assert TAKEN in sign_up_as(app.test_client(), "third@example.org", "Alice").text
    response = other.post("/account/display-name", data={"name-display_name": "Alice"})
    assert response.status_code == 422
    response = other.post("/account/display-name", data={"name-display_name": "Alicia"})
    assert response.status_code in (200, 303)
    with app.app_context():
        renamed = db.session.get(Reader, first.id)
        assert renamed is not None
        assert renamed.display_name == "Alicia"


def test_a_reset_that_verifies_an_address_gives_up_a_name_taken_meanwhile(
    app, client, inbox, deliver
):
    make_reader(app, email="late@example.org", display_name="Alice", verified=False)
    make_reader(app, email="early@example.org", display_name="alice", verified=True)
    client.post("/auth/reset", data={"email": "late@example.org"})
    deliver()
    assert client.get(link_in(inbox.last_to("late@example.org"))).status_code == 303
    response = client.post("/auth/reset/new-password", data={"password": "a new long passphrase"})
    assert response.status_code == 303
    with app.app_context():
        late = db.session.scalar(select(Reader).where(Reader.email == "late@example.org"))
        assert late is not None
        assert late.is_verified
        assert late.display_name == f"Reader {late.id}"


@pytest.mark.parametrize("path", ["/auth/sign-up", "/auth/sign-in", "/auth/reset"])
def test_account_forms_write_no_placeholder_attribute_values(client, path):
    # A screen reader told that a field is invalid "None" would mislead its reader.
    html = client.get(path).get_data(as_text=True)
    assert '="None"' not in html
