"""/metrics: off unless configured, only for the token or the listed addresses, and the
numbers move with what the service does; labels never grow with what clients ask for."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import uuid
from datetime import timedelta
from pathlib import Path
from types import SimpleNamespace

import pytest
from flask import Flask
from flask.testing import FlaskClient
from prometheus_client.parser import text_string_to_metric_families
from sqlalchemy import update

from commentsvc import create_app
from commentsvc.comments import sites, threads
from commentsvc.core import metrics
from commentsvc.core.extensions import db, utcnow
from commentsvc.core.models import OutboxMessage
from tests.conftest import build_app, make_config
from tests.core.test_mail import sign_up
from tests.factories import without_tokens
from tests.moderation_support import build_world, post

TOKEN = "s3cret-metrics-token-0123456789"
AUTH = {"Authorization": f"Bearer {TOKEN}"}
ORIGIN = "https://news.example"
PAGE = f"/embed/demo/t/a1?url={ORIGIN}/a1&origin={ORIGIN}"
API = "/api/v1/sites/demo/threads/a1/comments"
ROOT = Path(__file__).resolve().parents[2]

Samples = dict[tuple[str, frozenset[tuple[str, str]]], float]


def parse(text: str) -> Samples:
    return {
        (sample.name, frozenset(sample.labels.items())): sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
    }


def scrape(client: FlaskClient) -> Samples:
    response = client.get("/metrics", headers=AUTH)
    assert response.status_code == 200, response.text
    return parse(response.text)


def value(samples: Samples, name: str, **labels: str) -> float:
    return samples.get((name, frozenset(labels.items())), 0.0)


def requests(samples: Samples, endpoint: str, status: str) -> float:
    return value(samples, "commentsvc_http_requests_total", endpoint=endpoint, status=status)


@pytest.fixture
def app(smtp_server, tmp_path) -> Flask:
    return build_app(tmp_path, smtp_server.port, METRICS_TOKEN=TOKEN)


@pytest.fixture
def site(app: Flask) -> None:
    with app.app_context():
        site = sites.create_site("demo", "Demo", [ORIGIN])
        threads.create_thread(site, "a1", "First article", ORIGIN + "/a1")


def test_off_unless_a_token_or_an_address_is_configured(smtp_server, tmp_path):
    client = build_app(tmp_path, smtp_server.port).test_client()
    response = client.get("/metrics", headers=AUTH)
    assert response.status_code == 404
    assert without_tokens(response.text) == without_tokens(client.get("/no-such-page").text)
    assert client.get("/metrics", environ_base={"REMOTE_ADDR": "127.0.0.1"}).status_code == 404
    configured = build_app(tmp_path, smtp_server.port, METRICS_TOKEN=TOKEN).test_client()
    assert configured.get("/metrics", headers=AUTH).status_code == 200


def test_a_token_is_required_and_must_match(client):
    for headers in (
        {},
        {"Authorization": "Bearer wrong-token-of-some-length-000"},
        {"Authorization": f"Bearer {TOKEN}x"},
        {"Authorization": f"Basic {TOKEN}"},
        {"Authorization": TOKEN},
    ):
        refused = client.get("/metrics", headers=headers)
        assert refused.status_code == 401, headers
        assert refused.headers["WWW-Authenticate"].lower().startswith("bearer")
        assert "commentsvc_" not in refused.text
    # A token alone lets in no address, not even loopback.
    assert client.get("/metrics", environ_base={"REMOTE_ADDR": "127.0.0.1"}).status_code == 401
    response = client.get("/metrics", headers={"Authorization": f"bearer  {TOKEN}"})
    assert response.status_code == 200
    assert "no-store" in response.headers["Cache-Control"]
    assert response.mimetype == "text/plain"
    assert "commentsvc_http_requests_total" in response.text


def test_listed_addresses_get_in_without_a_token_unless_through_a_proxy(smtp_server, tmp_path):
    app = build_app(tmp_path, smtp_server.port, METRICS_ALLOW="10.0.0.0/8, 192.0.2.7,::1")

    def status(address: str, **headers: str) -> int:
        environ = {"REMOTE_ADDR": address}
        return app.test_client().get("/metrics", headers=headers, environ_base=environ).status_code

    assert status("10.20.30.40") == 200
    assert status("192.0.2.7") == 200
    assert status("::1") == 200
    assert status("::ffff:10.1.1.1") == 200
    assert status("192.0.2.8") == 403
    assert status("127.0.0.1") == 403
    assert status("11.0.0.1") == 403
    # A proxy in the listed range passes other people's requests on: not let in.
    assert status("10.20.30.40", **{"X-Forwarded-For": "203.0.113.9"}) == 403
    assert status("10.20.30.40", Forwarded="for=203.0.113.9") == 403
    # A token configured too: either way in works.
    both = build_app(tmp_path, smtp_server.port, METRICS_ALLOW="10.0.0.0/8", METRICS_TOKEN=TOKEN)
    outside = {"REMOTE_ADDR": "203.0.113.9"}
    client = both.test_client()
    assert client.get("/metrics", environ_base=outside).status_code == 401
    assert client.get("/metrics", environ_base=outside, headers=AUTH).status_code == 200
    assert client.get("/metrics", environ_base={"REMOTE_ADDR": "10.0.0.1"}).status_code == 200


@pytest.mark.parametrize(
    ("setting", "value"),
    [("METRICS_TOKEN", "short"), ("METRICS_ALLOW", "10.0.0.0/8, intranet")],
)
def test_a_weak_token_or_a_bad_address_stops_the_start(smtp_server, tmp_path, setting, value):
    with pytest.raises(RuntimeError, match=setting):
        create_app(make_config(tmp_path, smtp_server.port, **{setting: value}))


def endpoint_of(app: Flask, path: str) -> str:
    endpoint, _args = app.url_map.bind("localhost").match(path)
    return str(endpoint)


def test_requests_are_counted_by_endpoint_and_status(app, client, site):
    api = endpoint_of(app, API)
    before = scrape(client)
    assert client.get("/").status_code == 200
    assert client.get(API).status_code == 200
    assert client.get("/api/v1/sites/nowhere/threads/x/comments").status_code == 404
    assert client.get("/no-such-page").status_code == 404
    assert client.post("/healthz").status_code == 405
    after = scrape(client)

    def more(endpoint: str, status: str) -> float:
        return requests(after, endpoint, status) - requests(before, endpoint, status)

    assert more("main.index", "200") == 1
    assert more(api, "200") == 1
    assert more(api, "404") == 1
    assert more("404", "404") == 1
    assert more("405", "405") == 1
    assert more("metrics.metrics", "200") == 1  # the first scrape
    count = "commentsvc_http_request_duration_seconds_count"
    assert (
        value(after, count, endpoint="main.index") - value(before, count, endpoint="main.index")
        == 1
    )
    bucket = "commentsvc_http_request_duration_seconds_bucket"
    bounds = sorted(
        float(dict(labels)["le"])
        for name, labels in after
        if name == bucket and dict(labels)["endpoint"] == "main.index"
    )
    assert bounds == [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, INF]


INF = float("inf")


def test_kept_pages_are_counted_as_page_cache_hits(app, client, site):
    before = scrape(client)
    first = client.get(PAGE)
    again = client.get(PAGE)
    assert again.status_code == 200
    assert again.data == first.data
    after = scrape(client)

    def more(name: str, **labels: str) -> float:
        return value(after, name, **labels) - value(before, name, **labels)

    assert more("commentsvc_page_cache_misses_total") == 1
    assert more("commentsvc_page_cache_hits_total") == 1
    assert more("commentsvc_http_requests_total", endpoint="page_cache", status="200") == 1
    widget = endpoint_of(app, PAGE.partition("?")[0])
    assert more("commentsvc_http_requests_total", endpoint=widget, status="200") == 1
    assert more("commentsvc_http_request_duration_seconds_count", endpoint="page_cache") == 1
    assert more("commentsvc_page_cache_entries") == 1
    assert more("commentsvc_page_cache_bytes") == len(first.data)


def test_outbox_depth_and_the_age_of_the_oldest_unsent_mail(app, client, deliver, inbox):
    empty = scrape(client)
    assert value(empty, "commentsvc_outbox_pending") == 0
    assert value(empty, "commentsvc_outbox_oldest_pending_age_seconds") == 0
    sign_up(client, "first@example.org", "First")
    sign_up(app.test_client(), "second@example.org", "Second")
    with app.app_context():
        db.session.execute(
            update(OutboxMessage)
            .where(OutboxMessage.recipient == "first@example.org")
            .values(created_at=utcnow() - timedelta(hours=2))
        )
        db.session.commit()
    response = client.get("/metrics", headers=AUTH)
    queued = parse(response.text)
    assert value(queued, "commentsvc_outbox_pending") == 2
    assert 7200 <= value(queued, "commentsvc_outbox_oldest_pending_age_seconds") < 7300
    # Counts only: no address, no subject.
    assert "example.org" not in response.text
    assert deliver() == (2, 0)
    sent = scrape(client)
    assert value(sent, "commentsvc_outbox_pending") == 0
    assert value(sent, "commentsvc_outbox_oldest_pending_age_seconds") == 0


def test_held_comments_are_counted(app, client):
    ids = build_world(app, "hold_all")
    assert value(scrape(client), "commentsvc_comments_held") == 0
    post(app, ids.alice, "Held one")
    post(app, ids.bob, "Held two")
    assert value(scrape(client), "commentsvc_comments_held") == 2
    assert value(scrape(client), "commentsvc_database_up") == 1


def test_random_paths_add_no_series(app, client, site):
    client.get("/definitely-not-here")  # the "404" series exist from here on
    before = scrape(client)
    paths = [f"/{uuid.uuid4().hex}/{uuid.uuid4().hex[:8]}" for _ in range(100)]
    for path in paths:
        assert client.get(path).status_code == 404
    response = client.get("/metrics", headers=AUTH)
    after = parse(response.text)
    assert set(after) - set(before) == set()
    assert requests(after, "404", "404") - requests(before, "404", "404") == 100
    assert not any(path.split("/")[1] in response.text for path in paths)
    endpoints = {dict(labels)["endpoint"] for _name, labels in after if "endpoint" in dict(labels)}
    known = {rule.endpoint for rule in app.url_map.iter_rules()}
    assert endpoints <= known | {"page_cache", "404", "405", "308"}


def test_a_scrape_still_answers_when_the_database_does_not(smtp_server, tmp_path):
    gone = f"sqlite:///{tmp_path / 'gone' / 'db.sqlite3'}"
    config = make_config(tmp_path, smtp_server.port, DATABASE_URL=gone, METRICS_TOKEN=TOKEN)
    samples = scrape(create_app(config).test_client())
    assert value(samples, "commentsvc_database_up") == 0
    assert ("commentsvc_outbox_pending", frozenset()) not in samples


# A worker process: makes the requests given, then prints its pid (and the scrape).
WORKER = """
import json, os, sys
from commentsvc import create_app
client = create_app(json.loads(sys.argv[1])).test_client()
body = ""
for path in sys.argv[2:]:
    if path == "/metrics":
        auth = {"Authorization": "Bearer " + os.environ["TOKEN"]}
        body = client.get(path, headers=auth).text
    else:
        client.get(path)
print(json.dumps({"pid": os.getpid(), "metrics": body}))
"""


def test_multiprocess_mode_adds_up_every_worker(app, site, smtp_server, tmp_path, monkeypatch):
    """With PROMETHEUS_MULTIPROC_DIR (as under gunicorn with several workers) a scrape
    answered by one process reports every process's counts; child_exit drops a dead
    worker's page-cache gauges but keeps its counts."""
    directory = tmp_path / "prometheus"
    directory.mkdir()
    config = json.dumps(make_config(tmp_path, smtp_server.port, METRICS_TOKEN=TOKEN))
    env = {**os.environ, "PROMETHEUS_MULTIPROC_DIR": str(directory), "TOKEN": TOKEN}

    def worker(*paths: str) -> tuple[int, Samples]:
        done = subprocess.run(
            [sys.executable, "-c", WORKER, config, *paths],
            env=env,
            cwd=ROOT,
            capture_output=True,
            text=True,
            check=True,
            timeout=120,
        )
        out = json.loads(done.stdout.strip().splitlines()[-1])
        return int(out["pid"]), parse(out["metrics"])

    first, _ = worker("/healthz", "/healthz", "/healthz", PAGE, PAGE)
    second, samples = worker("/healthz", "/metrics")
    assert first != second
    assert requests(samples, "main.healthz", "200") == 4
    assert value(samples, "commentsvc_page_cache_hits_total") == 1
    assert value(samples, "commentsvc_page_cache_entries") == 1
    assert value(samples, "commentsvc_page_cache_bytes") > 0
    monkeypatch.setenv("PROMETHEUS_MULTIPROC_DIR", str(directory))
    for pid in (first, second):  # gunicorn's master calls it as each worker ends
        metrics.child_exit(None, SimpleNamespace(pid=pid))
    _third, samples = worker("/metrics")
    assert value(samples, "commentsvc_page_cache_entries") == 0
    assert value(samples, "commentsvc_page_cache_bytes") == 0
    assert requests(samples, "main.healthz", "200") == 4
    assert value(samples, "commentsvc_page_cache_hits_total") == 1
    # A new run starts from an empty directory: the old run's counts are gone.
    metrics.on_starting(None)
    assert list(directory.iterdir()) == []
