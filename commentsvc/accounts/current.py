"""The reader signed in on this request, for views and templates (services never ask:
they take the reader as an argument)."""

from __future__ import annotations

from flask import abort, g, session
from flask_babel import gettext as _
from flask_login import current_user

from commentsvc.accounts.models import Reader


def reader() -> Reader | None:
    """The signed-in reader, or None."""
    if not current_user.is_authenticated:
        return None
    found: Reader = current_user._get_current_object()
    return found


def signed_in() -> Reader:
    """The signed-in reader, where the page needs one (401 otherwise; staff pages and
    login_required views have already sent everyone else away)."""
    found = reader()
    if found is None:
        abort(401, _("Sign in first."))
    return found


def session_token() -> str | None:
    """The session token this request's cookie holds (where Flask-Login keeps it), while
    the reader is not loaded yet: a query the request runs anyway can then read the
    session alongside (comments.threads.find_thread, accounts.sessions.preload)."""
    if "_login_user" in g:  # Flask-Login's: loaded already (a rate limit's key, say)
        return None
    token = session.get("_user_id")
    return token if isinstance(token, str) else None


def loaded_reader_id() -> int | None:
    """The signed-in reader's id once Flask-Login has loaded them (a rate limit's key,
    say), else None: then session_token names them, for a query the request runs anyway."""
    user = g.get("_login_user")
    return int(user.id) if user is not None and user.is_authenticated else None
