"""Helpers for the sign-in popup's tests: the site, the steps, the code in the e-mail."""

from __future__ import annotations

import re
from email.message import EmailMessage

from flask import Flask
from flask.testing import FlaskClient
from werkzeug.test import TestResponse

from commentsvc.comments import sites
from tests.conftest import body_of
from tests.factories import PASSWORD

ORIGIN = "https://news.example"
OWN = {"Origin": "http://localhost:5000"}
SIGN_UP = "/auth/embed-sign-up?site=demo"
CODE = "/auth/embed-code?site=demo"
RESEND = "/auth/embed-code/resend?site=demo"
OPENED = "/auth/embed-code/opened?site=demo"
RESET = "/auth/embed-reset?site=demo"
NEW_PASSWORD = "/auth/embed-new-password?site=demo"
HANDOFF = "/auth/embed-sign-in?site=demo"

FORM = {
    "email": "New.Reader@Example.ORG ",
    "display_name": "New Reader",
    "password": PASSWORD,
    "accept_terms": "y",
}


def make_site(app: Flask) -> int:
    with app.app_context():
        return sites.create_site("demo", "Demo News", [ORIGIN]).id


def sign_up(client: FlaskClient, **fields: str) -> TestResponse:
    return client.post(SIGN_UP, data={**FORM, **fields})


def enter(client: FlaskClient, code: str) -> TestResponse:
    return client.post(CODE, data={"code": code})


def code_in(msg: EmailMessage) -> str:
    """The code, on a line of its own in the e-mail."""
    match = re.search(r"^\s+(\d{6})\s*$", body_of(msg), re.MULTILINE)
    assert match, body_of(msg)
    return match.group(1)


def other_code(code: str) -> str:
    return f"{(int(code) + 1) % 1_000_000:06d}"


def redeem_handoff(client: FlaskClient) -> TestResponse:
    """Follow the popup to its hand-off page and trade its code as the widget does."""
    page = client.get(HANDOFF)
    assert page.status_code == 200, page.text
    match = re.search(r'data-code="([^"]+)" data-origin="([^"]+)"', page.text)
    assert match, page.text
    assert match.group(2) == OWN["Origin"]  # only the widget's own frame can receive it
    widget = client.application.test_client()
    return widget.post("/embed/demo/session", data={"code": match.group(1)}, headers=OWN)
