"""`flask export` and `flask import json`: a documented format that reads back in without
losing anything, and that admins can download."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from jsonschema import Draft202012Validator, FormatChecker
from sqlalchemy import delete, select

from commentsvc.comments import lifecycle, posting, sites, threads, votes
from commentsvc.comments.models import Comment, Site, Thread
from commentsvc.core.extensions import db
from commentsvc.moderation import decisions
from commentsvc.transfer.models import ImportedAuthor
from tests.moderation_support import build_world, client_for, get, post, reader
from tests.transfer.support import DATA, cli, counts

SCHEMA = Path(__file__).parents[2] / "commentsvc" / "transfer" / "schema" / "export-1.schema.json"


def _records(path: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]


def _lively_site(app: Flask) -> None:
    """Site "demo" as it looks after some use: accounts, replies, votes, a pin, an edit,
    a held comment, a deleted one, a locked thread, an empty one, and a Disqus import."""
    ids = build_world(app, policy="hold_none")
    first = post(app, ids.alice, "**Bold** opening, with https://example.org/x")
    reply = post(app, ids.bob, "A reply", parent_id=first)
    post(app, ids.carol, "A reply to the reply", parent_id=reply)
    gone = post(app, ids.carol, "Soon gone")
    edited = post(app, ids.bob, "Frist")
    with app.app_context():
        votes.vote(reader(ids.bob), first, 1)
        votes.vote(reader(ids.carol), first, 1)
        votes.vote(reader(ids.alice), reply, -1)
        posting.edit_comment(reader(ids.bob), edited, "First")
        posting.delete_comment(reader(ids.carol), gone)
        decisions.set_pinned(reader(ids.mod), first, True)
        site = get(Site, ids.site)
        site.moderation_policy = "hold_all"
        site.banned_words = ["casino"]
        site.accent_color = "#0b5cad"
        db.session.commit()
    post(app, ids.alice, "Held for a moderator")
    with app.app_context():
        site = get(Site, ids.site)
        quiet = threads.create_thread(site, "a2", "No comments yet", "https://news.example/a2")
        decisions.set_locked(reader(ids.mod), get(Thread, ids.thread).id, True)
        db.session.commit()
        assert quiet.id
    result = cli(app, "import", "disqus", str(DATA / "disqus.xml"), "--site", "demo")
    assert result.exit_code == 0, result.output


def _export(app: Flask, path: Path, *more: str) -> list[dict[str, Any]]:
    result = cli(app, "export", "--site", "demo", "--out", str(path), *more)
    assert result.exit_code == 0, result.output
    return _records(path)


def test_the_export_follows_its_schema_and_tells_the_whole_site(app, tmp_path):
    _lively_site(app)
    records = _export(app, tmp_path / "demo.jsonl")
    validator = Draft202012Validator(json.loads(SCHEMA.read_text()), format_checker=FormatChecker())
    for number, record in enumerate(records, start=1):
        errors = [e.message for e in validator.iter_errors(record)]
        assert not errors, f"line {number}: {errors}"
    header = records[0]
    assert header["type"] == "export"
    assert header["site"]["slug"] == "demo"
    assert header["site"]["banned_words"] == ["casino"]
    kinds = [r["type"] for r in records]
    assert kinds.count("thread") == 4  # a1 (locked), a2 (empty), and two from Disqus
    comments = [r for r in records if r["type"] == "comment"]
    with app.app_context():
        on_site = db.session.scalars(
            select(Comment.id).join(Thread).where(Thread.site.has(slug="demo"))
        ).all()
    assert len(comments) == len(on_site)
    statuses = {c["status"] for c in comments}
    assert statuses == {"approved", "pending", "deleted", "spam"}
    opening = next(c for c in comments if c["body_source"].startswith("**Bold**"))
    assert opening["score"] == 2
    assert opening["pinned"] is True
    assert "<strong>Bold</strong>" in opening["body_html"]
    first = next(c for c in comments if c["body_source"] == "First")
    assert first["edited_at"] is not None
    # Threads before their comments, parents before replies, authors before use.
    seen: set[str] = set()
    for record in records[1:]:
        if record["type"] == "comment":
            assert record["thread"] in seen
            assert record["parent"] is None or record["parent"] in seen
            assert record["author"] is None or record["author"] in seen
        seen.add(record["id"])
    locked = next(r for r in records if r["type"] == "thread" and r["key"] == "a1")
    assert locked["locked"] is True


def test_no_addresses_or_password_hashes_unless_asked_for(app, tmp_path):
    _lively_site(app)
    _export(app, tmp_path / "plain.jsonl")
    plain = (tmp_path / "plain.jsonl").read_text()
    assert "@example.org" not in plain
    assert "@mail.example" not in plain
    assert "argon2" not in plain
    # Authors are pseudonyms: no account number shows.
    authors = [r for r in _records(tmp_path / "plain.jsonl") if r["type"] == "author"]
    assert all(set(a) == {"type", "id", "name"} for a in authors)
    with_emails = _export(app, tmp_path / "full.jsonl", "--include-emails")
    emails = {r["name"]: r.get("email") for r in with_emails if r["type"] == "author"}
    assert emails["Alice"] == "alice@example.org"
    assert emails["Aysel Məmmədova"] == "aysel.m@mail.example"
    assert "argon2" not in (tmp_path / "full.jsonl").read_text()


def _empty_the_database(app: Flask) -> None:
    """Remove the site with everything under it, as a new installation would lack it."""
    with app.app_context():
        db.session.execute(delete(Site).where(Site.slug == "demo"))
        db.session.commit()
        assert db.session.scalars(select(Comment.id)).all() == []


def test_export_import_export_gives_the_same_file(app, tmp_path):
    _lively_site(app)
    first = tmp_path / "first.jsonl"
    _export(app, first, "--include-emails")
    _empty_the_database(app)

    result = cli(app, "import", "json", str(first))
    assert result.exit_code == 0, result.output
    assert "Registered the site demo." in result.output
    second = tmp_path / "second.jsonl"
    _export(app, second, "--include-emails")
    assert second.read_bytes() == first.read_bytes()

    # And the site works as before: the locked thread, the tree, the names.
    with app.app_context():
        site = db.session.scalar(select(Site).where(Site.slug == "demo"))
        assert site is not None
        assert site.moderation_policy == "hold_all"
        a1 = db.session.scalar(select(Thread).where(Thread.key == "a1"))
        assert a1 is not None
        assert a1.locked
        assert a1.comment_count == 4  # approved: the opening, two replies, "First"
    page = app.test_client().get(
        "/embed/demo/t/a1?url=https://news.example/a1&origin=https://news.example"
    )
    html = page.get_data(as_text=True)
    assert "A reply to the reply" in html
    assert "Carol" in html
    assert "Soon gone" not in html
    assert "Held for a moderator" not in html


def test_importing_an_export_twice_adds_nothing(app, tmp_path):
    _lively_site(app)
    path = tmp_path / "demo.jsonl"
    _export(app, path)
    _empty_the_database(app)
    cli(app, "import", "json", str(path))
    before = counts(app)
    again = cli(app, "import", "json", str(path))
    assert again.exit_code == 0
    assert "comments: 0 new (none)" in again.output
    assert counts(app) == before


def test_a_dry_run_registers_nothing(app, tmp_path):
    _lively_site(app)
    path = tmp_path / "demo.jsonl"
    records = _export(app, path)
    _empty_the_database(app)
    before = counts(app)
    result = cli(app, "import", "json", str(path), "--dry-run")
    assert result.exit_code == 0, result.output
    assert "Would register the site demo." in result.output
    comments = sum(1 for r in records if r["type"] == "comment")
    assert f"comments: {comments} new" in result.output
    assert counts(app) == before
    with app.app_context():
        assert db.session.scalar(select(Site).where(Site.slug == "demo")) is None


def test_an_export_can_fill_another_site(app, tmp_path):
    _lively_site(app)
    path = tmp_path / "demo.jsonl"
    _export(app, path)
    with app.app_context():
        sites.create_site("copy", "Copy", ["https://copy.example"])
    result = cli(app, "import", "json", str(path), "--site", "copy")
    assert result.exit_code == 0, result.output
    with app.app_context():
        copied = db.session.scalars(
            select(Thread.key).where(Thread.site.has(slug="copy")).order_by(Thread.id)
        ).all()
    assert "a1" in copied
    assert "budget-2021" in copied


HEADER: dict[str, Any] = {
    "type": "export",
    "format": "commentsvc",
    "version": 1,
    "site": {"slug": "moved", "name": "Moved", "origins": ["https://moved.example"]},
}
THREAD: dict[str, Any] = {
    "type": "thread",
    "id": "t1",
    "key": "k",
    "title": "T",
    "url": "",
    "title_source": "snippet",
    "locked": False,
    "created_at": None,
}
COMMENT: dict[str, Any] = {
    "type": "comment",
    "id": "c1",
    "thread": "t1",
    "parent": None,
    "author": None,
    "status": "approved",
    "body_source": "hi",
    "body_html": "<p>hi</p>",
    "score": 0,
    "pinned": False,
    "created_at": "2024-01-01T00:00:00+00:00",
    "edited_at": None,
}


def _write(tmp_path: Path, *records: dict[str, Any] | str) -> Path:
    path = tmp_path / "made.jsonl"
    path.write_text(
        "".join((r if isinstance(r, str) else json.dumps(r)) + "\n" for r in records),
        encoding="utf-8",
    )
    return path


def test_bodies_from_a_file_are_cleaned_again(app, tmp_path):
    hostile = dict(
        COMMENT,
        body_html='<p onclick="x()">hi<script>alert(1)</script><a href="javascript:x">y</a></p>',
    )
    path = _write(tmp_path, HEADER, THREAD, hostile)
    result = cli(app, "import", "json", str(path))
    assert result.exit_code == 0, result.output
    with app.app_context():
        html = db.session.scalars(select(Comment.body_html)).one()
    assert "<script" not in html
    assert "onclick" not in html
    assert "javascript:" not in html


@pytest.mark.parametrize(
    ("records", "message"),
    [
        ([dict(HEADER, format="other")], "line 1 (export): not an export of this service"),
        ([dict(HEADER, version=2)], "line 1 (export): format version 2 is not one this"),
        ([HEADER, COMMENT], "line 2 (comment): its thread 't1' was not given before it."),
        ([HEADER, THREAD, dict(COMMENT, author="a9")], "its author 'a9' was not given"),
        ([HEADER, THREAD, dict(COMMENT, status="shown")], "'shown' is not a comment status."),
        ([HEADER, THREAD, dict(COMMENT, score="10")], "line 3 (comment): 'score' has the wrong"),
        ([HEADER, THREAD, dict(COMMENT, pinned=1)], "'pinned' has the wrong type."),
        ([HEADER, THREAD, dict(COMMENT, created_at="yesterday")], "is not a date and time"),
        ([HEADER, THREAD, "{not json"], "line 3: not JSON"),
        ([HEADER, THREAD, "[1, 2]"], "line 3: not a JSON object."),
        ([HEADER, THREAD, THREAD], "line 3 (thread): the thread 't1' came before."),
        ([HEADER, dict(THREAD, key="")], "'key' is empty."),
        ([HEADER, {"type": "vote"}], "'vote' is not a type of record."),
        ([dict(HEADER, site=dict(HEADER["site"], hold_first_n=-1))], "'hold_first_n'"),
        ([dict(HEADER, site=dict(HEADER["site"], origins=["not an origin"]))], "registered"),
        ([], "the file is empty."),
    ],
)
def test_a_bad_file_names_the_line_and_writes_nothing(app, tmp_path, records, message):
    # The bad line comes after a good thread and comment, which must not be written either.
    path = _write(tmp_path, *records)
    result = app.test_cli_runner().invoke(args=["import", "json", str(path)])
    assert result.exit_code == 1, result.output
    assert message in result.output
    assert "Nothing was imported." in result.output
    assert counts(app) == (0, 0)
    with app.app_context():
        assert db.session.scalar(select(Site).where(Site.slug == "moved")) is None


def test_a_line_too_long_to_be_an_export_is_refused_unread(app, tmp_path):
    path = _write(tmp_path, HEADER, THREAD, dict(COMMENT, body_source="x" * 1_000_000))
    result = app.test_cli_runner().invoke(args=["import", "json", str(path)])
    assert result.exit_code == 1
    assert "line 3: longer than" in result.output
    assert counts(app) == (0, 0)


def test_an_author_with_an_address_can_be_claimed_after_a_move(app, tmp_path):
    author = {"type": "author", "id": "a1", "name": "Nigar", "email": "Nigar@Example.org"}
    path = _write(tmp_path, HEADER, THREAD, author, dict(COMMENT, author="a1"))
    assert cli(app, "import", "json", str(path)).exit_code == 0
    with app.app_context():
        stored = db.session.scalars(select(ImportedAuthor)).one()
    assert (stored.name, stored.email) == ("Nigar", "nigar@example.org")


def test_admins_download_the_export_without_addresses(app, tmp_path):
    _lively_site(app)
    admin = client_for(app, "admin@example.org")
    response = admin.get("/admin/sites/demo/export.jsonl")
    assert response.status_code == 200
    assert response.headers["Content-Disposition"].startswith(
        'attachment; filename="demo-comments-'
    )
    assert "no-store" in response.headers["Cache-Control"]
    downloaded = response.get_data()
    response.close()
    _export(app, tmp_path / "cli.jsonl")
    assert downloaded == (tmp_path / "cli.jsonl").read_bytes()
    # The site's page offers it.
    page = admin.get("/admin/sites/demo").get_data(as_text=True)
    assert "/admin/sites/demo/export.jsonl" in page
    assert admin.get("/admin/sites/nosuch/export.jsonl").status_code == 404


def test_only_admins_download_exports(app):
    _lively_site(app)
    moderator = client_for(app, "mina@example.org")
    assert moderator.get("/admin/sites/demo/export.jsonl").status_code == 403
    stranger = app.test_client()
    answer = stranger.get("/admin/sites/demo/export.jsonl")
    assert answer.status_code in (302, 303)
    assert "/auth/sign-in" in answer.headers["Location"]


def test_a_deleted_comment_is_exported_as_a_placeholder(app, tmp_path):
    ids = build_world(app)
    gone = post(app, ids.alice, "Words that must not survive")
    with app.app_context():
        lifecycle.delete(get(Comment, gone))
        db.session.commit()
    text = (tmp_path / "x").as_posix()
    result = cli(app, "export", "--site", "demo", "--out", text)
    assert result.exit_code == 0
    assert "Words that must not survive" not in Path(text).read_text()
