"""Helpers that create accounts and sign in through the real pages."""

from __future__ import annotations

import re

from flask import Flask
from flask.testing import FlaskClient
from werkzeug.test import TestResponse

from commentsvc.accounts import passwords
from commentsvc.accounts.identity import display_name_key
from commentsvc.accounts.models import Reader
from commentsvc.core.extensions import db, utcnow

PASSWORD = "correct horse battery staple"

# A Flask-WTF token: signed data, the time it was made (to the second), the signature.
_TOKEN = re.compile(r"[\w-]+\.[\w-]{6}\.[\w-]{27}(?![\w-])")


def without_tokens(page: str) -> str:
    """The page with its CSRF tokens blanked: two pages made a second apart differ only there."""
    return _TOKEN.sub("TOKEN", page)


def make_reader(
    app: Flask,
    email: str = "reader@example.org",
    display_name: str = "Reader",
    password: str = PASSWORD,
    verified: bool = True,
    is_admin: bool = False,
) -> int:
    """Insert an account directly and return its id."""
    with app.app_context():
        reader = Reader(
            email=email,
            display_name=display_name,
            display_name_key=display_name_key(display_name),
            password_hash=passwords.hash_password(password),
            email_verified_at=utcnow() if verified else None,
            is_admin=is_admin,
        )
        db.session.add(reader)
        db.session.commit()
        return reader.id


def sign_in(
    client: FlaskClient,
    email: str = "reader@example.org",
    password: str = PASSWORD,
    remember: bool = False,
    next_url: str | None = None,
) -> TestResponse:
    data = {"email": email, "password": password}
    if remember:
        data["remember"] = "y"
    url = "/auth/sign-in" + (f"?next={next_url}" if next_url else "")
    return client.post(url, data=data)
