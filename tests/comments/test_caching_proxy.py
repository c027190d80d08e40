"""The service behind a real caching proxy: Debian's nginx, configured the way the README's
"Behind a CDN" asks (keep only what says public, bypass on the session cookies), in front
of a live server. Anonymous reads are kept and revalidated; nobody's own page is shared."""

from __future__ import annotations

import http.client
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import urlencode

import pytest
from flask import Flask
from werkzeug.serving import make_server

from commentsvc.core import cdn
from tests.conftest import build_app, free_port
from tests.factories import PASSWORD
from tests.moderation_support import build_world

if TYPE_CHECKING:
    from _typeshed.wsgi import StartResponse, WSGIEnvironment

NGINX = shutil.which("nginx", path=os.pathsep.join([os.environ.get("PATH", ""), "/usr/sbin"]))

TWIN = "/threads/demo/t/a1"
OTHER = "/threads/other/t/b1"
API = "/api/v1/sites/demo/threads/a1/comments"


@dataclass
class Answer:
    method: str
    path: str
    status: int
    condition: str | None


@dataclass
class CountedApp:
    """The live server's WSGI app: remembers every request that reached the service."""

    app: Flask
    answers: list[Answer] = field(default_factory=list)

    def __call__(self, environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
        def record(status: str, headers: list[tuple[str, str]], exc_info: Any = None) -> Any:
            path = environ.get("PATH_INFO", "")
            condition = environ.get("HTTP_IF_NONE_MATCH")
            answer = Answer(environ["REQUEST_METHOD"], path, int(status[:3]), condition)
            self.answers.append(answer)
            return start_response(status, headers, exc_info)

        return self.app(environ, record)


@dataclass
class Reply:
    status: int
    headers: http.client.HTTPMessage
    text: str

    @property
    def cache(self) -> str:
        return self.headers.get("X-Cache-Status", "")


@dataclass
class Proxy:
    port: int
    upstream: CountedApp

    def request(self, method: str, path: str, body: str = "", **headers: str) -> Reply:
        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
        try:
            if body:
                headers["Content-Type"] = "application/x-www-form-urlencoded"
            connection.request(method, path, body=body or None, headers=headers)
            response = connection.getresponse()
            return Reply(response.status, response.headers, response.read().decode())
        finally:
            connection.close()

    def get(self, path: str, **headers: str) -> Reply:
        return self.request("GET", path, **headers)

    def reached(self, path: str) -> list[Answer]:
        return [a for a in self.upstream.answers if a.path == path]


NGINX_CONF = """
worker_processes 1;
daemon off;
pid {dir}/nginx.pid;
error_log {dir}/error.log warn;
events {{ worker_connections 64; }}
http {{
    access_log off;
    client_body_temp_path {dir}/client_body;
    proxy_temp_path {dir}/proxy;
    fastcgi_temp_path {dir}/fastcgi;
    uwsgi_temp_path {dir}/uwsgi;
    scgi_temp_path {dir}/scgi;
    # No proxy_cache_valid: how long a response is kept is the service's to say.
    proxy_cache_path {dir}/cache levels=1:2 keys_zone=commentsvc:1m max_size=16m;
    server {{
        listen 127.0.0.1:{port};
        location / {{
            proxy_pass http://127.0.0.1:{upstream};
            proxy_http_version 1.1;
            proxy_set_header Host $http_host;
            proxy_cache commentsvc;
            proxy_cache_revalidate on;
            proxy_cache_bypass {bypass};
            proxy_no_cache {bypass};
            add_header X-Cache-Status $upstream_cache_status always;
        }}
    }}
}}
"""


def nginx_config(app: Flask, directory: Path, port: int, upstream: int) -> str:
    bypass = " ".join(f"$cookie_{name}" for name in sorted(cdn.session_cookie_names(app)))
    return NGINX_CONF.format(dir=directory, port=port, upstream=upstream, bypass=bypass)


def wait_for_port(port: int, process: subprocess.Popen[bytes], log: Path) -> None:
    for _ in range(200):
        if process.poll() is not None:
            raise RuntimeError(f"nginx stopped: {log.read_text() if log.exists() else ''}")
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            return
        except OSError:
            time.sleep(0.05)
    raise RuntimeError("nginx did not start listening")


def start_nginx(app: Flask, port: int, upstream: int) -> tuple[subprocess.Popen[bytes], Path]:
    """nginx on port in front of upstream; as nobody when the tests run as root."""
    assert NGINX is not None
    directory = Path(tempfile.mkdtemp(prefix="commentsvc-nginx-"))
    conf = directory / "nginx.conf"
    conf.write_text(nginx_config(app, directory, port, upstream))
    drop: dict[str, Any] = {}
    if os.geteuid() == 0:
        nobody = pwd.getpwnam("nobody")
        os.chown(directory, nobody.pw_uid, nobody.pw_gid)
        drop = {"user": nobody.pw_uid, "group": nobody.pw_gid, "extra_groups": []}
    log = directory / "error.log"
    command = [NGINX, "-p", str(directory), "-c", str(conf), "-e", str(log)]
    process = subprocess.Popen(
        command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, **drop
    )
    try:
        wait_for_port(port, process, log)
    except RuntimeError:
        stop_nginx(process, directory)
        raise
    return process, directory


def stop_nginx(process: subprocess.Popen[bytes], directory: Path) -> None:
    if process.poll() is None:
        process.terminate()
    process.wait(timeout=10)
    shutil.rmtree(directory, ignore_errors=True)


@pytest.fixture
def caching_proxy(smtp_server: Any, tmp_path: Path) -> Iterator[Callable[..., Proxy]]:
    """Start the service (with these settings) behind nginx; at most once per test."""
    if NGINX is None:
        pytest.fail("nginx is missing: make test installs nginx-light", pytrace=False)
    started: list[Callable[[], None]] = []

    def start(**config: Any) -> Proxy:
        port, upstream = free_port(), free_port()
        app = build_app(tmp_path, smtp_server.port, PUBLIC_URL=f"http://127.0.0.1:{port}", **config)
        build_world(app)
        counted = CountedApp(app)
        server = make_server("127.0.0.1", upstream, counted, threaded=True)
        thread = threading.Thread(target=server.serve_forever, daemon=True)
        thread.start()

        def stop_server() -> None:
            server.shutdown()
            thread.join(timeout=5)
            server.server_close()

        started.append(stop_server)
        process, directory = start_nginx(app, port, upstream)
        started.append(lambda: stop_nginx(process, directory))
        return Proxy(port, counted)

    yield start
    for stop in reversed(started):
        stop()


def signed_in(proxy: Proxy, email: str) -> str:
    """Sign in through the proxy; the Cookie header of that browser."""
    form = urlencode({"email": email, "password": PASSWORD})
    reply = proxy.request("POST", "/auth/sign-in", form)
    assert reply.status == 303, reply.text
    cookies = [c.split(";")[0] for c in reply.headers.get_all("Set-Cookie") or []]
    assert any(c.startswith("commentsvc_session=") for c in cookies)
    return "; ".join(cookies)


def test_a_second_anonymous_read_is_a_hit_that_never_reaches_the_app(caching_proxy):
    proxy = caching_proxy(CDN_S_MAXAGE=60)
    for path in (TWIN, API):
        first = proxy.get(path)
        assert (first.status, first.cache) == (200, "MISS")
        again = proxy.get(path)
        assert (again.status, again.cache) == (200, "HIT")
        assert again.text == first.text
        assert len(proxy.reached(path)) == 1


def test_a_signed_in_reader_never_gets_nor_leaves_a_shared_copy(caching_proxy):
    proxy = caching_proxy(CDN_S_MAXAGE=60)
    cookie = signed_in(proxy, "carol@example.org")
    # Carol reads first, on an empty cache: her page must not be kept for anyone.
    hers = proxy.get(TWIN, Cookie=cookie)
    assert "Signed in as Carol" in hers.text
    assert hers.cache == "BYPASS"
    assert "private" in hers.headers["Cache-Control"]
    anonymous = proxy.get(TWIN)
    assert anonymous.cache == "MISS"
    assert "Carol" not in anonymous.text
    assert proxy.get(TWIN).cache == "HIT"
    # With an anonymous copy kept, Carol still gets her own page from the service.
    again = proxy.get(TWIN, Cookie=cookie)
    assert again.cache == "BYPASS"
    assert "Signed in as Carol" in again.text
    assert "Carol" not in proxy.get(TWIN).text


def test_an_unchanged_copy_is_answered_304(caching_proxy):
    proxy = caching_proxy(CDN_S_MAXAGE=60)
    etag = proxy.get(TWIN).headers["ETag"]
    answer = proxy.get(TWIN, **{"If-None-Match": etag})
    assert answer.status == 304
    assert answer.text == ""
    assert answer.headers["ETag"] == etag
    assert proxy.get(TWIN, **{"If-None-Match": '"another"'}).status == 200


def test_a_new_comment_shows_once_the_short_shared_lifetime_is_over(caching_proxy):
    proxy = caching_proxy(CDN_S_MAXAGE=1)
    for path in (TWIN, OTHER):
        assert "Comments" in proxy.get(path).text
    cookie = signed_in(proxy, "carol@example.org")
    form = urlencode({"body": "Seen through the proxy", "next": TWIN})
    posted = proxy.request("POST", TWIN, form, Cookie=cookie)
    assert posted.status == 303, posted.text
    time.sleep(1 + 1)
    assert "Seen through the proxy" in proxy.get(TWIN).text
    # The unchanged thread was revalidated with its ETag: a 304 from the service.
    other = proxy.get(OTHER)
    assert other.cache == "REVALIDATED"
    assert "Comments" in other.text
    last = proxy.reached(OTHER)[-1]
    assert last.status == 304
    assert last.condition is not None
