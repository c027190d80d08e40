"""Starting in production with rate-limit counters in one process's memory is logged."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

import pytest

from commentsvc import create_app
from tests.conftest import make_config

WARNING = "Rate limits are counted in this process's memory"


def production(tmp_path: Path, smtp_port: int, **overrides: Any) -> dict[str, Any]:
    settings = {
        "TESTING": False,
        "DEBUG": False,
        "SECRET_KEY": "a-long-random-production-secret-for-this-test",
        "PUBLIC_URL": "https://comments.example.org",
        **overrides,
    }
    return make_config(tmp_path, smtp_port, **settings)


def warnings(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [
        r.getMessage()
        for r in caplog.records
        if r.levelno == logging.WARNING and WARNING in r.getMessage()
    ]


def test_production_without_redis_warns_at_start(smtp_server, tmp_path, caplog):
    with caplog.at_level(logging.WARNING):
        create_app(production(tmp_path, smtp_server.port))
    (message,) = warnings(caplog)
    assert "gunicorn -w N" in message
    assert "COMMENTSVC_REDIS_URL" in message


def test_production_with_redis_does_not_warn(smtp_server, tmp_path, caplog):
    with caplog.at_level(logging.WARNING):
        # The client connects on first use only: no Redis server is needed to start.
        create_app(production(tmp_path, smtp_server.port, REDIS_URL="redis://127.0.0.1:1/0"))
    assert warnings(caplog) == []


@pytest.mark.parametrize("mode", [{"DEBUG": True}, {"TESTING": True}])
def test_debug_and_testing_do_not_warn(smtp_server, tmp_path, caplog, mode):
    with caplog.at_level(logging.WARNING):
        create_app(production(tmp_path, smtp_server.port, **mode))
    assert warnings(caplog) == []
