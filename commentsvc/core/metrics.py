"""Prometheus metrics at /metrics, for the operator's scraper only.

What is counted: requests by endpoint and status with their latency (the `RequestMetrics`
WSGI middleware, outermost, so kept pages answered by comments/page_cache.py count too),
the page cache's hits, misses and kept bytes and entries (counted by the cache itself), and,
read at scrape time with one query each, the mail outbox's depth and oldest unsent age and
the number of held comments. Labels are endpoint names and status codes, never a path, so
the number of series is bounded by the code, not by what clients ask for.

Who may read it: a request with `Authorization: Bearer <METRICS_TOKEN>`, or one from an
address in METRICS_ALLOW that did not come through a proxy. With neither configured the
page does not exist (404) and requests are not timed at all.

Worker processes: each process counts its own. With PROMETHEUS_MULTIPROC_DIR set (before
the first import of prometheus_client) prometheus_client's multiprocess mode keeps the
values in files there and a scrape sums every worker's; gunicorn must then call
`child_exit` (and should call `on_starting`) from its configuration file:

    # gunicorn.conf.py
    from commentsvc.core import metrics
    on_starting = metrics.on_starting
    child_exit = metrics.child_exit
"""

from __future__ import annotations

import hmac
import ipaddress
import logging
import os
from collections.abc import Iterable, Iterator
from pathlib import Path
from time import perf_counter
from typing import TYPE_CHECKING, Any

from flask import Blueprint, Flask, abort, current_app, request
from flask_babel import gettext as _
from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, multiprocess
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.exposition import choose_encoder
from prometheus_client.registry import Collector
from sqlalchemy import func, select
from sqlalchemy.exc import SQLAlchemyError
from werkzeug.datastructures import WWWAuthenticate
from werkzeug.exceptions import Unauthorized
from werkzeug.wrappers import Response

from commentsvc.core.extensions import db, limiter, utcnow
from commentsvc.core.models import OutboxMessage, OutboxStatus

if TYPE_CHECKING:
    from _typeshed.wsgi import StartResponse, WSGIApplication, WSGIEnvironment

log = logging.getLogger(__name__)

# prometheus_client picks file-backed values at its import when this is set.
MULTIPROC_ENV = "PROMETHEUS_MULTIPROC_DIR"
# Set by the page cache on a request it answered itself.
PAGE_CACHE_HIT = "commentsvc.page_cache_hit"
ENDPOINT_KEY = "commentsvc.endpoint"
# A proxy adds these: such a request is never let in by its (the proxy's) address.
FORWARDED_HEADERS = ("HTTP_X_FORWARDED_FOR", "HTTP_FORWARDED", "HTTP_X_REAL_IP")
MIN_TOKEN_LENGTH = 16

_LOCAL = CollectorRegistry()
LATENCY_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0)

REQUESTS = Counter(
    "commentsvc_http_requests",
    "Requests answered, by endpoint (the Flask endpoint; page_cache for kept pages; the "
    "status code when no route matched) and status code.",
    ["endpoint", "status"],
    registry=_LOCAL,
)
LATENCY = Histogram(
    "commentsvc_http_request_duration_seconds",
    "Time from a request's arrival to the start of its response, by endpoint.",
    ["endpoint"],
    buckets=LATENCY_BUCKETS,
    registry=_LOCAL,
)
PAGE_CACHE_HITS = Counter(
    "commentsvc_page_cache_hits", "Thread reads answered from the page cache.", registry=_LOCAL
)
PAGE_CACHE_MISSES = Counter(
    "commentsvc_page_cache_misses",
    "Shareable thread reads the app rendered: not kept yet, or changed since.",
    registry=_LOCAL,
)
PAGE_CACHE_BYTES = Gauge(
    "commentsvc_page_cache_bytes",
    "Bytes of pages kept by the page cache (all live workers).",
    registry=_LOCAL,
    multiprocess_mode="livesum",
)
PAGE_CACHE_ENTRIES = Gauge(
    "commentsvc_page_cache_entries",
    "Pages kept by the page cache (all live workers).",
    registry=_LOCAL,
    multiprocess_mode="livesum",
)

bp = Blueprint("metrics", __name__)


class RequestMetrics:
    """WSGI middleware: count every request by endpoint and status, and time it."""

    def __init__(self, app: WSGIApplication) -> None:
        self.app = app
        # Label lookups cost more than the counting: keep the children (few, bounded).
        self._counts: dict[tuple[str, str], Any] = {}
        self._timers: dict[str, Any] = {}

    def __call__(self, environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
        started = perf_counter()
        status = "500"  # unless the app gets to start a response

        def seen(status_line: str, headers: list[tuple[str, str]], exc_info: Any = None) -> Any:
            nonlocal status
            status = status_line[:3]
            return start_response(status_line, headers, exc_info)

        try:
            return self.app(environ, seen)
        finally:
            self._record(endpoint_of(environ), status, perf_counter() - started)

    def _record(self, endpoint: str, status: str, seconds: float) -> None:
        count = self._counts.get((endpoint, status))
        if count is None:
            count = self._counts[endpoint, status] = REQUESTS.labels(endpoint, status)
        timer = self._timers.get(endpoint)
        if timer is None:
            timer = self._timers[endpoint] = LATENCY.labels(endpoint)
        count.inc()
        timer.observe(seconds)


def endpoint_of(environ: WSGIEnvironment) -> str:
    """The request's label: page_cache, or what Flask noted (see note_endpoint)."""
    if PAGE_CACHE_HIT in environ:
        return "page_cache"
    return str(environ.get(ENDPOINT_KEY, "unrouted"))


def note_endpoint(_exc: BaseException | None) -> None:
    """Teardown hook: leave the request's Flask endpoint, or the code of the routing
    error (404, 405, 308), in the environ for RequestMetrics (Flask drops the request
    object from it right after)."""
    if request.url_rule is not None:
        label = str(request.url_rule.endpoint)
    else:
        label = str(getattr(request.routing_exception, "code", None) or "unrouted")
    request.environ[ENDPOINT_KEY] = label


Network = ipaddress.IPv4Network | ipaddress.IPv6Network


class Guard:
    """Who may read /metrics: a bearer token, or a direct request from listed networks."""

    def __init__(self, token: str | None, networks: list[Network]) -> None:
        self.token = token.encode() if token else None
        self.networks = networks

    @property
    def enabled(self) -> bool:
        return self.token is not None or bool(self.networks)

    def admits(self, environ: WSGIEnvironment, authorization: str) -> bool:
        if self.token is not None:
            scheme, _sep, given = authorization.partition(" ")
            # compare_digest takes as long for any wrong token of the same length.
            if scheme.lower() == "bearer" and hmac.compare_digest(
                given.strip().encode(), self.token
            ):
                return True
        if not self.networks or any(name in environ for name in FORWARDED_HEADERS):
            return False
        try:
            address = ipaddress.ip_address(str(environ.get("REMOTE_ADDR", "")))
        except ValueError:
            return False
        if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped:
            address = address.ipv4_mapped
        return any(address in network for network in self.networks)


def parse_networks(value: object) -> list[Network]:
    """METRICS_ALLOW: addresses or CIDR ranges, comma-separated (or a list).

    :raises RuntimeError: an entry is not an address or range.
    """
    items = value if isinstance(value, list | tuple) else str(value or "").split(",")
    networks: list[Network] = []
    for item in (str(i).strip() for i in items):
        if not item:
            continue
        try:
            networks.append(ipaddress.ip_network(item, strict=False))
        except ValueError as exc:
            raise RuntimeError(f"METRICS_ALLOW: {item!r} is not an address or range") from exc
    return networks


def init_app(app: Flask) -> None:
    """Read METRICS_TOKEN and METRICS_ALLOW and add the page.

    :raises RuntimeError: a token shorter than MIN_TOKEN_LENGTH, or a bad address.
    """
    token = app.config["METRICS_TOKEN"]
    if token is not None:
        token = str(token)
        if len(token) < MIN_TOKEN_LENGTH:
            raise RuntimeError(
                f"METRICS_TOKEN must be at least {MIN_TOKEN_LENGTH} characters; "
                "use a long random value."
            )
    app.extensions["commentsvc.metrics"] = Guard(token, parse_networks(app.config["METRICS_ALLOW"]))
    app.register_blueprint(bp)


def wrap_app(app: Flask) -> None:
    """Count and time requests, outside every other middleware; only if /metrics is on."""
    if guard_of(app).enabled:
        app.teardown_request(note_endpoint)
        app.wsgi_app = RequestMetrics(app.wsgi_app)  # type: ignore[method-assign]


def guard_of(app: Flask) -> Guard:
    guard: Guard = app.extensions["commentsvc.metrics"]
    return guard


@bp.get("/metrics")
@limiter.exempt
def metrics() -> Response:
    guard = guard_of(current_app)
    if not guard.enabled:
        abort(404)
    if not guard.admits(request.environ, request.headers.get("Authorization", "")):
        if guard.token is None:
            abort(403)
        raise Unauthorized(
            _("Metrics need a valid token."), www_authenticate=WWWAuthenticate("bearer")
        )
    registry = CollectorRegistry()
    if os.environ.get(MULTIPROC_ENV):
        multiprocess.MultiProcessCollector(registry)  # type: ignore[no-untyped-call]
    else:
        registry.register(_Source(_LOCAL))
    registry.register(_Source(*state_now()))
    encoder, content_type = choose_encoder(request.headers.get("Accept", ""))
    response = Response(encoder(registry), content_type=content_type)
    response.headers["Cache-Control"] = "no-store"
    return response


class _Source(Collector):
    def __init__(self, *sources: Collector | Metric) -> None:
        self.sources = sources

    def collect(self) -> Iterator[Metric]:
        for source in self.sources:
            if isinstance(source, Metric):
                yield source
            else:
                yield from source.collect()


def state_now() -> list[Metric]:
    """The outbox and the moderation queue as they are now: one indexed query each."""
    from commentsvc.comments.models import Comment, CommentStatus

    try:
        depth, oldest = db.session.execute(
            select(func.count(), func.min(OutboxMessage.created_at)).where(
                OutboxMessage.status == OutboxStatus.PENDING
            )
        ).one()
        held = db.session.scalar(
            select(func.count()).select_from(Comment).where(Comment.status == CommentStatus.PENDING)
        )
    except SQLAlchemyError:
        db.session.rollback()
        log.warning("Metrics: the database did not answer", exc_info=True)
        return [_gauge("commentsvc_database_up", "Whether the database answered the scrape.", 0)]
    age = max((utcnow() - oldest).total_seconds(), 0.0) if oldest is not None else 0.0
    return [
        _gauge("commentsvc_database_up", "Whether the database answered the scrape.", 1),
        _gauge("commentsvc_outbox_pending", "E-mails waiting in the outbox to be sent.", depth),
        _gauge(
            "commentsvc_outbox_oldest_pending_age_seconds",
            "Age of the oldest e-mail waiting in the outbox (0 when none waits).",
            age,
        ),
        _gauge("commentsvc_comments_held", "Comments held for moderation.", held or 0),
    ]


def _gauge(name: str, documentation: str, value: float) -> GaugeMetricFamily:
    return GaugeMetricFamily(name, documentation, value=value)


def child_exit(server: object, worker: Any) -> None:
    """gunicorn hook (call it from gunicorn.conf.py's child_exit): forget a dead worker's
    live gauges in multiprocess mode; its counts stay in the totals."""
    if os.environ.get(MULTIPROC_ENV):
        multiprocess.mark_process_dead(worker.pid)  # type: ignore[no-untyped-call]


def on_starting(server: object) -> None:
    """gunicorn hook (call it from gunicorn.conf.py's on_starting): start with an empty
    PROMETHEUS_MULTIPROC_DIR, as prometheus_client asks; files of an earlier run would
    count again."""
    directory = os.environ.get(MULTIPROC_ENV)
    if directory:
        for stale in Path(directory).glob("*.db"):
            stale.unlink(missing_ok=True)
