"""Notification e-mails over real SMTP: moderators' batched digests, authors' decision and
reply e-mails, account settings, and unsubscribe links (visible and RFC 8058 one-click)."""

from __future__ import annotations

import re
from datetime import timedelta
from email.message import EmailMessage

import pytest
from sqlalchemy import update

from commentsvc.comments import notify
from commentsvc.comments.models import ModerationPolicy, NotificationSettings, Site
from commentsvc.core import tokens
from commentsvc.core.extensions import db, utcnow
from commentsvc.moderation import decisions, digests
from commentsvc.moderation.decisions import Decision
from commentsvc.moderation.models import ModeratorDigest, SiteModerator
from tests.conftest import PUBLIC_URL, body_of, build_app
from tests.factories import PASSWORD
from tests.moderation_support import build_world, client_for, get, post, reader

SEND = ["mail", "send-pending"]


@pytest.fixture
def ids(app):
    return build_world(app, ModerationPolicy.HOLD_ALL)


def unsubscribe_path(msg: EmailMessage) -> str:
    """The one-click URL from List-Unsubscribe, as a path; it is also in the body."""
    header = str(msg["List-Unsubscribe"])
    match = re.fullmatch(
        r"<" + re.escape(PUBLIC_URL) + r"(/notifications/unsubscribe/[^>]+)>", header
    )
    assert match, header
    assert msg["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert PUBLIC_URL + match.group(1) in body_of(msg)
    return match.group(1)


def choose(client, **settings: bool) -> None:
    data = {name: "y" for name, on in settings.items() if on}
    response = client.post("/notifications/settings", data=data)
    assert response.status_code == 303


def test_moderators_get_one_digest_per_interval_with_counts(app, ids, runner, inbox):
    for n in range(3):
        post(app, ids.alice, f"held {n}")
    post(app, ids.bob, "on the other site", ids.other_thread)
    assert runner.invoke(args=SEND).exit_code == 0
    digest = inbox.last_to("mina@example.org")
    assert digest["Subject"] == "3 new comments wait for moderation"
    text = body_of(digest)
    assert "Demo News: 3 new, 3 pending in all" in text
    assert "Other Times" not in text
    assert f"{PUBLIC_URL}/moderation/" in text
    other = inbox.last_to("omar@example.org")
    assert "Other Times: 1 new, 1 pending in all" in body_of(other)
    assert inbox.to("admin@example.org") == []  # admins are not site moderators

    # More held comments within the interval: no second e-mail yet.
    post(app, ids.carol, "held later")
    runner.invoke(args=SEND)
    assert len(inbox.to("mina@example.org")) == 1
    # Once the interval has passed, one more, about the new comment only.
    with app.app_context():
        db.session.execute(
            update(ModeratorDigest).values(last_sent_at=utcnow() - timedelta(minutes=16))
        )
        db.session.commit()
    runner.invoke(args=SEND)
    again = inbox.to("mina@example.org")
    assert len(again) == 2
    assert again[-1]["Subject"] == "1 new comment waits for moderation"
    assert "Demo News: 1 new, 4 pending in all" in body_of(again[-1])
    # Nothing new: nothing sent, however long it has been.
    with app.app_context():
        db.session.execute(
            update(ModeratorDigest).values(last_sent_at=utcnow() - timedelta(hours=1))
        )
        db.session.commit()
    runner.invoke(args=SEND)
    assert len(inbox.to("mina@example.org")) == 2


def test_digest_unsubscribe_link_asks_then_turns_off_only_the_digest(app, ids, runner, inbox):
    post(app, ids.alice, "held")
    runner.invoke(args=SEND)
    path = unsubscribe_path(inbox.last_to("mina@example.org"))
    visitor = app.test_client()  # no sign-in needed
    page = visitor.get(path)
    assert page.status_code == 200
    assert "Stop sending me: E-mails about comments waiting for moderation." in page.text
    assert "Set-Cookie" not in page.headers
    with app.app_context():
        assert notify.settings_for(ids.mod).moderator_digest  # a GET changes nothing
    done = visitor.post(path)
    assert done.status_code == 200
    assert "You are unsubscribed" in done.text
    with app.app_context():
        stored = get(NotificationSettings, ids.mod)
        assert (stored.moderator_digest, stored.reply_emails, stored.decision_emails) == (
            False,
            False,
            False,
        )
        db.session.execute(
            update(ModeratorDigest).values(last_sent_at=utcnow() - timedelta(hours=1))
        )
        db.session.commit()
    post(app, ids.alice, "held again")
    runner.invoke(args=SEND)
    assert len(inbox.to("mina@example.org")) == 1
    # The moderator can turn it back on from the account page.
    mod = client_for(app, "mina@example.org")
    assert "E-mail me when comments wait for moderation" in mod.get("/account").text
    choose(mod, moderator_digest=True)
    runner.invoke(args=SEND)
    assert len(inbox.to("mina@example.org")) == 2


def test_one_click_post_works_without_cookies_or_csrf_token(smtp_server, tmp_path, inbox):
    app = build_app(tmp_path, smtp_server.port, WTF_CSRF_ENABLED=True)
    ids = build_world(app, ModerationPolicy.HOLD_ALL)
    post(app, ids.alice, "held")
    runner = app.test_cli_runner()
    runner.invoke(args=SEND)
    path = unsubscribe_path(inbox.last_to("mina@example.org"))
    mail_client = app.test_client()
    response = mail_client.post(
        path,
        data="List-Unsubscribe=One-Click",
        content_type="application/x-www-form-urlencoded",
    )
    assert response.status_code == 200
    assert "Set-Cookie" not in response.headers
    with app.app_context():
        assert not notify.settings_for(ids.mod).moderator_digest
    # Twice is harmless; a changed token is refused and changes nothing.
    assert mail_client.post(path, data="List-Unsubscribe=One-Click").status_code == 200
    assert mail_client.post(path[:-3] + "abc").status_code == 400
    # Other forms on the same app still need their token.
    mod = app.test_client()
    token = re.search(
        r'name="csrf_token" type="hidden" value="([^"]+)"', mod.get("/auth/sign-in").text
    )
    assert token
    signed_in = mod.post(
        "/auth/sign-in",
        data={"csrf_token": token.group(1), "email": "mina@example.org", "password": PASSWORD},
    )
    assert signed_in.status_code == 303
    assert mod.post("/notifications/settings", data={"moderator_digest": "y"}).status_code == 400
    with app.app_context():
        assert not notify.settings_for(ids.mod).moderator_digest
    with app.app_context():
        db.session.remove()
        db.engine.dispose()


def test_a_token_works_only_for_its_own_setting(app, ids):
    with app.app_context():
        db.session.add(
            NotificationSettings(reader_id=ids.alice, reply_emails=True, decision_emails=True)
        )
        db.session.commit()
        decisions = notify.unsubscribe_token(ids.alice, notify.Setting.DECISION_EMAILS)
        reset_like = tokens.PASSWORD_RESET.make({"r": ids.alice, "s": "reply_emails"})
        other_purpose = tokens.TokenService("unsubscribe-other", 60).make(
            {"r": ids.alice, "s": "reply_emails"}
        )
        bob_comment = post(app, ids.bob, "bob's comment")
        not_hers = notify.unsubscribe_token(ids.alice, notify.Setting.COMMENT_REPLIES, bob_comment)
    client = app.test_client()
    for token in (reset_like, other_purpose, not_hers, "garbage", "x" * 2000):
        assert client.post(f"/notifications/unsubscribe/{token}").status_code == 400
        assert (
            "This unsubscribe link is not valid"
            in client.get(f"/notifications/unsubscribe/{token}").text
        )
    assert client.post(f"/notifications/unsubscribe/{decisions}").status_code == 200
    with app.app_context():
        stored = get(NotificationSettings, ids.alice)
        assert (stored.reply_emails, stored.decision_emails) == (True, False)


def test_authors_who_opted_in_hear_about_decisions_with_the_reason(app, ids, deliver, inbox):
    alice = client_for(app, "alice@example.org")
    page = alice.get("/account")
    assert "E-mail me when a moderator approves or rejects my comments" in page.text
    assert "E-mail me when comments wait for moderation" not in page.text
    choose(alice, decision_emails=True)
    approved = post(app, ids.alice, "Publish me")
    rejected = post(app, ids.alice, "Reject me")
    unheard = post(app, ids.bob, "Bob did not opt in")
    mod = client_for(app, "mina@example.org")
    mod.post(f"/moderation/comments/{approved}/decide", data={"action": "approve"})
    mod.post(
        f"/moderation/comments/{rejected}/decide",
        data={"action": "reject", "reason_template": "abuse"},
    )
    mod.post(f"/moderation/comments/{unheard}/decide", data={"action": "reject"})
    deliver()
    got = inbox.to("alice@example.org")
    assert [m["Subject"] for m in got] == [
        "Your comment was published",
        "Your comment was not published",
    ]
    assert "Publish me" in body_of(got[0])
    assert "https://news.example/a1#comments" in body_of(got[0])
    assert "Reason: Personal attacks or abusive language." in body_of(got[1])
    assert inbox.to("bob@example.org") == []
    # Unsubscribing from the e-mail turns decision e-mails off, and only those.
    client = app.test_client()
    client.post(unsubscribe_path(got[1]))
    with app.app_context():
        stored = get(NotificationSettings, ids.alice)
        assert (stored.decision_emails, stored.reply_emails) == (False, False)


def test_reply_emails_per_account_and_per_comment(app, ids, deliver, inbox):
    with app.app_context():
        db.session.execute(update(Site).values(moderation_policy=ModerationPolicy.HOLD_NONE))
        db.session.commit()
    alice = client_for(app, "alice@example.org")
    choose(alice, reply_emails=True)
    first = post(app, ids.alice, "My first point")
    second = post(app, ids.alice, "My second point")
    post(app, ids.alice, "Replying to myself", parent_id=first)
    post(app, ids.bob, "Bob disagrees", parent_id=first)
    deliver()
    mails = inbox.to("alice@example.org")
    assert [m["Subject"] for m in mails] == ["New reply to your comment"]
    assert "Bob disagrees" in body_of(mails[0])
    # The link mutes replies to that one comment.
    app.test_client().post(unsubscribe_path(mails[0]))
    post(app, ids.carol, "Carol too", parent_id=first)
    post(app, ids.carol, "Carol on the second", parent_id=second)
    deliver()
    mails = inbox.to("alice@example.org")
    assert [body_of(m).count("Carol") > 0 for m in mails] == [False, True]
    assert "Carol on the second" in body_of(mails[-1])
    # The account page lists the comment with its own setting and turns it back on.
    page = alice.get("/account")
    assert "Comments with their own setting" in page.text
    assert "My first point" in page.text
    assert "reply e-mails off" in page.text
    alice.post(f"/notifications/comments/{first}/reply-emails", data={"reply_emails": "y"})
    assert "Comments with their own setting" not in alice.get("/account").text
    # Turning the account-wide setting off stops them all.
    choose(alice)
    post(app, ids.bob, "Bob again", parent_id=second)
    deliver()
    assert len(inbox.to("alice@example.org")) == 2


def test_the_comment_form_chooses_reply_emails_for_that_comment(app, ids, deliver, inbox):
    with app.app_context():
        db.session.execute(update(Site).values(moderation_policy=ModerationPolicy.HOLD_NONE))
        db.session.commit()
    alice = client_for(app, "alice@example.org")
    page = alice.get("/threads/demo/t/a1")
    # The box starts as the account-wide setting (off by default).
    assert 'name="notify_replies" value="y" id="notify-new">' in page.text
    wanted = alice.post(
        "/threads/demo/t/a1",
        data={"body": "Tell me about replies", "notify_choice": "1", "notify_replies": "y"},
    )
    quiet = alice.post("/threads/demo/t/a1", data={"body": "No news", "notify_choice": "1"})
    wanted_id = int(wanted.headers["Location"].rsplit("#c", 1)[1])
    quiet_id = int(quiet.headers["Location"].rsplit("#c", 1)[1])
    post(app, ids.bob, "A reply to the first", parent_id=wanted_id)
    post(app, ids.bob, "A reply to the second", parent_id=quiet_id)
    deliver()
    mails = inbox.to("alice@example.org")
    assert len(mails) == 1
    assert "A reply to the first" in body_of(mails[0])
    # With the account-wide setting on, the box starts ticked.
    choose(alice, reply_emails=True)
    assert 'id="notify-new" checked>' in alice.get("/threads/demo/t/a1").text


def test_a_held_reply_is_announced_when_it_is_approved(app, ids, deliver, inbox):
    with app.app_context():
        db.session.add(NotificationSettings(reader_id=ids.alice, reply_emails=True))
        db.session.commit()
    first = post(app, ids.alice, "Held first")
    mod = client_for(app, "mina@example.org")
    mod.post(f"/moderation/comments/{first}/decide", data={"action": "approve"})
    reply = post(app, ids.bob, "Held reply", parent_id=first)
    deliver()
    assert inbox.to("alice@example.org") == []
    mod.post(f"/moderation/comments/{reply}/decide", data={"action": "approve"})
    deliver()
    assert inbox.last_to("alice@example.org")["Subject"] == "New reply to your comment"


def test_digest_goes_only_to_verified_moderators_who_want_it(app, ids, runner, inbox):
    with app.app_context():
        db.session.add(NotificationSettings(reader_id=ids.mod, moderator_digest=False))
        db.session.add(SiteModerator(site_id=ids.site, reader_id=ids.carol))
        reader(ids.carol).email_verified_at = None
        db.session.commit()
    post(app, ids.alice, "held")
    runner.invoke(args=SEND)
    assert inbox.to("mina@example.org") == []
    assert inbox.to("carol@example.org") == []
    with app.app_context():
        sent = digests.queue_moderator_digests(utcnow() + timedelta(hours=1))
    assert sent == 0


def test_spam_is_not_announced_to_its_author(app, ids, deliver, inbox):
    with app.app_context():
        db.session.add(NotificationSettings(reader_id=ids.alice, decision_emails=True))
        db.session.commit()
    cid = post(app, ids.alice, "service path")
    with app.app_context():
        decisions.decide(reader(ids.mod), cid, Decision.SPAM)
    deliver()
    assert inbox.to("alice@example.org") == []
