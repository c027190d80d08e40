"""The comment services: who may post, editing, deleting, votes, sorting and paging."""

from __future__ import annotations

import base64
import json
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import timedelta

import pytest
from flask import Flask
from sqlalchemy import select, update

from commentsvc.accounts import profile
from commentsvc.accounts.models import Reader
from commentsvc.comments import posting, reading, sites, threads, votes
from commentsvc.comments.models import Comment, CommentStatus, ModerationPolicy, Site, Thread
from commentsvc.comments.reading import Sort
from commentsvc.core.errors import Forbidden, Invalid, NotFound
from commentsvc.core.extensions import db
from commentsvc.core.sanitize import render_comment
from tests.factories import PASSWORD, make_reader

ORIGIN = "https://news.example"


@dataclass
class World:
    site: Site
    thread: Thread
    alice: Reader
    bob: Reader


@pytest.fixture
def world(app: Flask) -> Iterator[World]:
    alice_id = make_reader(app, "alice@example.org", "Alice")
    bob_id = make_reader(app, "bob@example.org", "Bob")
    with app.app_context():
        site = sites.create_site("demo", "Demo", [ORIGIN])
        thread = threads.create_thread(site, "a1", "Title", ORIGIN + "/a1")
        alice = db.session.get(Reader, alice_id)
        bob = db.session.get(Reader, bob_id)
        assert alice is not None
        assert bob is not None
        yield World(site, thread, alice, bob)


def post(w: World, body: str = "Hello", parent: int | None = None, by: Reader | None = None) -> int:
    return posting.post_comment(by or w.alice, w.thread, w.site, body, parent).id


def ids(page: reading.ThreadPage) -> list[int]:
    return [c.id for c in page.comments]


def refresh(comment_id: int) -> Comment:
    db.session.expire_all()
    comment = db.session.get(Comment, comment_id)
    assert comment is not None
    return comment


def test_comment_is_stored_rendered_and_pages_show_the_stored_html(world):
    cid = post(world, "Hi **there** <script>x</script>")
    stored = refresh(cid)
    assert stored.body_source == "Hi **there** <script>x</script>"
    assert stored.body_html == render_comment(stored.body_source)
    # Rendered once when written: reading never renders the source again.
    db.session.execute(update(Comment).values(body_html="<p>as stored</p>"))
    db.session.commit()
    page = reading.read_thread(world.thread, world.site)
    assert page.comments[0].body_html == "<p>as stored</p>"


def test_unverified_reader_cannot_post(app, world):
    rid = make_reader(app, "new@example.org", "Newcomer", verified=False)
    newcomer = db.session.get(Reader, rid)
    with pytest.raises(Forbidden, match="Verify your e-mail"):
        post(world, by=newcomer)


def test_body_up_to_ten_thousand_characters_is_accepted(world):
    assert refresh(post(world, "x" * 10_000)).body_source == "x" * 10_000


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ("x" * 10_001, "at most 10000 characters"),
        ("", "Write something"),
        ("  \r\n\t ", "Write something"),
        ("nul \x00 byte", "cannot be used"),
    ],
)
def test_bad_bodies_are_refused(world, body, message):
    with pytest.raises(Invalid, match=message):
        post(world, body)
    assert db.session.scalar(select(Comment)) is None


def test_replies_nest_to_any_depth_and_display_indentation_is_capped(world):
    chain = [post(world, "level 0")]
    for level in range(1, 7):
        chain.append(post(world, f"level {level}", parent=chain[-1], by=world.bob))
    assert [refresh(c).depth for c in chain] == list(range(7))
    assert {refresh(c).root_id for c in chain[1:]} == {chain[0]}

    view = reading.read_thread(world.thread, world.site).comments[0]
    depths = []
    while True:
        depths.append((view.depth, view.display_depth))
        if not view.replies:
            break
        view = view.replies[0]
    assert depths == [(d, min(d, 4)) for d in range(7)]


def test_reply_to_a_comment_of_another_thread_is_not_found(world):
    other = threads.create_thread(world.site, "a2", "Other", ORIGIN + "/a2")
    foreign = posting.post_comment(world.bob, other, world.site, "elsewhere").id
    with pytest.raises(NotFound):
        post(world, "reply", parent=foreign)


def test_edit_within_the_window_marks_the_comment_edited(world):
    cid = post(world, "first")
    posting.edit_comment(world.alice, cid, "second")
    view = reading.read_thread(world.thread, world.site).comments[0]
    assert view.edited
    assert view.body_html == "<p>second</p>"


def test_edit_after_the_window_is_refused(world):
    cid = post(world, "first")
    late = refresh(cid).created_at - timedelta(seconds=world.site.edit_window_seconds + 1)
    db.session.execute(update(Comment).where(Comment.id == cid).values(created_at=late))
    db.session.commit()
    with pytest.raises(Forbidden, match="time to edit"):
        posting.edit_comment(world.alice, cid, "second")
    assert refresh(cid).body_source == "first"
    assert not reading.read_thread(world.thread, world.site, world.alice.id).comments[0].can_edit


def test_nobody_edits_or_deletes_another_readers_comment(world):
    cid = post(world, "mine")
    with pytest.raises(Forbidden):
        posting.edit_comment(world.bob, cid, "hijacked")
    with pytest.raises(Forbidden):
        posting.delete_comment(world.bob, cid)
    assert refresh(cid).body_source == "mine"
    assert refresh(cid).status == CommentStatus.APPROVED


def test_deleted_comment_with_replies_stays_as_a_placeholder(world):
    top = post(world, "top")
    reply = post(world, "reply", parent=top, by=world.bob)
    lonely = post(world, "lonely")
    posting.delete_comment(world.alice, top)
    posting.delete_comment(world.alice, lonely)

    page = reading.read_thread(world.thread, world.site)
    assert ids(page) == [top]
    placeholder = page.comments[0]
    assert placeholder.is_deleted
    assert placeholder.author_name is None
    assert placeholder.body_html == ""
    assert [r.id for r in placeholder.replies] == [reply]
    assert refresh(top).body_source == ""
    assert refresh(top).thread.comment_count == 1  # only the reply is left


def test_account_deletion_turns_comments_into_anonymous_placeholders(world):
    top = post(world, "alice's top")
    reply = post(world, "bob's reply", parent=top, by=world.bob)
    post(world, "alice's lonely one")
    profile.delete_account(world.alice, PASSWORD)

    page = reading.read_thread(world.thread, world.site)
    assert ids(page) == [top]
    assert page.comments[0].is_deleted
    assert page.comments[0].author_name is None
    assert [r.id for r in page.comments[0].replies] == [reply]
    assert page.comments[0].replies[0].author_name == "Bob"
    assert db.session.scalars(select(Comment.author_id).where(Comment.id != reply)).all() == [
        None,
        None,
    ]


def test_one_vote_per_reader_which_can_change_or_be_taken_back(app, world):
    cid = post(world)
    carol = db.session.get(Reader, make_reader(app, "carol@example.org", "Carol"))
    assert carol is not None
    assert votes.vote(world.bob, cid, 1) == 1
    assert votes.vote(world.bob, cid, 1) == 1
    assert votes.vote(carol, cid, 1) == 2
    assert votes.vote(world.bob, cid, -1) == 0
    assert votes.vote(world.bob, cid, 0) == 1
    assert refresh(cid).score == 1
    view = reading.read_thread(world.thread, world.site, carol.id).comments[0]
    assert (view.score, view.my_vote) == (1, 1)


def test_own_comment_and_odd_values_cannot_be_voted(world):
    cid = post(world)
    with pytest.raises(Forbidden, match="own comment"):
        votes.vote(world.alice, cid, 1)
    with pytest.raises(Invalid):
        votes.vote(world.bob, cid, 2)
    assert refresh(cid).score == 0


def test_locked_thread_refuses_posts_edits_and_votes(world):
    cid = post(world, "before")
    threads.set_locked(world.thread, True)
    with pytest.raises(Forbidden, match="locked"):
        post(world, "after")
    with pytest.raises(Forbidden, match="locked"):
        posting.edit_comment(world.alice, cid, "changed")
    with pytest.raises(Forbidden, match="locked"):
        votes.vote(world.bob, cid, 1)
    assert ids(reading.read_thread(world.thread, world.site)) == [cid]


def test_held_comments_are_seen_only_by_their_author_and_not_counted(world):
    world.site.moderation_policy = ModerationPolicy.HOLD_ALL
    db.session.commit()
    cid = post(world, "held")
    assert refresh(cid).status == CommentStatus.PENDING
    assert ids(reading.read_thread(world.thread, world.site)) == []
    assert ids(reading.read_thread(world.thread, world.site, world.bob.id)) == []
    mine = reading.read_thread(world.thread, world.site, world.alice.id).comments
    assert [(c.id, c.is_pending) for c in mine] == [(cid, True)]
    found = threads.counts(world.site.slug, ["a1", "nope"])
    assert found is not None
    assert found.counts == {"a1": 0, "nope": 0}
    with pytest.raises(NotFound):
        votes.vote(world.bob, cid, 1)


def make_tops(w: World, n: int) -> list[int]:
    """n top-level comments, inserted directly (fast), each with one reply."""
    rows = [
        Comment(thread_id=w.thread.id, author_id=w.alice.id, body_source="t", body_html="t")
        for _ in range(n)
    ]
    for row in rows:
        row.status = CommentStatus.APPROVED
    db.session.add_all(rows)
    db.session.flush()
    for row in rows:
        db.session.add(
            Comment(
                thread_id=w.thread.id,
                parent_id=row.id,
                root_id=row.id,
                depth=1,
                author_id=w.bob.id,
                body_source="r",
                body_html="r",
                status=CommentStatus.APPROVED,
            )
        )
    db.session.commit()
    return [row.id for row in rows]


def walk(w: World, sort: Sort, page_size: int) -> list[list[int]]:
    pages, cursor = [], None
    while True:
        page = reading.read_thread(w.thread, w.site, None, sort, cursor, page_size)
        pages.append(ids(page))
        assert all(len(c.replies) == 1 for c in page.comments)
        cursor = page.next_cursor
        if cursor is None:
            return pages


def test_sort_orders(world):
    first, second, third = make_tops(world, 3)
    for cid, score in ((first, 1), (second, 5), (third, 1)):
        db.session.execute(update(Comment).where(Comment.id == cid).values(score=score))
    db.session.commit()
    assert walk(world, Sort.OLDEST, 10) == [[first, second, third]]
    assert walk(world, Sort.NEWEST, 10) == [[third, second, first]]
    assert walk(world, Sort.TOP, 10) == [[second, third, first]]


@pytest.mark.parametrize(("count", "pages"), [(50, [50]), (51, [50, 1])])
def test_page_boundaries_at_page_size(world, count, pages):
    make_tops(world, count)
    assert [len(p) for p in walk(world, Sort.OLDEST, reading.PAGE_SIZE)] == pages


@pytest.mark.parametrize("sort", list(Sort))
def test_walking_all_pages_gives_every_comment_once_pinned_first(world, sort):
    made = make_tops(world, 23)
    pinned = made[5::7]
    for i, cid in enumerate(made):
        db.session.execute(
            update(Comment).where(Comment.id == cid).values(score=i % 3 - 1, pinned=cid in pinned)
        )
    db.session.commit()
    pages = walk(world, sort, 4)
    assert [len(p) for p in pages] == [4] * 5 + [3]
    flat = [cid for page in pages for cid in page]
    assert sorted(flat) == made
    assert set(flat[: len(pinned)]) == set(pinned)
    # Each page continues exactly where one long page would have.
    assert flat == ids(reading.read_thread(world.thread, world.site, None, sort, None, 100))


def cursor_of(value: object) -> str:
    return base64.urlsafe_b64encode(json.dumps(value).encode()).decode().rstrip("=")


@pytest.mark.parametrize(
    "cursor",
    [
        "not base64!",
        "é",
        cursor_of({"a": 1}),
        cursor_of([0, 1, 2]),
        cursor_of([2, 1]),
        cursor_of([True, 1]),
        cursor_of([0, "1"]),
        cursor_of([0, 1.5]),
        cursor_of([0, 10**30]),
        base64.urlsafe_b64encode(b"\xff\xfe").decode(),
    ],
)
def test_malformed_cursor_is_invalid_input(world, cursor):
    make_tops(world, 2)
    with pytest.raises(Invalid, match="page link"):
        reading.read_thread(world.thread, world.site, None, Sort.OLDEST, cursor)


def test_thread_url_must_be_on_the_sites_origins(world):
    for url in (
        "https://evil.example/a3",
        "javascript:alert(1)",
        "",
        "https://news.example.evil/x",
    ):
        with pytest.raises(Invalid, match="origins"):
            threads.create_thread(world.site, "a3", "T", url)
    assert threads.find_thread("demo", "a3") == (world.site, None)
    assert threads.find_thread("nope", "a3") is None
