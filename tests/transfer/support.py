"""Helpers for the import and export tests: a site to fill, the CLI, and what a thread
holds afterwards."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from click.testing import Result
from flask import Flask
from sqlalchemy import select

from commentsvc.comments import sites
from commentsvc.comments.models import Comment, CommentStatus, ModerationPolicy, Thread
from commentsvc.core.extensions import db
from commentsvc.transfer.models import ImportedAuthor, ImportedItem

DATA = Path(__file__).parent / "data"


def make_site(app: Flask, slug: str = "news", origin: str = "https://news.example") -> int:
    with app.app_context():
        site = sites.create_site(slug, "Caspian Daily", [origin], ModerationPolicy.HOLD_NONE)
        db.session.commit()
        return site.id


def cli(app: Flask, *args: str) -> Result:
    return app.test_cli_runner().invoke(args=list(args), catch_exceptions=False)


@dataclass(frozen=True)
class Row:
    id: int
    parent_id: int | None
    root_id: int | None
    depth: int
    status: str
    name: str | None
    html: str
    source: str
    created: str
    score: int


def thread_rows(app: Flask, key: str, site_slug: str = "news") -> list[Row]:
    """The thread's comments in id order, as plain values."""
    with app.app_context():
        site = sites.get_site(site_slug)
        assert site is not None
        thread = db.session.scalar(
            select(Thread).where(Thread.site_id == site.id, Thread.key == key)
        )
        assert thread is not None, f"no thread {key!r}"
        comments = db.session.scalars(
            select(Comment).where(Comment.thread_id == thread.id).order_by(Comment.id)
        )
        return [
            Row(
                c.id,
                c.parent_id,
                c.root_id,
                c.depth,
                c.status,
                c.imported_name,
                c.body_html,
                c.body_source,
                c.created_at.isoformat(),
                c.score,
            )
            for c in comments
        ]


def authors_without_a_kept_comment(app: Flask) -> list[str]:
    """Imported authors none of whose comments shows them (only deleted ones, or none):
    there should be none, since their names and addresses would be kept for nothing."""
    with app.app_context():
        shown = (
            select(ImportedItem.imported_author_id)
            .join(Comment, Comment.id == ImportedItem.comment_id)
            .where(Comment.status != CommentStatus.DELETED)
        )
        return list(
            db.session.scalars(select(ImportedAuthor.name).where(ImportedAuthor.id.not_in(shown)))
        )


def counts(app: Flask) -> tuple[int, int]:
    """(threads, comments) in the whole database."""
    with app.app_context():
        threads = len(db.session.scalars(select(Thread.id)).all())
        comments = len(db.session.scalars(select(Comment.id)).all())
        return threads, comments
