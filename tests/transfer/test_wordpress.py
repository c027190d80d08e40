"""`flask import wordpress`: a WordPress export (WXR) becomes threads with their reply
trees, safely, once, and only when the whole file is sound."""

from __future__ import annotations

from pathlib import Path
from urllib.parse import quote

import pytest
from flask import Flask
from sqlalchemy import select

from commentsvc.comments import sites
from commentsvc.comments.models import Thread
from commentsvc.core.extensions import db
from commentsvc.moderation import moderators
from commentsvc.transfer.models import ImportedAuthor
from tests.factories import make_reader
from tests.moderation_support import client_for
from tests.transfer.support import (
    DATA,
    authors_without_a_kept_comment,
    cli,
    counts,
    make_site,
    thread_rows,
)

FILE = str(DATA / "wordpress.xml")
LATIN1 = str(DATA / "wordpress-latin1.xml")
ORIGIN = "https://news.example"
BUDGET = "/2021/03/budget-2021/"
METRO = "/2019/05/bakı-metro/"


def widget(key: str, path: str) -> str:
    return f"/embed/news/t/{quote(key, safe='')}?url={ORIGIN}{path}&origin={ORIGIN}"


def test_comments_and_replies_arrive_with_their_times_and_states(app):
    make_site(app)
    result = cli(app, "import", "wordpress", FILE, "--site", "news")
    assert result.exit_code == 0, result.output
    assert "Found 2 threads and 13 comments." in result.output
    assert "comments: 12 new (8 approved, 2 deleted, 1 pending, 1 spam)" in result.output

    rows = thread_rows(app, BUDGET)
    by_text = {r.source.split("\n")[0]: r for r in rows}
    first = by_text["First! The tax table is on page 4."]
    assert first.name == "Aysel Məmmədova"
    # wp:comment_date_gmt, not the site's local wp:comment_date.
    assert first.created.startswith("2021-03-01T09:15:00")
    assert (first.parent_id, first.depth) == (None, 0)
    # A blank line makes a paragraph, a single line break stays.
    assert first.html.startswith("<p>First! The <strong>tax</strong> table is on page 4.</p><p>")
    assert "<br>Büdcə cədvəli dördüncü səhifədədir.</p>" in first.html
    assert 'href="https://gov.example/budget.pdf"' in first.html
    assert 'rel="nofollow ugc noopener noreferrer"' in first.html

    reply = next(r for r in rows if r.name == "Дмитрий Иванов")
    assert (reply.parent_id, reply.root_id, reply.depth) == (first.id, first.id, 1)
    assert reply.html.startswith("<p>Страница 4 неверна, смотрите приложение.")
    # Cleaned, never trusted: no script, no event handler, no javascript: link.
    for hostile in ("<script", "onerror", "onmouseover", "javascript:", "<img", "<span"):
        assert hostile not in reply.html
    # Came before its parent in the file: it waited, and hangs under it.
    deep = next(r for r in rows if r.source.startswith("Replying to the reply"))
    assert (deep.parent_id, deep.root_id, deep.depth) == (reply.id, first.id, 2)

    pending = next(r for r in rows if r.name == "Guest reader")
    assert pending.status == "pending"
    assert next(r for r in rows if r.name == "Watches").status == "spam"
    deleted = next(r for r in rows if r.status == "deleted")
    assert (deleted.html, deleted.source, deleted.name) == ("", "", None)
    # No GMT time ("0000-00-00 00:00:00"): the local one stands in.
    nameless = next(r for r in rows if r.source.startswith("Nameless"))
    assert nameless.name is None
    assert nameless.created.startswith("2021-03-02T10:00:00")

    metro = thread_rows(app, METRO)
    assert [r.name for r in metro] == ["Нигяр", "Rəşad Əliyev", None, "Leyla"]
    nigar, rashad, trashed, leyla = metro
    assert nigar.html == "<p>Новая линия — это хорошо.<br>Но когда?</p>"
    assert rashad.parent_id == nigar.id
    assert rashad.html == "<p>Xəritə çox gözəldir.</p><p>İkinci abzas: <em>sağ olun</em>!</p>"
    assert trashed.status == "deleted"  # post-trashed
    assert leyla.parent_id == trashed.id


def test_threads_get_titles_keys_and_locks_and_only_when_they_have_comments(app):
    make_site(app)
    cli(app, "import", "wordpress", FILE, "--site", "news")
    with app.app_context():
        threads = {t.key: t for t in db.session.scalars(select(Thread))}
        # No quiet article, no attachment, nothing of trashed or private posts.
        assert set(threads) == {BUDGET, METRO}
        budget, metro = threads[BUDGET], threads[METRO]
        assert budget.title == "The budget, line by line"
        assert budget.url == "https://news.example/2021/03/budget-2021/"
        assert budget.created_at.isoformat().startswith("2021-03-01T08:00:00")
        assert budget.comment_count == 5  # approved only
        assert not budget.locked
        assert metro.title == "Bakı metro: a new line & a new map"
        assert metro.comment_count == 3
        assert metro.locked  # comments closed in WordPress


def test_what_is_left_out_is_told_and_counted(app):
    make_site(app)
    result = cli(app, "import", "wordpress", FILE, "--site", "news")
    for line in (
        "Left out: 1 comments on attachments.",
        "Left out: 1 comments on private posts.",
        "Left out: 1 comments on trashed posts.",
        "Left out: 1 pingbacks.",
        "Left out: 1 trackbacks.",
        "replies whose parent is missing, kept as top-level comments: 1",
    ):
        assert line in result.output
    texts = [r.source for key in (BUDGET, METRO) for r in thread_rows(app, key)]
    assert not any("pingback" in t or "trackback" in t.lower() for t in texts)
    orphan = next(r for r in thread_rows(app, BUDGET) if r.name == "Orphan")
    assert (orphan.parent_id, orphan.root_id, orphan.depth) == (None, None, 0)


def test_a_comment_named_twice_is_imported_once(app):
    make_site(app)
    cli(app, "import", "wordpress", FILE, "--site", "news")
    texts = [r.source for r in thread_rows(app, BUDGET)]
    assert sum(t.startswith("First!") for t in texts) == 1
    assert "The same comment twice." not in texts


def test_authors_keep_their_address_only_for_claims(app):
    make_site(app)
    result = cli(app, "import", "wordpress", FILE, "--site", "news")
    # Authors only of comments in the trash are not kept.
    assert "authors: 8 new" in result.output
    with app.app_context():
        emails = {a.name: a.email for a in db.session.scalars(select(ImportedAuthor))}
    # One author for both of Aysel's comments, whatever the case of her address.
    assert emails["Aysel Məmmədova"] == "aysel.m@mail.example"
    assert emails["Guest reader"] is None
    assert "" not in emails  # the anonymous comment has no author
    assert authors_without_a_kept_comment(app) == []


def test_the_widget_shows_the_imported_tree_and_no_address(app, client):
    make_site(app)
    cli(app, "import", "wordpress", FILE, "--site", "news")
    page = client.get(widget(BUDGET, BUDGET))
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    for shown in ("Aysel Məmmədova", "Дмитрий Иванов", "Replying to the reply", "Former reader"):
        assert shown in html
    for hidden in ("Cheap watches", "Something I regret", "Waiting for a moderator", "pingback"):
        assert hidden not in html
    assert "@mail.example" not in html
    assert "aysel.m" not in html.lower()
    metro = client.get(widget(METRO, "/2019/05/bak%C4%B1-metro/"))
    assert metro.status_code == 200
    assert "Новая линия" in metro.get_data(as_text=True)


def test_a_pending_comment_waits_in_the_sites_moderation_queue(app):
    make_site(app)
    make_reader(app, "mina@example.org", "Moderator Mina")
    with app.app_context():
        site = sites.get_site("news")
        assert site is not None
        moderators.add_moderator(None, site, "mina@example.org")
    cli(app, "import", "wordpress", FILE, "--site", "news")
    queue = client_for(app, "mina@example.org").get("/moderation/")
    assert queue.status_code == 200
    assert "Guest reader on “The budget, line by line”" in queue.text
    assert "Waiting for a moderator: Bakıda hava necədir?" in queue.text
    assert "imported</span>" in queue.text
    assert "Cheap watches" not in queue.text
    assert "Страница 4" not in queue.text


def test_running_the_same_file_again_adds_nothing(app):
    make_site(app)
    cli(app, "import", "wordpress", FILE, "--site", "news")
    before = counts(app), thread_rows(app, BUDGET), thread_rows(app, METRO)
    again = cli(app, "import", "wordpress", FILE, "--site", "news")
    assert again.exit_code == 0, again.output
    assert "threads: 0 new, 0 already on the site" in again.output
    assert "comments: 0 new (none), 13 imported before" in again.output
    assert "authors: 0 new" in again.output
    assert (counts(app), thread_rows(app, BUDGET), thread_rows(app, METRO)) == before


def test_a_dry_run_tells_what_it_would_make_and_writes_nothing(app):
    make_site(app)
    dry = cli(app, "import", "wordpress", FILE, "--site", "news", "--dry-run")
    assert dry.exit_code == 0, dry.output
    assert "Would make on news:" in dry.output
    assert "threads: 2 new" in dry.output
    assert "comments: 12 new (8 approved, 2 deleted, 1 pending, 1 spam)" in dry.output
    assert counts(app) == (0, 0)
    with app.app_context():
        assert db.session.scalars(select(ImportedAuthor)).all() == []
    real = cli(app, "import", "wordpress", FILE, "--site", "news")
    assert (
        dry.output.split("Would make on news:")[1].split("comments read")[0]
        == real.output.split("Made on news:")[1].split("comments read")[0]
    )


def test_threads_can_be_keyed_by_post_id(app):
    make_site(app)
    result = cli(app, "import", "wordpress", FILE, "--site", "news", "--key-from", "identifier")
    assert result.exit_code == 0, result.output
    with app.app_context():
        keys = set(db.session.scalars(select(Thread.key)))
    # As the README's WordPress snippet keys them.
    assert keys == {"post-12", "post-20"}
    assert [r.name for r in thread_rows(app, "post-20")] == ["Нигяр", "Rəşad Əliyev", None, "Leyla"]


def test_a_latin1_export_of_an_old_wordpress_keeps_its_letters(app):
    make_site(app)
    result = cli(app, "import", "wordpress", LATIN1, "--site", "news")
    assert result.exit_code == 0, result.output
    assert "comments: 2 new (2 approved)" in result.output
    first, reply = thread_rows(app, "/2008/06/le-cafe/")
    assert first.name == "François Müller"
    assert first.html == "<p>Un café crème, s'il vous plaît. <strong>Très</strong> bon !</p>"
    assert first.created.startswith("2008-06-01T10:00:00")
    assert reply.name == "Zoë"
    assert reply.source == "Ça coûte cher : 3,50 £ à Londres."
    assert (reply.parent_id, reply.depth) == (first.id, 1)
    assert reply.created.startswith("2008-06-01T12:30:00")
    with app.app_context():
        thread = db.session.scalar(select(Thread))
        assert thread is not None
        assert thread.title == "Le café de la gare"


# --- small exports written by the tests -------------------------------------------------


def _comment(
    comment_id: str = "45",
    date_gmt: str = "2021-03-01 10:00:00",
    approved: str = "1",
    parent: str = "0",
    body: str = "Fine.",
) -> str:
    return (
        f"<wp:comment><wp:comment_id>{comment_id}</wp:comment_id>"
        "<wp:comment_author>Reader</wp:comment_author>"
        f"<wp:comment_date>2021-03-01 14:00:00</wp:comment_date>"
        f"<wp:comment_date_gmt>{date_gmt}</wp:comment_date_gmt>"
        f"<wp:comment_content><![CDATA[{body}]]></wp:comment_content>"
        f"<wp:comment_approved>{approved}</wp:comment_approved>"
        "<wp:comment_type></wp:comment_type>"
        f"<wp:comment_parent>{parent}</wp:comment_parent></wp:comment>"
    )


def _item(post_id: str, link: str, *comments: str) -> str:
    return (
        f"<item><title>Post {post_id}</title><link>{link}</link>"
        f"<wp:post_id>{post_id}</wp:post_id><wp:post_type>post</wp:post_type>"
        f"<wp:status>publish</wp:status>{''.join(comments)}</item>"
    )


def _wxr(tmp_path: Path, *items: str, version: str = "1.2") -> str:
    path = tmp_path / "export.xml"
    path.write_text(
        '<?xml version="1.0" encoding="UTF-8"?><rss version="2.0" '
        f'xmlns:excerpt="http://wordpress.org/export/{version}/excerpt/" '
        f'xmlns:wp="http://wordpress.org/export/{version}/"><channel>'
        f"<wp:wxr_version>{version}</wp:wxr_version>{''.join(items)}</channel></rss>",
        encoding="utf-8",
    )
    return str(path)


def _refused(app: Flask, path: str, *options: str) -> str:
    result = app.test_cli_runner().invoke(
        args=["import", "wordpress", path, "--site", "news", *options]
    )
    assert result.exit_code == 1
    assert "Nothing was imported." in result.output
    assert counts(app) == (0, 0)
    return result.output


@pytest.mark.parametrize("version", ["1.0", "1.1", "1.2"])
def test_every_version_of_the_format_is_read(app, tmp_path, version):
    make_site(app)
    path = _wxr(tmp_path, _item("8", f"{ORIGIN}/a/", _comment()), version=version)
    result = cli(app, "import", "wordpress", path, "--site", "news")
    assert "comments: 1 new (1 approved)" in result.output
    assert [r.source for r in thread_rows(app, "/a/")] == ["Fine."]


@pytest.mark.parametrize(
    ("comment", "message"),
    [
        (
            _comment(date_gmt="2021-02-30 10:00:00"),
            "comment 2 (comment_id 45): '2021-02-30 10:00:00' is not a date and time.",
        ),
        (_comment(comment_id=""), "comment 2 (comment_id missing): it has no wp:comment_id."),
        (_comment(comment_id="4x"), "comment 2 (comment_id 4x): '4x' is not a wp:comment_id"),
        (_comment(parent="-1"), "comment 2 (comment_id 45): '-1' is not a wp:comment_parent"),
        (_comment(approved="hold"), "comment 2 (comment_id 45): 'hold' is not a comment state"),
    ],
)
def test_a_bad_value_late_in_the_file_names_the_comment_and_writes_nothing(
    app, tmp_path, comment, message
):
    make_site(app)
    good = [_item(str(n), f"{ORIGIN}/p{n}/", _comment(str(n * 10))) for n in range(1, 30)]
    path = _wxr(tmp_path, *good, _item("8", f"{ORIGIN}/a/", _comment("44"), comment))
    output = _refused(app, path)
    assert f"item 30 (post_id 8), {message}" in output


def test_a_comment_without_any_date_is_refused(app, tmp_path):
    make_site(app)
    undated = _comment().replace("2021-03-01 14:00:00", "0000-00-00 00:00:00")
    path = _wxr(tmp_path, _item("8", f"{ORIGIN}/a/", undated.replace("2021-03-01 10:00:00", "")))
    assert "item 1 (post_id 8), comment 1 (comment_id 45): it has no date." in _refused(app, path)


def test_posts_that_share_a_path_need_their_ids_as_keys(app, tmp_path):
    make_site(app)
    # Plain permalinks: every link's path is "/".
    path = _wxr(
        tmp_path,
        _item("12", f"{ORIGIN}/?p=12", _comment("1")),
        _item("13", f"{ORIGIN}/?p=13", _comment("2")),
    )
    output = _refused(app, path)
    assert "item 2 (post_id 13): its thread key '/' is also item 1 (post_id 12)'s." in output
    assert "--key-from identifier" in output
    result = cli(app, "import", "wordpress", path, "--site", "news", "--key-from", "identifier")
    assert "threads: 2 new" in result.output


def test_files_that_are_not_wordpress_exports_get_a_clear_error(app):
    make_site(app)
    output = _refused(app, str(DATA / "disqus.xml"))
    assert "is it a WordPress export (WXR)?" in output


def test_hostile_xml_is_refused_unread(app, tmp_path):
    make_site(app)
    path = tmp_path / "hostile.xml"
    path.write_text(
        '<?xml version="1.0"?><!DOCTYPE rss [<!ENTITY secret SYSTEM "file:///etc/passwd">]>'
        '<rss xmlns:wp="http://wordpress.org/export/1.2/"><channel><item>'
        "<wp:post_id>1</wp:post_id><wp:comment><wp:comment_content>&secret;"
        "</wp:comment_content></wp:comment></item></channel></rss>"
    )
    output = _refused(app, str(path))
    assert "declares a document type or entities" in output
    assert "root:" not in output
