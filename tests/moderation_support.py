"""Helpers shared by the moderation tests: a site with a thread, readers, moderators."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TypeVar

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from commentsvc.accounts.models import Reader
from commentsvc.comments import posting, sites, threads
from commentsvc.comments.models import Comment, Site, Thread
from commentsvc.core.extensions import db
from commentsvc.moderation.models import SiteModerator
from tests.factories import make_reader, sign_in

ORIGIN = "https://news.example"
T = TypeVar("T")
OTHER_ORIGIN = "https://other.example"


@dataclass
class Ids:
    """Row ids (objects die with their app context; ids travel between contexts)."""

    site: int
    thread: int
    other_site: int
    other_thread: int
    alice: int
    bob: int
    carol: int
    mod: int
    other_mod: int
    admin: int


def build_world(app: Flask, policy: str = "hold_none") -> Ids:
    """Sites "demo" and "other", a thread on each, three readers, a moderator of each
    site (mina@ for demo, omar@ for other) and an admin."""
    readers = {
        name: make_reader(app, f"{name}@example.org", name.capitalize())
        for name in ("alice", "bob", "carol")
    }
    mod = make_reader(app, "mina@example.org", "Moderator Mina")
    other_mod = make_reader(app, "omar@example.org", "Other Omar")
    admin = make_reader(app, "admin@example.org", "Admin Ada", is_admin=True)
    with app.app_context():
        site = sites.create_site("demo", "Demo News", [ORIGIN], policy)
        other = sites.create_site("other", "Other Times", [OTHER_ORIGIN], policy)
        thread = threads.create_thread(site, "a1", "Blinken in Baku", ORIGIN + "/a1")
        other_thread = threads.create_thread(other, "b1", "Caspian", OTHER_ORIGIN + "/b1")
        db.session.add_all(
            [
                SiteModerator(site_id=site.id, reader_id=mod),
                SiteModerator(site_id=other.id, reader_id=other_mod),
            ]
        )
        db.session.commit()
        return Ids(
            site=site.id,
            thread=thread.id,
            other_site=other.id,
            other_thread=other_thread.id,
            mod=mod,
            other_mod=other_mod,
            admin=admin,
            **readers,
        )


def reader(reader_id: int) -> Reader:
    found = db.session.get(Reader, reader_id)
    assert found is not None
    return found


def post(
    app: Flask,
    author_id: int,
    body: str = "A fair point.",
    thread_id: int | None = None,
    parent_id: int | None = None,
) -> int:
    """Post a comment through the service (the rules apply); returns its id."""
    with app.app_context():
        thread = (
            db.session.get(Thread, thread_id)
            if thread_id
            else db.session.scalar(select(Thread).order_by(Thread.id))
        )
        assert thread is not None
        site = db.session.get(Site, thread.site_id)
        assert site is not None
        return posting.post_comment(reader(author_id), thread, site, body, parent_id).id


def status(app: Flask, comment_id: int) -> str:
    with app.app_context():
        comment = db.session.get(Comment, comment_id)
        assert comment is not None
        return comment.status


def thread_row(app: Flask, thread_id: int) -> tuple[int, int]:
    """(comment_count, version) of a thread."""
    with app.app_context():
        thread = db.session.get(Thread, thread_id)
        assert thread is not None
        return thread.comment_count, thread.version


def client_for(app: Flask, email: str) -> FlaskClient:
    client = app.test_client()
    response = sign_in(client, email)
    assert response.status_code == 303, response.text
    return client


def get(model: type[T], ident: int) -> T:
    """A row that must exist, by id."""
    found = db.session.get(model, ident)
    assert found is not None
    return found
