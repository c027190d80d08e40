"""Static file URLs name their content (`/static/style.css?v=<hash>`), so browsers, CDNs
and the reverse proxy may keep them for a year: a new version of a file has a new URL.

A request with the current version gets `Cache-Control: public, max-age=31536000,
immutable`; one without it (or with an old one) the usual short revalidated caching.
"""

from __future__ import annotations

import hashlib
import os
from functools import lru_cache
from typing import Any

from flask import Flask, current_app, request
from werkzeug.security import safe_join
from werkzeug.wrappers import Response

YEAR = 365 * 24 * 3600


@lru_cache(maxsize=256)
def _digest(path: str, mtime_ns: int, size: int) -> str:
    with open(path, "rb") as f:
        return hashlib.sha256(f.read()).hexdigest()[:12]


def file_version(filename: str) -> str | None:
    """A short hash of the static file's content; None if there is no such file."""
    path = safe_join(current_app.static_folder or "", filename)
    if path is None:
        return None
    try:
        stat = os.stat(path)
    except OSError:
        return None
    return _digest(path, stat.st_mtime_ns, stat.st_size)


def add_version(endpoint: str, values: dict[str, Any]) -> None:
    if endpoint == "static" and "filename" in values and "v" not in values:
        version = file_version(str(values["filename"]))
        if version is not None:
            values["v"] = version


def cache_versioned(response: Response) -> Response:
    if (
        request.endpoint == "static"
        and response.status_code == 200
        and request.view_args is not None
        and request.args.get("v") == file_version(str(request.view_args["filename"]))
    ):
        response.cache_control.public = True
        response.cache_control.max_age = YEAR
        response.cache_control.immutable = True
        response.cache_control.no_cache = None
    return response


def init_app(app: Flask) -> None:
    app.url_defaults(add_version)
    app.after_request(cache_versioned)
