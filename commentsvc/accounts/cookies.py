"""Which session cookie a request uses: the first-party one, or the widget's.

Inside a news site's iframe the service is a third party. Its first-party
session cookie (SameSite=Lax) is never sent there, and browsers that block
third-party cookies refuse unpartitioned ones. So the widget's pages, under
/embed/, use a cookie of their own: SameSite=None; Secure; Partitioned (CHIPS),
HttpOnly, with Path=/embed. Every other path keeps the normal session cookie.
"""

from __future__ import annotations

from flask import Flask, has_request_context, request
from flask.sessions import SecureCookieSessionInterface
from itsdangerous import URLSafeTimedSerializer

EMBED_PREFIX = "/embed/"
EMBED_COOKIE = "commentsvc_embed"
_SERIALIZER = "commentsvc.session_serializer"


def is_embed_request() -> bool:
    return has_request_context() and request.path.startswith(EMBED_PREFIX)


class SessionInterface(SecureCookieSessionInterface):
    def get_signing_serializer(self, app: Flask) -> URLSafeTimedSerializer | None:
        """Flask's serializer, made once for the app's keys rather than on every request
        (a fifth of the time a session cookie takes to read)."""
        keys = (app.secret_key, tuple(app.config.get("SECRET_KEY_FALLBACKS") or ()))
        made = app.extensions.get(_SERIALIZER)
        if made is None or made[0] != keys:
            made = app.extensions[_SERIALIZER] = (keys, super().get_signing_serializer(app))
        serializer: URLSafeTimedSerializer | None = made[1]
        return serializer

    def get_cookie_name(self, app: Flask) -> str:
        if is_embed_request():
            return str(app.config.get("EMBED_COOKIE_NAME", EMBED_COOKIE))
        return super().get_cookie_name(app)

    def get_cookie_path(self, app: Flask) -> str:
        return "/embed" if is_embed_request() else super().get_cookie_path(app)

    def get_cookie_samesite(self, app: Flask) -> str | None:
        return "None" if is_embed_request() else super().get_cookie_samesite(app)

    def get_cookie_secure(self, app: Flask) -> bool:
        # Browsers accept Secure cookies from http://localhost, so development works too.
        return True if is_embed_request() else super().get_cookie_secure(app)

    def get_cookie_partitioned(self, app: Flask) -> bool:
        return True if is_embed_request() else super().get_cookie_partitioned(app)

    def get_cookie_httponly(self, app: Flask) -> bool:
        return True
