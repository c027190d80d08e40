"""Which language a page is in: the signed-in reader's choice, else the browser's."""

from __future__ import annotations

from collections.abc import Iterable

from flask import current_app, g, has_request_context, request
from flask_login import current_user
from werkzeug.datastructures import LanguageAccept
from werkzeug.http import parse_accept_header

# Set on g by core.security when the database did not answer this request.
DATABASE_UNREACHABLE = "database_unreachable"


def best_language(accept_language: str | None, languages: Iterable[str]) -> str | None:
    """The language for a reader who is not signed in, from their Accept-Language."""
    if not accept_language:
        return None  # the default language
    return parse_accept_header(accept_language, LanguageAccept).best_match(list(languages))


def select_locale() -> str | None:
    """Flask-Babel's locale selector."""
    # Outside a request (CLI commands, the mail worker) the default locale applies.
    if not has_request_context():
        return None
    languages = current_app.config["LANGUAGES"]
    # With the database away (core.security's 503 page), a reader not loaded yet is not
    # looked up: that would fail, or wait for the connect timeout, a second time.
    user = g.get("_login_user") if g.get(DATABASE_UNREACHABLE) else current_user
    if user and user.is_authenticated and user.locale in languages:
        return str(user.locale)
    return best_language(request.headers.get("Accept-Language"), languages)
