"""A site's comments as JSON Lines: the service's own documented format (see
commentsvc/transfer/schema/export-1.schema.json), which `import json` reads back.

One object per line: first the export and the site's settings, then each thread followed
by its comments (a parent always before its replies), each author once before their
first comment. Authors are pseudonymous ids; there are no password hashes, sessions or
votes by reader, and e-mail addresses only when asked for.

Ids are strings that stay the same from one export to the next, and through a move: a
thread or comment that came in from an export keeps the id it had there, so exporting
again after `import json` gives the same file.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from collections.abc import Iterator
from datetime import datetime
from typing import Any

from flask import current_app
from sqlalchemy import Select, func, select
from sqlalchemy.orm import aliased

from commentsvc.accounts.models import Reader
from commentsvc.comments.models import Comment, CommentStatus, Site, Thread
from commentsvc.core.extensions import db
from commentsvc.transfer.models import ImportedAuthor, ImportedItem

FORMAT = "commentsvc"
VERSION = 1
# The source name of records that came from this format.
JSON_SOURCE = "json"
SITE_SETTINGS = (
    "name",
    "origins",
    "edit_window_seconds",
    "moderation_policy",
    "hold_first_n",
    "max_links",
    "report_threshold",
    "trust_after",
    "close_after_days",
    "suspicious_words",
    "banned_words",
    "require_signed_threads",
    "accent_color",
    "font_stack",
)


def _time(moment: datetime | None) -> str | None:
    return moment.isoformat() if moment is not None else None


def _line(record: dict[str, Any]) -> str:
    return json.dumps(record, ensure_ascii=False, separators=(",", ":")) + "\n"


class _Ids:
    """The export's ids for rows of this installation: the row's number and a short
    mark of the installation, so two installations' ids never meet."""

    def __init__(self) -> None:
        key = str(current_app.config["SECRET_KEY"]).encode()
        self._key = key
        self.mark = self._digest("installation")[:8]

    def _digest(self, what: str) -> str:
        return hmac.new(self._key, what.encode(), hashlib.sha256).hexdigest()

    def thread(self, thread_id: int) -> str:
        return f"t{thread_id}@{self.mark}"

    def comment(self, comment_id: int) -> str:
        return f"c{comment_id}@{self.mark}"

    def author(self, kind: str, row_id: int) -> str:
        # Not the row's number: it would tell how many accounts there are, and when.
        return "a" + self._digest(f"{kind}:{row_id}")[:16]


def _json_item(kind: str, column: Any) -> Any:
    """The id a row had in the export it came from, if it came from one."""
    return (
        select(func.min(ImportedItem.source_id))
        .where(
            ImportedItem.source == JSON_SOURCE,
            ImportedItem.kind == kind,
            column,
        )
        .scalar_subquery()
    )


def _comments(site: Site) -> Select[Any]:
    item = aliased(ImportedItem)
    author = aliased(ImportedAuthor)
    return (
        select(
            Comment,
            Reader.display_name,
            Reader.email,
            item.source,
            item.source_id,
            author,
            _json_item("comment", ImportedItem.comment_id == Comment.parent_id).label("parent"),
        )
        .join(Thread, Thread.id == Comment.thread_id)
        .outerjoin(Reader, Reader.id == Comment.author_id)
        .outerjoin(item, item.comment_id == Comment.id)
        .outerjoin(author, author.id == item.imported_author_id)
        .where(Thread.site_id == site.id)
        .order_by(Comment.thread_id, Comment.id)
    )


def _author(
    ids: _Ids,
    comment: Comment,
    reader_name: str | None,
    reader_email: str | None,
    imported: ImportedAuthor | None,
) -> dict[str, Any] | None:
    """The author record of a comment (its account's, or its imported author's); None
    for a deleted placeholder, whose author is not kept either."""
    if comment.status == CommentStatus.DELETED:
        return None
    if comment.author_id is not None:
        return {
            "type": "author",
            "id": ids.author("reader", comment.author_id),
            "name": reader_name,
            "email": reader_email,
        }
    if imported is None:
        return None
    kept = imported.source == JSON_SOURCE
    return {
        "type": "author",
        "id": imported.source_key if kept else ids.author("imported", imported.id),
        "name": imported.name,
        "email": imported.email,
    }


def lines(site: Site, include_emails: bool = False) -> Iterator[str]:
    """The export of one site, line by line (rows are read as they are written out)."""
    ids = _Ids()
    settings = {name: getattr(site, name) for name in SITE_SETTINGS}
    yield _line(
        {
            "type": "export",
            "format": FORMAT,
            "version": VERSION,
            "site": {"slug": site.slug, **settings, "created_at": _time(site.created_at)},
        }
    )
    threads = db.session.execute(
        select(Thread, _json_item("thread", ImportedItem.thread_id == Thread.id))
        .where(Thread.site_id == site.id)
        .order_by(Thread.id)
    ).all()
    thread_ids = {t.id: source or ids.thread(t.id) for t, source in threads}
    authors_seen: set[str] = set()
    pending = iter(threads)
    next_thread = next(pending, None)
    rows = db.session.execute(_comments(site).execution_options(yield_per=1000))
    for comment, reader_name, reader_email, source, source_id, imported, parent in rows:
        # Threads up to this comment's, comments or not.
        while next_thread is not None and next_thread[0].id <= comment.thread_id:
            yield _line(_thread(next_thread[0], thread_ids))
            next_thread = next(pending, None)
        author = _author(ids, comment, reader_name, reader_email, imported)
        author_id = author["id"] if author else None
        if author and author["id"] not in authors_seen:
            authors_seen.add(author["id"])
            if not include_emails or not author["email"]:
                del author["email"]
            yield _line(author)
        yield _line(
            {
                "type": "comment",
                "id": source_id if source == JSON_SOURCE else ids.comment(comment.id),
                "thread": thread_ids[comment.thread_id],
                "parent": parent
                if parent is not None
                else (ids.comment(comment.parent_id) if comment.parent_id else None),
                "author": author_id,
                "status": comment.status,
                "body_source": comment.body_source,
                "body_html": comment.body_html,
                "score": comment.score,
                "pinned": comment.pinned,
                "created_at": _time(comment.created_at),
                "edited_at": _time(comment.edited_at),
            }
        )
    while next_thread is not None:
        yield _line(_thread(next_thread[0], thread_ids))
        next_thread = next(pending, None)


def _thread(thread: Thread, thread_ids: dict[int, str]) -> dict[str, Any]:
    return {
        "type": "thread",
        "id": thread_ids[thread.id],
        "key": thread.key,
        "title": thread.title,
        "url": thread.url,
        "title_source": thread.title_source,
        "locked": thread.locked,
        "created_at": _time(thread.created_at),
    }
