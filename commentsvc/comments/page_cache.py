"""Answer anonymous readers' thread reads from memory, before the app runs.

Every anonymous reader of a thread URL gets the same bytes: the widget page, its
first-party twin and the JSON list depend only on the URL, the language and the
state of the thread and its site. A view that renders such a response calls
`mark_shareable`; `SharedPageCache`, a WSGI middleware around the Flask app, keeps
what was sent and answers the next identical request from it.

Before an entry is served, one indexed query reads the thread's current stamp
(version, creation time, its site's slug and origins). Every visible change bumps
the version, so an entry is never served after the thread changed, whichever
worker changed it, nor after the site's origins (its framing rules) changed.

Only a GET without the service's session cookies is answered here; anything
else, and every miss, goes through Flask as usual. Entries are per process and
bounded by their total size; old versions simply age out.

A kept page that shared caches may keep too carries its ETag (core/cdn.py): a
request whose If-None-Match names it is answered 304 after the same one query,
without rendering. On a miss the page is rendered in full and kept, and only then
answered 304 if the tag matches, so that a CDN's revalidations fill this cache too.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

from flask import Flask, request
from sqlalchemy import bindparam, select
from sqlalchemy.exc import SQLAlchemyError
from werkzeug.http import parse_cookie

from commentsvc.comments import threads
from commentsvc.comments.models import Site, Thread
from commentsvc.comments.threads import SiteCounts
from commentsvc.core import cdn, driver_reads
from commentsvc.core.extensions import db
from commentsvc.core.i18n import best_language
from commentsvc.core.kept import SizedLRU
from commentsvc.core.metrics import (
    PAGE_CACHE_BYTES,
    PAGE_CACHE_ENTRIES,
    PAGE_CACHE_HIT,
    PAGE_CACHE_HITS,
    PAGE_CACHE_MISSES,
)

if TYPE_CHECKING:
    from _typeshed.wsgi import StartResponse, WSGIApplication, WSGIEnvironment


STAMP_KEY = cdn.SHAREABLE_KEY
NOT_MODIFIED = "304 Not Modified"
# Headers about the body, which a 304 has none of (RFC 9110 15.4.5).
_BODY_HEADERS = frozenset(("content-length", "content-type", "content-encoding"))


@dataclass(frozen=True)
class Stamp:
    """What a shared response was rendered from; it is served only while this holds."""

    thread_id: int
    version: int
    created_at: datetime
    site_slug: str
    origins: tuple[str, ...]

    def validator(self) -> str:
        """The stamp as text, for the response's ETag (core/cdn.py)."""
        parts = (self.thread_id, self.version, self.created_at.isoformat(), self.site_slug)
        return "/".join(map(str, parts)) + "/" + " ".join(self.origins)


@dataclass(frozen=True)
class Entry:
    stamp: Stamp | CountsStamp
    status: str
    headers: list[tuple[str, str]]
    body: bytes
    # The ETag, when shared caches may keep the page, and the headers of its 304.
    etag: str | None = None
    not_modified: list[tuple[str, str]] | None = None

    @classmethod
    def of(
        cls, stamp: Stamp | CountsStamp, status: str, headers: list[tuple[str, str]], body: bytes
    ) -> Entry:
        etag = next((v for k, v in headers if k.lower() == "etag"), None)
        if etag is None:
            return cls(stamp, status, headers, body)
        unchanged = [(k, v) for k, v in headers if k.lower() not in _BODY_HEADERS]
        return cls(stamp, status, headers, body, etag, unchanged)

    def matches(self, environ: WSGIEnvironment) -> bool:
        """Whether the request's If-None-Match names this page (then it gets a 304)."""
        condition = environ.get("HTTP_IF_NONE_MATCH")
        return (
            condition is not None and self.etag is not None and cdn.none_match(condition, self.etag)
        )


@dataclass(frozen=True)
class CountsStamp:
    """What a kept answer of comment counts was made from: each thread's count and the
    site's origins (the answer's CORS header names one of them)."""

    site_slug: str
    keys: tuple[str, ...]
    origins: tuple[str, ...]
    counts: tuple[int, ...]

    def validator(self) -> str:
        """The counts as text, for the response's ETag (core/cdn.py)."""
        pairs = " ".join(f"{k}={n}" for k, n in zip(self.keys, self.counts, strict=True))
        return f"{self.site_slug}/{pairs}/" + " ".join(self.origins)


def mark_shareable(site: Site, thread: Thread) -> None:
    """Declare this response the same for every anonymous reader of this URL and language."""
    request.environ[STAMP_KEY] = Stamp(
        thread.id, thread.version, thread.created_at, site.slug, tuple(site.origins)
    )


def mark_counts_shareable(site_slug: str, keys: list[str], found: SiteCounts) -> None:
    """Declare a counts answer the same for every anonymous request of this URL (and
    Origin): kept, it is served again while every count and the origins are unchanged."""
    request.environ[STAMP_KEY] = CountsStamp(
        site_slug, tuple(keys), tuple(found.origins), tuple(found.counts[k] for k in keys)
    )


def _gauge_change(size: int, count: int) -> None:
    # Changes, not values: the gauges add up every cache of the process.
    PAGE_CACHE_BYTES.inc(size)
    PAGE_CACHE_ENTRIES.inc(count)


_CURRENT_STAMP = (
    select(Thread.id, Thread.version, Thread.created_at, Site.slug, Site.origins)
    .join(Site, Site.id == Thread.site_id)
    .where(Thread.id == bindparam("thread_id"))
)


class StampReader:
    """Reads a thread's current stamp: the one query a kept page costs.

    SQLAlchemy compiles the query and converts the values as usual, but the query
    runs on the driver's cursor: Connection.execute would double the cost of a kept
    read. `checks` counts the queries.
    """

    def __init__(self, app: Flask) -> None:
        with app.app_context():
            engine = db.engine
        # On PostgreSQL the query runs outside a transaction, as every read does
        # (core/transactions.py): no BEGIN and no ROLLBACK around it.
        self.engine = engine
        dialect = engine.dialect
        compiled = _CURRENT_STAMP.compile(dialect=dialect)
        self.sql = str(compiled)
        self.positional = dialect.positional
        self.convert = driver_reads.converters(_CURRENT_STAMP.selected_columns, dialect)
        self.driver_error: type[Exception] = dialect.loaded_dbapi.Error
        self.checks = 0
        self._counts: dict[int, tuple[str, tuple[str, ...], Any]] = {}

    def confirms(self, stamp: Stamp | CountsStamp) -> bool:
        """Whether what a kept response was made from still holds."""
        if isinstance(stamp, CountsStamp):
            return self.counts(stamp.site_slug, stamp.keys) == stamp
        return self.current(stamp.thread_id) == stamp

    def current(self, thread_id: int) -> Stamp | None:
        """The thread's stamp now; None if it is gone or the database did not answer."""
        params: Any = (thread_id,) if self.positional else {"thread_id": thread_id}
        rows = self._fetch(self.sql, params)
        if not rows:
            return None
        values: list[Any] = [f(v) if f else v for f, v in zip(self.convert, rows[0], strict=True)]
        return Stamp(values[0], values[1], values[2], values[3], tuple(values[4]))

    def counts(self, site_slug: str, keys: tuple[str, ...]) -> CountsStamp | None:
        """The counts of these threads now (threads.counts' query); None if the site is
        gone or the database did not answer."""
        sql, order, origins_of = self._counts_query(len(keys))
        named = threads.counts_parameters(site_slug, keys)
        params: Any = tuple(named[name] for name in order) if self.positional else named
        rows = self._fetch(sql, params)
        if not rows:
            return None
        origins, *found = rows[0]
        if origins_of:
            origins = origins_of(origins)
        return CountsStamp(site_slug, keys, tuple(origins), tuple(n or 0 for n in found))

    def _counts_query(self, size: int) -> tuple[str, tuple[str, ...], Any]:
        if size not in self._counts:
            statement = threads.counts_statement(size)
            compiled = statement.compile(dialect=self.engine.dialect)
            self._counts[size] = (
                str(compiled),
                tuple(compiled.positiontup or ()),
                driver_reads.converters(statement.selected_columns[:1], self.engine.dialect)[0],
            )
        return self._counts[size]

    def _fetch(self, sql: str, params: Any) -> list[Any] | None:
        """The rows of one query on the driver's cursor (core/driver_reads.py); None if
        the database did not answer. `checks` counts the calls."""
        self.checks += 1
        try:
            return driver_reads.fetch_all(self.engine, sql, params)
        except (self.driver_error, SQLAlchemyError):
            return None


class SharedPageCache:
    """WSGI middleware: serve a stored shared response while its stamp is current.

    The app's instance is app.extensions[EXTENSION] (see `of`); core.edge wraps it.
    """

    EXTENSION = "commentsvc.page_cache"

    @staticmethod
    def of(app: Flask) -> SharedPageCache | None:
        """The app's page cache; None when it is turned off."""
        cache = app.extensions.get(SharedPageCache.EXTENSION)
        return cache if isinstance(cache, SharedPageCache) else None

    def __init__(self, app: Flask, max_bytes: int) -> None:
        self.app = app
        self.wrapped: WSGIApplication = app.wsgi_app
        self.entries: SizedLRU[Entry] = SizedLRU(max_bytes, _gauge_change)
        self.languages = tuple(app.config["LANGUAGES"])
        # A request carrying any of these may belong to a signed-in reader.
        self.session_cookies = cdn.session_cookie_names(app)
        self._stamps: StampReader | None = None

    def __call__(self, environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
        if environ.get("REQUEST_METHOD") != "GET" or self._has_session(environ):
            return self.wrapped(environ, start_response)
        key = self._key(environ)
        entry = self.entries.get(key)
        # An entry whose stamp is not confirmed (changed, gone, or the database did not
        # answer) is left to the app, which renders and keeps the page again.
        if entry is not None and self.stamps.confirms(entry.stamp):
            environ[PAGE_CACHE_HIT] = True
            PAGE_CACHE_HITS.inc()
            if entry.not_modified is not None and entry.matches(environ):
                start_response(NOT_MODIFIED, entry.not_modified)
                return []
            start_response(entry.status, entry.headers)
            return [entry.body]
        return self._render_and_keep(key, environ, start_response)

    def _has_session(self, environ: WSGIEnvironment) -> bool:
        header = environ.get("HTTP_COOKIE")
        if not header:
            return False
        return not self.session_cookies.isdisjoint(parse_cookie(header).keys())

    def _key(self, environ: WSGIEnvironment) -> Hashable:
        return (
            environ.get("wsgi.url_scheme"),
            environ.get("HTTP_HOST"),
            environ.get("SCRIPT_NAME", ""),
            environ.get("PATH_INFO", ""),
            environ.get("QUERY_STRING", ""),
            best_language(environ.get("HTTP_ACCEPT_LANGUAGE"), self.languages),
            # Counts answers name the asking origin in their CORS header.
            environ.get("HTTP_ORIGIN", ""),
        )

    @property
    def stamps(self) -> StampReader:
        if self._stamps is None:  # the first request, after the worker has started
            self._stamps = StampReader(self.app)
        return self._stamps

    def _render_and_keep(
        self, key: Hashable, environ: WSGIEnvironment, start_response: StartResponse
    ) -> Iterable[bytes]:
        sent: dict[str, Any] = {}

        def remember(
            status: str, headers: list[tuple[str, str]], exc_info: Any = None
        ) -> Callable[[bytes], object]:
            # Sent on once the response is known: it may be kept, then answered 304.
            sent["status"], sent["headers"], sent["exc_info"] = status, headers, exc_info
            return _no_write

        # The app renders the whole page even for a matching If-None-Match: it is kept,
        # then answered below.
        environ[cdn.CONDITIONALS_ANSWERED_KEY] = True
        app_iter = self.wrapped(environ, remember)  # Flask starts the response before it returns
        stamp = environ.get(STAMP_KEY)
        headers: list[tuple[str, str]] = sent["headers"]
        if (
            not isinstance(stamp, Stamp | CountsStamp)
            or sent.get("status") != "200 OK"
            or any(name.lower() == "set-cookie" for name, _value in headers)
        ):
            start_response(sent["status"], headers, sent["exc_info"])
            return app_iter
        PAGE_CACHE_MISSES.inc()
        try:
            body = b"".join(app_iter)
        finally:
            close = getattr(app_iter, "close", None)
            if close is not None:
                close()
        entry = Entry.of(stamp, sent["status"], list(headers), body)
        self.entries.put(key, entry, len(entry.body))
        if entry.not_modified is not None and entry.matches(environ):
            start_response(NOT_MODIFIED, entry.not_modified)
            return []
        start_response(entry.status, entry.headers)
        return [body]


def _no_write(data: bytes) -> object:
    raise NotImplementedError("the app must return its body, not write() it")
