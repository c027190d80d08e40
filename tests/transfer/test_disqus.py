"""`flask import disqus`: a Disqus export becomes threads with their reply trees, safely,
once, and only when the whole file is sound."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import select

from commentsvc.comments import sites as site_service
from commentsvc.comments.models import Thread
from commentsvc.core.extensions import db
from commentsvc.transfer.disqus import DisqusExport
from commentsvc.transfer.models import ImportedAuthor
from commentsvc.transfer.writer import Writer
from tests.transfer.support import (
    DATA,
    authors_without_a_kept_comment,
    cli,
    counts,
    make_site,
    thread_rows,
)

FILE = str(DATA / "disqus.xml")
ORIGIN = "https://news.example"
BUDGET = f"/embed/news/t/budget-2021?url={ORIGIN}/articles/budget-2021&origin={ORIGIN}"


def test_threads_comments_and_replies_arrive_with_their_times_and_states(app):
    make_site(app)
    result = cli(app, "import", "disqus", FILE, "--site", "news")
    assert result.exit_code == 0, result.output
    assert "comments: 8 new (6 approved, 1 deleted, 1 spam)" in result.output

    rows = thread_rows(app, "budget-2021")
    by_text = {r.source.split("\n")[0]: r for r in rows}
    first = by_text["First! The tax table is on page 4."]
    assert first.name == "Aysel Məmmədova"
    assert first.created.startswith("2021-03-01T09:15:00")
    assert first.parent_id is None
    assert first.depth == 0
    # Old <b> emphasis kept as <strong>; the link gets the rel every comment link gets.
    assert "<strong>tax</strong>" in first.html
    assert 'href="https://gov.example/budget.pdf"' in first.html
    assert 'rel="nofollow ugc noopener noreferrer"' in first.html

    reply = next(r for r in rows if r.source.startswith("Page 4 is wrong"))
    assert (reply.parent_id, reply.root_id, reply.depth) == (first.id, first.id, 1)
    # Cleaned, never trusted: no script, no event handler, no javascript: link.
    assert "<script" not in reply.html
    assert "onerror" not in reply.html
    assert "javascript:" not in reply.html
    assert "<img" not in reply.html
    # Came before its parent in the file: it waited, and hangs under it.
    deep = next(r for r in rows if r.source.startswith("Replying to the reply"))
    assert (deep.parent_id, deep.root_id, deep.depth) == (reply.id, first.id, 2)

    spam = next(r for r in rows if r.name == "Watches")
    assert spam.status == "spam"
    deleted = next(r for r in rows if r.status == "deleted")
    assert deleted.html == ""
    assert deleted.source == ""
    assert deleted.name is None
    under_deleted = next(r for r in rows if r.source.startswith("Still here"))
    assert under_deleted.parent_id == deleted.id

    with app.app_context():
        budget = db.session.scalar(select(Thread).where(Thread.key == "budget-2021"))
        assert budget is not None
        assert budget.title == "The budget, line by line"
        assert budget.comment_count == 4  # approved only: not the spam or the deleted one
        assert not budget.locked
        # No identifier: keyed by the link's path, as a snippet given the path keys it.
        metro = db.session.scalar(select(Thread).where(Thread.key == "/2019/05/bakı-metro/"))
        assert metro is not None
        assert metro.title == "Bakı metro: a new line & a new map"
        assert metro.locked  # closed in Disqus
        assert metro.comment_count == 2
        # The thread Disqus deleted, and the one with no posts, are not made.
        keys = set(db.session.scalars(select(Thread.key)))
        assert keys == {"budget-2021", "/2019/05/bakı-metro/"}


def test_a_reply_whose_parent_is_not_in_the_file_stands_on_its_own(app):
    make_site(app)
    result = cli(app, "import", "disqus", FILE, "--site", "news")
    assert "parent is missing, kept as top-level comments: 1" in result.output
    orphan = next(r for r in thread_rows(app, "/2019/05/bakı-metro/") if r.name == "Orphan")
    assert (orphan.parent_id, orphan.depth) == (None, 0)


def test_a_post_named_twice_is_imported_once(app):
    make_site(app)
    cli(app, "import", "disqus", FILE, "--site", "news")
    first_posts = [r for r in thread_rows(app, "budget-2021") if r.source.startswith("First!")]
    assert len(first_posts) == 1
    texts = [r.source for r in thread_rows(app, "budget-2021")]
    assert not any(t.startswith("The same post twice") for t in texts)


def test_running_the_same_file_again_adds_nothing(app):
    make_site(app)
    cli(app, "import", "disqus", FILE, "--site", "news")
    before = counts(app), thread_rows(app, "budget-2021")
    again = cli(app, "import", "disqus", FILE, "--site", "news")
    assert again.exit_code == 0
    assert "comments: 0 new (none), 9 imported before" in again.output
    assert (counts(app), thread_rows(app, "budget-2021")) == before


def test_a_dry_run_tells_what_it_would_make_and_writes_nothing(app):
    make_site(app)
    dry = cli(app, "import", "disqus", FILE, "--site", "news", "--dry-run")
    assert dry.exit_code == 0, dry.output
    assert "Would make on news:" in dry.output
    assert "threads: 2 new" in dry.output
    assert "comments: 8 new (6 approved, 1 deleted, 1 spam)" in dry.output
    # Rashad wrote only a comment that was deleted: nothing of him is kept.
    assert "authors: 6 new" in dry.output
    assert counts(app) == (0, 0)
    with app.app_context():
        assert db.session.scalars(select(ImportedAuthor)).all() == []
    real = cli(app, "import", "disqus", FILE, "--site", "news")
    # The dry run's numbers are the real run's.
    assert (
        dry.output.split("Would make on news:")[1].split("comments read")[0]
        == (real.output.split("Made on news:")[1].split("comments read")[0])
    )


def test_threads_can_be_keyed_by_url_path(app):
    make_site(app)
    cli(app, "import", "disqus", FILE, "--site", "news", "--key-from", "url")
    with app.app_context():
        keys = set(db.session.scalars(select(Thread.key)))
    assert keys == {"/articles/budget-2021", "/2019/05/bakı-metro/"}


def test_comments_join_a_thread_the_site_already_has(app, client):
    make_site(app)
    # The article was already live with the service: one new comment under it.
    page = client.get(BUDGET)
    assert page.status_code == 200
    result = cli(app, "import", "disqus", FILE, "--site", "news")
    assert "threads: 1 new, 1 already on the site" in result.output
    with app.app_context():
        assert len(db.session.scalars(select(Thread).where(Thread.key == "budget-2021")).all()) == 1


def test_the_widget_shows_the_imported_tree_and_no_address(app, client):
    make_site(app)
    cli(app, "import", "disqus", FILE, "--site", "news")
    page = client.get(BUDGET)
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "Aysel Məmmədova" in html
    assert "Guest reader" in html
    assert "Replying to the reply" in html
    assert "Cheap watches" not in html  # spam stays hidden
    assert "Something I regret" not in html
    assert "@mail.example" not in html
    assert "aysel.m" not in html.lower()
    api = client.get("/api/v1/sites/news/threads/budget-2021/comments")
    assert api.status_code == 200
    assert "@mail.example" not in api.get_data(as_text=True)
    # A key that is a path works in the widget's address as the loader writes it.
    metro = client.get(
        f"/embed/news/t/%2F2019%2F05%2Fbak%C4%B1-metro%2F?url={ORIGIN}/2019/05/x/&origin={ORIGIN}"
    )
    assert metro.status_code == 200
    assert "Новая линия" in metro.get_data(as_text=True)


def test_authors_keep_their_address_only_for_claims(app):
    make_site(app)
    cli(app, "import", "disqus", FILE, "--site", "news")
    with app.app_context():
        emails = {a.name: a.email for a in db.session.scalars(select(ImportedAuthor))}
    # Normalised as account addresses are; none for guests who gave none.
    assert emails["Aysel Məmmədova"] == "aysel.m@mail.example"
    assert emails["Guest reader"] is None
    assert "Rashad" not in emails  # his only comment was deleted
    assert authors_without_a_kept_comment(app) == []


HOSTILE = {
    "billion laughs": """<?xml version="1.0"?>
<!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
<!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">]>
<disqus xmlns="http://disqus.com"><thread><title>&lol3;</title></thread></disqus>""",
    "external entity": """<?xml version="1.0"?>
<!DOCTYPE d [<!ENTITY secret SYSTEM "file:///etc/passwd">]>
<disqus xmlns="http://disqus.com" xmlns:dsq="http://disqus.com/disqus-internals">
<thread dsq:id="1"><id>x</id><link>https://news.example/x</link></thread>
<post dsq:id="2"><message>&secret;</message><createdAt>2020-01-01T00:00:00Z</createdAt>
<thread dsq:id="1"/></post></disqus>""",
    "external document type": """<?xml version="1.0"?>
<!DOCTYPE disqus SYSTEM "http://127.0.0.1:9/evil.dtd">
<disqus xmlns="http://disqus.com"></disqus>""",
}


@pytest.mark.parametrize("kind", HOSTILE)
def test_hostile_xml_is_refused_unread(app, tmp_path: Path, kind):
    make_site(app)
    path = tmp_path / "hostile.xml"
    path.write_text(HOSTILE[kind])
    result = app.test_cli_runner().invoke(args=["import", "disqus", str(path), "--site", "news"])
    assert result.exit_code == 1
    assert "declares a document type or entities" in result.output
    assert "Nothing was imported." in result.output
    assert "root:" not in result.output
    assert counts(app) == (0, 0)


def _many_posts(n: int, bad_at: int | None = None, bad: str = "", chain: bool = False) -> str:
    """n posts in one thread; chain: each answers the one before it."""
    posts = []
    for i in range(n):
        created = "not a date" if i == bad_at else "2020-01-01T00:00:00Z"
        parent = f'<parent dsq:id="{i + 99}"/>' if chain and i else ""
        posts.append(
            f'<post dsq:id="{i + 100}"><message>&lt;p&gt;n{i}&lt;/p&gt;</message>'
            f"<createdAt>{created}</createdAt><author><name>A</name></author>"
            f'<thread dsq:id="1"/>{parent}</post>'
        )
    return (
        '<?xml version="1.0"?><disqus xmlns="http://disqus.com" '
        'xmlns:dsq="http://disqus.com/disqus-internals">'
        '<thread dsq:id="1"><id>t</id><link>https://news.example/t</link></thread>'
        + "\n".join(posts)
        + bad
        + "</disqus>"
    )


def test_a_bad_date_late_in_a_big_file_names_the_post_and_writes_nothing(app, tmp_path):
    make_site(app)
    path = tmp_path / "late.xml"
    path.write_text(_many_posts(2500, bad_at=2400))
    result = app.test_cli_runner().invoke(args=["import", "disqus", str(path), "--site", "news"])
    assert result.exit_code == 1
    assert "post 2,401 (dsq:id 2500)" in result.output
    assert "'not a date' is not a date and time" in result.output
    assert counts(app) == (0, 0)


def test_broken_xml_names_the_line_and_writes_nothing(app, tmp_path):
    make_site(app)
    path = tmp_path / "broken.xml"
    path.write_text(_many_posts(1500, bad="\n<post><unclosed></post>"))
    result = app.test_cli_runner().invoke(args=["import", "disqus", str(path), "--site", "news"])
    assert result.exit_code == 1
    assert "the XML is broken: mismatched tag: line 1501" in result.output
    assert counts(app) == (0, 0)


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"", "the XML is broken: no element found"),
        (b"\xff\xfe<<<", "the XML is broken"),
        (
            b'<disqus xmlns="http://disqus.com"><thread><id>x</id></thread></disqus>',
            "thread 1 (dsq:id missing): it has no dsq:id attribute.",
        ),
    ],
)
def test_files_that_are_not_disqus_exports_get_a_clear_error(app, tmp_path, content, message):
    make_site(app)
    path = tmp_path / "odd.xml"
    path.write_bytes(content)
    result = app.test_cli_runner().invoke(args=["import", "disqus", str(path), "--site", "news"])
    assert result.exit_code == 1
    assert message in result.output
    assert counts(app) == (0, 0)


def test_an_unknown_site_is_refused(app):
    result = app.test_cli_runner().invoke(args=["import", "disqus", FILE, "--site", "nosuch"])
    assert result.exit_code == 1
    assert "There is no site with the slug 'nosuch'." in result.output


class _Cut(Exception):
    """Stands for the process being stopped mid-import (Ctrl-C, a crash)."""


def test_an_interrupted_import_leaves_whole_batches_and_carries_on(app, tmp_path):
    make_site(app)
    path = tmp_path / "many.xml"
    path.write_text(_many_posts(250, chain=True), encoding="utf-8")
    written = 0

    def stop_during_the_second_batch(n: int) -> None:
        nonlocal written
        written += n
        if written > 100:
            raise _Cut

    with app.app_context():
        source = DisqusExport(path)
        source.scan()
        site = site_service.get_site("news")
        assert site is not None
        writer = Writer(site, "disqus", batch_size=100, progress=stop_during_the_second_batch)

        def feed() -> None:
            for comment in source.items():
                writer.add(comment)
            writer.finish()

        with pytest.raises(_Cut):
            feed()

    # The first batch whole, the second rolled back: a consistent thread.
    rows = thread_rows(app, "t")
    assert len(rows) == 100
    ids = {r.id for r in rows}
    assert all(r.parent_id is None or r.parent_id in ids for r in rows)
    with app.app_context():
        thread = db.session.scalar(select(Thread).where(Thread.key == "t"))
        assert thread is not None
        assert thread.comment_count == 100

    again = cli(app, "import", "disqus", str(path), "--site", "news")
    assert "comments: 150 new (150 approved), 100 imported before" in again.output
    rows = thread_rows(app, "t")
    assert len(rows) == 250
    assert [r.depth for r in rows] == list(range(250))


def _posts(tmp_path: Path, *posts: tuple[str, str | None]) -> str:
    """A file of one thread with these (dsq:id, parent dsq:id) posts, in this order."""

    def post(post_id: str, parent: str | None) -> str:
        parent_element = f'<parent dsq:id="{parent}"/>' if parent else ""
        return (
            f'<post dsq:id="{post_id}"><message>&lt;p&gt;p{post_id}&lt;/p&gt;</message>'
            "<createdAt>2020-01-01T00:00:00Z</createdAt><author><name>A</name></author>"
            f'<thread dsq:id="1"/>{parent_element}</post>'
        )

    body = "".join(post(post_id, parent) for post_id, parent in posts)
    path = tmp_path / "posts.xml"
    path.write_text(
        '<?xml version="1.0"?><disqus xmlns="http://disqus.com" '
        'xmlns:dsq="http://disqus.com/disqus-internals">'
        '<thread dsq:id="1"><id>t</id><link>https://news.example/t</link></thread>'
        f"{body}</disqus>",
        encoding="utf-8",
    )
    return str(path)


def test_replies_under_a_comment_whose_parent_is_missing_stay_under_it(app, tmp_path):
    make_site(app)
    # 11's parent never comes; 12 answers 11, 13 answers 12 (and comes first).
    path = _posts(tmp_path, ("13", "12"), ("11", "999"), ("12", "11"))
    result = cli(app, "import", "disqus", path, "--site", "news")
    assert "parent is missing, kept as top-level comments: 1" in result.output
    rows = {r.source: r for r in thread_rows(app, "t")}
    assert rows["p11"].parent_id is None
    assert rows["p12"].parent_id == rows["p11"].id
    assert (rows["p13"].parent_id, rows["p13"].depth) == (rows["p12"].id, 2)


def test_replies_that_name_each_other_in_a_circle_are_all_imported(app, tmp_path):
    make_site(app)
    path = _posts(tmp_path, ("21", "22"), ("22", "21"), ("23", "22"))
    result = cli(app, "import", "disqus", path, "--site", "news")
    assert result.exit_code == 0, result.output
    rows = thread_rows(app, "t")
    assert len(rows) == 3
    assert sum(r.parent_id is None for r in rows) == 1
    assert "kept as top-level comments: 1" in result.output
