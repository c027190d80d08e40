"""Sign-up, e-mail verification and the unverified-reader notice."""

from __future__ import annotations

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
