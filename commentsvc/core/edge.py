"""What happens to every request before anything else: the request id, and the proxy's
word about the client (ProxyFix), both outside the page cache and Flask.

Order, from the server inwards: RequestId -> ProxyFix (when configured) ->
SharedPageCache (comments/page_cache.py) -> Flask. The page cache answers kept pages
without Flask, so both must sit outside it: a kept page carries its X-Request-Id too,
and its key and the rate limits see the address, scheme and host the proxy reports.
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING, Any

from flask import Flask
from werkzeug.middleware.proxy_fix import ProxyFix

from commentsvc.core.logs import current_request

if TYPE_CHECKING:
    from _typeshed.wsgi import StartResponse, WSGIApplication, WSGIEnvironment

REQUEST_ID_KEY = "commentsvc.request_id"
HEADER = "X-Request-Id"
# An incoming id is kept only when it is a plain token (and TRUST_REQUEST_ID is on).
SANE_ID = re.compile(r"[A-Za-z0-9._-]{1,64}")


class RequestId:
    """WSGI middleware: give the request an id, put it in the environ, in the log
    records made while the app answers (core.logs) and in the X-Request-Id header.

    The id is 128 random bits in hex, or the incoming X-Request-Id when the proxy in
    front is trusted to set it (trust_incoming) and it is a sane token.
    """

    def __init__(self, app: WSGIApplication, trust_incoming: bool) -> None:
        self.app = app
        self.trust_incoming = trust_incoming

    def __call__(self, environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
        request_id = self.incoming(environ) or os.urandom(16).hex()
        environ[REQUEST_ID_KEY] = request_id

        def with_id(
            status: str, headers: list[tuple[str, str]], exc_info: Any = None
        ) -> Callable[[bytes], object]:
            # A new list: the page cache keeps the list it was given (and sends it again).
            return start_response(status, [*headers, (HEADER, request_id)], exc_info)

        token = current_request.set(
            (request_id, environ.get("REQUEST_METHOD", ""), environ.get("PATH_INFO", ""))
        )
        try:
            return self.app(environ, with_id)
        finally:
            current_request.reset(token)

    def incoming(self, environ: WSGIEnvironment) -> str | None:
        if not self.trust_incoming:
            return None
        value = environ.get("HTTP_X_REQUEST_ID")
        if value is None or not SANE_ID.fullmatch(value):
            return None
        return str(value)


def request_id(environ: WSGIEnvironment) -> str:
    """The id RequestId gave this request ("-" if it did not pass through it)."""
    return str(environ.get(REQUEST_ID_KEY, "-"))


def wrap(app: Flask) -> None:
    """Put ProxyFix (when the app is behind a proxy) and RequestId around app.wsgi_app,
    which is already the page cache when that is on."""
    config = app.config
    hops = {
        "x_for": int(config["PROXY_FIX_X_FOR"]),
        "x_proto": int(config["PROXY_FIX_X_PROTO"]),
        "x_host": int(config["PROXY_FIX_X_HOST"]),
    }
    inner: WSGIApplication = app.wsgi_app
    if any(hops.values()):
        inner = ProxyFix(inner, **hops)
    app.wsgi_app = RequestId(inner, bool(config["TRUST_REQUEST_ID"]))  # type: ignore[method-assign]
