"""Live servers and Debian's Chromium for the browser tests."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest
from flask import Flask
from playwright.sync_api import BrowserContext, Page, Playwright
from werkzeug.serving import BaseWSGIServer, make_server

from commentsvc.accounts.models import Reader
from commentsvc.comments import posting, sites, threads
from commentsvc.comments.models import Thread
from commentsvc.consent import banner_settings
from commentsvc.core.extensions import db
from commentsvc.demo import create_demo_app
from tests.conftest import SMTPServer, build_app, free_port
from tests.factories import make_reader

if TYPE_CHECKING:
    from _typeshed.wsgi import StartResponse, WSGIApplication, WSGIEnvironment

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",  # the suite may run as root
    "--disable-gpu",
    "--disable-background-networking",  # no calls to outside services
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if "tests/browser/" in str(item.fspath):
            item.add_marker(pytest.mark.browser)


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args: dict[str, Any]) -> dict[str, Any]:
    # Playwright cannot download its own browser here; drive Debian's.
    return {**browser_type_launch_args, "executable_path": CHROMIUM, "args": CHROMIUM_ARGS}


@dataclass
class LiveServer:
    app: Flask
    url: str
    server: BaseWSGIServer


@contextmanager
def running(app: Flask, port: int) -> Iterator[LiveServer]:
    """app served on http://localhost:port until the block ends; then its database
    connections are closed (the next test may empty the shared database)."""
    server, thread = serve(app, "localhost", port)
    try:
        yield LiveServer(app=app, url=f"http://localhost:{port}", server=server)
    finally:
        _stop(server, thread)
        with app.app_context():
            db.session.remove()
            db.engine.dispose()


class Gate:
    """An app behind a gate the test's end closes. The browser outlives the server's
    fixture (the page fixture is set up first, so torn down last), and may still ask
    for something, also on a kept-alive connection the server's shutdown leaves open:
    closing waits for the requests in flight to give their database connections back,
    then answers 503 without touching the database, so no connection is opened after
    the pool is closed (it would leak, and warn when collected during a later test)."""

    def __init__(self, app: WSGIApplication) -> None:
        self.app = app
        self._state = threading.Condition()
        self._open = True
        self._busy = 0

    def __call__(self, environ: WSGIEnvironment, start_response: StartResponse) -> list[bytes]:
        with self._state:
            if not self._open:
                start_response("503 Service Unavailable", [("Content-Length", "0")])
                return []
            self._busy += 1
        try:
            body = self.app(environ, start_response)
            try:
                return [b"".join(body)]
            finally:
                getattr(body, "close", lambda: None)()
        finally:
            with self._state:
                self._busy -= 1
                self._state.notify_all()

    def close(self, timeout: float = 10) -> None:
        with self._state:
            self._open = False
            if not self._state.wait_for(lambda: self._busy == 0, timeout):
                raise AssertionError(f"a request was still running {timeout} s after the test")


def serve(app: WSGIApplication, host: str, port: int) -> tuple[BaseWSGIServer, threading.Thread]:
    server = make_server(host, port, Gate(app), threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    return server, thread


@pytest.fixture
def live_server(smtp_server: SMTPServer, tmp_path: Path) -> Iterator[LiveServer]:
    port = free_port()
    url = f"http://localhost:{port}"
    app = build_app(tmp_path, smtp_server.port, PUBLIC_URL=url)
    server, thread = serve(app, "localhost", port)
    yield LiveServer(app=app, url=url, server=server)
    _stop(server, thread)  # _close_databases closes its pool


# --- the widget on a news site: fixed origins, as the embed spec names them -------------------

SERVICE_URL = "http://localhost:5000"
NEWS_URL = "http://127.0.0.1:8001"  # registered for the site "demo"
UNREGISTERED_URL = "http://127.0.0.1:8002"  # the same pages, on an origin nobody registered
ARTICLE = "blinken-azerbaijan"
ARTICLE_TITLE = "Blinken's failure in Azerbaijan"


def create_article_thread(news_url: str) -> Thread:
    """The demo article's thread, as its first view would create it (in an app context)."""
    site = sites.require_site("demo")
    return threads.create_thread(site, ARTICLE, ARTICLE_TITLE, f"{news_url}/articles/{ARTICLE}")


def seed_comment(service: LiveServer, news_url: str, body: str, email: str, name: str) -> int:
    """Another reader's comment on the article, written before the test's reader arrives."""
    author_id = make_reader(service.app, email=email, display_name=name)
    with service.app.app_context():
        thread = create_article_thread(news_url)
        author = db.session.get(Reader, author_id)
        assert author is not None
        return posting.post_comment(author, thread, thread.site, body).id


# Playwright turns off third-party storage partitioning with its own --disable-features
# list; a later --disable-features switch replaces that list (the last one wins), so this
# copy of Playwright's list without ThirdPartyStoragePartitioning gives Chromium's real
# behaviour back.
REAL_STORAGE_PARTITIONING = "--disable-features=" + ",".join(
    [
        "AvoidUnnecessaryBeforeUnloadCheckSync",
        "DestroyProfileOnBrowserClose",
        "HttpsUpgrades",
        "HttpsFirstBalancedModeAutoEnable",
        "LensOverlay",
        "MediaRouter",
        "PaintHolding",
        "AvoidCorsURLLoaderRestartOnRedirect",
        "OptimizationHints",
        "NetworkTimeServiceQuerying",
        "AimEnabled",
        "PreconnectToSearch",
    ]
)


def _stop(server: BaseWSGIServer, thread: threading.Thread) -> None:
    assert isinstance(server.app, Gate)
    server.app.close()
    server.shutdown()
    server.server_close()
    thread.join(timeout=5)


@pytest.fixture
def service(smtp_server: SMTPServer, tmp_path: Path) -> Iterator[LiveServer]:
    """commentsvc on http://localhost:5000, CSRF on, with the site "demo" for NEWS_URL."""
    app = build_app(tmp_path, smtp_server.port, PUBLIC_URL=SERVICE_URL, WTF_CSRF_ENABLED=True)
    with app.app_context():
        sites.create_site("demo", "Demo News", [NEWS_URL])
    server, thread = serve(app, "localhost", 5000)
    yield LiveServer(app=app, url=SERVICE_URL, server=server)
    _stop(server, thread)
    with app.app_context():
        db.session.remove()
        db.engine.dispose()


def _news_site(port: int) -> Iterator[str]:
    server, thread = serve(create_demo_app(SERVICE_URL), "127.0.0.1", port)
    yield f"http://127.0.0.1:{port}"
    _stop(server, thread)


@pytest.fixture
def news_site(service: LiveServer) -> Iterator[str]:
    """The demo news site on its registered origin; yields its URL."""
    yield from _news_site(8001)


@pytest.fixture
def unregistered_site(service: LiveServer) -> Iterator[str]:
    yield from _news_site(8002)


@pytest.fixture
def reader(service: LiveServer) -> int:
    """A verified reader of the service (e-mail reader@example.org, factories.PASSWORD)."""
    return make_reader(service.app, display_name="Aysel Quliyeva")


def seed_profile(user_data_dir: Path, third_party_cookies: bool) -> None:
    """Set the third-party-cookie policy in a fresh Chromium profile, explicitly either way.

    A fresh profile of Debian's Chromium blocks them; no Playwright option sets this.
    """
    (user_data_dir / "Default").mkdir(parents=True)
    prefs = {
        "profile": {
            "cookie_controls_mode": 0 if third_party_cookies else 1,
            "block_third_party_cookies": not third_party_cookies,
        }
    }
    (user_data_dir / "Default" / "Preferences").write_text(json.dumps(prefs))


@pytest.fixture(params=["3p-cookies-allowed", "3p-cookies-blocked"])
def embed_context(
    request: pytest.FixtureRequest, playwright: Playwright, tmp_path: Path
) -> Iterator[BrowserContext]:
    """A Chromium profile that allows or blocks third-party cookies, as the param says."""
    profile = tmp_path / "chromium-profile"
    seed_profile(profile, third_party_cookies=request.param == "3p-cookies-allowed")
    context = playwright.chromium.launch_persistent_context(
        str(profile),
        executable_path=CHROMIUM,
        args=[*CHROMIUM_ARGS, REAL_STORAGE_PARTITIONING],
    )
    context.set_default_timeout(10_000)
    yield context
    context.close()


@pytest.fixture
def embed_page(embed_context: BrowserContext) -> Page:
    return embed_context.pages[0] if embed_context.pages else embed_context.new_page()


# --- the consent banner on the demo news site (tests/browser/test_consent*.py) ----------------

CONSENT_ARTICLE = f"{NEWS_URL}/articles/{ARTICLE}"


@pytest.fixture
def consent_site(service: LiveServer, news_site: str) -> LiveServer:
    """The demo site with the consent settings scripts/run_dev.py gives it: its stand-in
    analytics tag's cookie, demo_analytics, is listed under "analytics"."""

    with service.app.app_context():
        site = sites.get_site("demo")
        assert site is not None
        banner_settings.save_settings(
            site,
            banner_settings.SettingsInput(
                categories=["preferences", "analytics", "marketing"],
                cookies={"analytics": ["demo_analytics"]},
            ),
            None,
        )
    return service


@pytest.fixture
def gpc_page(browser: Any, consent_site: LiveServer) -> Iterator[Page]:
    """A page whose browser sends Global Privacy Control (header and navigator property)."""
    context = browser.new_context(extra_http_headers={"Sec-GPC": "1"})
    context.add_init_script(
        "Object.defineProperty(Navigator.prototype, 'globalPrivacyControl', {get: () => true})"
    )
    context.set_default_timeout(10_000)
    yield context.new_page()
    context.close()
