"""What every importer reads its source into, whatever the source: threads, comments and
their authors, with bodies already cleaned by the one sanitiser."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Protocol
from urllib.parse import unquote, urlsplit

from commentsvc.comments.models import CommentStatus, TitleSource
from commentsvc.core import sanitize

# Longest text accepted from one element of a source file: larger means a broken or
# hostile file, and cleaning it would cost more than the import is worth.
BODY_MAX = 200_000
NAME_MAX = 100
KEY_MAX = 200
TITLE_MAX = 300
URL_MAX = 2000


class BadSource(Exception):
    """The file cannot be imported; the message names the element or line at fault."""


@dataclass(frozen=True, slots=True)
class SourceAuthor:
    # Who the author is within the source: a user name, an address, or only a name.
    key: str
    name: str
    email: str | None = None


@dataclass(slots=True)
class SourceThread:
    source_id: str
    key: str
    title: str = ""
    url: str = ""
    created_at: datetime | None = None
    locked: bool = False
    # Who set the title (comments.models.TitleSource): a snippet's, until a view says more.
    title_source: str = TitleSource.SNIPPET


@dataclass(slots=True)
class SourceComment:
    source_id: str
    thread: SourceThread
    parent_id: str | None
    author: SourceAuthor | None
    body: Body
    status: CommentStatus
    created_at: datetime
    score: int = 0
    pinned: bool = False
    edited_at: datetime | None = None


@dataclass(frozen=True, slots=True)
class Body:
    """A comment's text as the source has it, made into (HTML, source) only when the
    comment is written: a comment already imported, a dry run and the checking read
    never pay for cleaning it."""

    raw: str
    # "html": another system's HTML; "plain": text with light HTML (WordPress);
    # "markdown": written as new comments are (Isso).
    kind: str
    # The source text to keep, when the file gives one besides the HTML (an export).
    source: str | None = None

    def render(self) -> tuple[str, str]:
        if self.kind == "markdown":
            return sanitize.render_comment(self.raw), self.raw
        html = self.raw if self.kind == "html" else _paragraphs(self.raw)
        cleaned = sanitize.clean_imported_html(html)
        return cleaned, self.source if self.source is not None else sanitize.html_to_text(cleaned)


def _checked(raw: str, where: str) -> str:
    if len(raw) > BODY_MAX:
        raise BadSource(f"{where}: the text is longer than {BODY_MAX:,} characters.")
    return raw


def html_body(raw: str, where: str, source: str | None = None) -> Body:
    """Another system's comment HTML (cleaned when written)."""
    return Body(_checked(raw, where), "html", source)


def markdown_body(raw: str, where: str) -> Body:
    """A comment written in Markdown, rendered when written as new comments are."""
    return Body(_checked(raw, where), "markdown")


def plain_body(raw: str, where: str) -> Body:
    """A comment kept as plain text with light HTML (WordPress): blank lines make
    paragraphs and single line breaks stay, as WordPress shows them."""
    return Body(_checked(raw, where), "plain")


_PARAGRAPH_TAG = re.compile(r"<p[\s>]", re.IGNORECASE)


def _paragraphs(raw: str) -> str:
    text = raw.replace("\r\n", "\n").strip()
    if _PARAGRAPH_TAG.search(text):
        return text
    paragraphs = [p.strip() for p in text.split("\n\n") if p.strip()]
    return "".join(f"<p>{p.replace(chr(10), '<br>')}</p>" for p in paragraphs)


def key_from_url(url: str) -> str:
    """The thread key a site's snippet gives an article by default: its URL's path."""
    try:
        path = unquote(urlsplit(url.strip()).path)
    except ValueError:
        return ""
    return path or "/"


def visible(text: str | None, limit: int) -> str:
    """text without control characters, cut to limit characters."""
    cleaned = "".join(c for c in (text or "").strip() if c.isprintable() or c == " ")
    return cleaned[:limit]


def parse_time(raw: str | None, where: str) -> datetime:
    """An ISO 8601 time ("2013-01-01T10:00:00Z", "2013-01-01 10:00:00") in UTC; one
    without a zone is taken as UTC."""
    text = (raw or "").strip()
    try:
        moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError as exc:
        raise BadSource(f"{where}: {text[:40]!r} is not a date and time.") from exc
    if moment.tzinfo is None:
        return moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC)


@dataclass
class Scan:
    """What a first, checking read of a source found: nothing is written before it."""

    threads: int = 0
    comments: int = 0
    # Records left out on purpose, by why (e.g. "pingbacks").
    skipped: dict[str, int] = field(default_factory=dict)

    def skip(self, why: str) -> None:
        self.skipped[why] = self.skipped.get(why, 0) + 1


class Source(Protocol):
    """An export of another system, read twice: scan() checks the whole file (and raises
    BadSource on the first fault); items() then yields what scan() counted: comments
    (which bring their threads), and threads of their own where the source lists them."""

    name: str

    def scan(self) -> Scan: ...

    def items(self) -> Iterator[SourceThread | SourceComment]: ...
