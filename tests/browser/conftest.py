"""Live servers and Debian's Chromium for the browser tests."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from werkzeug.serving import BaseWSGIServer, make_server

from tests.conftest import SMTPServer, build_app, free_port

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


def serve(app: Flask, host: str, port: int) -> tuple[BaseWSGIServer, threading.Thread]:
    server = make_server(host, port, app, threaded=True)
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
    server.shutdown()
    thread.join(timeout=5)
