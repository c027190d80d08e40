"""The moderation queue through its pages: what an item shows, filters and paging,
decisions (single, raced, bulk, by author), recent decisions with undo, threads."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select, update

from commentsvc.comments.models import Comment, ModerationPolicy, Site
from commentsvc.core.extensions import db
from commentsvc.moderation import queue
from commentsvc.moderation.models import AuditEntry, TrustMark
from tests.moderation_support import build_world, client_for, post, status, thread_row


@pytest.fixture
def ids(app):
    return build_world(app, ModerationPolicy.HOLD_FIRST_N)


@pytest.fixture
def mod(app, ids):
    return client_for(app, "mina@example.org")


def item_ids(html: str) -> list[int]:
    return [int(n) for n in re.findall(r'<article class="queue-item[^"]*" id="q(\d+)"', html)]


def test_an_item_shows_what_is_needed_to_decide(app, ids, mod):
    with app.app_context():
        db.session.execute(update(Site).values(suspicious_words=["casino"]))
        db.session.add(TrustMark(site_id=ids.site, reader_id=ids.bob, trusted=True))
        db.session.commit()
    parent = post(app, ids.bob, "The talks **stalled**.")
    reply = post(app, ids.alice, "Try the casino instead", parent_id=parent)
    page = mod.get("/moderation/")
    assert item_ids(page.text) == [reply]
    assert "Alice on “Blinken in Baku”" in page.text
    assert 'href="https://news.example/a1#comments"' in page.text
    assert "New reader (0/1)" in page.text
    assert "Suspicious words (casino)" in page.text
    assert "In reply to Bob:" in page.text
    assert "<strong>stalled</strong>" in page.text
    assert "0 approved, 0 rejected here" in page.text
    assert "member since" in page.text
    assert "Demo News</a>" in page.text
    assert "1 pending" in page.text


def test_filters_search_and_counts(app, ids, mod):
    with app.app_context():
        db.session.execute(update(Site).values(suspicious_words=["casino"]))
        db.session.commit()
    plain = post(app, ids.alice, "About the sequencing of guarantees")
    words = post(app, ids.bob, "casino bonus")
    other = post(app, ids.carol, "Caspian pipelines", ids.other_thread)
    admin = client_for(app, "admin@example.org")
    assert item_ids(admin.get("/moderation/").text) == [plain, words, other]
    assert item_ids(admin.get("/moderation/?site=other").text) == [other]
    assert item_ids(admin.get("/moderation/?reason=suspicious_words").text) == [words]
    assert item_ids(admin.get(f"/moderation/?author={ids.alice}").text) == [plain]
    assert item_ids(admin.get("/moderation/?q=SEQUENCING").text) == [plain]
    assert item_ids(admin.get("/moderation/?q=100%25").text) == []
    assert item_ids(admin.get(f"/moderation/?thread={ids.other_thread}").text) == [other]
    assert item_ids(admin.get("/moderation/?reason=bogus&thread=x&after=-1").text) == [
        plain,
        words,
        other,
    ]
    counts = admin.get("/moderation/").text
    assert re.search(r"Demo News</a>\s*<span class=\"count\">2 pending", counts)
    assert re.search(r"Other Times</a>\s*<span class=\"count\">1 pending", counts)


def test_keyset_paging_walks_the_queue_oldest_first(app, ids, mod):
    with app.app_context():
        rows = [
            Comment(
                thread_id=ids.thread, author_id=ids.alice, body_source=f"n{n}", body_html=f"n{n}"
            )
            for n in range(queue.PAGE_SIZE + 5)
        ]
        db.session.add_all(rows)
        db.session.commit()
        expected = [r.id for r in rows]
    first = mod.get("/moderation/")
    assert item_ids(first.text) == expected[: queue.PAGE_SIZE]
    next_link = re.search(r'<a href="([^"]+)" rel="next">Next page</a>', first.text)
    assert next_link
    second = mod.get(next_link.group(1).replace("&amp;", "&"))
    assert item_ids(second.text) == expected[queue.PAGE_SIZE :]
    assert 'rel="next"' not in second.text
    assert "Back to the start" in second.text


def test_approve_and_reject_with_a_reason_through_the_forms(app, ids, mod):
    first = post(app, ids.alice, "first")
    second = post(app, ids.bob, "second")
    response = mod.post(
        f"/moderation/comments/{first}/decide",
        data={"action": "approve", "expected": "pending", "next": "/moderation/?site=demo"},
    )
    assert response.status_code == 303
    assert response.headers["Location"] == "/moderation/?site=demo"
    page = mod.get("/moderation/?site=demo")
    assert "Comment approved." in page.text
    assert item_ids(page.text) == [second]
    assert thread_row(app, ids.thread)[0] == 1

    mod.post(
        f"/moderation/comments/{second}/decide",
        data={"action": "reject", "reason_template": "off_topic", "reason": "Stay on Baku."},
    )
    with app.app_context():
        entry = db.session.scalars(select(AuditEntry).order_by(AuditEntry.id.desc())).first()
        assert entry is not None
        assert entry.reason == "Off-topic: it does not discuss the article. Stay on Baku."
    assert status(app, second) == "rejected"
    # An off-site "next" is not followed.
    third = post(app, ids.carol, "third")
    response = mod.post(
        f"/moderation/comments/{third}/decide",
        data={"action": "spam", "next": "https://evil.example/"},
    )
    assert response.headers["Location"] == "/moderation/"


def test_second_moderator_is_told_who_decided_first(app, ids, mod):
    cid = post(app, ids.alice)
    admin = client_for(app, "admin@example.org")
    assert str(cid) in admin.get("/moderation/").text  # both have the comment on screen
    mod.post(f"/moderation/comments/{cid}/decide", data={"action": "reject"})
    response = admin.post(
        f"/moderation/comments/{cid}/decide", data={"action": "approve"}, follow_redirects=True
    )
    assert "already decided by Moderator Mina (now: rejected)" in response.text
    assert "Nothing was changed." in response.text
    assert status(app, cid) == "rejected"


def test_bulk_and_author_actions(app, ids, mod):
    alices = [post(app, ids.alice, f"a{n}") for n in range(3)]
    bobs = [post(app, ids.bob, f"b{n}") for n in range(2)]
    carols = post(app, ids.carol, "c")
    response = mod.post(
        "/moderation/comments/bulk",
        data={"action": "reject", "reason_template": "spam", "ids": [str(bobs[0]), str(carols)]},
        follow_redirects=True,
    )
    assert "2 comments decided." in response.text
    assert [status(app, c) for c in (bobs[0], carols)] == ["rejected", "rejected"]
    response = mod.post("/moderation/comments/bulk", data={"action": "approve"})
    assert response.status_code == 303  # nothing selected: said so, nothing done
    assert mod.post("/moderation/comments/bulk", data={"ids": "1"}).status_code == 422

    response = mod.post(f"/moderation/comments/{alices[1]}/approve-author", follow_redirects=True)
    assert "Approved 3 pending comments by Alice." in response.text
    assert {status(app, c) for c in alices} == {"approved"}

    response = mod.post(
        f"/moderation/comments/{bobs[1]}/ban-author",
        data={"reason": "Spam again"},
        follow_redirects=True,
    )
    assert "Bob is banned; 1 pending comment rejected." in response.text
    assert status(app, bobs[1]) == "rejected"
    page = mod.get(f"/moderation/readers/{ids.bob}")
    assert "Spam again" in page.text


def test_recently_decided_with_undo(app, ids, mod):
    cid = post(app, ids.alice, "decide me")
    mod.post(f"/moderation/comments/{cid}/decide", data={"action": "approve"})
    page = mod.get("/moderation/decided")
    assert "decide me" in page.text
    assert f'action="/moderation/comments/{cid}/undo"' in page.text
    response = mod.post(f"/moderation/comments/{cid}/undo", follow_redirects=True)
    assert "The comment is back in the queue." in response.text
    assert status(app, cid) == "pending"
    assert thread_row(app, ids.thread)[0] == 0
    assert f'action="/moderation/comments/{cid}/undo"' not in mod.get("/moderation/decided").text
    response = mod.post(f"/moderation/comments/{cid}/undo", follow_redirects=True)
    assert "This decision can no longer be undone." in response.text


def test_thread_page_pins_and_locks(app, ids, mod, client):
    with app.app_context():
        db.session.execute(update(Site).values(moderation_policy=ModerationPolicy.HOLD_NONE))
        db.session.commit()
    first = post(app, ids.alice, "Comment number one")
    second = post(app, ids.bob, "Comment number two")
    page = mod.get(f"/moderation/threads/{ids.thread}")
    assert item_ids(page.text) == [second, first]
    mod.post(f"/moderation/comments/{second}/pin")
    mod.post(f"/moderation/threads/{ids.thread}/lock")
    public = client.get("/threads/demo/t/a1")
    assert public.text.index("number two") < public.text.index("number one")
    assert "This thread is locked" in public.text
    page = mod.get(f"/moderation/threads/{ids.thread}")
    assert "Unpin" in page.text
    assert "Unlock thread" in page.text
    mod.post(f"/moderation/comments/{second}/unpin")
    mod.post(f"/moderation/threads/{ids.thread}/unlock")
    public = client.get("/threads/demo/t/a1")
    assert public.text.index("number one") < public.text.index("number two")
    assert "This thread is locked" not in public.text


def test_word_lists_and_hold_rules_from_the_settings_page(app, ids, mod):
    response = mod.post(
        "/moderation/sites/demo/word-lists",
        data={"suspicious_words": "casino\nbonus", "banned_words": "scam"},
        follow_redirects=True,
    )
    assert "Word lists saved." in response.text
    assert "casino\nbonus" in response.text
    too_long = mod.post("/moderation/sites/demo/word-lists", data={"suspicious_words": "x" * 101})
    assert too_long.status_code == 422
    assert "at most 100 characters" in too_long.text

    admin = client_for(app, "admin@example.org")
    rules = {
        "policy": "hold_none",
        "hold_first_n": "1",
        "max_links": "5",
        "report_threshold": "2",
        "trust_after": "0",
        "close_after_days": "",
    }
    assert admin.post("/moderation/sites/demo/hold-rules", data=rules).status_code == 303
    with app.app_context():
        site = db.session.scalars(select(Site).where(Site.slug == "demo")).one()
        assert (site.moderation_policy, site.max_links, site.report_threshold) == (
            "hold_none",
            5,
            2,
        )
        assert site.suspicious_words == ["casino", "bonus"]
    bad = admin.post("/moderation/sites/demo/hold-rules", data={**rules, "max_links": "-1"})
    assert bad.status_code == 422
    assert "Number must be between 0 and 100." in bad.text
    assert status(app, post(app, ids.alice, "published at once")) == "approved"
    assert status(app, post(app, ids.alice, "a bonus")) == "pending"


def test_reader_page_suspends_unbans_and_trusts(app, ids, mod):
    post(app, ids.alice, "so I show up here")
    page = mod.get(f"/moderation/readers/{ids.alice}")
    assert page.status_code == 200
    assert "alice@example.org" not in page.text  # e-mail addresses are for admins
    found = mod.get("/moderation/readers?q=ali")
    assert f'href="/moderation/readers/{ids.alice}"' in found.text
    back = f"/moderation/readers/{ids.alice}"
    response = mod.post(
        back + "/ban",
        data={"site": "demo", "until": "2099-01-31T12:00", "reason": "Cool off", "next": back},
        follow_redirects=True,
    )
    assert "Alice is suspended." in response.text
    assert "until 2099-01-31 12:00 UTC" in response.text
    thread_page = client_for(app, "alice@example.org").get("/threads/demo/t/a1")
    assert "You are suspended from commenting on Demo News until" in thread_page.text
    assert "Reason: Cool off" in thread_page.text
    past = mod.post(back + "/ban", data={"site": "demo", "until": "2000-01-01T00:00"})
    assert past.status_code == 422
    assert "A suspension must end in the future." in past.text

    response = mod.post(back + "/unban", data={"site": "demo", "next": back}, follow_redirects=True)
    assert "Alice may comment again." in response.text
    assert "lifted" in response.text
    response = mod.post(back + "/trust", data={"site": "demo", "next": back}, follow_redirects=True)
    assert "Alice is trusted" in response.text
    links = "https://a.example https://b.example https://c.example"
    assert status(app, post(app, ids.alice, links)) == "approved"  # trusted: no holds
    mod.post(back + "/untrust", data={"site": "demo"})
    assert status(app, post(app, ids.alice, links)) == "pending"
    assert admin_sees_email(app, ids.alice)


def admin_sees_email(app, reader_id: int) -> bool:
    page = client_for(app, "admin@example.org").get(f"/moderation/readers/{reader_id}")
    return "alice@example.org" in page.text
