"""Reading the service's own export (commentsvc.transfer.export) back in.

Every line is checked before anything is written: its type, its fields and their
types, that a comment's thread and author were given earlier in the file. Bodies are
cleaned again by the one sanitiser: a file is never trusted, whoever made it.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import IO, Any

from commentsvc.comments import looks, sites
from commentsvc.comments.models import CommentStatus, ModerationPolicy, Site, TitleSource
from commentsvc.core.errors import Invalid
from commentsvc.core.extensions import db
from commentsvc.core.input import DB_INT_MAX
from commentsvc.transfer.export import FORMAT, JSON_SOURCE, SITE_SETTINGS, VERSION
from commentsvc.transfer.records import (
    BODY_MAX,
    KEY_MAX,
    NAME_MAX,
    TITLE_MAX,
    URL_MAX,
    BadSource,
    Scan,
    SourceAuthor,
    SourceComment,
    SourceThread,
    html_body,
    parse_time,
)

# A line longer than this is not one the service writes.
LINE_MAX = 4 * BODY_MAX
ID_MAX = 200
STATUSES = {s.value for s in CommentStatus}
TITLE_SOURCES = {s.value for s in TitleSource}


def _lines(stream: IO[bytes]) -> Iterator[tuple[int, dict[str, Any]]]:
    n = 0
    while True:
        raw = stream.readline(LINE_MAX + 1)
        if not raw:
            return
        n += 1
        if len(raw) > LINE_MAX:
            raise BadSource(f"line {n:,}: longer than {LINE_MAX:,} bytes.")
        if not raw.strip():
            continue
        try:
            record = json.loads(raw)
        except (ValueError, RecursionError) as exc:
            raise BadSource(f"line {n:,}: not JSON ({exc}).") from exc
        if not isinstance(record, dict):
            raise BadSource(f"line {n:,}: not a JSON object.")
        yield n, record


class _Line:
    """Typed access to one record's fields, with errors that name the line and field."""

    def __init__(self, n: int, record: dict[str, Any]) -> None:
        self.n = n
        self.record = record

    def fail(self, message: str) -> BadSource:
        kind = self.record.get("type")
        what = f" ({kind})" if isinstance(kind, str) and len(kind) < 20 else ""
        return BadSource(f"line {self.n:,}{what}: {message}")

    def get(self, name: str, kind: type | tuple[type, ...], optional: bool = False) -> Any:
        if name not in self.record:
            if optional:
                return None
            raise self.fail(f"{name!r} is missing.")
        value = self.record[name]
        if value is None and optional:
            return None
        # bool is an int in Python; a count or flag must be the JSON type it says.
        if not isinstance(value, kind) or (isinstance(value, bool) and bool not in _tuple(kind)):
            raise self.fail(f"{name!r} has the wrong type.")
        return value

    def text(self, name: str, limit: int, optional: bool = False) -> str:
        value = self.get(name, str, optional)
        if value is None:
            return ""
        if len(value) > limit:
            raise self.fail(f"{name!r} is longer than {limit:,} characters.")
        return str(value)

    def ident(self, name: str, optional: bool = False) -> str | None:
        value = self.get(name, str, optional)
        if value is not None and not 1 <= len(value) <= ID_MAX:
            raise self.fail(f"{name!r} is not an id of 1 to {ID_MAX} characters.")
        return value  # type: ignore[no-any-return]

    def time(self, name: str, optional: bool = False) -> Any:
        value = self.get(name, str, optional)
        return None if value is None else parse_time(value, f"line {self.n:,}, {name!r}")

    def score(self) -> int:
        value = int(self.get("score", int))
        if abs(value) > DB_INT_MAX:
            raise self.fail("'score' is out of range.")
        return value


def _tuple(kind: type | tuple[type, ...]) -> tuple[type, ...]:
    return kind if isinstance(kind, tuple) else (kind,)


class ServiceExport:
    name = JSON_SOURCE

    def __init__(self, path: Path) -> None:
        self.path = path
        self.site: dict[str, Any] = {}

    def scan(self) -> Scan:
        scan = Scan()
        for item in self._read():
            if isinstance(item, SourceThread):
                scan.threads += 1
            else:
                scan.comments += 1
        return scan

    def items(self) -> Iterator[SourceThread | SourceComment]:
        """Threads as they come (with or without comments), and comments."""
        return self._read()

    def _read(self) -> Iterator[SourceThread | SourceComment]:
        threads: dict[str, SourceThread] = {}
        authors: dict[str, SourceAuthor] = {}
        try:
            with self.path.open("rb") as stream:
                lines = _lines(stream)
                first = next(lines, None)
                if first is None:
                    raise BadSource("the file is empty.")
                self.site = self._header(_Line(*first))
                for n, record in lines:
                    line = _Line(n, record)
                    kind = line.get("type", str)
                    if kind == "thread":
                        thread = self._thread(line)
                        if thread.source_id in threads:
                            raise line.fail(f"the thread {thread.source_id!r} came before.")
                        threads[thread.source_id] = thread
                        yield thread
                    elif kind == "author":
                        author = self._author(line)
                        authors[author.key] = author
                    elif kind == "comment":
                        yield self._comment(line, threads, authors)
                    else:
                        raise line.fail(f"{kind[:20]!r} is not a type of record.")
        except OSError as exc:
            raise BadSource(f"the file cannot be read ({exc.strerror or exc}).") from exc

    def _header(self, line: _Line) -> dict[str, Any]:
        if line.record.get("type") != "export" or line.record.get("format") != FORMAT:
            raise line.fail("not an export of this service (its first line says what it is).")
        version = line.get("version", int)
        if version != VERSION:
            raise line.fail(f"format version {version} is not one this version reads ({VERSION}).")
        site = line.get("site", dict)
        check = _Line(line.n, site)
        settings: dict[str, Any] = {
            "slug": check.text("slug", 60),
            "name": check.text("name", 200),
            "origins": check.get("origins", list),
            "created_at": check.time("created_at", optional=True),
        }
        for name in SITE_SETTINGS:
            if name in site and name not in settings:
                settings[name] = site[name]
        policy = settings.get("moderation_policy")
        if policy is not None and policy not in {p.value for p in ModerationPolicy}:
            raise line.fail(f"{policy!r} is not a moderation policy.")
        return settings

    def _thread(self, line: _Line) -> SourceThread:
        title_source = line.text("title_source", 10)
        if title_source not in TITLE_SOURCES:
            raise line.fail(f"{title_source!r} is not who sets a title.")
        key = line.text("key", KEY_MAX)
        if not key:
            raise line.fail("'key' is empty.")
        return SourceThread(
            source_id=str(line.ident("id")),
            key=key,
            title=line.text("title", TITLE_MAX),
            url=line.text("url", URL_MAX),
            created_at=line.time("created_at", optional=True),
            locked=bool(line.get("locked", bool)),
            title_source=title_source,
        )

    def _author(self, line: _Line) -> SourceAuthor:
        return SourceAuthor(
            key=str(line.ident("id")),
            name=line.text("name", NAME_MAX),
            email=line.text("email", 254, optional=True) or None,
        )

    def _comment(
        self, line: _Line, threads: dict[str, SourceThread], authors: dict[str, SourceAuthor]
    ) -> SourceComment:
        thread_id = str(line.ident("thread"))
        thread = threads.get(thread_id)
        if thread is None:
            raise line.fail(f"its thread {thread_id!r} was not given before it.")
        author_id = line.ident("author", optional=True)
        author = authors.get(author_id) if author_id is not None else None
        if author_id is not None and author is None:
            raise line.fail(f"its author {author_id!r} was not given before it.")
        status = line.text("status", 10)
        if status not in STATUSES:
            raise line.fail(f"{status!r} is not a comment status.")
        body = html_body(
            line.text("body_html", BODY_MAX),
            f"line {line.n:,}",
            source=line.text("body_source", BODY_MAX),
        )
        return SourceComment(
            source_id=str(line.ident("id")),
            thread=thread,
            parent_id=line.ident("parent", optional=True),
            author=author,
            body=body,
            status=CommentStatus(status),
            created_at=line.time("created_at"),
            score=line.score(),
            pinned=bool(line.get("pinned", bool)),
            edited_at=line.time("edited_at", optional=True),
        )


SETTING_MAX = 100_000
WORDS_MAX = 1000


# What a site gets for a setting the export does not give (as a new site would).
DEFAULTS = {
    "hold_first_n": 1,
    "max_links": 2,
    "report_threshold": 3,
    "trust_after": 3,
    "edit_window_seconds": 15 * 60,
}


def _count(settings: dict[str, Any], name: str, optional: bool = False) -> int | None:
    value = settings.get(name, DEFAULTS.get(name))
    if value is None and optional:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= SETTING_MAX:
        raise BadSource(f"line 1: the site's {name!r} is not a whole number from 0 to 100,000.")
    return value


def _words(settings: dict[str, Any], name: str) -> list[str]:
    value = settings.get(name, [])
    if (
        not isinstance(value, list)
        or len(value) > WORDS_MAX
        or not all(isinstance(w, str) and 0 < len(w) <= 100 for w in value)
    ):
        raise BadSource(f"line 1: the site's {name!r} is not a list of words.")
    return list(value)


def create_site(settings: dict[str, Any]) -> Site:
    """Register the site an export describes, with its settings. A site that required
    signed snippets does not here until it has a new signing secret (secrets are not
    exported).

    :raises BadSource: a setting is not what the format says.
    :raises Invalid: the slug, name or origins are refused (as on the admin pages).
    """
    origins = settings["origins"]
    if not all(isinstance(o, str) for o in origins):
        raise BadSource("line 1: the site's 'origins' is not a list of origins.")
    counts = {n: _count(settings, n) for n in ("hold_first_n", "max_links", "report_threshold")}
    trust_after = _count(settings, "trust_after")
    close_after = _count(settings, "close_after_days", optional=True)
    window = _count(settings, "edit_window_seconds")
    words = {n: _words(settings, n) for n in ("suspicious_words", "banned_words")}
    for name in ("accent_color", "font_stack"):
        if not isinstance(settings.get(name), str | None):
            raise BadSource(f"line 1: the site's {name!r} has the wrong type.")
    try:
        accent = looks.parse_accent(settings.get("accent_color"))
        font = looks.parse_font(settings.get("font_stack"))
    except Invalid as exc:
        raise BadSource(f"line 1: the site's look: {exc}") from exc
    site = sites.create_site(
        settings["slug"],
        settings["name"],
        list(origins),
        settings.get("moderation_policy") or ModerationPolicy.HOLD_NONE,
        window or 0,
    )
    for name, value in counts.items():
        setattr(site, name, value)
    site.trust_after = trust_after or 0
    site.close_after_days = close_after
    site.suspicious_words = words["suspicious_words"]
    site.banned_words = words["banned_words"]
    site.accent_color = accent
    site.font_stack = font
    if settings.get("created_at") is not None:
        site.created_at = settings["created_at"]
    db.session.commit()
    return site
