"""Consent IDs are issued and signed by the service, per site; decisions are limited per
site and client address. Written from the side of a client that is not the banner."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select
from werkzeug.test import TestResponse

from commentsvc.comments import sites
from commentsvc.consent.models import ConsentRecord
from commentsvc.core.extensions import db
from tests.consent.test_consent_api import UUID, decision, stored

ORIGIN = "https://news.example"
OTHER_ORIGIN = "https://other.example"


@pytest.fixture
def two_sites(app: Flask) -> None:
    with app.app_context():
        sites.create_site("demo", "Demo News", [ORIGIN])
        sites.create_site("other", "Other Times", [OTHER_ORIGIN])


def config(client: FlaskClient, slug: str = "demo") -> Any:
    response = client.get(f"/api/v1/sites/{slug}/consent-config?lang=en")
    assert response.status_code == 200
    return response.json


def send(
    client: FlaskClient,
    body: dict[str, Any],
    origin: str = ORIGIN,
    address: str = "203.0.113.77",
) -> TestResponse:
    return client.post(
        "/api/v1/consent",
        data=json.dumps(body),
        content_type="application/json",
        headers={"Origin": origin},
        environ_base={"REMOTE_ADDR": address},
    )


def answer(response: TestResponse) -> Any:
    data = response.get_json()
    assert data is not None, response.text
    return data


def consent_ids(app: Flask) -> list[str]:
    with app.app_context():
        return list(db.session.scalars(select(ConsentRecord.consent_id).order_by(ConsentRecord.id)))


def test_the_first_decision_gets_a_signed_id_and_later_ones_keep_it(app, client, two_sites):
    cfg = config(client)
    first = send(client, decision(cfg))
    assert first.status_code == 201, first.text
    signed = answer(first)["consent_id"]
    uuid, _, signature = signed.partition(".")
    assert UUID.match(uuid)
    assert len(signature) >= 40
    refused = decision(cfg, action="reject_all", granted=["necessary"], refused=cfg["categories"])
    again = send(client, {**refused, "consent_id": signed})
    assert again.status_code == 201, again.text
    assert answer(again)["consent_id"] == signed
    # Another browser gets another ID.
    other = send(client, decision(cfg), address="198.51.100.5")
    assert answer(other)["consent_id"].split(".")[0] != uuid
    assert consent_ids(app)[:2] == [uuid, uuid]


VICTIM = "6f1c2b3a-4d5e-4f60-8a1b-2c3d4e5f6a7b"


def _victim(app: Flask, client: FlaskClient) -> str:
    """A reader's decision on demo, on record; returns its consent ID (what the reader
    sees in the banner's preferences and may quote to support)."""
    cfg = config(client)
    with app.app_context():
        site = sites.get_site("demo")
        assert site is not None
        db.session.add(
            ConsentRecord(
                consent_id=VICTIM,
                site_id=site.id,
                action="reject_all",
                source="banner",
                granted=["necessary"],
                refused=cfg["categories"],
                revision=cfg["revision"],
                settings_version=cfg["settings_version"],
                language="en",
                text_hash=cfg["text_hash"],
            )
        )
        db.session.commit()
    return VICTIM


def _signed_for_other_site(client: FlaskClient) -> str:
    cfg = config(client, "other")
    response = send(client, decision(cfg, site="other"), origin=OTHER_ORIGIN)
    assert response.status_code == 201, response.text
    return str(answer(response)["consent_id"])


FORGED: dict[str, Callable[[FlaskClient], str]] = {
    "victim's id, unsigned": lambda client: VICTIM,
    "victim's id, forged signature": lambda client: VICTIM + "." + "A" * 43,
    "victim's id, another site's signature": lambda client: (
        VICTIM + "." + _signed_for_other_site(client).split(".")[1]
    ),
    "an id signed for another site": _signed_for_other_site,
    "a random id never issued": lambda client: "0b8e7c1a-1d2e-4f3a-9b8c-7d6e5f4a3b2c",
    "not an id at all": lambda client: "hello",
    "too long": lambda client: VICTIM + "." + "A" * 200,
}


@pytest.mark.parametrize("forge", list(FORGED))
def test_ids_the_service_did_not_issue_for_the_site_are_refused(app, client, two_sites, forge):
    victim = _victim(app, client)
    consent_id = FORGED[forge](client)
    before = stored(app)
    # Everything else about the decision is what the banner would send.
    response = send(client, decision(config(client), consent_id=consent_id), address="6.6.6.6")
    assert response.status_code == 403, response.text
    assert "not issued by this service" in answer(response)["error"]
    # The banner can read the refusal (and start afresh with a new ID).
    assert response.headers["Access-Control-Allow-Origin"] == ORIGIN
    assert stored(app) == before
    assert consent_ids(app).count(victim) == 1


def test_decisions_are_limited_per_site_and_client_address(app, client, two_sites):
    cfg = config(client)
    statuses = [send(client, decision(cfg)).status_code for _ in range(21)]
    assert statuses[20] == 429
    assert statuses[:20] == [201] * 20
    # The same address on another site, and another address on this one, go on.
    other = send(client, decision(config(client, "other"), site="other"), origin=OTHER_ORIGIN)
    assert other.status_code == 201
    assert send(client, decision(cfg), address="198.51.100.5").status_code == 201
    assert stored(app) == 22


def test_the_per_site_limit_is_configurable(app, client, two_sites):
    app.config["RATELIMIT_CONSENT_SITE_IP"] = "2 per minute"
    cfg = config(client)
    statuses = [send(client, decision(cfg)).status_code for _ in range(3)]
    assert statuses[2] == 429
    assert statuses[:2] == [201, 201]
