"""One answer to "may this reader post here?": the same refusal for the service, the
widget page and the API, computed once for a refused post."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import event, update

from commentsvc.comments import eligibility, posting, threads
from commentsvc.comments.eligibility import Reason
from commentsvc.comments.models import Comment, Site, Thread
from commentsvc.consent import policies, publishing
from commentsvc.consent.models import PolicyDocument
from commentsvc.core.extensions import db, utcnow
from commentsvc.moderation import bans, standing
from tests.factories import make_reader
from tests.moderation_support import Ids, build_world, client_for, get, post, reader

PAGE = "/threads/demo/t/a1"


@pytest.fixture
def ids(app) -> Ids:
    return build_world(app)


def refusal_for(app, reader_id: int | None) -> eligibility.Refusal | None:
    with app.app_context():
        thread = get(Thread, 1)
        return eligibility.refusal(
            reader(reader_id) if reader_id else None, get(Site, thread.site_id), thread
        )


def test_each_reason_in_turn(app, ids):
    assert refusal_for(app, ids.alice) is None
    refused = refusal_for(app, None)
    assert refused is not None
    assert refused.reason is Reason.SIGNED_OUT
    unverified = make_reader(app, "new@example.org", "Newcomer", verified=False)
    refused = refusal_for(app, unverified)
    assert refused is not None
    assert refused.reason is Reason.UNVERIFIED
    assert "Verify your e-mail" in refused.message
    with app.app_context():
        bans.ban(reader(ids.mod), ids.alice, ids.site, "Insults")
    refused = refusal_for(app, ids.alice)
    assert refused is not None
    assert refused.reason is Reason.BANNED
    assert "Reason: Insults" in refused.message
    with app.app_context():
        site = get(Site, ids.site)
        site.close_after_days = 1
        db.session.commit()
    post(app, ids.bob, "first")
    with app.app_context():
        db.session.execute(update(Comment).values(created_at=utcnow() - timedelta(days=2)))
        db.session.commit()
    refused = refusal_for(app, ids.bob)
    assert refused is not None
    assert refused.reason is Reason.CLOSED
    # A locked thread is the first thing anyone is told, signed in or not.
    with app.app_context():
        threads.set_locked(get(Thread, ids.thread), True)
    for who in (None, ids.bob, ids.alice, unverified):
        refused = refusal_for(app, who)
        assert refused is not None
        assert refused.reason is Reason.LOCKED


def test_new_policy_versions_come_before_the_readers_standing(app, ids):
    """The page, the widget and the API show this one refusal (tests/consent/test_policies.py
    follows it through them); an unverified reader is asked to accept first, too."""
    unverified = make_reader(app, "new@example.org", "Newcomer", verified=False)
    with app.app_context():
        for who in (ids.alice, unverified):
            for document in policies.ACCEPTED:
                policies.record_acceptance(reader(who), policies.current(document))
        db.session.commit()
        publishing.publish(PolicyDocument.TERMS, "Terms, version 2", "Shorter.", None)
    for who in (ids.alice, unverified):
        refused = refusal_for(app, who)
        assert refused is not None
        assert refused.reason is Reason.POLICIES
        assert [p.version for p in refused.pending] == [2]
    with app.app_context():
        thread = get(Thread, ids.thread)
        site, alice = get(Site, thread.site_id), reader(ids.alice)
        with pytest.raises(eligibility.PostingRefused) as caught:
            posting.post_comment(alice, thread, site, "Hi")
    assert caught.value.refusal.reason is Reason.POLICIES


def test_a_refused_post_works_out_the_refusal_once(app, ids, monkeypatch):
    with app.app_context():
        bans.ban(reader(ids.mod), ids.alice, ids.site, "Spam")
    alice = client_for(app, "alice@example.org")
    calls: list[int] = []
    real = eligibility.refusal

    def counted(*args, **kwargs):
        calls.append(1)
        return real(*args, **kwargs)

    monkeypatch.setattr(eligibility, "refusal", counted)
    response = alice.post(PAGE, data={"body": "Let me in"})
    assert response.status_code == 403
    # The page says why, drawn from the service's own answer.
    assert "You are banned from commenting on Demo News." in response.text
    assert 'class="comment-form"' not in response.text
    assert len(calls) == 1


def test_the_rule_inputs_are_read_in_one_statement_and_agree_with_each_rule(app, ids):
    """What posting asks before a comment is stored (ban, trust, approved count and the
    policies to accept) comes in one round trip, with or without policy rows, and says
    what the separate questions say."""

    def both(who: int) -> tuple[eligibility.Inputs, standing.Standing, list[int]]:
        site, person = get(Site, ids.site), reader(who)
        statements: list[str] = []

        def seen(*_args: object) -> None:
            statements.append("one")

        event.listen(db.engine, "before_cursor_execute", seen)
        try:
            known = eligibility.inputs(person, site)
        finally:
            event.remove(db.engine, "before_cursor_execute", seen)
        # One, and one more for each version to accept (its text, to show it).
        assert len(statements) == 1 + len(known.pending)
        assert [p.key for p in known.pending] == [
            p.key for p in policies.pending_acceptances(person, site)
        ]
        return known, standing.of(who, site), [p.version for p in known.pending]

    with app.app_context():
        # No acceptance on record and no published version: the row is still there.
        known, alone, pending = both(ids.alice)
        assert known.standing == alone
        assert not alone.banned
        assert pending == []
        for document in policies.ACCEPTED:
            policies.record_acceptance(reader(ids.alice), policies.current(document))
        db.session.commit()
        # The site's own terms replace the service's: Alice has not accepted them.
        site = get(Site, ids.site)
        publishing.publish(PolicyDocument.TERMS, "Our own terms", "Ours.", None, site)
        bans.set_trust(reader(ids.mod), ids.alice, ids.site, True)
        bans.ban(reader(ids.mod), ids.alice, ids.site, "Spam")
        known, alone, pending = both(ids.alice)
        assert known.standing == alone
        assert alone.banned
        assert alone.trust_mark is True
        assert pending == [1]
        assert known.pending[0].site_id == ids.site
        # Another reader of the same site stands apart.
        known, alone, pending = both(ids.bob)
        assert known.standing == alone
        assert not alone.banned
        assert alone.trust_mark is None
