"""Versioned policy documents: public pages, publishing, and asking readers to accept again."""

from __future__ import annotations

import re

import pytest
from flask import Flask
from sqlalchemy import select

from commentsvc.accounts import widget_sign_in
from commentsvc.accounts.models import Reader
from commentsvc.comments import sites
from commentsvc.consent import policies, publishing
from commentsvc.consent.models import PolicyAcceptance, PolicyDocument
from commentsvc.core.extensions import db
from tests.factories import make_reader, sign_in, without_tokens

ORIGIN = "https://news.example"
THREAD = f"/threads/demo/t/a1?url={ORIGIN}/a1"
OWN = {"Origin": "http://localhost:5000"}


def publish(
    app: Flask,
    document: str = "terms",
    text: str = "# New terms\n\nBe kind.",
    summary: str = "Kinder.",
    site: str | None = None,
) -> int:
    with app.app_context():
        site_row = sites.get_site(site) if site else None
        return publishing.publish(PolicyDocument(document), text, summary, None, site_row).version


def reader_who_accepted(app: Flask, email: str = "reader@example.org", name: str = "Reader") -> int:
    """A reader with the versions in force accepted, as sign-up records them."""
    reader_id = make_reader(app, email, name)
    with app.app_context():
        reader = db.session.get(Reader, reader_id)
        assert reader is not None
        for document in policies.ACCEPTED:
            policies.record_acceptance(reader, policies.current(document))
        db.session.commit()
    return reader_id


def accepted(app: Flask, reader_id: int) -> set[tuple[str, str, int | None]]:
    with app.app_context():
        rows = db.session.scalars(
            select(PolicyAcceptance).where(PolicyAcceptance.reader_id == reader_id)
        )
        return {(a.document, a.version, a.site_id) for a in rows}


@pytest.fixture
def site(app, client):
    with app.app_context():
        sites.create_site("demo", "Demo News", [ORIGIN])
    assert client.get(THREAD).status_code == 200  # creates the thread
    return "demo"


def test_a_fresh_installation_shows_built_in_version_1(client):
    for document, title in (
        ("privacy", "Privacy policy"),
        ("terms", "Terms of use"),
        ("cookies", "Cookie policy"),
    ):
        page = client.get(f"/policies/{document}")
        assert page.status_code == 200
        assert f'<h1 id="policy-heading">{title}' in page.text
        assert "Version 1" in page.text
        assert "initial version" in page.text
        assert without_tokens(client.get(f"/policies/{document}/v1").text) == without_tokens(
            page.text
        )
    assert "strictly necessary" in client.get("/policies/cookies").text
    assert client.get("/policies/other").status_code == 404
    assert client.get("/policies/terms/v2").status_code == 404


def test_publishing_makes_a_new_version_and_the_old_one_stays_readable(app, client):
    assert publish(app, text="# Rules\n\nBe kind <b>always</b>.", summary="Kinder.") == 2
    assert publish(app, text="Third text.", summary="Shorter.") == 3
    page = client.get("/policies/terms")
    assert "Version 3" in page.text
    assert "Third text." in page.text
    assert "What changed:" in page.text
    assert "Shorter." in page.text
    old = client.get("/policies/terms/v2")
    assert old.status_code == 200
    # Headings move below the page's <h1>; raw HTML stays text.
    assert "<h2>Rules</h2>" in old.text
    assert "&lt;b&gt;always&lt;/b&gt;" in old.text
    assert "This is an earlier version." in old.text
    assert 'href="/policies/terms/v3"' in old.text
    first = client.get("/policies/terms/v1")
    assert "These terms apply when you create an account" in first.text
    # The other documents are untouched.
    assert "Version 1" in client.get("/policies/privacy").text


def test_a_site_uses_the_services_documents_until_it_publishes_its_own(app, client, site):
    page = client.get("/sites/demo/policies/privacy")
    assert "Demo News uses the policy of this comment service." in page.text
    assert "Version 1" in page.text
    assert publish(app, "privacy", "Demo's own privacy text.", "Own policy.", site="demo") == 1
    page = client.get("/sites/demo/policies/privacy")
    assert "Demo's own privacy text." in page.text
    assert "uses the policy of this comment service" not in page.text
    assert client.get("/sites/demo/policies/privacy/v1").status_code == 200
    assert client.get("/sites/demo/policies/privacy/v2").status_code == 404
    # The service's own document is unchanged.
    assert "Demo's own" not in client.get("/policies/privacy").text
    assert client.get("/sites/nope/policies/privacy").status_code == 404


def test_sign_up_links_the_documents_and_records_the_versions_in_force(app, client):
    publish(app, "privacy", "Privacy, second edition.", "Clearer.")
    page = client.get("/auth/sign-up")
    assert re.search(r'<a href="/policies/terms/v1"[^>]*>terms of use</a>', page.text)
    assert re.search(r'<a href="/policies/privacy/v2"[^>]*>privacy policy</a>', page.text)
    assert "Terms of use version 1, privacy policy version 2." in page.text
    client.post(
        "/auth/sign-up",
        data={
            "email": "new@example.org",
            "display_name": "Newcomer",
            "password": "a long and unusual passphrase",
            "accept_terms": "y",
        },
    )
    with app.app_context():
        reader_id = db.session.scalar(select(Reader.id).where(Reader.email == "new@example.org"))
    assert reader_id is not None
    assert accepted(app, reader_id) == {("terms", "1", None), ("privacy", "2", None)}


def test_new_terms_are_shown_at_the_next_sign_in_and_accepted_once(app, client):
    reader_id = reader_who_accepted(app)
    publish(app, "terms", "New terms.", "Moderators may now pin comments.")
    response = sign_in(client, next_url="/account")
    assert response.status_code == 303
    assert response.headers["Location"] == "/policies/accept?next=/account"

    page = client.get(response.headers["Location"])
    assert "Moderators may now pin comments." in page.text
    assert 'href="/policies/terms/v2"' in page.text
    assert 'href="/account">Not now' in page.text
    # Reading keeps working meanwhile.
    assert client.get("/account").status_code == 200

    done = client.post("/policies/accept?next=/account", data={"shown": "terms:0:2"})
    assert done.status_code == 303
    assert done.headers["Location"] == "/account"
    assert ("terms", "2", None) in accepted(app, reader_id)
    client.post("/auth/sign-out")
    assert sign_in(client).headers["Location"] == "/account"
    # Nothing pending: the accept page moves straight on.
    assert client.get("/policies/accept?next=/account").status_code == 303


def test_a_version_published_while_reading_is_shown_before_it_counts(app, client):
    reader_id = reader_who_accepted(app)
    publish(app, "terms", "Terms 2.", "Second.")
    sign_in(client)
    publish(app, "terms", "Terms 3.", "Third.")
    response = client.post("/policies/accept", data={"shown": "terms:0:2"})
    assert response.status_code == 409
    assert "Third." in response.text
    assert ("terms", "2", None) not in accepted(app, reader_id)
    assert client.post("/policies/accept", data={"shown": "terms:0:3"}).status_code == 303
    assert ("terms", "3", None) in accepted(app, reader_id)


def test_cookie_policy_changes_do_not_stop_readers(app, client):
    reader_who_accepted(app)
    publish(app, "cookies", "New cookie table.", "Added a cookie.")
    assert sign_in(client).headers["Location"] == "/account"


def test_commenting_waits_for_acceptance_but_reading_does_not(app, client, site):
    reader_id = reader_who_accepted(app)
    sign_in(client)
    publish(app, "privacy", "Privacy 2.", "We keep less.")
    page = client.get(THREAD)
    assert page.status_code == 200
    assert "Please accept the new versions to comment" in page.text
    assert "We keep less." in page.text
    assert 'name="body"' not in page.text

    refused = client.post("/threads/demo/t/a1", data={"body": "Hello"})
    assert refused.status_code == 403
    assert "Please accept the new terms of use or privacy policy" in refused.text
    api = client.post("/api/v1/sites/demo/threads/a1/comments", json={"body": "Hello"})
    assert api.status_code == 403
    assert api.json["accept_url"] == "/policies/accept?site=demo"

    accept = client.post(
        "/threads/demo/accept-policies/a1",
        data={"shown": "privacy:0:2", "next": "/threads/demo/t/a1"},
    )
    assert accept.status_code == 303
    assert ("privacy", "2", None) in accepted(app, reader_id)
    assert 'name="body"' in client.get(THREAD).text
    assert client.post("/threads/demo/t/a1", data={"body": "Hello"}).status_code == 303


def test_a_sites_own_terms_are_accepted_in_its_widget(app, site):
    reader_id = reader_who_accepted(app)
    with app.app_context():
        reader = db.session.get(Reader, reader_id)
        site_row = sites.get_site("demo")
        assert reader is not None
        assert site_row is not None
        site_id = site_row.id
        code = widget_sign_in.create_embed_code(reader, site_id)
    widget = app.test_client()
    assert widget.post("/embed/demo/session", data={"code": code}, headers=OWN).status_code == 200
    publish(app, "terms", "Demo's house rules.", "House rules.", site="demo")
    page = widget.get(f"/embed/demo/t/a1?url={ORIGIN}/a1&origin={ORIGIN}")
    assert "House rules." in page.text
    assert 'href="/sites/demo/policies/terms/v1"' in page.text
    assert widget.post("/embed/demo/t/a1", data={"body": "Hi"}, headers=OWN).status_code == 403
    response = widget.post(
        "/embed/demo/accept-policies/a1", data={"shown": "terms:0:1"}, headers=OWN
    )
    assert response.status_code == 409  # the key names the service, not the site
    site_key = f"terms:{site_id}:1"
    response = widget.post("/embed/demo/accept-policies/a1", data={"shown": site_key}, headers=OWN)
    assert response.status_code == 303
    assert ("terms", "1", site_id) in accepted(app, reader_id)
    assert widget.post("/embed/demo/t/a1", data={"body": "Hi"}, headers=OWN).status_code == 303


def test_admins_publish_with_a_preview_and_readers_cannot(app, client):
    make_reader(app, "reader@example.org", "Reader")
    sign_in(client)
    for url in ("/admin/policies", "/admin/policies/terms", "/admin/sites/demo/policies/terms"):
        assert client.get(url).status_code == 403
    assert (
        client.post("/admin/policies/terms", data={"source": "x", "summary": "y"}).status_code
        == 403
    )
    assert "Version 1" in client.get("/policies/terms").text

    admin = app.test_client()
    make_reader(app, "admin@example.org", "Admin", is_admin=True)
    sign_in(admin, "admin@example.org")
    assert "Terms of use" in admin.get("/admin/policies").text
    form = admin.get("/admin/policies/terms")
    assert "These terms apply when you create an account" in form.text  # prefilled
    data = {"source": "# Draft\n\nNew rules.", "summary": "Drafted."}
    preview = admin.post("/admin/policies/terms", data={**data, "preview": "Preview"})
    assert preview.status_code == 200
    assert "<h3>Draft</h3>" in preview.text or "<h2>Draft</h2>" in preview.text
    assert "Version 1" in client.get("/policies/terms").text  # not published
    missing = admin.post("/admin/policies/terms", data={"source": "Text", "summary": ""})
    assert missing.status_code == 422
    published = admin.post("/admin/policies/terms", data={**data, "publish": "Publish"})
    assert published.status_code == 303
    page = client.get("/policies/terms")
    assert "Version 2" in page.text
    assert "New rules." in page.text


def test_anonymous_visitors_are_sent_to_sign_in_from_admin_pages(client):
    response = client.get("/admin/policies")
    assert response.status_code == 302
    assert "/auth/sign-in" in response.headers["Location"]
