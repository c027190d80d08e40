"""Reading a thread: sort orders, "Load more" pages, and a fixed number of SQL statements."""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import ClauseElement, event, func, select, text, update
from sqlalchemy import inspect as sa_inspect
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Mapper
from werkzeug.test import TestResponse

from commentsvc.accounts import sessions
from commentsvc.accounts.models import Reader, ReaderSession
from commentsvc.comments import reading, sites, threads
from commentsvc.comments.models import (
    Comment,
    CommentStatus,
    NotificationSettings,
    Report,
    ReportReason,
    Site,
    Thread,
    Vote,
)
from commentsvc.consent import policies
from commentsvc.consent.models import PolicyDocument
from commentsvc.core import driver_reads
from commentsvc.core.extensions import db, utcnow
from commentsvc.moderation.models import Ban
from tests.comments.test_embed import post, widget
from tests.factories import make_reader, sign_in

ORIGIN = "https://news.example"
PAGE = f"/embed/demo/t/a1?url={ORIGIN}/a1&origin={ORIGIN}"
API = "/api/v1/sites/demo/threads/a1/comments"


@pytest.fixture
def thread_id(app: Flask) -> int:
    author_id = make_reader(app)
    with app.app_context():
        site = sites.create_site("demo", "Demo", [ORIGIN])
        thread = threads.create_thread(site, "a1", "Title", ORIGIN + "/a1")
        # An author whose name the page shows: one more row the queries must join.
        assert db.session.get(Reader, author_id) is not None
        return thread.id


def add_comments(
    app: Flask, thread_id: int, tops: int, replies: int = 0, **values: Any
) -> list[int]:
    """Insert approved top-level comments, then replies spread over the first ones."""
    with app.app_context():
        rows = [
            Comment(
                thread_id=thread_id,
                author_id=1,
                body_source=f"comment {n}",
                body_html=f"<p>comment {n}</p>",
                status=CommentStatus.APPROVED,
                **values,
            )
            for n in range(tops)
        ]
        db.session.add_all(rows)
        db.session.flush()
        parents = rows[: max(1, tops // 3)]
        for n in range(replies):
            parent = parents[n % len(parents)]
            db.session.add(
                Comment(
                    thread_id=thread_id,
                    parent_id=parent.id,
                    root_id=parent.id,
                    depth=1,
                    author_id=1,
                    body_source=f"reply {n}",
                    body_html=f"<p>reply {n}</p>",
                    status=CommentStatus.APPROVED,
                )
            )
        thread = db.session.get(Thread, thread_id)
        assert thread is not None
        thread.comment_count += tops + replies
        thread.version += 1  # as the services do on every visible change
        db.session.commit()
        return [row.id for row in rows]


def set_values(app: Flask, values: dict[int, dict[str, Any]]) -> None:
    with app.app_context():
        for cid, changes in values.items():
            comment = db.session.get(Comment, cid)
            assert comment is not None
            for name, value in changes.items():
                setattr(comment, name, value)
            comment.thread.version += 1
        db.session.commit()


def top_ids(page: TestResponse) -> list[int]:
    ids = re.findall(r'<li class="comment depth-0[^"]*" id="c(\d+)"', page.text)
    return [int(i) for i in ids]


def load_more(page: TestResponse) -> str | None:
    found = re.search(r'href="([^"]+)">Load more comments', page.text)
    return found.group(1).replace("&amp;", "&") if found else None


def walk(client: FlaskClient, url: str) -> list[list[int]]:
    pages: list[list[int]] = []
    next_url: str | None = url
    while next_url:
        page = client.get(next_url)
        assert page.status_code == 200
        pages.append(top_ids(page))
        next_url = load_more(page)
    return pages


def test_sort_orders_with_pinned_comments_first(app, client, thread_id):
    first, second, third, fourth = add_comments(app, thread_id, 4)
    set_values(app, {first: {"score": 1}, second: {"score": 5}, third: {"score": 1}})
    assert top_ids(client.get(PAGE)) == [first, second, third, fourth]
    assert top_ids(client.get(PAGE + "&sort=newest")) == [fourth, third, second, first]
    assert top_ids(client.get(PAGE + "&sort=top")) == [second, third, first, fourth]
    set_values(app, {third: {"pinned": True}})
    assert top_ids(client.get(PAGE))[0] == third
    assert top_ids(client.get(PAGE + "&sort=newest"))[0] == third
    assert top_ids(client.get(PAGE + "&sort=top")) == [third, second, first, fourth]
    assert "pinned" in client.get(PAGE).text


@pytest.mark.parametrize("base", [PAGE, "/threads/demo/t/a1"])
def test_exactly_a_page_of_comments_has_no_load_more_link(app, client, thread_id, base):
    add_comments(app, thread_id, reading.PAGE_SIZE)
    page = client.get(base)
    assert len(top_ids(page)) == reading.PAGE_SIZE
    assert load_more(page) is None


@pytest.mark.parametrize("base", [PAGE, "/threads/demo/t/a1"])
def test_one_more_than_a_page_shows_up_on_the_second_page(app, client, thread_id, base):
    made = add_comments(app, thread_id, reading.PAGE_SIZE + 1)
    assert walk(client, base) == [made[:-1], made[-1:]]


@pytest.mark.parametrize("sort", ["oldest", "newest", "top"])
def test_walking_every_page_shows_each_comment_once(app, client, thread_id, sort):
    made = add_comments(app, thread_id, 2 * reading.PAGE_SIZE + 7, replies=30)
    # Many equal scores and a few pinned comments test the cursor's tie-breaks.
    set_values(
        app,
        {cid: {"score": n % 4, "pinned": n % 29 == 3} for n, cid in enumerate(made)},
    )
    pages = walk(client, f"{PAGE}&sort={sort}")
    assert [len(p) for p in pages] == [reading.PAGE_SIZE, reading.PAGE_SIZE, 7]
    seen = [cid for page in pages for cid in page]
    assert sorted(seen) == made
    pinned = {cid for n, cid in enumerate(made) if n % 29 == 3}
    assert set(seen[: len(pinned)]) == pinned


@pytest.mark.parametrize(
    "cursor", ["%%%", "bm90IGpzb24", "WzAsIDEwMDAwMDAwMDAwMDAwMDAwMDAwMDAwXQ", "WzBd", "W251bGxd"]
)
def test_malformed_page_link_is_a_400_page(app, client, thread_id, cursor):
    add_comments(app, thread_id, 3)
    for base in (PAGE, "/threads/demo/t/a1?x=1"):
        response = client.get(f"{base}&after={cursor}")
        assert response.status_code == 400
        assert "That page link is not valid." in response.text
    response = client.get(f"{API}?after={cursor}")
    assert response.status_code == 400
    assert response.json == {"error": "That page link is not valid."}


@contextmanager
def counted_statements(app: Flask) -> Iterator[list[str]]:
    """Every SQL statement run meanwhile: SQLAlchemy's, and those run on the driver's
    cursor (core/driver_reads.py: a signed-in page's first read, the shared page cache's
    checks)."""
    statements: list[str] = []

    def count(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        statements.append(statement)

    with app.app_context():
        engine = db.engine
    event.listen(engine, "before_cursor_execute", count)
    driver_reads.observers.append(statements.append)
    try:
        yield statements
    finally:
        event.remove(engine, "before_cursor_execute", count)
        driver_reads.observers.remove(statements.append)


def statements_to_read(app: Flask, client: FlaskClient, url: str) -> list[str]:
    with counted_statements(app) as statements:
        response = client.get(url)
    assert response.status_code == 200
    return statements


@pytest.mark.parametrize("url", [PAGE, API])
def test_reading_a_thread_takes_the_same_few_statements_at_any_size(app, thread_id, url):
    client = app.test_client()
    add_comments(app, thread_id, 4, replies=1)
    rendered = statements_to_read(app, client, url)
    # Kept for anonymous readers: one statement checks that the thread is unchanged.
    kept = statements_to_read(app, client, url)
    add_comments(app, thread_id, 200, replies=95)
    # Changed: that check, then the page is rendered again with the same statements.
    changed = statements_to_read(app, client, url)
    assert len(rendered) <= 2, rendered
    assert len(kept) == 1, kept
    assert len(changed) == len(rendered) + 1 <= 3, changed
    assert "reply 94" in client.get(url).text


def signed_in_widget(app: Flask, thread_id: int) -> FlaskClient:
    with app.app_context():
        thread = db.session.get(Thread, thread_id)
        assert thread is not None
        site_id = thread.site_id
    return widget(app, "reader2@example.org", "Second Reader", site_id)


def test_a_signed_in_page_reads_its_session_with_the_thread(app, thread_id):
    add_comments(app, thread_id, 30, replies=20)
    reader = signed_in_widget(app, thread_id)
    assert "Signed in as Second Reader" in reader.get(PAGE).text
    statements = statements_to_read(app, reader, PAGE)
    # The thread with the session, its reader and the reader's stake in the thread: the
    # page everyone sees is kept.
    assert len(statements) == 1, statements
    assert "reader_session" in statements[0]
    assert "Signed in as Second Reader" in reader.get(PAGE).text


def test_a_session_read_with_the_thread_is_checked_as_any_other(app, thread_id):
    reader = signed_in_widget(app, thread_id)
    assert "Signed in as" in reader.get(PAGE).text
    with app.app_context():
        db.session.execute(update(ReaderSession).values(expires_at=utcnow() - timedelta(seconds=1)))
        db.session.commit()
    # Expired: the page is anonymous, and so is every action on the thread.
    assert "Signed in as" not in reader.get(PAGE).text
    assert post(reader, "still here?").status_code == 401
    # Another browser's cookie names no session: nothing of the first one leaks to it.
    stranger = app.test_client()
    stranger.set_cookie("commentsvc_embed", "not-a-session-token", path="/embed")
    assert "Signed in as" not in stranger.get(PAGE).text


def a_reader_with_every_stake(app: Flask, thread_id: int) -> tuple[int, str]:
    """A reader who voted both ways, reported a comment, waits for a moderator, asked for
    e-mails about replies, is banned from the site and has a new privacy policy to
    accept; and the token of their session."""
    up, down, flagged = add_comments(app, thread_id, 3)
    reader_id = make_reader(app, "stake@example.org", "Stake")
    with app.app_context():
        reader = db.session.get(Reader, reader_id)
        thread = db.session.get(Thread, thread_id)
        assert reader is not None
        assert thread is not None
        db.session.add_all(
            [
                Vote(comment_id=up, reader_id=reader_id, value=1),
                Vote(comment_id=down, reader_id=reader_id, value=-1),
                Report(comment_id=flagged, reader_id=reader_id, reason=ReportReason.SPAM),
                Comment(
                    thread_id=thread_id,
                    author_id=reader_id,
                    body_source="waiting",
                    body_html="<p>waiting</p>",
                    status=CommentStatus.PENDING,
                ),
                NotificationSettings(reader_id=reader_id, reply_emails=True),
                Ban(reader_id=reader_id, site_id=thread.site_id, reason="rude"),
            ]
        )
        policies.record_acceptance(reader, policies.current(PolicyDocument.PRIVACY))
        policies.add_version(PolicyDocument.PRIVACY, "New text.", "Changed.", None)
        token = sessions.start_session(reader, remember=False, site_id=thread.site_id)
    return reader_id, token


def page_of(token: str, stake: bool = True) -> tuple[Site, Thread]:
    """Site demo and its thread a1, read as a signed-in page reads them."""
    found = threads.find_thread("demo", "a1", token, stake=stake)
    assert found is not None
    assert found[1] is not None
    return found[0], found[1]


def stake_in(thread: Thread, site: Site, reader_id: int | None) -> reading._Stake:
    stake = reading.read_thread(thread, site, reader_id).stake
    assert stake is not None
    return stake


def test_the_stake_read_with_the_thread_is_the_one_read_on_its_own(app, thread_id):
    reader_id, token = a_reader_with_every_stake(app, thread_id)
    with app.test_request_context():
        site, thread = page_of(token)
        with counted_statements(app) as statements:
            alongside = stake_in(thread, site, reader_id)
        # Taken from the thread's query, once: the next read asks the database.
        assert not any("notification_settings" in s for s in statements), statements
        with counted_statements(app) as statements:
            on_its_own = stake_in(thread, site, reader_id)
        assert any("notification_settings" in s for s in statements), statements
    assert alongside == on_its_own
    assert sorted(alongside.votes.values()) == [-1, 1]
    assert len(alongside.reported) == 1
    assert alongside.pending
    assert alongside.banned
    assert alongside.reply_emails
    assert [p.document for p in alongside.to_accept] == [PolicyDocument.PRIVACY]


def page_parameters(token: str) -> dict[str, Any]:
    return {"key": "a1", "slug": "demo", "token_hash": sessions.hash_token(token), "now": utcnow()}


def loaded_values(item: Any) -> Any:
    """An ORM object as the values of its columns, anything else as it is; each with its
    type (an enum equals its string)."""
    if not isinstance(item, Site | Thread | Reader):
        return type(item), item
    mapper: Mapper[Any] = sa_inspect(type(item))
    return {a.key: (type(v), v) for a in mapper.column_attrs for v in [getattr(item, a.key)]}


def test_a_page_read_on_the_drivers_cursor_gives_what_the_session_gives(app, thread_id):
    """A signed-in page's first read runs on the driver's cursor (core/driver_reads.py):
    the same objects, values and types as through the session (aware datetimes, enums,
    JSON lists, the packed stake), for a reader with every kind of stake."""
    _, token = a_reader_with_every_stake(app, thread_id)
    params = page_parameters(token)
    with app.test_request_context():
        on_the_cursor = threads._read_for_a_page().first(params)
        assert on_the_cursor is not None
        mine = [loaded_values(item) for item in on_the_cursor]
    with app.test_request_context():
        statement = threads._read_for_a_page().statement
        through_the_session = db.session.execute(statement, params).first()
        assert through_the_session is not None
        theirs = [loaded_values(item) for item in through_the_session]
    assert mine == theirs
    site, thread, reader = mine[:3]
    assert site["origins"] == (list, [ORIGIN])
    assert thread["key"] == (str, "a1")
    assert reader["created_at"][1].tzinfo is not None
    assert mine[3][1] > utcnow()  # the session's expiry
    assert "v:" in mine[6][1]  # the packed stake: the votes


def test_objects_read_on_the_drivers_cursor_act_as_loaded_ones(app, thread_id):
    _, token = a_reader_with_every_stake(app, thread_id)
    with app.test_request_context():
        site, thread = page_of(token)
        assert sa_inspect(thread).persistent
        assert not db.session.dirty
        assert thread.site is site  # the session holds the site: no query for it
        with counted_statements(app) as statements:
            db.session.refresh(thread)
        assert len(statements) == 1  # read again, as a loaded object is
        thread.title = "A corrected title"
        db.session.commit()
    with app.app_context():
        saved = db.session.get(Thread, thread_id)
        assert saved is not None
        assert saved.title == "A corrected title"


def test_a_page_read_keeps_what_the_session_already_holds(app, thread_id):
    """As a query through the session would: an object it holds is not replaced, nor its
    unsaved change overwritten."""
    _, token = a_reader_with_every_stake(app, thread_id)
    with app.test_request_context():
        held = db.session.get(Thread, thread_id)
        assert held is not None
        held.title = "Not saved yet"
        _, thread = page_of(token)
        assert thread is held
        assert thread.title == "Not saved yet"


def test_a_page_read_of_no_session_and_no_thread(app, thread_id):
    """An outer join that finds nothing gives None, not an object of empty values."""
    with app.test_request_context():
        found = threads.find_thread("demo", "no-such-thread", "no-such-token", stake=True)
        assert found is not None
        assert found[1] is None
        assert sessions.load_session("no-such-token") is None
        assert threads.find_thread("no-such-site", "a1", "no-such-token", stake=True) is None


def test_a_driver_error_is_raised_as_any_query_raises_it(app, thread_id):
    """The page's error handling (a 503 when the database is away) sees SQLAlchemy's
    error, and the pool stays usable."""
    broken = driver_reads.DriverSelect(select(Site, func.no_such_function()))
    with app.test_request_context():
        with pytest.raises(DBAPIError):
            broken.first({})
        db.session.rollback()
        assert db.session.scalar(select(func.count()).select_from(Site)) == 1


def test_a_stake_read_with_the_thread_is_only_its_readers(app, thread_id):
    """The stake read with a thread is kept for the session's reader in that thread: a
    read of another reader, or of another thread, reads its own."""
    reader_id, token = a_reader_with_every_stake(app, thread_id)
    other = make_reader(app, "other@example.org", "Other")
    with app.test_request_context():
        site, thread = page_of(token)
        elsewhere = threads.create_thread(site, "a2", "Other", ORIGIN + "/a2")
        assert stake_in(thread, site, other).votes == {}
        assert not stake_in(elsewhere, site, reader_id).pending
        assert stake_in(thread, site, reader_id).pending
    with app.test_request_context():
        # A token that names no session, or an ended one: no stake is kept for anyone.
        page_of("x" * 43)
        sessions.end_session(token)
        site, thread = page_of(token)
        with counted_statements(app) as statements:
            assert stake_in(thread, site, reader_id).pending
        assert any("notification_settings" in s for s in statements), statements


def test_a_post_reads_its_session_once(app, thread_id):
    make_reader(app, "poster@example.org", "Poster")
    client = app.test_client()
    assert sign_in(client, "poster@example.org").status_code == 303
    with counted_statements(app) as statements:
        answer = client.post(API, json={"body": "Read once"})
    assert answer.status_code == 201, answer.data
    # Once: with the thread, or before it when the per-reader rate limit has asked for
    # the reader already.
    assert sum("reader_session" in s for s in statements) == 1, statements
    # Signed out, the same request is refused as before, whether the thread exists or not.
    stranger = app.test_client()
    assert stranger.post(API, json={"body": "x"}).status_code == 401
    missing = "/api/v1/sites/demo/threads/no-such/comments"
    assert stranger.post(missing, json={"body": "x"}).status_code == 401
    assert client.post(missing, json={"body": "x"}).status_code == 404


def test_a_busy_thread_keeps_one_page_and_crowds_out_no_other(app, thread_id):
    """Every change of a thread makes a new version of its pages. The new version
    replaces the old one among the kept pages, so a thread changing all day (more times
    than there are places) leaves the other threads' pages kept, and a quiet thread's
    page is still read without asking the database for its comments."""
    add_comments(app, thread_id, 5, replies=2)
    with app.app_context():
        quiet = db.session.get(Thread, thread_id)
        assert quiet is not None
        site = quiet.site
        busy = threads.create_thread(site, "busy", "Busy", ORIGIN + "/busy")
        db.session.add(Comment(thread_id=busy.id, author_id=1, body_source="x", body_html="x"))
        db.session.commit()
        before = reading.read_thread(quiet, site)
        for _ in range(300):
            busy.version += 1  # as every visible change does
            db.session.flush()
            reading.read_thread(busy, site)
        with counted_statements(app) as statements:
            again = reading.read_thread(quiet, site)
    assert statements == []
    assert [c.id for c in again.comments] == [c.id for c in before.comments]
    assert len(again.comments) == 5
    assert sum(len(c.replies) for c in again.comments) == 2


def query_plan(statement: ClauseElement, table: str) -> list[str]:
    """The database's plan for statement (its parameters bound), one line per step, on
    fresh statistics of table."""
    dialect = db.engine.dialect
    sql = str(statement.compile(dialect=dialect, compile_kwargs={"literal_binds": True}))
    if dialect.name == "postgresql":
        db.session.execute(text(f"ANALYZE {table}"))
        return [row[0] for row in db.session.execute(text("EXPLAIN " + sql))]
    return [row[3] for row in db.session.execute(text("EXPLAIN QUERY PLAN " + sql))]


def test_counts_probe_the_thread_index_once_per_key(app, thread_id):
    """The counts of a page's threads (and the page cache's check of a kept answer) look
    each thread up by its key, whatever the site's size: never a walk over every thread
    of the site, which the database planned for a join of the keys as rows."""
    with app.app_context():
        site = db.session.get(Thread, thread_id).site  # type: ignore[union-attr]
        db.session.add_all(
            Thread(site_id=site.id, key=f"t{n}", title="T", url=f"{ORIGIN}/t{n}")
            for n in range(300)
        )
        db.session.commit()
        keys = [f"t{n}" for n in range(0, 300, 30)]
        statement = threads.counts_statement(len(keys)).params(
            threads.counts_parameters("demo", keys)
        )
        plan = query_plan(statement, "thread")
        if db.engine.dialect.name == "postgresql":
            walks = [line for line in plan if "Seq Scan on thread" in line]
        else:
            walks = [line for line in plan if line.startswith("SCAN thread")]
        assert walks == [], plan
        assert sum("thread" in line and "index" in line.lower() for line in plan) >= len(keys), plan
        assert threads.counts("demo", keys) == threads.SiteCounts([ORIGIN], dict.fromkeys(keys, 0))


def test_a_page_looks_its_replies_up_by_their_roots_on_analyzed_tables(app, thread_id):
    """The replies of a page come off ix_comment_root, one lookup per top-level comment of
    the page, also once the database has statistics (ANALYZE, or SQLite's PRAGMA
    optimize): SQLite then chose to build a Bloom filter over every comment of the
    service for the join of the page with its replies, a walk over the whole table that
    made a re-render after a post twenty times slower on a site of 10,000 comments."""
    add_comments(app, thread_id, 60, replies=40)
    with app.app_context():
        site = db.session.get(Thread, thread_id).site  # type: ignore[union-attr]
        for n in range(100):
            other = Thread(site_id=site.id, key=f"o{n}", title="O", url=f"{ORIGIN}/o{n}")
            db.session.add(other)
            db.session.flush()
            tops = [
                Comment(thread_id=other.id, author_id=1, body_source="t", body_html="t")
                for _ in range(10)
            ]
            db.session.add_all(tops)
            db.session.flush()
            db.session.add_all(
                Comment(
                    thread_id=other.id,
                    author_id=1,
                    parent_id=top.id,
                    root_id=top.id,
                    depth=1,
                    body_source="r",
                    body_html="r",
                )
                for top in tops
            )
        db.session.commit()
        db.session.execute(text("ANALYZE"))
        db.session.commit()
        statement = reading._page_statement(reading.Sort.OLDEST, None, False).params(
            thread_id=thread_id, viewer_id=None, limit=reading.PAGE_SIZE + 1
        )
        plan = query_plan(statement, "comment")
        if db.engine.dialect.name == "postgresql":
            walks = [line for line in plan if "Seq Scan on comment" in line]
        else:
            walks = [line for line in plan if "SCAN comment" in line or "BLOOM" in line]
        assert walks == [], plan
        assert any("ix_comment_root" in line for line in plan), plan


@pytest.mark.parametrize("sort", [reading.Sort.OLDEST, reading.Sort.NEWEST])
def test_a_page_reads_its_top_level_rows_in_index_order(app, thread_id, sort):
    """A page's top-level comments (pinned first, then oldest or newest first) come off
    an index in page order: the database reads the page's rows and stops, instead of
    sorting every top-level comment of the thread, which made a busy thread's first page
    slower with every comment posted to it."""
    made = add_comments(app, thread_id, 600)
    with app.app_context():
        db.session.execute(update(Comment).where(Comment.id == made[300]).values(pinned=True))
        db.session.commit()
        statement = reading._page_statement(sort, None, False).params(
            thread_id=thread_id, viewer_id=None, limit=reading.PAGE_SIZE + 1
        )
        plan = query_plan(statement, "comment")
        if db.engine.dialect.name == "postgresql":
            sorts = [line for line in plan if "Sort Key: comment_2.pinned" in line]
        else:
            sorts = [line for line in plan if "RIGHT PART OF ORDER BY" in line]
        assert sorts == [], plan
        thread = db.session.get(Thread, thread_id)
        assert thread is not None
        page = reading.read_thread(thread, thread.site, sort=sort)
    rest = [i for i in made if i != made[300]]
    if sort is reading.Sort.NEWEST:
        rest.reverse()
    assert [c.id for c in page.comments] == [made[300], *rest[: reading.PAGE_SIZE - 1]]
