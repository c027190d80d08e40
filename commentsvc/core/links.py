"""Absolute links for e-mails, origins, and the one check for ?next= targets."""

from __future__ import annotations

from typing import Any
from urllib.parse import parse_qsl, unquote, urlsplit

from flask import current_app, request, url_for
from werkzeug.datastructures import MultiDict

from commentsvc.core import kept
from commentsvc.core.kept import KeptLRU

DEFAULT_PORTS = {"http": 80, "https": 443}
PATHS = "commentsvc.paths"
PATHS_KEPT = 1024
# Paths longer than this are made again each time: an embed's URL, title and origin
# together are far shorter.
KEPT_URL_LENGTH = 2000


def path_for(endpoint: str, **values: Any) -> str:
    """url_for(endpoint, **values) (a path under this request's script root), made once
    per process: a thread page names its own URL and its actions' URLs on every view."""
    key = (endpoint, request.script_root, *sorted(values.items()))
    paths: KeptLRU[str] = kept.in_app(PATHS, PATHS_KEPT)
    found = paths.get(key)
    if found is not None:
        return found
    made = url_for(endpoint, **values)
    if len(made) <= KEPT_URL_LENGTH:  # a made-up long URL must not fill the memory
        paths.put(key, made)
    return made


def public_url(endpoint: str, **values: Any) -> str:
    """An absolute URL under the configured PUBLIC_URL.

    Never built from the request: a forged Host or X-Forwarded-Host header
    must not be able to point a reset link at another server.
    """
    path = current_app.url_map.bind("localhost").build(endpoint, values)
    return str(current_app.config["PUBLIC_URL"]) + path


def safe_next_url(target: str | None) -> str | None:
    """Return target if it is a same-origin relative path, else None.

    Refuses scheme-relative (//evil), backslash (/\\evil, which browsers read as //),
    scheme-qualified (https:evil) and percent-encoded forms of the same.
    """
    if not target or len(target) > 2000:
        return None
    decoded = target
    # Decode repeatedly so %252F%252F cannot hide a //.
    for _ in range(3):
        decoded = unquote(decoded)
    for candidate in (target, decoded):
        if any(ord(c) < 0x20 or c == "\x7f" for c in candidate):
            return None
        if "\\" in candidate:
            return None
        if not candidate.startswith("/") or candidate.startswith("//"):
            return None
        parts = urlsplit(candidate)
        if parts.scheme or parts.netloc:
            return None
    return target


def origin_of(url: str) -> str | None:
    """The origin of an absolute http(s) URL, or None."""
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        return None
    if parts.scheme not in DEFAULT_PORTS or not parts.hostname:
        return None
    host = parts.hostname.lower()
    if port is None or port == DEFAULT_PORTS[parts.scheme]:
        return f"{parts.scheme}://{host}"
    return f"{parts.scheme}://{host}:{port}"


def own_origin() -> str:
    """The service's own origin (from PUBLIC_URL), e.g. for postMessage targets."""
    return origin_of(current_app.config["PUBLIC_URL"]) or ""


def page_args() -> MultiDict[str, str]:
    """A page's query parameters: the request's own on a GET; on a POST, those
    of the page the form was on (its `next` field), since the form's action has none."""
    if request.method == "GET":
        return request.args
    # Only read, never followed: the origin in it is checked against the site's.
    target = request.form.get("next", "")[:10_000]
    return MultiDict(parse_qsl(urlsplit(target).query))
