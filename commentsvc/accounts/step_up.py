"""Sensitive staff actions ask for the second factor again.

Adding a moderator, publishing a policy version, changing a site's origins and
exporting consent records are what a stolen staff session would be used for. Each
asks the reader to prove their second factor again (the second step's page, which
marks the session) when this session last proved it more than STEP_UP_MAX_AGE seconds
ago. Staff with no factor at all are the staff gate's business (accounts.two_step):
where one is required they never get this far, and where none is, there is none to
ask for.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from functools import wraps
from typing import Any, TypeVar

from flask import current_app, flash, redirect, url_for
from flask_babel import gettext as _
from werkzeug.wrappers import Response

from commentsvc.accounts import current, two_step
from commentsvc.accounts.models import Reader
from commentsvc.core.extensions import utcnow

View = TypeVar("View", bound=Callable[..., Any])


def needs_step_up(reader: Reader) -> bool:
    """Whether the reader has a second factor that this session last proved too long ago
    (or never)."""
    proved = getattr(reader, "session_second_factor_at", None)
    max_age = timedelta(seconds=int(current_app.config["STEP_UP_MAX_AGE"]))
    if proved is not None and utcnow() - proved <= max_age:
        return False
    return two_step.has_factor(reader)


def ask_again(back: str) -> Response:
    """Send the reader to prove their second factor, then back to the path back."""
    flash(_("Confirm it is you: this needs your passkey or your app's code again."))
    return redirect(url_for("auth.second_step", next=back), 303)


def recent_second_factor(back: Callable[..., str]) -> Callable[[View], View]:
    """Decorate a sensitive staff view: it runs only if the session proved its second
    factor recently; otherwise the reader proves it and returns to back(**view_args), a
    page of the service (for a form, the page the form is on: what was typed in a form
    sent too late is typed again there)."""

    def decorate(view: View) -> View:
        @wraps(view)
        def wrapped(*args: Any, **kwargs: Any) -> Any:
            reader = current.reader()
            if reader is not None and needs_step_up(reader):
                return ask_again(back(**kwargs))
            return view(*args, **kwargs)

        return wrapped  # type: ignore[return-value]

    return decorate
