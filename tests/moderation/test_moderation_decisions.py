"""Moderators' decisions: counts and versions, races, bulk, by author, undo, pins, locks,
reports, bans, and the audit log that records them all."""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest
from sqlalchemy import delete, select, update

from commentsvc.comments import reading, reports
from commentsvc.comments.models import Comment, CommentStatus, ModerationPolicy, Site, Thread
from commentsvc.core.errors import Conflict, Forbidden, Invalid
from commentsvc.core.extensions import db, utcnow
from commentsvc.moderation import audit, bans, decisions, moderators, queue, rules
from commentsvc.moderation.decisions import Decision
from commentsvc.moderation.models import AuditEntry
from tests.moderation_support import build_world, get, post, reader, status, thread_row


@pytest.fixture
def ids(app):
    return build_world(app, ModerationPolicy.HOLD_ALL)


def decide(app, who: int, cid: int, decision: Decision, reason: str = "", expected="pending"):
    with app.app_context():
        return decisions.decide(reader(who), cid, decision, reason, expected)


def entries(app) -> list[tuple[str, str, str, str]]:
    with app.app_context():
        return [
            (e.actor_name, e.action, e.status_before, e.status_after)
            for e in db.session.scalars(select(AuditEntry).order_by(AuditEntry.id))
        ]


def test_approving_publishes_counts_and_bumps_the_thread(app, ids):
    cid = post(app, ids.alice)
    count, version = thread_row(app, ids.thread)
    assert count == 0
    decide(app, ids.mod, cid, Decision.APPROVE)
    assert status(app, cid) == CommentStatus.APPROVED
    assert thread_row(app, ids.thread) == (1, version + 1)
    with app.app_context():
        thread = get(Thread, ids.thread)
        site = get(Site, ids.site)
        assert [c.id for c in reading.read_thread(thread, site).comments] == [cid]
    assert entries(app)[-1] == ("Moderator Mina", "approve", "pending", "approved")


def test_removing_a_published_comment_takes_it_out_of_the_count(app, ids):
    cid = post(app, ids.alice)
    decide(app, ids.mod, cid, Decision.APPROVE)
    decide(app, ids.mod, cid, Decision.REJECT, "Off-topic", expected="approved")
    assert thread_row(app, ids.thread)[0] == 0
    assert entries(app)[-1] == ("Moderator Mina", "reject", "approved", "rejected")


def test_delete_removes_the_text_for_good(app, ids):
    cid = post(app, ids.alice, "illegal text")
    decide(app, ids.mod, cid, Decision.DELETE)
    with app.app_context():
        comment = get(Comment, cid)
        assert (comment.status, comment.body_source, comment.body_html) == ("deleted", "", "")
        entry = db.session.scalars(select(AuditEntry).where(AuditEntry.action == "delete")).one()
        assert "illegal" not in entry.target_label


def test_second_decision_on_a_comment_is_refused_and_changes_nothing(app, ids):
    cid = post(app, ids.alice)
    decide(app, ids.mod, cid, Decision.REJECT, "Spam link")
    with pytest.raises(decisions.AlreadyDecided, match="already decided by Moderator Mina"):
        decide(app, ids.admin, cid, Decision.APPROVE)
    assert status(app, cid) == CommentStatus.REJECTED
    assert thread_row(app, ids.thread)[0] == 0
    assert [e[1] for e in entries(app)] == ["reject"]


def test_two_moderators_deciding_at_once_one_wins(app, ids):
    cid = post(app, ids.alice)
    barrier = threading.Barrier(2)
    outcomes: list[str] = []

    def work(who: int, decision: Decision) -> None:
        with app.app_context():
            moderator = reader(who)
            barrier.wait()
            try:
                decisions.decide(moderator, cid, decision)
                outcomes.append(decision.value)
            except decisions.AlreadyDecided:
                outcomes.append("refused")
            finally:
                db.session.remove()

    threads = [
        threading.Thread(target=work, args=(ids.mod, Decision.APPROVE)),
        threading.Thread(target=work, args=(ids.admin, Decision.REJECT)),
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=30)
    assert sorted(outcomes) in (["approve", "refused"], ["refused", "reject"])
    winner = next(o for o in outcomes if o != "refused")
    assert status(app, cid) == {"approve": "approved", "reject": "rejected"}[winner]
    assert thread_row(app, ids.thread)[0] == (1 if winner == "approve" else 0)
    assert len(entries(app)) == 1


def test_moderator_of_another_site_can_touch_nothing(app, ids):
    cid = post(app, ids.alice)
    with app.app_context():
        other = reader(ids.other_mod)
        for action in (
            lambda: decisions.decide(other, cid, Decision.APPROVE),
            lambda: decisions.set_pinned(other, cid, True),
            lambda: decisions.set_locked(other, ids.thread, True),
            lambda: bans.ban(other, ids.alice, ids.site),
            lambda: bans.set_trust(other, ids.alice, ids.site, True),
            lambda: decisions.decide_author(other, cid, Decision.APPROVE),
            lambda: bans.ban_author(other, cid),
        ):
            with pytest.raises(moderators.NotModerator):
                action()
        done, skipped = decisions.decide_many(other, [cid], Decision.APPROVE)
        assert (done, len(skipped)) == (0, 1)
        with pytest.raises(moderators.NotModerator):
            bans.ban(reader(ids.mod), ids.alice, None)  # every site: admins only
    assert status(app, cid) == CommentStatus.PENDING
    assert entries(app) == []


def test_bulk_decides_pending_and_reports_the_rest(app, ids):
    first, second, third = (post(app, ids.alice, f"c{n}") for n in range(3))
    decide(app, ids.admin, second, Decision.APPROVE)
    with app.app_context():
        done, skipped = decisions.decide_many(
            reader(ids.mod), [first, second, third, 999], Decision.SPAM
        )
    assert done == 2
    assert len(skipped) == 2
    assert "already decided by Admin Ada" in skipped[0]
    assert [status(app, c) for c in (first, second, third)] == ["spam", "approved", "spam"]


def test_approve_author_approves_all_their_pending_on_that_site(app, ids):
    mine = [post(app, ids.alice, f"a{n}") for n in range(3)]
    elsewhere = post(app, ids.alice, "other site", ids.other_thread)
    bobs = post(app, ids.bob)
    with app.app_context():
        author, done = decisions.decide_author(reader(ids.mod), mine[1], Decision.APPROVE)
        assert (author.display_name, done) == ("Alice", 3)
    assert {status(app, c) for c in mine} == {"approved"}
    assert status(app, elsewhere) == status(app, bobs) == "pending"
    assert thread_row(app, ids.thread)[0] == 3


def test_ban_author_bans_and_rejects_their_pending(app, ids):
    mine = [post(app, ids.alice, f"a{n}") for n in range(2)]
    elsewhere = post(app, ids.alice, "other site", ids.other_thread)
    with app.app_context():
        _author, rejected = bans.ban_author(reader(ids.mod), mine[0], "Spam links")
        assert rejected == 2
        ban = rules.active_ban(ids.alice, ids.site)
        assert ban is not None
        assert ban.reason == "Spam links"
        assert rules.active_ban(ids.alice, ids.other_site) is None
    assert {status(app, c) for c in mine} == {"rejected"}
    assert status(app, elsewhere) == "pending"
    with pytest.raises(Forbidden, match="banned"):
        post(app, ids.alice, "again")
    assert [e[1] for e in entries(app)] == ["ban", "reject", "reject"]


def test_suspend_then_unban(app, ids):
    with app.app_context():
        mod = reader(ids.mod)
        with pytest.raises(moderators.ModerationError, match="in the future"):
            bans.ban(mod, ids.alice, ids.site, until=utcnow() - timedelta(hours=1))
        bans.ban(mod, ids.alice, ids.site, "Cool off", until=utcnow() + timedelta(days=1))
        ban = rules.active_ban(ids.alice, ids.site)
        assert ban is not None
        assert ban.kind == "suspension"
        assert bans.unban(mod, ids.alice, ids.site) == 1
        assert rules.active_ban(ids.alice, ids.site) is None
    assert [e[1] for e in entries(app)] == ["suspend", "unban"]


def test_undo_sends_a_recent_decision_back_to_the_queue(app, ids):
    cid = post(app, ids.alice)
    decide(app, ids.mod, cid, Decision.APPROVE)
    with app.app_context():
        decisions.undo(reader(ids.admin), cid)
    assert status(app, cid) == CommentStatus.PENDING
    assert thread_row(app, ids.thread)[0] == 0
    assert entries(app)[-1] == ("Admin Ada", "undo", "approved", "pending")
    with app.app_context(), pytest.raises(moderators.ModerationError, match="no longer"):
        decisions.undo(reader(ids.mod), cid)


def test_undo_is_refused_after_the_window_and_for_deletes(app, ids):
    old = post(app, ids.alice, "old")
    gone = post(app, ids.alice, "gone")
    decide(app, ids.mod, old, Decision.REJECT)
    decide(app, ids.mod, gone, Decision.DELETE)
    app.config["MODERATION_UNDO_SECONDS"] = 0
    with app.app_context():
        for cid in (old, gone):
            with pytest.raises(moderators.ModerationError, match="no longer be undone"):
                decisions.undo(reader(ids.mod), cid)
    assert status(app, old) == "rejected"


def test_pin_and_lock_bump_the_thread_and_are_logged(app, ids):
    cid = post(app, ids.alice)
    with app.app_context(), pytest.raises(moderators.ModerationError, match="published"):
        decisions.set_pinned(reader(ids.mod), cid, True)
    decide(app, ids.mod, cid, Decision.APPROVE)
    version = thread_row(app, ids.thread)[1]
    with app.app_context():
        decisions.set_pinned(reader(ids.mod), cid, True)
        decisions.set_locked(reader(ids.mod), ids.thread, True)
        assert get(Comment, cid).pinned
    assert thread_row(app, ids.thread)[1] == version + 2
    with pytest.raises(Forbidden, match="locked"):
        post(app, ids.bob)
    assert [e[1] for e in entries(app)][-2:] == ["pin", "lock"]


def test_reports_once_per_reader_and_enough_send_it_back(app, ids):
    with app.app_context():
        db.session.execute(update(Site).values(moderation_policy=ModerationPolicy.HOLD_NONE))
        db.session.commit()
    cid = post(app, ids.alice)
    with app.app_context():
        with pytest.raises(Forbidden, match="your own"):
            reports.report_comment(reader(ids.alice), cid, "spam")
        reports.report_comment(reader(ids.bob), cid, "abuse", "Insults")
        with pytest.raises(Conflict, match="already reported"):
            reports.report_comment(reader(ids.bob), cid, "spam")
        with pytest.raises(Invalid, match="what is wrong"):
            reports.report_comment(reader(ids.carol), cid, "other", "  ")
        reports.report_comment(reader(ids.carol), cid, "off_topic")
    assert status(app, cid) == "approved"
    with app.app_context():
        # The third report (a moderator may report as a reader too) reaches the threshold.
        reports.report_comment(reader(ids.mod), cid, "illegal")
    assert status(app, cid) == "pending"
    assert thread_row(app, ids.thread)[0] == 0
    assert entries(app)[-1] == ("", "requeue", "approved", "pending")
    with app.app_context():
        item = queue.pending(reader(ids.mod), queue.QueueFilters()).items[0]
        assert [h.reason for h in item.holds] == ["reported"]
        assert [r.reason for r in item.reports] == ["abuse", "off_topic", "illegal"]
    decide(app, ids.mod, cid, Decision.APPROVE)
    with app.app_context():
        assert reports.open_report_count(cid) == 0


def test_the_audit_log_cannot_be_changed_or_deleted(app, ids):
    cid = post(app, ids.alice)
    decide(app, ids.mod, cid, Decision.APPROVE)
    with app.app_context():
        entry = db.session.scalars(select(AuditEntry)).one()
        entry.reason = "rewritten"
        with pytest.raises(audit.AuditLogIsAppendOnly):
            db.session.commit()
        db.session.rollback()
        with pytest.raises(audit.AuditLogIsAppendOnly):
            db.session.execute(delete(AuditEntry))
        with pytest.raises(audit.AuditLogIsAppendOnly):
            db.session.execute(update(AuditEntry).values(reason="x"))
        db.session.rollback()
        db.session.delete(db.session.scalars(select(AuditEntry)).one())
        with pytest.raises(audit.AuditLogIsAppendOnly):
            db.session.commit()
        db.session.rollback()
    assert entries(app) == [("Moderator Mina", "approve", "pending", "approved")]


def test_audit_entries_survive_the_moderators_account(app, ids):
    cid = post(app, ids.alice)
    decide(app, ids.mod, cid, Decision.APPROVE)
    with app.app_context():
        db.session.delete(reader(ids.mod))
        db.session.commit()
        entry = db.session.scalars(select(AuditEntry)).one()
        assert (entry.actor_id, entry.actor_name) == (None, "Moderator Mina")
