"""Moderation as readers meet it on the thread pages and the API: the Report form, bans
and closed threads explained, the no-JavaScript form's brakes, posting rate limits."""

from __future__ import annotations

import html
import re
from datetime import timedelta

import pytest
from sqlalchemy import select, update

from commentsvc.comments.models import Comment, Report, Site
from commentsvc.core.extensions import db, utcnow
from commentsvc.moderation import rules
from commentsvc.moderation.models import Ban, BanKind, CommentHold
from tests.conftest import build_app
from tests.moderation_support import build_world, client_for, post, status

PAGE = "/threads/demo/t/a1"


@pytest.fixture
def ids(app):
    return build_world(app)


def report(client, cid: int, reason: str = "abuse", text: str = ""):
    return client.post(
        f"/threads/demo/c/{cid}/report/a1", data={"reason": reason, "text": text, "next": PAGE}
    )


def test_reader_reports_a_comment_once_and_sees_it_marked(app, ids):
    cid = post(app, ids.alice, "You are all idiots")
    bob = client_for(app, "bob@example.org")
    page = bob.get(PAGE)
    # A Report link per comment; its page has the one Report form, under that comment.
    link = re.search(r'<a class="report" href="([^"]+)"[^>]*>Report</a>', page.text)
    assert link is not None
    assert "What is wrong with this comment?" not in page.text
    chosen = bob.get(html.unescape(link.group(1)).split("#")[0])
    assert chosen.text.count("What is wrong with this comment?") == 1
    assert f'action="/threads/demo/c/{cid}/report/a1"' in chosen.text
    response = report(bob, cid, "abuse", "Insults everyone")
    assert response.status_code == 303
    assert response.headers["Location"] == f"{PAGE}#c{cid}"
    page = bob.get(PAGE)
    assert "You reported this comment" in page.text
    again = report(bob, cid, "spam")
    assert again.status_code == 409
    assert "You already reported this comment." in again.text
    # The author has no Report button on their own comment; anonymous readers none at all.
    assert 'class="report"' not in client_for(app, "alice@example.org").get(PAGE).text
    assert 'class="report"' not in app.test_client().get(PAGE).text
    with app.app_context():
        stored = db.session.scalars(select(Report)).one()
        assert (stored.reader_id, stored.reason, stored.text) == (
            ids.bob,
            "abuse",
            "Insults everyone",
        )


def test_report_form_errors_keep_the_text_and_explain(app, ids):
    cid = post(app, ids.alice)
    bob = client_for(app, "bob@example.org")
    response = report(bob, cid, "other", "   ")
    assert response.status_code == 422
    assert "Tell us what is wrong with this comment." in response.text
    assert re.search(rf'<details class="report" id="report-{cid}" open>', response.text)
    response = report(bob, cid, "nonsense", "keep these words")
    assert response.status_code == 422
    assert "Choose why you are reporting this comment." in response.text
    assert "keep these words</textarea>" in response.text
    with app.app_context():
        assert db.session.scalar(select(Report)) is None


def test_enough_reports_take_a_comment_off_the_page_and_into_the_queue(app, ids):
    with app.app_context():
        db.session.execute(update(Site).values(report_threshold=2))
        db.session.commit()
    cid = post(app, ids.alice, "Contested words")
    anonymous = app.test_client()
    assert "Contested words" in anonymous.get(PAGE).text
    report(client_for(app, "bob@example.org"), cid, "spam")
    assert "Contested words" in anonymous.get(PAGE).text
    report(client_for(app, "carol@example.org"), cid, "off_topic")
    assert "Contested words" not in anonymous.get(PAGE).text
    assert status(app, cid) == "pending"
    queue = client_for(app, "mina@example.org").get("/moderation/?reason=reported")
    assert "Reported by readers (2)" in queue.text
    assert "Spam or advertising — Bob" in queue.text
    assert "Off-topic — Carol" in queue.text


def test_banned_reader_reads_and_is_told_why_they_cannot_post(app, ids):
    post(app, ids.bob, "Visible to everyone")
    with app.app_context():
        db.session.add(Ban(reader_id=ids.alice, site_id=ids.site, reason="Insults"))
        db.session.commit()
    alice = client_for(app, "alice@example.org")
    page = alice.get(PAGE)
    assert "Visible to everyone" in page.text
    assert "You are banned from commenting on Demo News. Reason: Insults" in page.text
    assert 'id="new-comment"' not in page.text
    response = alice.post(PAGE, data={"body": "let me in", "next": PAGE})
    assert response.status_code == 403
    assert "You are banned from commenting on Demo News." in response.text
    with app.app_context():
        assert db.session.scalar(select(Comment).where(Comment.author_id == ids.alice)) is None


def test_suspended_reader_is_told_until_when(app, ids):
    with app.app_context():
        db.session.add(
            Ban(
                reader_id=ids.alice,
                site_id=None,
                kind=BanKind.SUSPENSION,
                until=utcnow() + timedelta(days=3),
            )
        )
        db.session.commit()
    page = client_for(app, "alice@example.org").get(PAGE)
    assert "You are suspended from commenting on Demo News until" in page.text


def test_closed_thread_says_since_when(app, ids):
    first = post(app, ids.bob)
    with app.app_context():
        db.session.execute(update(Site).values(close_after_days=2))
        db.session.execute(
            update(Comment)
            .where(Comment.id == first)
            .values(created_at=utcnow() - timedelta(days=3))
        )
        db.session.commit()
    page = client_for(app, "alice@example.org").get(PAGE)
    assert "This thread closed for new comments on" in page.text
    assert 'id="new-comment"' not in page.text


def hold_reasons(app, cid: int) -> list[str]:
    with app.app_context():
        return list(
            db.session.scalars(select(CommentHold.reason).where(CommentHold.comment_id == cid))
        )


def posted_id(response) -> int:
    assert response.status_code == 303, response.text
    match = re.search(r"#c(\d+)$", response.headers["Location"])
    assert match
    return int(match.group(1))


def test_no_js_form_holds_a_filled_honeypot_or_a_hasty_post(app, ids):
    alice = client_for(app, "alice@example.org")
    page = alice.get(PAGE)
    # The honeypot is in every form; the form time only without JavaScript.
    assert 'name="website"' in page.text
    started = re.search(
        r'<noscript><input type="hidden" name="started" value="([^"]+)">', page.text
    )
    assert started
    bot = alice.post(PAGE, data={"body": "buy now", "website": "http://spam.example"})
    assert status(app, posted_id(bot)) == "pending"
    assert hold_reasons(app, posted_id(bot)) == ["honeypot"]
    hasty = alice.post(PAGE, data={"body": "quick!", "website": "", "started": started.group(1)})
    assert hold_reasons(app, posted_id(hasty)) == ["too_fast"]
    forged = alice.post(PAGE, data={"body": "forged", "started": "not-a-token"})
    assert hold_reasons(app, posted_id(forged)) == ["too_fast"]
    with app.test_request_context():
        app.config["COMMENT_MIN_FILL_SECONDS"] = 0
        patient = rules.form_token()
    fine = alice.post(PAGE, data={"body": "took my time", "website": "", "started": patient})
    assert status(app, posted_id(fine)) == "approved"


def test_posting_is_rate_limited_per_reader(smtp_server, tmp_path):
    app = build_app(
        tmp_path,
        smtp_server.port,
        RATELIMIT_POST_READER="2 per minute",
        RATELIMIT_POST_IP="100 per minute",
    )
    build_world(app)
    alice = client_for(app, "alice@example.org")
    bob = client_for(app, "bob@example.org")
    for n in range(2):
        assert alice.post(PAGE, data={"body": f"n{n}"}).status_code == 303
    too_many = alice.post(PAGE, data={"body": "third"})
    assert too_many.status_code == 429
    assert "Too many attempts" in too_many.text
    # The API shares the budget; another reader has their own.
    api = alice.post("/api/v1/sites/demo/threads/a1/comments", json={"body": "via the API"})
    assert api.status_code == 429
    assert bob.post(PAGE, data={"body": "bob here"}).status_code == 303
    with app.app_context():
        db.session.remove()
        db.engine.dispose()


def test_posting_is_rate_limited_per_address(smtp_server, tmp_path):
    app = build_app(
        tmp_path,
        smtp_server.port,
        RATELIMIT_POST_READER="100 per minute",
        RATELIMIT_POST_IP="3 per minute",
    )
    build_world(app)
    codes = [
        client_for(app, f"{name}@example.org").post(PAGE, data={"body": name}).status_code
        for name in ("alice", "bob", "carol", "alice")
    ]
    assert codes == [303, 303, 303, 429]
    with app.app_context():
        db.session.remove()
        db.engine.dispose()


def test_api_report_endpoint(app, ids):
    cid = post(app, ids.alice)
    bob = client_for(app, "bob@example.org")
    url = f"/api/v1/comments/{cid}/report"
    assert app.test_client().post(url, json={"reason": "spam"}).status_code == 401
    response = bob.post(url, json={"reason": "spam", "text": "Ads"})
    assert response.status_code == 201
    assert response.json == {"comment_id": cid, "reason": "spam", "reported": True}
    assert bob.post(url, json={"reason": "spam"}).status_code == 409
    carol = client_for(app, "carol@example.org")
    for body, error in [
        ({"reason": 1}, "reason must be a string."),
        ({"reason": "rude"}, "Choose why you are reporting this comment."),
        ({"reason": "other"}, "Tell us what is wrong with this comment."),
        ({"reason": "spam", "text": ["x"]}, "text must be a string."),
    ]:
        response = carol.post(url, json=body)
        assert response.status_code == 422
        assert response.json == {"error": error}
    assert carol.post("/api/v1/comments/99999/report", json={"reason": "spam"}).status_code == 404
    spec = app.test_client().get("/api/v1/openapi.json").json
    assert "/comments/{comment_id}/report" in spec["paths"]


def test_a_readers_data_export_includes_their_reports_bans_and_email_settings(app, ids):
    cid = post(app, ids.alice)
    bob = client_for(app, "bob@example.org")
    report(bob, cid, "spam", "Ads")
    bob.post("/notifications/settings", data={"reply_emails": "y"})
    with app.app_context():
        db.session.add(Ban(reader_id=ids.bob, site_id=ids.site, reason="Spam"))
        db.session.commit()
    data = bob.post("/account/export").json
    assert data is not None
    assert data["notification_settings"]["reply_emails"] is True
    assert [(r["comment_id"], r["reason"], r["text"]) for r in data["reports"]] == [
        (cid, "spam", "Ads")
    ]
    assert [(b["site"], b["reason"]) for b in data["bans"]] == [("demo", "Spam")]


def test_a_readers_data_export_includes_their_comments_and_votes(app, ids):
    first = post(app, ids.alice, "My first comment")
    reply = post(app, ids.alice, "And a reply", parent_id=first)
    post(app, ids.bob, "Not mine")
    bob = client_for(app, "bob@example.org")
    assert bob.post(f"/api/v1/comments/{first}/vote", json={"value": 1}).status_code == 200
    alice = client_for(app, "alice@example.org")
    data = alice.post("/account/export").json
    assert data is not None
    assert [(c["id"], c["body"], c["parent_id"], c["site"]) for c in data["comments"]] == [
        (first, "My first comment", None, "demo"),
        (reply, "And a reply", first, "demo"),
    ]
    assert data["comments"][0]["thread"]["key"] == "a1"
    assert data["comments"][0]["score"] == 1
    assert data["votes"] == []
    exported = bob.post("/account/export").json
    assert exported is not None
    assert exported["votes"] == [{"comment_id": first, "value": 1}]
    assert [c["body"] for c in exported["comments"]] == ["Not mine"]
