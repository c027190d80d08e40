"""The reader signed in on this request, for views and templates (services never ask:
they take the reader as an argument)."""

from __future__ import annotations

from flask import abort
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
