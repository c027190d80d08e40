"""The errors every service raises: what went wrong, in words for the reader, and no HTTP.

A service raises one of these (or a subclass that names the case, such as
`accounts.sessions.SignInFailed`); each surface turns it into its own answer in one
place (see `core.error_pages` for pages and JSON, and the widget's in-frame message).
Views catch one only where the answer is not the usual one, e.g. to show the message
next to a form field.
"""

from __future__ import annotations


class ServiceError(Exception):
    """An action the service refuses. str(error) is the message for the reader.

    The message may be a lazy gettext string: it is turned into text in the
    reader's language when shown, not when raised.
    """

    def __init__(self, message: object = "") -> None:
        super().__init__(message)
        self.message = message

    def __str__(self) -> str:
        return str(self.message)


class NotFound(ServiceError):
    """The thing asked for does not exist, or the reader may not know that it does."""


class Forbidden(ServiceError):
    """The reader may not do this (not theirs, not signed in, banned, locked thread …)."""


class Conflict(ServiceError):
    """The thing is not in a state that allows this any more (already decided, taken …)."""


class Invalid(ServiceError, ValueError):
    """Input that breaks a rule. field names the input at fault ("email", "body" …),
    so a form can show the message next to it; "" when it is about the whole request."""

    def __init__(self, message: object, field: str = "") -> None:
        super().__init__(message)
        self.field = field


class LinkInvalid(ServiceError):
    """A link from an e-mail (or a signed code) is forged, expired, used or out of date."""


class RateLimited(ServiceError):
    """Too many attempts of this kind; the reader should wait and try again."""


# How each kind of error is answered over HTTP. Only the surfaces (the handlers in
# core.security and the widget) read this; services never do.
HTTP_STATUS: dict[type[ServiceError], int] = {
    NotFound: 404,
    Forbidden: 403,
    Conflict: 409,
    Invalid: 422,
    LinkInvalid: 400,
    RateLimited: 429,
}


def http_status(error: ServiceError) -> int:
    """The HTTP status for error: that of the nearest kind above it."""
    for kind in type(error).__mro__:
        if kind in HTTP_STATUS:
            return HTTP_STATUS[kind]
    return 400
