"""`flask import isso`: an Isso database becomes threads with their reply trees, read
without being changed, once, and only when every row of it is sound."""

from __future__ import annotations

import sqlite3
from pathlib import Path
from urllib.parse import quote

import pytest
from sqlalchemy import select

from commentsvc.comments.models import Comment, Thread
from commentsvc.core.extensions import db
from commentsvc.moderation.models import SiteModerator
from commentsvc.transfer.models import ImportedAuthor
from commentsvc.transfer.records import BODY_MAX
from tests.factories import make_reader
from tests.moderation_support import client_for
from tests.transfer.isso_fixture import BUDGET, METRO, isso_file, sample
from tests.transfer.support import (
    authors_without_a_kept_comment,
    cli,
    counts,
    make_site,
    thread_rows,
)

ORIGIN = "https://news.example"


def widget(key: str, path: str) -> str:
    return f"/embed/news/t/{quote(key, safe='')}?url={ORIGIN}{path}&origin={ORIGIN}"


def run(app, path: Path, *more: str):
    return app.test_cli_runner().invoke(args=["import", "isso", str(path), "--site", "news", *more])


@pytest.fixture
def isso(tmp_path: Path) -> Path:
    return sample(tmp_path / "comments.db")


def test_threads_comments_and_replies_arrive_with_their_times_and_states(app, isso):
    make_site(app)
    result = cli(app, "import", "isso", str(isso), "--site", "news")
    assert result.exit_code == 0, result.output
    assert "Found 2 threads and 10 comments." in result.output
    assert "comments: 10 new (8 approved, 1 deleted, 1 pending)" in result.output
    # The deleted comment's author, known only by it, is not kept.
    assert "authors: 7 new" in result.output

    rows = thread_rows(app, BUDGET)
    by_text = {r.source: r for r in rows}
    first = next(r for r in rows if r.source.startswith("First!"))
    assert first.name == "Aysel Məmmədova"
    assert first.created.startswith("2021-03-01T09:15:00")
    assert (first.parent_id, first.root_id, first.depth) == (None, None, 0)
    assert first.score == 4  # five likes, one dislike
    # Isso's Markdown, rendered as a new comment's is.
    assert "<strong>tax</strong>" in first.html
    assert 'href="https://gov.example/budget.pdf"' in first.html
    assert 'rel="nofollow ugc noopener noreferrer"' in first.html

    reply = next(r for r in rows if r.source.startswith("Page 4 is wrong"))
    assert (reply.parent_id, reply.root_id, reply.depth) == (first.id, first.id, 1)
    assert reply.name == "Guest reader"
    # Raw HTML shows as the text it is, as in a new comment; no javascript: link is made.
    assert "<script" not in reply.html
    assert "<img" not in reply.html
    assert "href" not in reply.html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in reply.html
    deep = by_text["Replying to the reply: agreed."]
    assert (deep.parent_id, deep.root_id, deep.depth) == (reply.id, first.id, 2)
    assert deep.name == "Rəşad Əliyev"

    deleted = next(r for r in rows if r.status == "deleted")
    assert (deleted.html, deleted.source, deleted.name) == ("", "", None)
    under = by_text["Still here, under a deleted comment."]
    assert (under.parent_id, under.depth, under.status) == (deleted.id, 1, "approved")

    pending = by_text["Waiting for a moderator to read this."]
    assert (pending.status, pending.name) == ("pending", "Newcomer")
    assert by_text["Nobody signed this one."].name is None

    metro = thread_rows(app, METRO)
    ivan = next(r for r in metro if r.name == "Иван Петров")
    assert ivan.score == -3
    assert "Новая линия откроется в мае. Bakı metrosu genişlənir." in ivan.html
    assert ivan.created.startswith("2019-05-10T07:00:00")
    thanks = next(r for r in metro if r.source == "Çox sağ olun, İvan!")
    assert (thanks.parent_id, thanks.depth, thanks.score) == (ivan.id, 1, 2)

    with app.app_context():
        threads = {t.key: t for t in db.session.scalars(select(Thread))}
        assert set(threads) == {BUDGET, METRO}
        assert threads[BUDGET].title == "The budget, line by line"
        assert threads[METRO].title == "Bakı metro: a new line & a new map"
        assert threads[BUDGET].url == ""
        # Approved only: not the deleted or the pending one.
        assert threads[BUDGET].comment_count == 5
        assert threads[METRO].comment_count == 3
        edited = {c.id: c.edited_at for c in db.session.scalars(select(Comment)) if c.edited_at}
        assert list(edited) == [reply.id]
        assert edited[reply.id].isoformat().startswith("2021-03-01T10:45:00")


def test_a_reply_whose_parent_is_not_in_the_file_stands_on_its_own(app, isso):
    make_site(app)
    result = cli(app, "import", "isso", str(isso), "--site", "news")
    assert "parent is missing, kept as top-level comments: 1" in result.output
    orphan = next(r for r in thread_rows(app, METRO) if r.name == "Orphan")
    assert (orphan.parent_id, orphan.root_id, orphan.depth) == (None, None, 0)
    assert orphan.status == "approved"


def test_authors_are_one_per_address_and_keep_it_only_for_claims(app, isso):
    make_site(app)
    cli(app, "import", "isso", str(isso), "--site", "news")
    with app.app_context():
        authors = db.session.scalars(select(ImportedAuthor)).all()
    emails = {a.name: a.email for a in authors}
    # Two comments under one address in two cases: one author.
    assert [a.name for a in authors].count("Aysel Məmmədova") == 1
    assert emails["Aysel Məmmədova"] == "aysel.m@mail.example"
    assert emails["Guest reader"] is None
    assert emails["Rəşad Əliyev"] == "rashad@mail.example"
    assert authors_without_a_kept_comment(app) == []


def test_the_widget_shows_the_imported_tree_and_no_address(app, client, isso):
    make_site(app)
    cli(app, "import", "isso", str(isso), "--site", "news")
    page = client.get(widget(BUDGET, BUDGET))
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "Aysel Məmmədova" in html
    assert "Guest reader" in html
    assert "Replying to the reply" in html
    assert "Still here, under a deleted comment." in html
    assert "Waiting for a moderator" not in html
    assert "<script>alert" not in html
    assert "@mail.example" not in html.lower()
    metro = client.get(widget(METRO, "/2019/05/baki-metro/"))
    assert metro.status_code == 200
    assert "Новая линия" in metro.get_data(as_text=True)
    api = client.get(f"/api/v1/sites/news/threads/{quote(BUDGET, safe='')}/comments")
    assert api.status_code == 200
    assert "@mail.example" not in api.get_data(as_text=True).lower()


def test_a_pending_comment_waits_in_the_moderation_queue(app, isso):
    site_id = make_site(app)
    moderator = make_reader(app, "mina@example.org", "Moderator Mina")
    with app.app_context():
        db.session.add(SiteModerator(site_id=site_id, reader_id=moderator))
        db.session.commit()
    cli(app, "import", "isso", str(isso), "--site", "news")
    queue = client_for(app, "mina@example.org").get("/moderation/")
    assert queue.status_code == 200
    assert "Waiting for a moderator to read this." in queue.text
    assert "Newcomer" in queue.text
    assert "Nobody signed this one." not in queue.text  # published in Isso


def test_running_the_same_file_again_adds_nothing(app, isso):
    make_site(app)
    cli(app, "import", "isso", str(isso), "--site", "news")
    before = counts(app), thread_rows(app, BUDGET), thread_rows(app, METRO)
    again = cli(app, "import", "isso", str(isso), "--site", "news")
    assert again.exit_code == 0
    assert "comments: 0 new (none), 10 imported before" in again.output
    assert "authors: 0 new" in again.output
    assert (counts(app), thread_rows(app, BUDGET), thread_rows(app, METRO)) == before


def test_a_dry_run_tells_what_it_would_make_and_writes_nothing(app, isso):
    make_site(app)
    dry = cli(app, "import", "isso", str(isso), "--site", "news", "--dry-run")
    assert dry.exit_code == 0, dry.output
    assert "Would make on news:" in dry.output
    assert "threads: 2 new" in dry.output
    assert counts(app) == (0, 0)
    with app.app_context():
        assert db.session.scalars(select(ImportedAuthor)).all() == []
    real = cli(app, "import", "isso", str(isso), "--site", "news")
    assert (
        dry.output.split("Would make on news:")[1].split("comments read")[0]
        == real.output.split("Made on news:")[1].split("comments read")[0]
    )


def test_the_isso_file_is_left_as_it_was(app, isso):
    make_site(app)
    before = isso.read_bytes()
    beside = sorted(p.name for p in isso.parent.iterdir())
    assert cli(app, "import", "isso", str(isso), "--site", "news").exit_code == 0
    assert isso.read_bytes() == before
    assert sorted(p.name for p in isso.parent.iterdir()) == beside


def test_a_file_name_that_needs_quoting_in_a_uri_is_read(app, tmp_path):
    make_site(app)
    odd = sample(tmp_path / "comments #1 ?mode=rw%20.db")
    result = run(app, odd)
    assert result.exit_code == 0, result.output
    assert "comments: 10 new" in result.output


def test_a_uri_that_is_a_whole_url_is_keyed_by_its_path(app, tmp_path):
    make_site(app)
    path = tmp_path / "urls.db"
    with isso_file(path) as isso:
        thread = isso.thread("https://news.example/sport/final/?ref=home", "The final")
        isso.comment(thread, "What a match.", author="Kamran")
    assert run(app, path).exit_code == 0
    assert [r.source for r in thread_rows(app, "/sport/final/")] == ["What a match."]


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"This is a text file, not a database.\n" * 50, "cannot be read as an SQLite database"),
        (b"", "it has no threads table: is it Isso's comments.db?"),
    ],
)
def test_a_file_that_is_not_an_isso_database_gets_a_clear_error(app, tmp_path, content, message):
    make_site(app)
    path = tmp_path / "comments.db"
    path.write_bytes(content)
    result = run(app, path)
    assert result.exit_code == 1
    assert message in result.output
    assert "Nothing was imported." in result.output
    assert counts(app) == (0, 0)


@pytest.mark.parametrize(
    ("schema", "message"),
    [
        ("CREATE TABLE posts (id INTEGER PRIMARY KEY, body TEXT)", "it has no threads table"),
        (
            "CREATE TABLE threads (id INTEGER PRIMARY KEY, uri VARCHAR, title VARCHAR);"
            "CREATE TABLE comments (tid, id INTEGER PRIMARY KEY, text VARCHAR)",
            "its comments table lacks the columns parent, created, modified, mode, author,"
            " email, likes, dislikes.",
        ),
    ],
)
def test_an_sqlite_file_without_isso_tables_gets_a_clear_error(app, tmp_path, schema, message):
    make_site(app)
    path = tmp_path / "other.db"
    with sqlite3.connect(path) as connection:
        connection.executescript(schema)
    connection.close()
    result = run(app, path)
    assert result.exit_code == 1
    assert message in result.output
    assert counts(app) == (0, 0)


@pytest.mark.parametrize(
    ("spoil", "value", "message"),
    [
        ("UPDATE comments SET mode = ? WHERE id = ?", 7, "mode 7 is not 1, 2 or 4."),
        (
            "UPDATE comments SET created = ? WHERE id = ?",
            "yesterday",
            "created 'yesterday' is not a time in seconds.",
        ),
        (
            "UPDATE comments SET modified = ? WHERE id = ?",
            1e300,
            "modified 1e+300 is not a time in seconds.",
        ),
        (
            "UPDATE comments SET text = ? WHERE id = ?",
            "x" * (BODY_MAX + 1),
            f"the text is longer than {BODY_MAX:,} characters.",
        ),
        (
            "UPDATE comments SET likes = ? WHERE id = ?",
            "many",
            "likes 'many' is not a whole number.",
        ),
    ],
)
def test_a_bad_row_late_in_a_big_file_is_named_and_nothing_is_written(
    app, tmp_path, spoil, value, message
):
    make_site(app)
    path = tmp_path / "big.db"
    with isso_file(path) as isso:
        good = isso.thread("/2020/01/good/", "Good")
        for n in range(1500):
            isso.comment(good, f"Comment {n}", author="Reader")
        late = isso.thread("/2020/02/late/", "Late")
        bad = isso.comment(late, "Fine so far", author="Reader")
        isso.comment(late, "After the bad one", author="Reader")
        isso.connection.execute(spoil, (value, bad))
    result = run(app, path)
    assert result.exit_code == 1
    assert f"comment {bad} in thread /2020/02/late/: {message}" in result.output
    assert "Nothing was imported." in result.output
    assert counts(app) == (0, 0)


def test_comments_of_a_thread_missing_from_the_file_are_left_out_and_counted(app, tmp_path):
    make_site(app)
    path = tmp_path / "lost.db"
    with isso_file(path) as isso:
        thread = isso.thread("/kept/", "Kept")
        isso.comment(thread, "Kept comment")
        isso.comment(thread + 1, "Its thread is gone")
    result = run(app, path)
    assert result.exit_code == 0, result.output
    assert "Found 1 threads and 1 comments." in result.output
    assert "Left out: 1 comments of threads missing from the file." in result.output
    assert counts(app) == (1, 1)
