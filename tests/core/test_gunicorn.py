"""The service under gunicorn with the repository's gunicorn.conf.py: every line it logs,
access lines included, names its request, in JSON (one object per line) or plain text."""

from __future__ import annotations

import http.client
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.conftest import free_port

ROOT = Path(__file__).resolve().parents[2]
HOSTILE = "x" * 200  # too long to be kept, even from a trusted proxy


def get(port: int, path: str, request_id: str | None = None) -> tuple[int, str]:
    """(status, X-Request-Id) of a GET."""
    headers = {"X-Request-Id": request_id} if request_id else {}
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    try:
        connection.request("GET", path, headers=headers)
        response = connection.getresponse()
        response.read()
        return response.status, str(response.headers["X-Request-Id"])
    finally:
        connection.close()


def serve(tmp_path: Path, log_format: str, **more: str) -> tuple[int, subprocess.Popen[str]]:
    port = free_port()
    env = {
        **os.environ,
        "COMMENTSVC_SECRET_KEY": "a-long-random-secret-for-this-test",
        "COMMENTSVC_DATABASE_URL": f"sqlite:///{tmp_path / 'served.sqlite3'}",
        "COMMENTSVC_LOG_FORMAT": log_format,
        "COMMENTSVC_TRUST_REQUEST_ID": "true",
        "WEB_CONCURRENCY": "1",
        "GUNICORN_CMD_ARGS": f"--bind 127.0.0.1:{port}",
        **more,
    }
    server = subprocess.Popen(
        [str(Path(sys.executable).parent / "gunicorn"), "-c", "gunicorn.conf.py"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    for _ in range(300):
        try:
            get(port, "/healthz")
            break
        except OSError:
            if server.poll() is not None:
                pytest.fail(server.communicate()[0])
            time.sleep(0.1)
    return port, server


def stop(server: subprocess.Popen[str]) -> list[str]:
    server.send_signal(signal.SIGTERM)
    output, _ = server.communicate(timeout=60)
    return output.splitlines()


@pytest.mark.parametrize("log_format", ["json", "text"])
def test_every_line_names_its_request(tmp_path, log_format):
    port, server = serve(tmp_path, log_format, GUNICORN_ACCESS_LOG="on")
    try:
        answers = {
            "/healthz": get(port, "/healthz", "edge-42"),
            "/": get(port, "/", HOSTILE),
            "/nothing": get(port, "/nothing"),
        }
    finally:
        lines = stop(server)
    assert answers["/healthz"] == (200, "edge-42")  # from the trusted proxy
    assert answers["/"][0] == 200
    assert answers["/"][1] != HOSTILE
    assert answers["/nothing"][0] == 404
    assert not any(HOSTILE in line for line in lines)
    access = [line for line in lines if "gunicorn.access" in line]
    assert len(access) >= 3
    if log_format == "text":
        for path, (_status, request_id) in answers.items():
            assert any(f"[{request_id}]" in ln and f"GET {path} " in ln for ln in access), lines
        return
    records = [json.loads(line) for line in lines]  # every line is one JSON object
    assert {"gunicorn.error", "gunicorn.access"} <= {r["logger"] for r in records}
    for record in records:
        assert {"time", "level", "logger", "message", "request_id"} <= set(record)
    for path, (status, request_id) in answers.items():
        (line,) = [r for r in records if r["request_id"] == request_id]
        assert line["logger"] == "gunicorn.access"
        assert (line["method"], line["path"], line["status"]) == ("GET", path, status)
        assert isinstance(line["duration_ms"], int)


def test_access_lines_are_left_to_the_proxy_unless_asked_for(tmp_path):
    port, server = serve(tmp_path, "json")
    try:
        status, request_id = get(port, "/nothing")
    finally:
        lines = stop(server)
    assert status == 404
    loggers = {json.loads(line)["logger"] for line in lines}
    assert "gunicorn.error" in loggers
    assert "gunicorn.access" not in loggers
    assert not any(request_id in line for line in lines)
