"""Isso's SQLite database (its comments.db): a threads table (the pages, by uri) and a
comments table (each comment naming its thread by tid and, for a reply, its parent by id).

The file is opened read-only and never changed. A thread's key is its uri (the page's
path, as Isso's snippet gives it); a uri that is a whole URL is keyed by its path.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path

from commentsvc.comments.models import CommentStatus
from commentsvc.transfer.records import (
    KEY_MAX,
    NAME_MAX,
    TITLE_MAX,
    URL_MAX,
    BadSource,
    Scan,
    SourceAuthor,
    SourceComment,
    SourceThread,
    key_from_url,
    markdown_body,
    visible,
)

EMAIL_MAX = 254
STATUSES = {1: CommentStatus.APPROVED, 2: CommentStatus.PENDING, 4: CommentStatus.DELETED}
COLUMNS = {
    "threads": ("id", "uri", "title"),
    "comments": (
        "tid",
        "id",
        "parent",
        "created",
        "modified",
        "mode",
        "text",
        "author",
        "email",
        "likes",
        "dislikes",
    ),
}
ROWS = """
SELECT c.id, t.id, t.uri, t.title, c.parent, c.created, c.modified, c.mode, c.text,
       c.author, c.email, c.likes, c.dislikes
FROM comments AS c LEFT JOIN threads AS t ON t.id = c.tid
ORDER BY t.id, c.id
"""
TABLE_INFO = "SELECT name FROM pragma_table_info(?)"
UNKNOWN_THREAD = "comments of threads missing from the file"


class IssoDatabase:
    name = "isso"

    def __init__(self, path: Path) -> None:
        self.path = path

    def scan(self) -> Scan:
        scan = Scan()
        thread_id = ""
        for comment in self._read():
            if comment is None:
                scan.skip(UNKNOWN_THREAD)
                continue
            scan.comments += 1
            if comment.thread.source_id != thread_id:
                thread_id = comment.thread.source_id
                scan.threads += 1
        return scan

    def items(self) -> Iterator[SourceComment]:
        for comment in self._read():
            if comment is not None:
                yield comment

    @contextmanager
    def _open(self) -> Iterator[sqlite3.Connection]:
        """The database, read-only, its tables checked; any SQLite error is a BadSource."""
        address = self.path.resolve().as_uri() + "?mode=ro"
        try:
            connection = sqlite3.connect(address, uri=True)
        except sqlite3.Error as exc:
            raise BadSource(f"it cannot be opened: {exc}.") from exc
        try:
            _check_tables(connection)
            yield connection
        except sqlite3.Error as exc:
            raise BadSource(f"it cannot be read as an SQLite database: {exc}.") from exc
        finally:
            connection.close()

    def _read(self) -> Iterator[SourceComment | None]:
        """Every comment, checked, thread by thread; None for one whose thread is missing."""
        thread: SourceThread | None = None
        with self._open() as connection:
            for row in connection.execute(ROWS):
                comment_id, thread_id, uri, title, *fields = row
                if thread_id is None:
                    yield None
                    continue
                if thread is None or thread.source_id != str(thread_id):
                    thread = _thread(thread_id, uri, title)
                yield _comment(comment_id, thread, fields)


def _check_tables(connection: sqlite3.Connection) -> None:
    for table, wanted in COLUMNS.items():
        found = {name for (name,) in connection.execute(TABLE_INFO, (table,))}
        if not found:
            raise BadSource(f"it has no {table} table: is it Isso's comments.db?")
        missing = [column for column in wanted if column not in found]
        if missing:
            raise BadSource(f"its {table} table lacks the columns {', '.join(missing)}.")


def _thread(thread_id: int, uri: object, title: object) -> SourceThread:
    where = f"thread {thread_id}"
    raw = visible(_text(uri, where, "uri"), URL_MAX)
    key = key_from_url(raw) if raw.lower().startswith(("http://", "https://")) else raw
    key = visible(key, KEY_MAX)
    if not key:
        raise BadSource(f"{where}: it has no uri to key it by.")
    return SourceThread(
        source_id=str(thread_id),
        key=key,
        title=visible(_text(title, where, "title"), TITLE_MAX),
    )


def _comment(comment_id: int, thread: SourceThread, fields: list[object]) -> SourceComment:
    parent, created, modified, mode, text, author, email, likes, dislikes = fields
    where = f"comment {comment_id} in thread {thread.key}"
    status = STATUSES.get(mode) if isinstance(mode, int) else None
    if status is None:
        raise BadSource(f"{where}: mode {mode!r} is not 1, 2 or 4.")
    if parent is not None and not isinstance(parent, int):
        raise BadSource(f"{where}: parent {parent!r:.40} is not a comment id.")
    body = markdown_body(_text(text, where, "text"), where)
    return SourceComment(
        source_id=str(comment_id),
        thread=thread,
        parent_id=None if parent is None else str(parent),
        author=_author(_text(author, where, "author"), _text(email, where, "email")),
        body=body,
        status=status,
        created_at=_moment(created, where, "created"),
        edited_at=None if modified is None else _moment(modified, where, "modified"),
        score=_count(likes, where, "likes") - _count(dislikes, where, "dislikes"),
    )


def _author(name: str, email: str) -> SourceAuthor | None:
    shown = visible(name, NAME_MAX)
    address = visible(email, EMAIL_MAX)
    if address:
        return SourceAuthor(key=f"email:{address.lower()}", name=shown, email=address)
    if shown:
        return SourceAuthor(key=f"name:{shown}", name=shown)
    return None


def _text(value: object, where: str, column: str) -> str:
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    raise BadSource(f"{where}: its {column} is not text.")


def _count(value: object, where: str, column: str) -> int:
    if value is None:
        return 0
    if isinstance(value, int):
        return value
    raise BadSource(f"{where}: {column} {value!r:.40} is not a whole number.")


def _moment(value: object, where: str, column: str) -> datetime:
    """A time given in Unix seconds, in UTC."""
    if value is None:
        raise BadSource(f"{where}: its {column} time is missing.")
    if not isinstance(value, int | float):
        raise BadSource(f"{where}: {column} {value!r:.40} is not a time in seconds.")
    try:
        return datetime.fromtimestamp(value, UTC)
    except (OverflowError, OSError, ValueError) as exc:
        raise BadSource(f"{where}: {column} {value!r} is not a time in seconds.") from exc
