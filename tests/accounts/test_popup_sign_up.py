"""Signing up and resetting a password inside the sign-in popup, ending handed to the widget."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from commentsvc.accounts.models import Reader
from commentsvc.consent.models import PolicyAcceptance
from commentsvc.core.extensions import db
from tests.accounts.popup_support import (
    CODE,
    HANDOFF,
    NEW_PASSWORD,
    OPENED,
    ORIGIN,
    RESET,
    SIGN_UP,
    code_in,
    enter,
    make_site,
    other_code,
    redeem_handoff,
    sign_up,
)
from tests.conftest import link_in
from tests.factories import PASSWORD, make_reader, sign_in


@pytest.fixture(autouse=True)
def site(app) -> int:
    return make_site(app)


def test_sign_up_is_verified_with_the_mailed_code_and_handed_to_the_widget(
    app, client, inbox, deliver
):
    page = client.get(SIGN_UP)
    assert page.status_code == 200
    assert "Comments on Demo News" in page.text
    assert 'name="accept_terms"' in page.text

    response = sign_up(client)
    assert response.status_code == 303
    assert response.headers["Location"] == CODE
    page = client.get(CODE)
    assert "Enter the code" in page.text
    assert "New.Reader@Example.ORG" in page.text
    assert 'autocomplete="one-time-code"' in page.text

    deliver()
    msg = inbox.last_to("new.reader@example.org")
    code = code_in(msg)
    assert code in msg["Subject"]

    response = enter(client, code)
    assert response.status_code == 303
    assert response.headers["Location"] == HANDOFF
    answer = redeem_handoff(client)
    assert answer.json == {"signed_in": True, "display_name": "New Reader"}
    with app.app_context():
        reader = db.session.scalar(select(Reader))
        assert reader is not None
        assert reader.is_verified
        accepted = {(a.document, a.version) for a in db.session.scalars(select(PolicyAcceptance))}
    assert accepted == {("terms", "1"), ("privacy", "1")}


def test_the_link_in_the_same_mail_verifies_in_another_tab_and_the_popup_goes_on(
    app, client, inbox, deliver
):
    sign_up(client)
    # Not verified yet: the popup says so and keeps waiting.
    response = client.post(OPENED, follow_redirects=True)
    assert "Your address is not verified yet" in response.text
    assert "Enter the code" in response.text

    deliver()
    link = link_in(inbox.last_to("new.reader@example.org"))
    tab = client.get(link)  # the same browser: another tab shares the cookies
    assert tab.status_code == 200
    assert "your e-mail address is verified" in tab.text
    assert "data-verified" in tab.text  # what the waiting popup listens for

    # The popup's step still works: it goes on without the code.
    assert "Enter the code" in client.get(CODE).text
    response = client.post(OPENED)
    assert response.headers["Location"] == HANDOFF
    assert redeem_handoff(client).json == {"signed_in": True, "display_name": "New Reader"}


def field_error(page: str, name: str) -> str:
    """The error text of field name, checking that the field points at it."""
    tag = re.search(rf'<input[^>]*name="{name}"[^>]*>', page)
    assert tag, name
    assert 'aria-invalid="true"' in tag.group(0), tag.group(0)
    described = re.search(r'aria-describedby="([^"]*)"', tag.group(0))
    assert described, tag.group(0)
    assert f"{name}-error" in described.group(1).split(), tag.group(0)
    error = re.search(rf'id="{name}-error">(.*?)</(?:p|ul)>', page, re.S)
    assert error, name
    return error.group(1)


@pytest.mark.parametrize("path", [SIGN_UP, "/auth/sign-up"])
def test_every_field_error_comes_in_one_answer(app, client, path):
    make_reader(app, email="alice@example.org", display_name="Alice")
    response = client.post(
        path,
        data={"email": "not an address", "display_name": "ALICE", "password": "password1"},
    )
    assert response.status_code == 422
    page = response.text
    assert "valid e-mail address" in field_error(page, "email")
    assert "already taken" in field_error(page, "display_name")
    assert "commonly used passwords" in field_error(page, "password")
    assert "accept the terms" in field_error(page, "accept_terms")
    assert 'role="alert"' in page
    with app.app_context():
        assert db.session.scalar(select(Reader).where(Reader.display_name == "ALICE")) is None


def test_a_short_password_and_a_short_name_are_told_together(client):
    response = client.post(
        SIGN_UP, data={"email": "a@example.org", "display_name": "A", "password": "short"}
    )
    assert response.status_code == 422
    assert "2 to 50 characters" in field_error(response.text, "display_name")
    assert "between 8 and 256" in field_error(response.text, "password")


def test_reset_in_the_popup_ends_signed_in_and_handed_to_the_widget(app, client, inbox, deliver):
    make_reader(app, email="reader@example.org", display_name="Aysel")
    page = client.get(RESET)
    assert "Reset your password" in page.text
    assert "Comments on Demo News" in page.text
    response = client.post(RESET, data={"email": "Reader@Example.org"})
    assert response.headers["Location"] == CODE
    deliver()
    msg = inbox.last_to("reader@example.org")
    code = code_in(msg)
    assert code in msg["Subject"]

    assert enter(client, other_code(code)).status_code == 422
    response = enter(client, code)
    assert response.headers["Location"] == NEW_PASSWORD
    response = client.post(NEW_PASSWORD, data={"password": "password"})
    assert response.status_code == 422
    assert "commonly used passwords" in response.text
    response = client.post(NEW_PASSWORD, data={"password": "a brand new passphrase"})
    assert response.headers["Location"] == HANDOFF
    assert redeem_handoff(client).json == {"signed_in": True, "display_name": "Aysel"}

    other = app.test_client()
    assert sign_in(other, "reader@example.org", PASSWORD).status_code == 422
    assert sign_in(other, "reader@example.org", "a brand new passphrase").status_code == 303
    # The reset token is spent: the new-password step does not come back.
    assert client.get(NEW_PASSWORD).status_code == 400


def test_the_popup_sign_in_page_links_to_the_popup_sign_up_and_reset(client):
    response = client.get(HANDOFF)
    assert response.status_code == 303
    page = client.get(response.headers["Location"])
    assert "Comments on Demo News" in page.text
    assert 'href="/auth/embed-sign-up?site=demo"' in page.text
    assert 'href="/auth/embed-reset?site=demo"' in page.text
    # The first-party page keeps its own links.
    page = client.get("/auth/sign-in")
    assert 'href="/auth/sign-up"' in page.text
    assert "embed-sign-up" not in page.text


def test_the_widget_opens_sign_up_and_reset_in_the_popup(client):
    page = client.get(f"/embed/demo/t/a1?url={ORIGIN}/a1&origin={ORIGIN}").text
    create = re.search(r"<a [^>]*>Create an account</a>", page)
    lost = re.search(r"<a [^>]*>Lost your password\?</a>", page)
    assert create
    assert lost
    assert 'data-action="sign-in"' in create.group(0)
    assert 'data-popup-url="/auth/embed-sign-up?site=demo"' in create.group(0)
    assert 'href="/auth/sign-up"' in create.group(0)  # without JavaScript: a new tab
    assert 'data-popup-url="/auth/embed-reset?site=demo"' in lost.group(0)


@pytest.mark.parametrize("path", [SIGN_UP, RESET, CODE, NEW_PASSWORD, "/auth/embed-code/opened"])
def test_popup_pages_of_an_unknown_site_are_not_found(client, path):
    path = path.replace("site=demo", "site=nosuch")
    response = client.post(path) if "opened" in path else client.get(path)
    assert response.status_code == 404


def test_the_code_step_without_a_pending_sign_up_starts_again(client):
    response = client.get(CODE)
    assert response.status_code == 303
    assert response.headers["Location"] == SIGN_UP
