# ruff: noqa: RUF001 -- Azerbaijani texts use the dotless i on purpose
"""Admins' consent pages (settings, records, exports), the purge command, readers' history."""

from __future__ import annotations

import csv
import io
import json
import re
from datetime import timedelta

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select, update

from commentsvc.accounts.models import Reader
from commentsvc.comments import sites
from commentsvc.consent import banner_settings, policies, publishing, records
from commentsvc.consent.models import ConsentRecord, PolicyDocument
from commentsvc.core.extensions import db, utcnow
from tests.factories import PASSWORD, make_reader, sign_in

ORIGIN = "https://news.example"


@pytest.fixture
def site(app):
    with app.app_context():
        sites.create_site("demo", "Demo News", [ORIGIN])
        sites.create_site("other", "Other Times", ["https://other.example"])
    return "demo"


@pytest.fixture
def admin(app, site):
    make_reader(app, "admin@example.org", "Admin", is_admin=True)
    client = app.test_client()
    sign_in(client, "admin@example.org")
    return client


def record(
    app: Flask,
    slug: str = "demo",
    action: str = "accept_all",
    ip: str = "198.51.100.9",
    reader_id: int | None = None,
    **extra: str,
) -> int:
    """Store a decision through the service, as the API does, from a browser that holds
    the consent ID (the service issued it, signed, at an earlier decision)."""
    with app.app_context():
        site_row = sites.get_site(slug)
        assert site_row is not None
        cfg = banner_settings.public_config(site_row, "en", gpc=False)
        granted = ["necessary", *cfg["categories"]] if action == "accept_all" else ["necessary"]
        data = {
            "site": slug,
            "consent_id": records.sign_consent_id(
                site_row, extra.pop("consent_id", "6f1c2b3a-4d5e-4f60-8a1b-2c3d4e5f6a7b")
            ),
            "action": action,
            "source": "banner",
            "granted": granted,
            "refused": [c for c in cfg["categories"] if c not in granted],
            "revision": cfg["revision"],
            "settings_version": cfg["settings_version"],
            "language": "en",
            "text_hash": cfg["text_hash"],
        }
        facts = records.RequestFacts(
            remote_addr=ip,
            user_agent=extra.pop("ua", "Firefox/133.0"),
            sec_gpc=False,
            dnt=None,
            reader_id=reader_id,
        )
        return records.record_decision(site_row, data, facts).id


def test_readers_cannot_reach_consent_admin_pages(app, site):
    make_reader(app)
    client = app.test_client()
    sign_in(client)
    for url in (
        "/admin/consent",
        "/admin/consent/export.csv",
        "/admin/consent/export.json",
        "/admin/sites/demo/consent",
    ):
        assert client.get(url).status_code == 403, url
    assert (
        client.post("/admin/sites/demo/consent", data={"retention_days": "30"}).status_code == 403
    )


def settings_form(admin: FlaskClient) -> dict[str, str]:
    """The settings form as the page fills it in (checkboxes only when ticked)."""
    page = admin.get("/admin/sites/demo/consent")
    assert page.status_code == 200
    data = {"retention_days": "730", "cookie_domain": ""}
    for category in ("preferences", "analytics", "marketing"):
        box = re.search(rf'<input[^>]*id="use_{category}"[^>]*>', page.text)
        assert box is not None
        if " checked" in box.group(0):
            data[f"use_{category}"] = "y"
    return data


def test_saving_texts_keeps_the_revision_and_changing_categories_moves_it(app, admin, client):
    before = client.get("/api/v1/sites/demo/consent-config?lang=az").json
    data = settings_form(admin)
    assert set(data) >= {"use_preferences", "use_analytics", "use_marketing"}

    saved = admin.post("/admin/sites/demo/consent", data={**data, "az_title": "Kukilər haqqında"})
    assert saved.status_code == 303
    after = client.get("/api/v1/sites/demo/consent-config?lang=az").json
    assert after["text"]["title"] == "Kukilər haqqında"
    assert after["revision"] == before["revision"]
    assert after["settings_version"] == before["settings_version"] + 1
    assert after["text_hash"] != before["text_hash"]

    del data["use_marketing"]
    data["cookies_analytics"] = "_ga*\n_gid"
    admin.post("/admin/sites/demo/consent", data=data)
    moved = client.get("/api/v1/sites/demo/consent-config").json
    assert moved["revision"] == before["revision"] + 1
    assert moved["categories"] == ["preferences", "analytics"]
    assert moved["cookies"] == {"analytics": ["_ga*", "_gid"]}

    admin.post("/admin/sites/demo/consent", data={**data, "ask_again": "y"})
    assert client.get("/api/v1/sites/demo/consent-config").json["revision"] == moved["revision"] + 1


def test_bad_settings_are_refused_with_a_reason(admin):
    for field, value, message in (
        ("cookies_analytics", "bad name;", "is not a cookie name"),
        ("cookie_domain", "not a domain", "Give a domain like .news.example"),
        ("retention_days", "3", "Number must be between"),
    ):
        response = admin.post(
            "/admin/sites/demo/consent", data={"retention_days": "730", field: value}
        )
        assert response.status_code == 422, field
        assert message in response.text, field


def test_publishing_a_privacy_or_cookie_policy_asks_every_banner_again(app, client, site):
    first = client.get("/api/v1/sites/demo/consent-config").json
    with app.app_context():
        publishing.publish(PolicyDocument.TERMS, "Terms 2", "Terms only.", None)
    assert client.get("/api/v1/sites/demo/consent-config").json["revision"] == first["revision"]
    with app.app_context():
        publishing.publish(PolicyDocument.COOKIES, "Cookies 2", "New table.", None)
    after = client.get("/api/v1/sites/demo/consent-config").json
    assert after["revision"] == first["revision"] + 1
    assert after["policy_urls"]["cookies"].endswith("/policies/cookies/v2")
    assert "Cookie policy (version 2)" in [p["label"] for p in after["text"]["policies"]]


def test_records_are_filtered_and_paged_for_admins(app, admin):
    record(app, action="accept_all", consent_id="11111111-1111-4111-8111-111111111111")
    record(app, action="reject_all", consent_id="22222222-2222-4222-8222-222222222222")
    record(
        app, slug="other", action="reject_all", consent_id="33333333-3333-4333-8333-333333333333"
    )
    page = admin.get("/admin/consent")
    assert "3 records" in page.text
    assert "198.51.100.0/24" in page.text
    only = admin.get("/admin/consent?site=demo&action=reject_all")
    assert "1 record" in only.text
    assert "22222222-2222-4222-8222-222222222222" in only.text
    assert "11111111" not in only.text
    by_id = admin.get("/admin/consent?consent_id=33333333-3333-4333-8333-333333333333")
    assert "1 record" in by_id.text
    assert "<td>other</td>" in by_id.text
    today = utcnow().date()
    assert "3 records" in admin.get(f"/admin/consent?since={today}&until={today}").text
    assert "0 records" in admin.get(f"/admin/consent?since={today + timedelta(days=1)}").text
    assert admin.get("/admin/consent?since=yesterday").status_code == 422
    assert admin.get("/admin/consent?site=nowhere").status_code == 422


def test_exports_are_complete_and_safe_in_spreadsheets(app, admin):
    record(app, ua="=HYPERLINK(evil)")  # the browser family is derived, never copied
    with app.app_context():
        # A value a spreadsheet would run, as if stored by a future field.
        db.session.execute(update(ConsentRecord).values(ip_prefix="=cmd|' /C calc'!A0"))
        db.session.commit()
    response = admin.get("/admin/consent/export.csv?site=demo")
    assert response.mimetype == "text/csv"
    assert "attachment" in response.headers["Content-Disposition"]
    rows = list(csv.DictReader(io.StringIO(response.text)))
    assert len(rows) == 1
    row = rows[0]
    assert row["ip_prefix"] == "'=cmd|' /C calc'!A0"
    assert row["browser"] == "other"
    assert row["granted"] == "necessary preferences analytics marketing"
    assert set(row) == set(records.CSV_COLUMNS)

    exported = json.loads(admin.get("/admin/consent/export.json").text)
    assert len(exported) == 1
    assert exported[0]["site"] == "demo"
    assert exported[0]["granted"] == ["necessary", "preferences", "analytics", "marketing"]
    assert set(exported[0]) == set(records.CSV_COLUMNS)


def test_purge_deletes_only_records_past_each_sites_retention(app, runner, site):
    old_demo, new_demo = record(app), record(app)
    old_other = record(app, slug="other")
    with app.app_context():
        demo = sites.get_site("demo")
        assert demo is not None
        banner_settings.save_settings(
            demo,
            banner_settings.SettingsInput(
                categories=list(banner_settings.current_settings(demo).categories),
                retention_days=30,
            ),
            None,
        )
        long_ago = utcnow() - timedelta(days=45)
        db.session.execute(
            update(ConsentRecord)
            .where(ConsentRecord.id.in_([old_demo, old_other]))
            .values(created_at=long_ago)
        )
        db.session.commit()
    result = runner.invoke(args=["consent", "purge"])
    assert result.exit_code == 0, result.output
    assert "demo\t1" in result.output
    assert "other\t0" in result.output  # 45 days is within its default of 730
    with app.app_context():
        left = set(db.session.scalars(select(ConsentRecord.id)))
    assert left == {new_demo, old_other}


def test_readers_see_their_acceptances_and_linked_decisions(app, site):
    reader_id = make_reader(app)
    with app.app_context():
        reader = db.session.get(Reader, reader_id)
        assert reader is not None
        for document in policies.ACCEPTED:
            policies.record_acceptance(reader, policies.current(document))
        db.session.commit()
    record(app, reader_id=reader_id)
    record(app, consent_id="44444444-4444-4444-8444-444444444444")  # not theirs
    client = app.test_client()
    sign_in(client)
    page = client.get("/account")
    assert "Privacy and consent" in page.text
    assert 'href="/policies/terms/v1">Terms of use, version 1</a>' in page.text
    assert "Demo News" in page.text
    assert "accepted all" in page.text
    data = json.loads(client.post("/account/export").text)
    assert [r["consent_id"] for r in data["consent_records"]] == [
        "6f1c2b3a-4d5e-4f60-8a1b-2c3d4e5f6a7b"
    ]
    assert {(a["document"], a["version"]) for a in data["policy_acceptances"]} == {
        ("terms", "1"),
        ("privacy", "1"),
    }


def test_decisions_from_the_services_own_pages_are_linked_to_the_reader(app, site):
    reader_id = make_reader(app)
    with app.app_context():
        demo = sites.get_site("demo")
        assert demo is not None
        cfg = banner_settings.public_config(demo, "en", gpc=False)
    client = app.test_client()
    sign_in(client)
    body = {
        "site": "demo",
        "action": "reject_all",
        "source": "preferences",
        "granted": ["necessary"],
        "refused": cfg["categories"],
        "revision": cfg["revision"],
        "settings_version": cfg["settings_version"],
        "language": "en",
        "text_hash": cfg["text_hash"],
    }
    response = client.post(
        "/api/v1/consent", json=body, headers={"Origin": "http://localhost:5000"}
    )
    assert response.status_code == 201
    cross_site = client.post(
        "/api/v1/consent", json={**body, "action": "reject_all"}, headers={"Origin": ORIGIN}
    )
    assert cross_site.status_code == 201
    with app.app_context():
        readers = list(
            db.session.scalars(select(ConsentRecord.reader_id).order_by(ConsentRecord.id))
        )
    # Only the same-origin request counts as the reader's; a news site's page never does.
    assert readers == [reader_id, None]


def test_deleting_an_account_keeps_the_proof_but_unlinks_it(app, site):
    reader_id = make_reader(app)
    record_id = record(app, reader_id=reader_id)
    client = app.test_client()
    sign_in(client)
    response = client.post("/account/delete", data={"delete-current_password": PASSWORD})
    assert response.status_code == 303
    with app.app_context():
        kept = db.session.get(ConsentRecord, record_id)
        assert kept is not None
        assert kept.reader_id is None
        assert kept.action == "accept_all"
