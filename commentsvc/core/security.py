"""The one place for security headers, the CSP nonce, and error pages for every error
that is not the widget's (HTTP errors, refused forms, and every core.errors error)."""

from __future__ import annotations

import secrets
import sqlite3
from urllib.parse import unquote_to_bytes

import psycopg
from flask import Flask, abort, current_app, g, render_template, request, session
from flask_babel import gettext as _
from flask_wtf.csrf import CSRFError
from sqlalchemy.exc import DBAPIError
from werkzeug.exceptions import HTTPException
from werkzeug.wrappers import Response

from commentsvc.core import cdn, i18n, links
from commentsvc.core.errors import ServiceError, http_status


def csp_nonce() -> str:
    """The nonce for this response's inline <script> and <style> (made on first use)."""
    if "csp_nonce" not in g:
        g.csp_nonce = secrets.token_urlsafe(16)
    return str(g.csp_nonce)


def content_security_policy(frame_ancestors: str = "'none'") -> str:
    """The response's policy; built after the page, so it names a nonce only if the page
    used one. A page without inline code allows only the service's own files, and can be
    sent again as it is (comments/page_cache.py)."""
    own = f"'self' 'nonce-{g.csp_nonce}'" if "csp_nonce" in g else "'self'"
    return "; ".join(
        [
            "default-src 'self'",
            f"script-src {own}",
            f"style-src {own}",
            "img-src 'self' data:",
            "form-action 'self'",
            "object-src 'none'",
            "base-uri 'none'",
            f"frame-ancestors {frame_ancestors}",
        ]
    )


def set_security_headers(response: Response) -> Response:
    headers = response.headers
    # A blueprint that may be framed (the embed) sets its own frame-ancestors first.
    if "Content-Security-Policy" not in headers:
        headers["Content-Security-Policy"] = content_security_policy()
        headers.setdefault("X-Frame-Options", "DENY")
    headers["X-Content-Type-Options"] = "nosniff"
    headers["Referrer-Policy"] = "same-origin"
    if current_app.config["HTTPS"]:
        headers["Strict-Transport-Security"] = "max-age=31536000; includeSubDomains"
    if request.endpoint in ("static", "looks.stylesheet"):
        # Nothing in a static file (nor in a site's widget stylesheet, comments.looks)
        # depends on the session, but Flask-Login reads it after every request, and
        # Flask then adds Vary: Cookie. This hook runs after Flask-Login's (see
        # init_app), so shared caches may keep one copy for everyone.
        session.accessed = False
    elif not response.cache_control.public and not cdn.share(response):
        # Every page shows who is signed in: never store it in a shared cache. (Asking
        # session.accessed cannot tell: since Flask 3.1.3 reading it marks it accessed.)
        # A view that marks its response public (the comment counts) shows no one's data,
        # and so does a thread read marked shareable, asked for without a session cookie.
        headers["Cache-Control"] = "private, no-store"
        headers.add_header("Vary", "Cookie")
    return response


def refuse_undecodable_form() -> None:
    """Refuse a urlencoded body that is not UTF-8, before anything reads the form.

    Werkzeug keeps an undecodable %-escape as literal text ("%C3(") and drops the
    whole form on raw invalid bytes, so mangled values could otherwise be stored.

    :raises UnicodeDecodeError: answered by _unicode_error with a 400 page.
    """
    if request.mimetype == "application/x-www-form-urlencoded":
        # The body is cached, and the form is later parsed from the cache.
        unquote_to_bytes(request.get_data()).decode("utf-8")


def require_own_origin() -> None:
    """A state change must come from the service's own pages (the widget's iframe).

    For a SameSite=None cookie the CSRF token is not enough on its own: the browser's
    Origin / Sec-Fetch-Site headers must show a same-origin request too.
    """
    if request.method in ("GET", "HEAD", "OPTIONS"):
        return
    origin = request.headers.get("Origin")
    fetch_site = request.headers.get("Sec-Fetch-Site")
    refused = (
        (origin is None and fetch_site is None)
        or (origin is not None and origin != links.own_origin())
        or (fetch_site is not None and fetch_site != "same-origin")
    )
    if refused:
        abort(403, _("This request did not come from the comments widget."))


def _wants_json() -> bool:
    return request.path.startswith("/api/") or (
        request.accept_mimetypes.best_match(["text/html", "application/json"]) == "application/json"
    )


MESSAGES = {
    400: lambda: _("The request could not be understood. Check what you sent and try again."),
    403: lambda: _("You are not allowed to do that."),
    404: lambda: _("There is nothing at this address."),
    405: lambda: _("That action is not available here."),
    413: lambda: _("What you sent is too large."),
    429: lambda: _("Too many attempts. Please wait a little and try again."),
    500: lambda: _("Something went wrong on our side. Please try again later."),
    503: lambda: _("The service is briefly unavailable. Please try again in a minute."),
}
# How long a client should wait before asking again when the database is unreachable.
UNAVAILABLE_RETRY_AFTER = "10"


def render_error(status: int, message: str | None = None) -> tuple[str | dict[str, str], int]:
    text = message or MESSAGES.get(status, MESSAGES[400])()
    if _wants_json():
        return {"error": text}, status
    return render_template("errors/error.html", status=status, message=text), status


def _http_error(
    exc: HTTPException,
) -> tuple[str | dict[str, str], int, list[tuple[str, str]]]:
    # Flask-Limiter adds Retry-After to 429 responses after this runs.
    # A message given to abort() is shown; Werkzeug's generic ones are replaced.
    custom = exc.description if exc.description != type(exc).description else None
    if exc.code == 429:
        custom = None  # Flask-Limiter's description names the limit, not a reason
    body, status = render_error(exc.code or 500, custom)
    # The error's own headers (Allow on a 405, as RFC 9110 asks), not its HTML type.
    headers = [(k, v) for k, v in exc.get_headers() if k.lower() != "content-type"]
    return body, status, headers


def _csrf_error(exc: CSRFError) -> tuple[str | dict[str, str], int]:
    return render_error(
        400, _("Your form expired or was sent from another site. Reload the page and try again.")
    )


def _service_error(exc: ServiceError) -> tuple[str | dict[str, str], int]:
    # A service refused: the error page, or {"error": …} for the API. The widget
    # answers inside its frame instead (comments.views.widget registers its own).
    return render_error(http_status(exc), str(exc) or None)


def database_unreachable(exc: DBAPIError) -> bool:
    """A lost or refused database connection (or a locked SQLite file), as opposed to
    a broken query: the first is an outage to wait out, the second a bug."""
    if exc.connection_invalidated or isinstance(exc.orig, psycopg.OperationalError):
        return True
    return isinstance(exc.orig, sqlite3.OperationalError) and "locked" in str(exc.orig)


def _database_error(
    exc: DBAPIError,
) -> tuple[str | dict[str, str], int, dict[str, str]]:
    """The database is down or restarting: a quick 503 with Retry-After, not a 500 (the
    pool reconnects by itself once it is back, see tests/core/test_faults.py)."""
    if not database_unreachable(exc):
        raise exc
    g.setdefault(i18n.DATABASE_UNREACHABLE, True)
    current_app.logger.error("The database is unreachable: %s", str(exc.orig).strip()[:300])
    body, status = render_error(503)
    return body, status, {"Retry-After": UNAVAILABLE_RETRY_AFTER}


def _unicode_error(exc: UnicodeDecodeError) -> tuple[str | dict[str, str], int]:
    return render_error(400, _("The request contained text that is not valid UTF-8."))


def init_app(app: Flask) -> None:
    """Call before the other extensions: their request hooks (CSRF reads the form) run
    after refuse_undecodable_form, and their response hooks before set_security_headers.
    """
    app.before_request(refuse_undecodable_form)
    app.after_request(set_security_headers)
    app.jinja_env.globals["csp_nonce"] = csp_nonce
    app.register_error_handler(HTTPException, _http_error)
    app.register_error_handler(CSRFError, _csrf_error)
    app.register_error_handler(UnicodeDecodeError, _unicode_error)
    app.register_error_handler(ServiceError, _service_error)
    app.register_error_handler(DBAPIError, _database_error)
