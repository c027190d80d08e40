"""Who may moderate what: readers get 403 everywhere under /moderation, a moderator of one
site sees and touches nothing of another, forged form fields change nothing; admins
assign moderators in the UI and on the command line."""

from __future__ import annotations

import re

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from commentsvc.accounts import widget_sign_in
from commentsvc.accounts.models import Reader
from commentsvc.comments import reports
from commentsvc.comments.models import Comment, ModerationPolicy
from commentsvc.core.extensions import db
from commentsvc.moderation import bans
from commentsvc.moderation.models import AuditEntry, Ban, SiteModerator, TrustMark
from tests.moderation_support import build_world, client_for, get, post, reader, status


@pytest.fixture
def ids(app):
    return build_world(app, ModerationPolicy.HOLD_ALL)


def moderation_rules(app: Flask, values: dict[str, object]) -> list[tuple[str, str]]:
    """(method, url) for every rule under /moderation, its variables filled from values."""
    adapter = app.url_map.bind("localhost")
    found = []
    for rule in app.url_map.iter_rules():
        if not rule.rule.startswith("/moderation"):
            continue
        url = adapter.build(rule.endpoint, {name: values[name] for name in rule.arguments})
        for method in sorted((rule.methods or set()) & {"GET", "POST"}):
            found.append((method, url))
    return found


def test_readers_get_403_on_every_moderation_url(app, ids):
    cid = post(app, ids.alice)
    values = {
        "comment_id": cid,
        "thread_id": ids.thread,
        "reader_id": ids.alice,
        "slug": "demo",
    }
    rules = moderation_rules(app, values)
    assert len(rules) >= 20
    assert ("GET", "/moderation/") in rules
    reader = client_for(app, "bob@example.org")
    anonymous = app.test_client()
    for method, url in rules:
        data = {"action": "approve", "expected": "pending", "ids": str(cid)}
        response = reader.open(url, method=method, data=data)
        assert response.status_code == 403, (method, url)
        response = anonymous.open(url, method=method, data=data)
        assert response.status_code == 302, (method, url)
        assert response.headers["Location"].startswith("/auth/sign-in")
    assert status(app, cid) == "pending"
    with app.app_context():
        assert db.session.scalar(select(AuditEntry)) is None


def test_moderator_of_another_site_gets_403_and_sees_nothing_of_it(app, ids):
    cid = post(app, ids.alice, "Only for the eyes of demo")
    theirs = post(app, ids.bob, "A comment on the other site", ids.other_thread)
    other = client_for(app, "omar@example.org")

    queue = other.get("/moderation/")
    assert queue.status_code == 200
    assert "A comment on the other site" in queue.text
    assert "Only for the eyes" not in queue.text
    assert "Demo News" not in queue.text
    for method, url in [
        ("GET", "/moderation/?site=demo"),
        ("GET", f"/moderation/threads/{ids.thread}"),
        ("GET", "/moderation/sites/demo/settings"),
        ("GET", "/moderation/reports?site=demo"),
        ("GET", "/moderation/audit?site=demo"),
        ("POST", f"/moderation/comments/{cid}/decide"),
        ("POST", f"/moderation/comments/{cid}/pin"),
        ("POST", f"/moderation/comments/{cid}/undo"),
        ("POST", f"/moderation/comments/{cid}/approve-author"),
        ("POST", f"/moderation/comments/{cid}/ban-author"),
        ("POST", f"/moderation/comments/{cid}/dismiss-reports"),
        ("POST", f"/moderation/threads/{ids.thread}/lock"),
        ("POST", "/moderation/sites/demo/word-lists"),
    ]:
        data = {"action": "approve", "expected": "pending", "suspicious_words": "x"}
        assert other.open(url, method=method, data=data).status_code == 403, url
    # Alice wrote only on demo: her page is not there for the other site's moderator.
    assert other.get(f"/moderation/readers/{ids.alice}").status_code == 404
    assert other.get("/moderation/readers?q=Alice").text.count("/moderation/readers/1") == 0
    # Bulk over both sites decides only the moderator's own comment.
    response = other.post(
        "/moderation/comments/bulk",
        data={"action": "approve", "ids": [str(cid), str(theirs)]},
        follow_redirects=True,
    )
    assert "1 comment decided." in response.text
    assert status(app, cid) == "pending"
    assert status(app, theirs) == "approved"
    # What happened on demo stays out of the other site's audit log.
    client_for(app, "mina@example.org").post(
        f"/moderation/comments/{cid}/decide", data={"action": "reject"}
    )
    log = other.get("/moderation/audit")
    assert "Other Omar" in log.text
    assert "Moderator Mina" not in log.text


def test_forged_form_fields_are_ignored(app, ids):
    cid = post(app, ids.alice, "as written")
    theirs = post(app, ids.bob, "other site", ids.other_thread)
    mod = client_for(app, "mina@example.org")
    forged = {
        "action": "approve",
        "expected": "pending",
        "comment_id": str(theirs),
        "site_id": str(ids.other_site),
        "status": "spam",
        "author_id": str(ids.carol),
        "body_source": "rewritten",
        "pinned": "y",
    }
    assert mod.post(f"/moderation/comments/{cid}/decide", data=forged).status_code == 303
    with app.app_context():
        comment = get(Comment, cid)
        assert (comment.status, comment.author_id, comment.body_source, comment.pinned) == (
            "approved",
            ids.alice,
            "as written",
            False,
        )
    assert status(app, theirs) == "pending"
    # A status outside the allowed ones is a form error, not a new state.
    response = mod.post(
        f"/moderation/comments/{cid}/decide", data={"action": "publish", "expected": "spam"}
    )
    assert response.status_code == 422
    assert status(app, cid) == "approved"
    # Banning from every site, or on a site one does not moderate, is not a choice.
    for site in ("*", "other"):
        response = mod.post(f"/moderation/readers/{ids.alice}/ban", data={"site": site})
        assert response.status_code == 422
        assert "Not a valid choice" in response.text
    response = mod.post(
        f"/moderation/comments/{cid}/ban-author", data={"all_sites": "y", "reason": "x"}
    )
    assert response.status_code == 403


def test_hold_rules_are_for_admins_word_lists_for_the_sites_moderators(app, ids):
    mod = client_for(app, "mina@example.org")
    rules = {"policy": "hold_none", "hold_first_n": "1", "max_links": "2"}
    assert mod.post("/moderation/sites/demo/hold-rules", data=rules).status_code == 403
    page = mod.get("/moderation/sites/demo/settings")
    assert "Only an admin can change these." in page.text
    words = {"suspicious_words": "casino", "banned_words": "scam"}
    assert mod.post("/moderation/sites/demo/word-lists", data=words).status_code == 303


def test_admin_assigns_and_removes_a_moderator_in_the_ui(app, ids):
    admin = client_for(app, "admin@example.org")
    page = admin.get("/admin/sites/demo")
    assert "Moderator Mina" in page.text
    response = admin.post(
        "/admin/sites/demo/moderators", data={"moderator-email": "Carol@Example.org"}
    )
    assert response.status_code == 303
    carol = client_for(app, "carol@example.org")
    assert carol.get("/moderation/").status_code == 200
    assert carol.get("/moderation/?site=other").status_code == 403

    response = admin.post(
        "/admin/sites/demo/moderators", data={"moderator-email": "nobody@example.org"}
    )
    assert response.status_code == 422
    assert "There is no account with this e-mail address." in response.text
    response = admin.post(
        "/admin/sites/demo/moderators", data={"moderator-email": "carol@example.org"}
    )
    assert response.status_code == 422
    assert "Carol already moderates this site." in response.text

    assert admin.post(f"/admin/sites/demo/moderators/{ids.carol}/remove").status_code == 303
    assert carol.get("/moderation/").status_code == 403
    with app.app_context():
        actions = db.session.scalars(select(AuditEntry.action).order_by(AuditEntry.id)).all()
    assert actions == ["add_moderator", "remove_moderator"]
    # A moderator is not an admin: the admin pages stay closed.
    mod = client_for(app, "mina@example.org")
    assert (
        mod.post("/admin/sites/demo/moderators", data={"moderator-email": "x"}).status_code == 403
    )


def test_cli_adds_a_moderator(app, ids, runner):
    result = runner.invoke(args=["sites", "add-moderator", "other", "Alice@example.org"])
    assert result.exit_code == 0, result.output
    assert "alice@example.org now moderates other." in result.output
    with app.app_context():
        assert db.session.scalar(
            select(SiteModerator).where(
                SiteModerator.reader_id == ids.alice, SiteModerator.site_id == ids.other_site
            )
        )
    for args, message in [
        (["nope", "alice@example.org"], "no site with the slug 'nope'"),
        (["other", "ghost@example.org"], "no account with this e-mail address"),
        (["other", "alice@example.org"], "already moderates this site"),
    ]:
        result = runner.invoke(args=["sites", "add-moderator", *args])
        assert result.exit_code != 0
        assert message in result.output


def test_admin_moderates_every_site_and_the_nav_shows_the_way(app, ids):
    post(app, ids.alice, "on demo")
    post(app, ids.bob, "on other", ids.other_thread)
    admin = client_for(app, "admin@example.org")
    queue = admin.get("/moderation/")
    assert "on demo" in queue.text
    assert "on other" in queue.text
    assert 'href="/moderation/">Moderation</a>' in admin.get("/account").text
    assert "Moderation</a>" not in client_for(app, "bob@example.org").get("/account").text


def test_a_widget_session_never_moderates(app, ids):
    with app.app_context():
        code = widget_sign_in.create_embed_code(get(Reader, ids.admin), ids.site)
    client = app.test_client()
    headers = {"Origin": "http://localhost:5000"}
    assert (
        client.post("/embed/demo/session", data={"code": code}, headers=headers).status_code == 200
    )
    # The widget's cookie is scoped to /embed: the moderation pages see no one signed in.
    assert client.get("/moderation/").status_code == 302


# What differs from one request to the next: the CSP nonce and the (timed) CSRF token.
PER_REQUEST = re.compile(r'nonce="[^"]*"|value="[\w.-]{40,}"')


@pytest.fixture
def published(app):
    """The same world, publishing comments at once (so they can be reported)."""
    return build_world(app, ModerationPolicy.HOLD_NONE)


def _probe(client: FlaskClient, reader_id: int, name: str) -> list[tuple[int, str]]:
    """What a moderator learns about one reader id through every route that takes one."""
    answers = []
    for method, url, data in [
        ("GET", f"/moderation/?author={reader_id}", None),
        ("GET", f"/moderation/readers/{reader_id}", None),
        ("POST", f"/moderation/readers/{reader_id}/ban", {"site": "demo", "reason": "x"}),
        ("POST", f"/moderation/readers/{reader_id}/unban", {"site": "demo"}),
        ("POST", f"/moderation/readers/{reader_id}/trust", {"site": "demo"}),
        ("POST", f"/moderation/readers/{reader_id}/untrust", {"site": "demo"}),
        ("GET", f"/moderation/audit?moderator={reader_id}", None),
    ]:
        response = client.open(url, method=method, data=data)
        assert name not in response.text, (url, name)
        answers.append((response.status_code, PER_REQUEST.sub("", response.text)))
    return answers


def test_a_moderator_learns_nothing_about_readers_of_other_sites(app, published):
    """Mina moderates demo. Bob wrote only on the other site, was reported there, banned
    and trusted there; Carol has done nothing anywhere; 999999 is nobody. Every route that
    takes a reader id gives Mina the same answer for all three, and never a name."""
    theirs = post(app, published.bob, "On the other site only", published.other_thread)
    with app.app_context():
        reports.report_comment(reader(published.alice), theirs, "abuse")  # Alice reports there too
        bans.ban(reader(published.other_mod), published.bob, published.other_site, "Rude")
        bans.set_trust(reader(published.other_mod), published.carol, published.other_site, True)
    mina = client_for(app, "mina@example.org")
    nobody = _probe(mina, 999999, "Bob")
    assert [status for status, _ in nobody] == [404] * 6 + [200]
    assert _probe(mina, published.bob, "Bob") == nobody
    assert _probe(mina, published.carol, "Carol") == nobody
    # The other site's moderator too: an actor filter shows nothing of another site.
    assert _probe(mina, published.other_mod, "Other Omar") == nobody
    # Searching finds no one: the page only echoes the query.
    for query in ("Bob", "Carol", "o"):
        found = mina.get(f"/moderation/readers?q={query}")
        assert found.status_code == 200
        assert 'href="/moderation/readers/' not in found.text
        assert "Carol" not in found.text.replace('value="Carol"', "")
        assert "Bob" not in found.text.replace('value="Bob"', "")
    with app.app_context():
        # Nothing was done to them on demo either.
        assert db.session.scalars(
            select(Ban.site_id).where(Ban.reader_id == published.bob)
        ).all() == [published.other_site]
        assert (
            db.session.scalar(select(TrustMark).where(TrustMark.site_id == published.site)) is None
        )


def test_moderators_see_the_readers_of_their_own_sites(app, published):
    """Readers who commented on, reported a comment on, were banned or marked on the
    moderator's site can be looked up by its moderators (and by admins), by one rule."""
    mine = post(app, published.alice, "On demo")
    with app.app_context():
        reports.report_comment(reader(published.bob), mine, "spam")  # Bob only reported, on demo
    admin = client_for(app, "admin@example.org")
    assert admin.post(
        f"/moderation/readers/{published.carol}/ban", data={"site": "demo"}
    ).status_code
    mina = client_for(app, "mina@example.org")
    for person, name in (
        (published.alice, "Alice"),
        (published.bob, "Bob"),
        (published.carol, "Carol"),
    ):
        page = mina.get(f"/moderation/readers/{person}")
        assert page.status_code == 200, name
        assert name in page.text
        assert name in mina.get(f"/moderation/?author={person}").text
        assert (
            f'href="/moderation/readers/{person}"' in mina.get(f"/moderation/readers?q={name}").text
        )
    # Omar (the other site) sees none of them; the admin sees everyone.
    omar = client_for(app, "omar@example.org")
    for person in (published.alice, published.bob, published.carol):
        assert omar.get(f"/moderation/readers/{person}").status_code == 404
        assert admin.get(f"/moderation/readers/{person}").status_code == 200
    assert admin.get("/moderation/readers/999999").status_code == 404
