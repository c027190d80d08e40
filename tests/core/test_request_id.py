"""Every response names its request (X-Request-Id), every log line made meanwhile carries
the same id, and an id sent by a client is kept only when the proxy is trusted to set it
and it is a plain token: a hostile one never reaches the logs."""

from __future__ import annotations

import json
import logging
import re

import pytest
from flask import Flask

from commentsvc.comments import sites, threads
from commentsvc.comments.page_cache import SharedPageCache
from commentsvc.core.logs import JSONFormatter, TextFormatter
from tests.conftest import build_app

ORIGIN = "https://news.example"
PAGE = f"/embed/demo/t/a1?url={ORIGIN}/a1&origin={ORIGIN}"
API = "/api/v1/sites/demo/threads/a1/comments"
NEW_ID = re.compile(r"[0-9a-f]{32}")
HOSTILE = [
    "abc\r\nX-Injected: 1",
    "abc\nERROR forged log line",
    "a" * 10_000,
    "a" * 65,
    "id with spaces",
    "<script>",
]


class Boom(RuntimeError):
    pass


def make_app(smtp_server, tmp_path, **config) -> Flask:
    app = build_app(tmp_path, smtp_server.port, **config)
    app.config["PROPAGATE_EXCEPTIONS"] = False  # answer the 500 page, as in production

    def boom() -> str:
        app.logger.info("about to fail")
        raise Boom("the handler failed")

    app.add_url_rule("/boom", "boom", boom)
    with app.app_context():
        site = sites.create_site("demo", "Demo", [ORIGIN])
        threads.create_thread(site, "a1", "First article", ORIGIN + "/a1")
    return app


@pytest.fixture
def served(smtp_server, tmp_path) -> Flask:
    return make_app(smtp_server, tmp_path)


@pytest.fixture
def trusting(smtp_server, tmp_path) -> Flask:
    return make_app(smtp_server, tmp_path, TRUST_REQUEST_ID=True)


@pytest.mark.parametrize(
    ("url", "status"),
    [("/", 200), (API, 200), ("/api/v1/nothing", 404), ("/nothing", 404), ("/boom", 500)],
)
def test_every_response_names_its_request(served, url, status):
    client = served.test_client()
    first = client.get(url)
    second = client.get(url)
    assert first.status_code == status
    for response in (first, second):
        assert NEW_ID.fullmatch(response.headers["X-Request-Id"])
        assert len(response.headers.getlist("X-Request-Id")) == 1
    assert first.headers["X-Request-Id"] != second.headers["X-Request-Id"]


def test_kept_pages_name_their_own_request(served):
    client = served.test_client()
    ids = [client.get(PAGE).headers.getlist("X-Request-Id") for _ in range(3)]
    cache = SharedPageCache.of(served)
    assert cache is not None
    assert len(cache.entries) == 1  # the second and third were kept
    assert all(len(found) == 1 and NEW_ID.fullmatch(found[0]) for found in ids)
    assert len({found[0] for found in ids}) == 3


def test_an_incoming_id_is_ignored_unless_trusted(served):
    response = served.test_client().get("/", headers={"X-Request-Id": "edge-1234"})
    assert NEW_ID.fullmatch(response.headers["X-Request-Id"])


def test_a_trusted_proxys_id_is_kept(trusting):
    client = trusting.test_client()
    for sent in ("edge-1234", "a.b_C-9", "0" * 64):
        assert client.get("/", headers={"X-Request-Id": sent}).headers["X-Request-Id"] == sent
    client.get(PAGE)
    assert client.get(PAGE, headers={"X-Request-Id": "kept-page"}).headers["X-Request-Id"] == (
        "kept-page"
    )


def sent_id(value: str) -> dict[str, str]:
    # As the server hands it over (the test client refuses to send a newline itself).
    return {"HTTP_X_REQUEST_ID": value}


@pytest.mark.parametrize("hostile", HOSTILE)
def test_a_hostile_id_is_replaced_even_from_a_trusted_proxy(trusting, hostile):
    response = trusting.test_client().get("/", environ_base=sent_id(hostile))
    assert NEW_ID.fullmatch(response.headers["X-Request-Id"])


def app_records(caplog: pytest.LogCaptureFixture) -> list[logging.LogRecord]:
    return [r for r in caplog.records if r.name.startswith("commentsvc")]


@pytest.mark.parametrize("hostile", HOSTILE)
def test_log_lines_carry_the_id_and_never_a_hostile_one(trusting, caplog, hostile):
    with caplog.at_level(logging.INFO):
        response = trusting.test_client().get("/boom", environ_base=sent_id(hostile))
    assert response.status_code == 500
    request_id = response.headers["X-Request-Id"]
    records = app_records(caplog)
    assert [r.getMessage() for r in records] == ["about to fail", "Exception on /boom [GET]"]
    lines = [JSONFormatter().format(r) for r in records]
    lines += [TextFormatter().format(r) for r in records]
    for line in lines:
        assert request_id in line
        assert hostile not in line
        assert "forged" not in line
        assert "X-Injected" not in line


def test_json_lines_parse_with_the_request_and_the_exception(served, caplog):
    with caplog.at_level(logging.INFO):
        response = served.test_client().get("/boom")
    info, error = (json.loads(JSONFormatter().format(r)) for r in app_records(caplog))
    request_id = response.headers["X-Request-Id"]
    assert info["message"] == "about to fail"
    assert info["level"] == "INFO"
    assert info["logger"] == "commentsvc"
    assert (info["request_id"], info["method"], info["path"]) == (request_id, "GET", "/boom")
    assert "exception" not in info
    assert error["level"] == "ERROR"
    assert error["request_id"] == request_id
    assert "Boom: the handler failed" in error["exception"]
    assert "\n" not in JSONFormatter().format(app_records(caplog)[1])


def test_lines_outside_a_request_have_no_id(served, caplog):
    served.test_client().get("/")
    with caplog.at_level(logging.INFO):
        served.logger.info("between requests")
    (record,) = app_records(caplog)
    assert json.loads(JSONFormatter().format(record))["request_id"] == "-"
    assert "[-] between requests" in TextFormatter().format(record)


def test_an_unknown_log_format_is_refused(smtp_server, tmp_path):
    with pytest.raises(RuntimeError, match="LOG_FORMAT"):
        build_app(tmp_path, smtp_server.port, LOG_FORMAT="xml")
