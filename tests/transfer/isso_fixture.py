"""Isso-shaped SQLite files for the import tests: Isso's tables, filled row by row, and a
sample database of two articles as a news site running Isso would have it."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path

SCHEMA = """
CREATE TABLE threads (id INTEGER PRIMARY KEY, uri VARCHAR(256) UNIQUE, title VARCHAR(256));
CREATE TABLE comments (
    tid REFERENCES threads(id),
    id INTEGER PRIMARY KEY,
    parent INTEGER,
    created FLOAT NOT NULL,
    modified FLOAT,
    mode INTEGER,
    remote_addr VARCHAR,
    text VARCHAR,
    author VARCHAR,
    email VARCHAR,
    website VARCHAR,
    likes INTEGER DEFAULT 0,
    dislikes INTEGER DEFAULT 0,
    voters BLOB NOT NULL,
    notification INTEGER NOT NULL DEFAULT 0
);
CREATE TABLE preferences (key VARCHAR PRIMARY KEY, value VARCHAR);
"""

BUDGET = "/2021/03/budget/"
METRO = "/2019/05/bakı-metro/"


def at(moment: str) -> float:
    """Unix seconds of a UTC time written "2021-03-01 09:15"."""
    return datetime.fromisoformat(moment).replace(tzinfo=UTC).timestamp()


class IssoFile:
    """An open Isso database being filled."""

    def __init__(self, connection: sqlite3.Connection) -> None:
        self.connection = connection

    def thread(self, uri: str | None, title: str | None = None) -> int:
        cursor = self.connection.execute(
            "INSERT INTO threads (uri, title) VALUES (?, ?)", (uri, title)
        )
        assert cursor.lastrowid is not None
        return cursor.lastrowid

    def comment(
        self,
        thread: int,
        text: str,
        *,
        author: str | None = None,
        email: str | None = None,
        parent: int | None = None,
        created: str = "2021-03-01 10:00",
        modified: float | None = None,
        mode: int = 1,
        likes: int = 0,
        dislikes: int = 0,
        website: str | None = None,
    ) -> int:
        cursor = self.connection.execute(
            "INSERT INTO comments (tid, parent, created, modified, mode, remote_addr, text,"
            " author, email, website, likes, dislikes, voters)"
            " VALUES (?, ?, ?, ?, ?, '192.0.2.0', ?, ?, ?, ?, ?, ?, ?)",
            (
                thread,
                parent,
                at(created),
                modified,
                mode,
                text,
                author,
                email,
                website,
                likes,
                dislikes,
                bytes(256),
            ),
        )
        assert cursor.lastrowid is not None
        return cursor.lastrowid


@contextmanager
def isso_file(path: Path) -> Iterator[IssoFile]:
    """A new Isso database at path, saved when the block ends."""
    connection = sqlite3.connect(path)
    try:
        connection.executescript(SCHEMA)
        connection.execute("INSERT INTO preferences VALUES ('session-key', 'c0ffee')")
        yield IssoFile(connection)
        connection.commit()
    finally:
        connection.close()


def sample(path: Path) -> Path:
    """Two articles: a budget story with a reply tree, a deleted comment with a reply
    under it, one comment waiting for moderation and one hostile one; a metro story in
    Russian with a reply whose parent was removed from the database."""
    with isso_file(path) as isso:
        budget = isso.thread(BUDGET, "The budget, line by line")
        metro = isso.thread(METRO, "Bakı metro: a new line & a new map")
        first = isso.comment(
            budget,
            "First! The **tax** table is on [page 4](https://gov.example/budget.pdf).",
            author="Aysel Məmmədova",
            email="aysel.m@mail.example",
            created="2021-03-01 09:15",
            likes=5,
            dislikes=1,
        )
        reply = isso.comment(
            budget,
            "Page 4 is wrong <script>alert(1)</script> <img src=x onerror=alert(2)> "
            "[x](javascript:alert(1))",
            author="Guest reader",
            parent=first,
            created="2021-03-01 10:30",
            modified=at("2021-03-01 10:45"),
        )
        isso.comment(
            budget,
            "Replying to the reply: agreed.",
            author="Rəşad Əliyev",
            email="Rashad@Mail.Example",
            parent=reply,
            created="2021-03-01 11:00",
        )
        # Deleted in Isso: text and name gone, kept because of the reply below it.
        deleted = isso.comment(
            budget,
            "",
            email="gone@mail.example",
            mode=4,
            created="2021-03-01 12:00",
        )
        isso.comment(
            budget,
            "Still here, under a deleted comment.",
            author="Leyla",
            parent=deleted,
            created="2021-03-01 12:30",
        )
        isso.comment(
            budget,
            "Waiting for a moderator to read this.",
            author="Newcomer",
            email="new@mail.example",
            mode=2,
            created="2021-03-02 08:00",
        )
        isso.comment(budget, "Nobody signed this one.", created="2021-03-02 09:00")
        ivan = isso.comment(
            metro,
            "Новая линия откроется в мае. Bakı metrosu genişlənir.",
            author="Иван Петров",
            email="ivan@mail.example",
            created="2019-05-10 07:00",
            dislikes=3,
        )
        isso.comment(
            metro,
            "Ответ на удалённый комментарий.",
            author="Orphan",
            parent=9999,
            created="2019-05-10 08:00",
        )
        isso.comment(
            metro,
            "Çox sağ olun, İvan!",
            author="Aysel Məmmədova",
            email="AYSEL.M@mail.example",
            parent=ivan,
            created="2019-05-10 09:00",
            likes=2,
        )
    return path
