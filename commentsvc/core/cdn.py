"""Shared caches (a CDN, a caching proxy) in front of the service.

A response that every anonymous reader of its URL gets alike (a thread's widget
page, its first-party twin, its JSON list) is marked by its view with a
`Shareable`: what it was rendered from. Such a response, answered to a request
without any of the service's session cookies, is sent

    Cache-Control: public, max-age=0, s-maxage=N, stale-while-revalidate=M

with a strong ETag, so a shared cache may keep it for N seconds, and browsers and
caches revalidate it with If-None-Match, answered 304 without a body. Everything
else, and every response to a request that carries a session cookie, stays
`private, no-store` (core.security).

The ETag names everything the bytes are made of: the code and configuration that
render them (the release), the URL (scheme, host, path and query string), the
language, and the Shareable's validator (for a thread: its id, version, creation
time, its site's slug and origins). Two different bodies never share a tag; two
workers running the same release give the same body the same tag.
"""

from __future__ import annotations

import base64
import hashlib
import re
from functools import cache
from importlib import metadata
from pathlib import Path
from typing import Protocol

from flask import Flask, current_app, request, session
from flask_babel import get_locale
from flask_login import current_user
from werkzeug.wrappers import Response

# The Shareable a view marked its response with (comments/page_cache.py mark_shareable).
SHAREABLE_KEY = "commentsvc.shareable"
# Set by the page cache when it evaluates If-None-Match itself (after keeping the page).
CONDITIONALS_ANSWERED_KEY = "commentsvc.conditionals_answered"
RELEASE_KEY = "commentsvc.release"

# What is hashed into the release besides the configured value: the code, the
# templates and translations that render the bytes, and the libraries that shape them.
_SOURCES = ("commentsvc", "templates", "translations")
_LIBRARIES = ("flask", "werkzeug", "jinja2", "markupsafe", "babel", "flask-babel")
_CONFIG = ("PUBLIC_URL", "LANGUAGES", "BABEL_DEFAULT_LOCALE", "HTTPS")


class Shareable(Protocol):
    def validator(self) -> str:
        """What the response was rendered from, as text: a new value for every change."""
        ...


def session_cookie_names(app: Flask) -> frozenset[str]:
    """The cookies that may carry a reader's session: a request with one is personal."""
    return frozenset(
        str(app.config[name])
        for name in ("SESSION_COOKIE_NAME", "REMEMBER_COOKIE_NAME", "EMBED_COOKIE_NAME")
        if app.config.get(name)
    )


@cache
def _source_digest(root: Path) -> str:
    digest = hashlib.sha256()
    for top in _SOURCES:
        for path in sorted((root / top).rglob("*")):
            if not path.is_file() or "__pycache__" in path.parts:
                continue
            digest.update(str(path.relative_to(root)).encode() + b"\0")
            digest.update(path.read_bytes())
    for name in _LIBRARIES:
        try:
            version = metadata.version(name)
        except metadata.PackageNotFoundError:
            version = "-"
        digest.update(f"{name}={version}\0".encode())
    return digest.hexdigest()


def init_app(app: Flask, root: Path) -> None:
    """Fix the release once per process (config RELEASE, if set, comes first)."""
    configured = app.config.get("RELEASE") or ""
    settings = "\0".join(repr(app.config.get(name)) for name in _CONFIG)
    app.extensions[RELEASE_KEY] = hashlib.sha256(
        f"{configured}\0{settings}\0{_source_digest(root)}".encode()
    ).hexdigest()


def entity_tag(shareable: Shareable) -> str:
    """This request's strong ETag for a response rendered from shareable."""
    environ = request.environ
    parts = (
        current_app.extensions[RELEASE_KEY],
        environ.get("wsgi.url_scheme", ""),
        environ.get("HTTP_HOST", ""),
        environ.get("SCRIPT_NAME", ""),
        environ.get("PATH_INFO", ""),
        environ.get("QUERY_STRING", ""),
        str(get_locale()),
        shareable.validator(),
    )
    raw = "\0".join(parts).encode("utf-8", "surrogateescape")
    return '"' + base64.urlsafe_b64encode(hashlib.sha256(raw).digest()[:18]).decode() + '"'


# One element of If-None-Match: an entity-tag (RFC 9110 8.8.3), then a comma or the end.
_ELEMENT = re.compile(r'[ \t]*(?:(W/)?("[\x21\x23-\x7e\x80-\xff]*"))?[ \t]*(,|\Z)')


def none_match(header: str, etag: str) -> bool:
    """Whether If-None-Match names etag (RFC 9110 13.1.2): "*", or a list of tags that
    holds it, compared weakly (W/"x" names "x"). A malformed header names nothing."""
    if header.strip(" \t") == "*":
        return True
    found, position = False, 0
    while position < len(header):
        element = _ELEMENT.match(header, position)
        if element is None or element.end() == position:
            return False
        found = found or element.group(2) == etag
        position = element.end()
    return found


def is_personal() -> bool:
    """Whether this request may belong to someone: a session cookie, even an invalid one."""
    cookies = request.cookies
    if any(name in cookies for name in session_cookie_names(current_app)):
        return True
    return bool(current_user.is_authenticated)


def share(response: Response) -> bool:
    """Make a shareable anonymous response public (and answer If-None-Match); False if it
    must stay private. Called last, after every other response hook (core.security)."""
    shareable: Shareable | None = request.environ.get(SHAREABLE_KEY)
    s_maxage = int(current_app.config["CDN_S_MAXAGE"])
    if (
        shareable is None
        or s_maxage <= 0
        or request.method not in ("GET", "HEAD")
        or response.status_code != 200
        or "Set-Cookie" in response.headers
        # Flask writes the session after this hook: a changed one would set a cookie.
        or session.modified
        or is_personal()
    ):
        return False
    stale = int(current_app.config["CDN_STALE_WHILE_REVALIDATE"])
    directives = ["public", "max-age=0", f"s-maxage={s_maxage}"]
    if stale > 0:
        directives.append(f"stale-while-revalidate={stale}")
    response.headers["Cache-Control"] = ", ".join(directives)
    # A request with a session cookie gets another page; the language is the browser's.
    response.vary.update(("Cookie", "Accept-Language"))
    etag = entity_tag(shareable)
    response.headers["ETag"] = etag
    answered_later = request.environ.get(CONDITIONALS_ANSWERED_KEY)
    condition = request.headers.get("If-None-Match")
    if not answered_later and condition is not None and none_match(condition, etag):
        response.status_code = 304
    return True
