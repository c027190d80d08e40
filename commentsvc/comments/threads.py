"""Threads: finding and creating them, who decides their titles and URLs, locking, and
approved-comment counts for many at once.

A thread's title and URL come from the snippet on the site's article page. An unsigned
snippet is only a claim anyone can make with a crafted request, so what it sets is
provisional: a later view from one of the site's origins refreshes it. A snippet signed
with the site's secret (an HMAC the site's templates compute) is the site's word: only
later signed snippets change it, and a site can require signatures for every new thread.
A title the site's staff corrected is changed by no view. Views that write (create a
thread or change its title) are rate-limited per client address and per site; reading
an existing thread costs no more than before.
"""

from __future__ import annotations

import hashlib
import hmac
import ipaddress
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache
from typing import Any, cast

from flask import current_app
from flask_babel import lazy_gettext as _l
from limits import parse_many
from sqlalchemy import Select, String, and_, bindparam, select
from sqlalchemy.exc import IntegrityError

from commentsvc.accounts import sessions
from commentsvc.comments import eligibility, lifecycle, reading, sites
from commentsvc.comments.models import Comment, Site, Thread, TitleSource
from commentsvc.core.driver_reads import DriverSelect
from commentsvc.core.errors import Forbidden, Invalid, RateLimited
from commentsvc.core.extensions import db, limiter, utcnow
from commentsvc.core.input import DB_INT_MAX

KEY_MAX = 200
TITLE_MAX = 300
URL_MAX = 2000
# Larger ids or cursor values cannot name a row (the databases raise on them).
INT_MAX = DB_INT_MAX


def _check_key(key: str) -> str:
    if not 1 <= len(key) <= KEY_MAX or any(unicodedata.category(c)[0] == "C" for c in key):
        raise Invalid(_l("A thread key is 1 to 200 visible characters."), "key")
    return key


# Built once: every thread read starts with this query, and building the
# expression costs more than running it.
_FIND_THREAD = (
    select(Site, Thread)
    .outerjoin(Thread, and_(Thread.site_id == Site.id, Thread.key == bindparam("key")))
    .where(Site.slug == bindparam("slug"))
)


@cache
def _find_thread_and_session(posting: bool) -> Select[Any]:
    """_FIND_THREAD with a session and its reader alongside (none if the token names
    none), and for a post that reader's inputs to the site's rules: built once, on first
    use, when every model is mapped."""
    statement = sessions.alongside(_FIND_THREAD)
    return eligibility.alongside(statement, by_token=True) if posting else statement


@cache
def _read_for_a_page() -> DriverSelect:
    """_find_thread_and_session with the reader's stake in the thread, which every
    signed-in view of a thread runs: on the driver's cursor (see core/driver_reads.py)."""
    return DriverSelect(reading.stake_alongside(_find_thread_and_session(posting=False)))


@cache
def _find_thread_for_posting() -> Select[Any]:
    """_FIND_THREAD with the inputs to the site's rules of the reader named by id."""
    return eligibility.alongside(_FIND_THREAD, by_token=False)


def find_thread(
    site_slug: str,
    key: str,
    session_token: str | None = None,
    posting: bool = False,
    reader_id: int | None = None,
    stake: bool = False,
) -> tuple[Site, Thread | None] | None:
    """The site and, if it exists yet, the thread: one query. None if there is no such site.

    With the token of the request's session cookie, the same query reads that session
    for the request's user loader (accounts.sessions.preload): a signed-in reader's
    page asks the database once less. posting: the request posts a comment, and the
    query reads the inputs to the site's rules (comments.eligibility.preload) of the
    reader the token names, or without a token of reader_id (a reader loaded already).
    stake: the request shows the thread (it does not post), and the query reads the
    stake in it of the reader the token names (comments.reading.preload_stake): a second
    query less."""
    params: dict[str, Any] = {"key": key, "slug": site_slug}
    if not sessions.usable_token(session_token):
        if not posting or reader_id is None:
            row = db.session.execute(_FIND_THREAD, params).first()
            return None if row is None else (row[0], row[1])
        params.update(eligibility.parameters(site_slug), reader_id=reader_id)
        row = db.session.execute(_find_thread_for_posting(), params).first()
        if row is None:
            return None
        eligibility.preload(reader_id, row[0], row[2:], params["limit"])
        return row[0], row[1]
    token = cast(str, session_token)
    params["token_hash"] = sessions.hash_token(token)
    found: Sequence[Any] | None
    if posting:
        params.update(eligibility.parameters(site_slug))
        found = db.session.execute(_find_thread_and_session(posting=True), params).first()
    elif stake:
        params["now"] = utcnow()
        found = _read_for_a_page().first(params)
    else:
        found = db.session.execute(_find_thread_and_session(posting=False), params).first()
    if found is None:
        return None
    site, thread, reader, expires_at, site_id, second_factor_at = found[:6]
    sessions.preload(token, (reader, expires_at, site_id, second_factor_at))
    if posting:
        eligibility.preload(reader.id if reader else None, site, found[6:], params["limit"])
    elif stake and reader is not None and thread is not None:
        reading.preload_stake(reader.id, thread.id, found[6:8])
    return site, thread


def find_existing_thread(
    site_slug: str,
    key: str,
    session_token: str | None = None,
    posting: bool = False,
    reader_id: int | None = None,
) -> tuple[Site, Thread] | None:
    """The site and thread, or None if either does not exist (the rest: as find_thread)."""
    found = find_thread(site_slug, key, session_token, posting, reader_id)
    if found is None or found[1] is None:
        return None
    return found[0], found[1]


def _clean_title(title: str) -> str:
    return " ".join(title.split())[:TITLE_MAX]


def _check_url(site: Site, url: str) -> str:
    # No whitespace or control characters: a real URL has none, and the signed message
    # (see sign) stays unambiguous.
    if (
        len(url) > URL_MAX
        or any(c.isspace() or unicodedata.category(c)[0] == "C" for c in url)
        or not sites.url_is_on_site(site, url)
    ):
        raise Invalid(_l("The article URL is not on one of the site's origins."), "url")
    return url


def create_thread(
    site: Site, key: str, title: str, url: str, source: TitleSource = TitleSource.SNIPPET
) -> Thread:
    """Create a thread with this title and URL (views go through view_thread).

    :raises Invalid: the key is malformed, or the URL is not on one of the site's origins.
    """
    _check_key(key)
    _check_url(site, url)
    thread = Thread(
        site_id=site.id, key=key, title=_clean_title(title), url=url, title_source=source
    )
    db.session.add(thread)
    try:
        db.session.commit()
    except IntegrityError:
        # Two first views at once: the other one created it.
        db.session.rollback()
        found = find_thread(site.slug, key)
        if found is None or found[1] is None:
            raise
        return found[1]
    return thread


# --- who decides the title and URL -------------------------------------------------------


class SignatureRequired(Forbidden):
    """The site creates threads only from snippets signed with its secret."""


def sign(secret: str, key: str, url: str, title: str) -> str:
    """The snippet signature: hex HMAC-SHA256 with the site's secret over the thread key,
    the article URL and the title, joined by newlines, exactly as the snippet carries them
    (the key and URL cannot contain a newline)."""
    message = f"{key}\n{url}\n{title}".encode()
    return hmac.new(secret.encode(), message, hashlib.sha256).hexdigest()


@dataclass(frozen=True)
class PageView:
    """What a view of a thread page claims about the article, and where it came from."""

    title: str
    url: str
    signature: str
    # Whether the browser said the page was opened from one of the site's origins
    # (its Referer); a crafted request can claim it too, so it only refreshes
    # provisional titles.
    from_site: bool
    client: str


def _signed(site: Site, key: str, view: PageView) -> bool:
    if not site.thread_secret or not view.signature:
        return False
    expected = sign(site.thread_secret, key, view.url, view.title)
    return hmac.compare_digest(expected, view.signature.lower())


def _client_key(client: str) -> str:
    """The budget an address draws on: an IPv6 client, which may hold a whole /64,
    counts as that network."""
    try:
        address = ipaddress.ip_address(client)
    except ValueError:
        return client
    if address.version == 6:
        return str(ipaddress.ip_network(f"{address}/64", strict=False))
    return str(address)


def _write_allowed(site: Site, client: str, signed: bool) -> bool:
    """Count one anonymous write against the per-address budget and, unless the site
    signed it, the per-site one; a write refused by the first costs nothing from the
    second, so one address cannot spend a site's budget."""
    if not limiter.enabled:
        return True
    config = current_app.config
    prefix = str(config.get("RATELIMIT_KEY_PREFIX", ""))
    budgets = [(config["RATELIMIT_THREAD_WRITE_IP"], ("thread-write-ip", _client_key(client)))]
    if not signed:
        # Signed snippets name only threads the site made: they cannot flood it.
        budgets.append((config["RATELIMIT_THREAD_WRITE_SITE"], ("thread-write-site", str(site.id))))
    strategy = limiter.limiter
    for spec, names in budgets:
        items = parse_many(str(spec))
        if not all(strategy.test(item, prefix, *names) for item in items):
            return False
    for spec, names in budgets:
        for item in parse_many(str(spec)):
            strategy.hit(item, prefix, *names)
    return True


def view_thread(site: Site, key: str, found: Thread | None, view: PageView) -> Thread:
    """The thread a page view shows: created on its first view, its provisional or
    signed title and URL refreshed by a later one that may change them.

    :raises Invalid: a new thread's key or URL is not acceptable.
    :raises SignatureRequired: a new thread without a valid signature on a site that
        requires one.
    :raises RateLimited: too many new threads from this address or on this site.
    """
    if found is not None:
        _refresh(site, key, found, view)
        return found
    _check_key(key)
    signed = _signed(site, key, view)
    if site.require_signed_threads and not signed:
        raise SignatureRequired(_l("This site shows comments only under its own articles."))
    _check_url(site, view.url)
    if not _write_allowed(site, view.client, signed):
        raise RateLimited(_l("Too many new threads. Please wait a little and try again."))
    source = TitleSource.SIGNED if signed else TitleSource.SNIPPET
    return create_thread(site, key, view.title, view.url, source)


def _refresh(site: Site, key: str, thread: Thread, view: PageView) -> None:
    # The common case, a view that claims what the thread already has, costs nothing more.
    if thread.title_source == TitleSource.STAFF or not (view.title or view.url):
        return
    title = _clean_title(view.title) or thread.title
    url = view.url or thread.url
    if title == thread.title and url == thread.url:
        return
    if _signed(site, key, view):
        source = TitleSource.SIGNED
    elif (
        thread.title_source == TitleSource.SNIPPET
        and not site.require_signed_threads
        and view.from_site
    ):
        source = TitleSource.SNIPPET
    else:
        return
    try:
        _check_url(site, url)
    except Invalid:
        return
    if not _write_allowed(site, view.client, source == TitleSource.SIGNED):
        return  # the page is still shown, with the title it had
    _set_identity(thread, title, url, source)


def _set_identity(thread: Thread, title: str, url: str, source: TitleSource) -> None:
    thread.title, thread.url, thread.title_source = title, url, source
    # The title is on the cached pages: a new version so they are rendered again.
    lifecycle.thread_changed(thread.id)
    db.session.commit()
    db.session.refresh(thread)


def correct_thread(thread: Thread, title: str, url: str) -> None:
    """The site's staff set the title and URL; no page view changes them afterwards.

    Changes the session only: the caller commits (moderation.decisions, with its audit
    entry).

    :raises Invalid: an empty or too long title, or a URL not on the site's origins.
    """
    title = " ".join(title.split())
    if not 1 <= len(title) <= TITLE_MAX:
        raise Invalid(_l("A title is 1 to 300 characters."), "title")
    url = url.strip()
    _check_url(thread.site, url)
    thread.title, thread.url, thread.title_source = title, url, TitleSource.STAFF
    lifecycle.thread_changed(thread.id)


def set_locked(thread: Thread, locked: bool) -> None:
    """Lock the thread or unlock it (the site's own tools; moderators go through
    moderation.decisions, which also writes the audit entry)."""
    lifecycle.set_locked(thread, locked)
    db.session.commit()


# --- reading ---------------------------------------------------------------------------


@cache
def counts_statement(size: int) -> Select[Any]:
    """Approved comment counts of `size` threads of a site (bound as k0, k1, … and slug),
    after the site's origins: one row, a count per key in the keys' order (NULL when
    there is no such thread); no row when there is no such site. One per size, so each
    compiles once; the page cache runs the same statement to check a kept answer
    (page_cache.StampReader).

    Each count is its own subquery, one probe of the thread index per key. Joined to
    the keys as rows, PostgreSQL hashed every thread of the site instead (a site of
    1,000 threads: 0.19 ms against 0.14 ms, and 370 against 230 us for the prepared
    statement from Python); as `key IN (…)`, its plan for the prepared statement read
    every thread of a small site too.
    """
    counted = (
        select(Thread.comment_count)
        .where(Thread.site_id == Site.id, Thread.key == bindparam(f"k{n}", type_=String))
        .scalar_subquery()
        for n in range(size)
    )
    return select(Site.origins, *counted).where(Site.slug == bindparam("slug"))


def counts_parameters(site_slug: str, keys: Sequence[str]) -> dict[str, str]:
    return {"slug": site_slug, **{f"k{n}": key for n, key in enumerate(keys)}}


def wanted_keys(keys: Sequence[str]) -> list[str]:
    """The keys worth counting: once each, and only those a thread can have."""
    return [k for k in dict.fromkeys(keys) if 1 <= len(k) <= KEY_MAX]


@dataclass(frozen=True)
class SiteCounts:
    origins: list[str]
    counts: dict[str, int]


def counts(site_slug: str, keys: list[str]) -> SiteCounts | None:
    """Approved comment counts for many threads of a site (0 for unknown keys), with the
    site's origins; None if there is no such site. One query."""
    wanted = wanted_keys(keys)
    statement = counts_statement(len(wanted))
    row = db.session.connection().execute(statement, counts_parameters(site_slug, wanted)).first()
    if row is None:
        return None
    origins, *found = row
    return SiteCounts(list(origins), {k: n or 0 for k, n in zip(wanted, found, strict=True)})


def get_comment(comment_id: int) -> Comment | None:
    """The comment with this id, or None (also for ids too large for any row)."""
    if not 0 < comment_id <= INT_MAX:
        return None
    return db.session.get(Comment, comment_id)
