"""A held comment as moderators read it: the words of the site's lists and the links
that the hold rules counted, marked in the stored (already cleaned) HTML.

Only text between tags is ever changed: each tag of the cleaned HTML is written back
as it was, every piece of text is escaped again, and a <mark> only ever wraps text
inside one text node, so the result nests as the original did.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from html import escape
from html.parser import HTMLParser

from markupsafe import Markup

from commentsvc.moderation import rules

# Tags that run text together (no space between "free" and "<strong>money</strong>");
# every other tag separates words, as a line break does in the comment's source.
_INLINE = frozenset({"strong", "em", "a", "code"})
# As rules.count_links counts an address the linkifier left as text.
_BARE_URL = re.compile(r"(?i)\b(?:https?://|www\.)\S+")

WORD, LINK = 1, 2


@dataclass
class _Text:
    text: str
    start: int  # where it begins in the text of the whole comment
    in_link: bool


class _Splitter(HTMLParser):
    """The cleaned HTML as a list of tags (kept as written) and text nodes."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str | _Text] = []
        self.text = ""
        self.links = 0

    def _separate(self, tag: str) -> None:
        if tag not in _INLINE:
            self.text += " "

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self._separate(tag)
        if tag == "a":
            self.links += 1
        self.parts.append(self.get_starttag_text() or "")

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self._separate(tag)
        self.parts.append(self.get_starttag_text() or "")

    def handle_endtag(self, tag: str) -> None:
        self._separate(tag)
        if tag == "a" and self.links:
            self.links -= 1
        self.parts.append(f"</{tag}>")

    def handle_data(self, data: str) -> None:
        self.parts.append(_Text(data, len(self.text), self.links > 0))
        self.text += data


def _write(node: _Text, flags: list[int]) -> str:
    """The text node escaped, runs of flagged characters in <mark>."""
    out: list[str] = []
    position = 0
    while position < len(flags):
        kind = flags[position]
        end = position
        while end < len(flags) and flags[end] == kind:
            end += 1
        run = node.text[position:end]
        core = run.strip()
        if kind and core:
            # Spaces at the edges stay outside: a phrase over two paragraphs marks
            # its words, not the line break between them.
            lead = run[: len(run) - len(run.lstrip())]
            trail = run[len(run.rstrip()) :]
            css = "link" if kind & LINK else "hit"
            out.append(f'{escape(lead)}<mark class="{css}">{escape(core)}</mark>{escape(trail)}')
        else:
            out.append(escape(run))
        position = end
    return "".join(out)


def highlight(html: str, words: list[str], links: bool) -> Markup:
    """The comment's cleaned HTML with the matches of words (and, when links, its
    links and bare addresses) in <mark>; the HTML unchanged when nothing matches."""
    splitter = _Splitter()
    splitter.feed(html)
    splitter.close()
    hits = rules.matching_spans(words, splitter.text) if words else []
    if not hits and not links:
        return Markup(html)  # noqa: S704 - stored HTML, cleaned when written
    out: list[str] = []
    for part in splitter.parts:
        if isinstance(part, str):
            out.append(part)
            continue
        flags = [0] * len(part.text)
        end_of_node = part.start + len(part.text)
        for first, last in hits:
            for i in range(max(first, part.start), min(last, end_of_node)):
                flags[i - part.start] |= WORD
        if links:
            if part.in_link:
                flags = [f | LINK for f in flags]
            else:
                for match in _BARE_URL.finditer(part.text):
                    for i in range(match.start(), match.end()):
                        flags[i] |= LINK
        out.append(_write(part, flags))
    return Markup("".join(out))  # noqa: S704 - tags as cleaned, all text escaped
