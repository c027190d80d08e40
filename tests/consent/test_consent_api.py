# ruff: noqa: RUF001 -- Azerbaijani texts use the dotless i on purpose
"""The banner's settings and the proof of consent API, as news sites' pages call them."""

from __future__ import annotations

import json
import re
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select
from werkzeug.test import TestResponse

from commentsvc.comments import sites
from commentsvc.consent import banner_settings
from commentsvc.consent.models import ConsentRecord
from commentsvc.core.extensions import db

ORIGIN = "https://news.example"
OTHER = "https://evil.example"
CHROME = (
    "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/131.0.0.0 Safari/537.36"
)
UUID = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$")


@pytest.fixture
def site(app):
    with app.app_context():
        sites.create_site("demo", "Demo News", [ORIGIN])
    return "demo"


def config(client: FlaskClient, lang: str = "en", **headers: str) -> Any:
    response = client.get(
        f"/api/v1/sites/demo/consent-config?lang={lang}", headers={"Origin": ORIGIN, **headers}
    )
    assert response.status_code == 200
    return response


def decision(cfg: dict[str, Any], **overrides: Any) -> dict[str, Any]:
    # No consent_id: a browser's first decision.
    body = {
        "site": "demo",
        "action": "accept_all",
        "source": "banner",
        "granted": ["necessary", "preferences", "analytics", "marketing"],
        "refused": [],
        "revision": cfg["revision"],
        "settings_version": cfg["settings_version"],
        "language": cfg["language"],
        "text_hash": cfg["text_hash"],
        "gpc": False,
    }
    body.update(overrides)
    return body


def post(
    client: FlaskClient, body: Any, origin: str | None = ORIGIN, **headers: str
) -> TestResponse:
    data = body if isinstance(body, (bytes, str)) else json.dumps(body)
    headers = {"Origin": origin, **headers} if origin else headers
    return client.post(
        "/api/v1/consent",
        data=data,
        content_type="application/json",
        headers=headers,
        environ_base={"REMOTE_ADDR": "203.0.113.77"},
    )


def stored(app: Flask) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(ConsentRecord)) or 0


def test_config_is_in_the_pages_language_with_a_hash_of_its_text(client, site):
    english = config(client).json
    assert english["text"]["accept_all"] == "Accept all"
    assert [c["id"] for c in english["text"]["categories"]] == [
        "necessary",
        "preferences",
        "analytics",
        "marketing",
    ]
    assert english["categories"] == ["preferences", "analytics", "marketing"]
    assert english["text_hash"] == banner_settings.text_hash(english["text"])
    russian = config(client, lang="ru-RU").json
    assert russian["language"] == "ru"
    assert russian["text"]["reject_all"] == "Отклонить все"
    azerbaijani = config(client, lang="az").json
    assert azerbaijani["text"]["accept_all"] == "Hamısını qəbul et"
    assert len({english["text_hash"], russian["text_hash"], azerbaijani["text_hash"]}) == 3
    # No translation: English.
    assert config(client, lang="de").json["language"] == "en"


def test_config_is_readable_by_the_sites_origins_only_and_cacheable(client, site):
    response = config(client)
    assert response.headers["Access-Control-Allow-Origin"] == ORIGIN
    assert "Origin" in response.headers["Vary"]
    assert "public" in response.headers["Cache-Control"]
    assert "Set-Cookie" not in response.headers
    again = client.get(
        "/api/v1/sites/demo/consent-config?lang=en",
        headers={"Origin": ORIGIN, "If-None-Match": response.headers["ETag"]},
    )
    assert again.status_code == 304
    other = client.get("/api/v1/sites/demo/consent-config", headers={"Origin": OTHER})
    assert "Access-Control-Allow-Origin" not in other.headers
    assert client.get("/api/v1/sites/nope/consent-config").status_code == 404


def test_config_says_when_the_browser_sends_global_privacy_control(client, site):
    assert config(client).json["gpc"] is False
    with_gpc = config(client, **{"Sec-GPC": "1"})
    assert with_gpc.json["gpc"] is True
    assert with_gpc.json["gpc_refused"] == ["analytics", "marketing"]
    assert "Sec-GPC" in with_gpc.headers["Vary"]


def test_a_decision_is_stored_with_every_field(app, client, site):
    cfg = config(client).json
    response = post(client, decision(cfg), **{"User-Agent": CHROME, "DNT": "1"})
    assert response.status_code == 201
    assert response.headers["Access-Control-Allow-Origin"] == ORIGIN
    assert "Set-Cookie" not in response.headers
    with app.app_context():
        record = db.session.scalars(select(ConsentRecord)).one()
        assert UUID.match(record.consent_id)
        assert (response.json or {})["consent_id"].split(".")[0] == record.consent_id
        assert record.site.slug == "demo"
        assert record.reader_id is None
        assert record.created_at.tzinfo is not None
        assert record.action == "accept_all"
        assert record.source == "banner"
        assert record.granted == ["necessary", "preferences", "analytics", "marketing"]
        assert record.refused == []
        assert record.revision == cfg["revision"]
        assert record.settings_version == cfg["settings_version"]
        assert record.language == "en"
        assert record.text_hash == cfg["text_hash"]
        assert record.gpc is False
        assert record.dnt is True
        assert record.ip_prefix == "203.0.113.0/24"
        assert record.browser == "chrome"


def test_gpc_limited_accept_all_is_recorded_as_gpc(app, client, site):
    cfg = config(client, **{"Sec-GPC": "1"}).json
    body = decision(
        cfg,
        source="gpc",
        granted=["necessary", "preferences"],
        refused=["analytics", "marketing"],
        gpc=False,  # the header alone is enough
    )
    assert post(client, body, **{"Sec-GPC": "1"}).status_code == 201
    with app.app_context():
        record = db.session.scalars(select(ConsentRecord)).one()
        assert (record.source, record.gpc, record.dnt) == ("gpc", True, None)


def test_other_origins_are_refused_without_cors_and_nothing_is_stored(app, client, site):
    cfg = config(client).json
    for origin in (OTHER, None, "null"):
        response = post(client, decision(cfg), origin=origin)
        assert response.status_code == 403, origin
        assert "Access-Control-Allow-Origin" not in response.headers
    preflight = client.options(
        "/api/v1/consent", headers={"Origin": OTHER, "Access-Control-Request-Method": "POST"}
    )
    assert preflight.status_code == 403
    assert "Access-Control-Allow-Origin" not in preflight.headers
    assert stored(app) == 0


def test_preflight_from_a_registered_origin_allows_json_posts(client, site):
    response = client.options(
        "/api/v1/consent",
        headers={
            "Origin": ORIGIN,
            "Access-Control-Request-Method": "POST",
            "Access-Control-Request-Headers": "content-type",
        },
    )
    assert response.status_code == 204
    assert response.headers["Access-Control-Allow-Origin"] == ORIGIN
    assert response.headers["Access-Control-Allow-Methods"] == "POST"
    assert response.headers["Access-Control-Allow-Headers"] == "Content-Type"
    assert "Access-Control-Allow-Credentials" not in response.headers


BAD_FIELDS = [
    {"consent_id": 5},
    {"consent_id": ["a"]},
    {"action": "maybe"},
    {"source": "email"},
    {"granted": "analytics"},
    {"granted": ["necessary", "necessary", "preferences", "analytics", "marketing"]},
    {"granted": ["preferences", "analytics", "marketing"], "refused": ["necessary"]},
    {"granted": ["necessary", "preferences"], "refused": []},  # a category in neither
    {"granted": ["necessary", "preferences", "analytics", "marketing", "tracking"]},
    {"action": "reject_all"},  # but everything granted
    {"granted": ["necessary", "preferences", "marketing"], "refused": ["analytics"]},
    {"source": "gpc"},  # GPC-limited, but no GPC
    {"revision": 2},
    {"revision": True},
    {"settings_version": 99},
    {"language": "ru"},  # the hash is of the English text
    {"text_hash": "0" * 64},
    {"text_hash": "x"},
    {"gpc": "yes"},
    {"extra": 1},
    {"site": 5},
    {"site": "nope"},
]


@pytest.mark.parametrize("changes", BAD_FIELDS)
def test_malformed_decisions_get_400_and_nothing_is_stored(app, client, site, changes):
    cfg = config(client).json
    response = post(client, decision(cfg, **changes))
    assert response.status_code == 400, response.text
    assert "error" in response.text
    assert stored(app) == 0


@pytest.mark.parametrize("raw", [b"", b"{", b"[1, 2]", b'"text"', b"\xff\xfe", b"null"])
def test_bodies_that_are_not_a_json_object_get_400(app, client, site, raw):
    assert post(client, raw).status_code == 400
    assert stored(app) == 0


def test_oversized_decisions_get_413_and_nothing_is_stored(app, client, site):
    cfg = config(client).json
    body = json.dumps(decision(cfg, padding="x" * 5000))
    response = post(client, body)
    assert response.status_code == 413
    assert stored(app) == 0


def test_records_are_append_only(app, client, site):
    """The consent routes that write only add rows: a decision, a new version of a site's
    settings, a reader's acceptance. None updates or deletes a record (purge is a CLI)."""
    rules = [
        r
        for r in app.url_map.iter_rules()
        if "consent" in r.rule or r.endpoint.startswith("consent.") or "consent" in r.endpoint[-20:]
    ]
    writes = {
        (r.endpoint, method)
        for r in rules
        for method in (r.methods or set()) - {"GET", "HEAD", "OPTIONS"}
    }
    assert writes == {
        ("consent_api.record_consent", "POST"),
        ("consent_admin.consent_settings", "POST"),
        ("consent.accept_policies", "POST"),
    }
    # The same browser deciding again adds a record; the first one stays as it was.
    cfg = config(client).json
    post(client, decision(cfg))
    post(
        client, decision(cfg, action="reject_all", granted=["necessary"], refused=cfg["categories"])
    )
    with app.app_context():
        actions = db.session.scalars(select(ConsentRecord.action).order_by(ConsentRecord.id))
        assert list(actions) == ["accept_all", "reject_all"]


def test_service_sets_no_cookie_for_anonymous_readers(client, site):
    cfg = config(client).json
    for response in (
        client.get("/consent.js"),
        client.get("/policies/privacy"),
        client.get("/sites/demo/policies/cookies"),
        client.get(f"/threads/demo/t/a1?url={ORIGIN}/a1"),
        post(client, decision(cfg)),
    ):
        assert response.status_code in (200, 201)
        assert "Set-Cookie" not in response.headers
        response.close()


def test_consent_js_is_small_and_cacheable(client):
    with client.get("/consent.js") as response:
        assert response.mimetype == "text/javascript"
        assert "public" in response.headers["Cache-Control"]


def test_openapi_documents_the_consent_routes(client):
    spec = client.get("/api/v1/openapi.json").json
    assert "post" in spec["paths"]["/consent"]
    assert "get" in spec["paths"]["/sites/{site}/consent-config"]
    assert "ConsentDecision" in spec["components"]["schemas"]
