"""The only module that turns reader text into HTML: Markdown, then bleach.

Comments are rendered once, when written; the cleaned HTML is stored next to
the source and templates mark only that stored HTML as safe.
"""

from __future__ import annotations

import re
from functools import cache, partial
from html.parser import HTMLParser
from urllib.parse import urlsplit

import bleach
from bleach.linkifier import LinkifyFilter
from markdown_it import MarkdownIt

ALLOWED_TAGS = frozenset(
    {"p", "br", "strong", "em", "a", "blockquote", "code", "pre", "ul", "ol", "li"}
)
ALLOWED_ATTRIBUTES = {"a": ["href", "rel", "target"]}
# The one list of link schemes, for Markdown links and for addresses the linkifier finds.
ALLOWED_PROTOCOLS = frozenset({"http", "https", "mailto"})
LINK_REL = "nofollow ugc noopener noreferrer"
# A comment is read inside a site's frame: its links open a new top-level page rather
# than replace the comments (most sites refuse to be framed anyway).
LINK_TARGET = "_blank"

Attrs = dict[tuple[str | None, str], str]


def is_absolute_link(href: str) -> bool:
    """An address with an allowed scheme that leads off this service on its own:
    "http(s)://host/…" or "mailto:someone". A relative one ("/account", "#top",
    "//host") or one with a scheme but no "//host" ("http:evil.com", "https:/x") would
    be resolved against this service's address, inside the news site's frame."""
    if "\\" in href or any(c.isspace() or not c.isprintable() for c in href):
        return False
    try:
        parts = urlsplit(href)
        host = parts.hostname
    except ValueError:
        return False
    scheme = parts.scheme.lower()
    if scheme not in ALLOWED_PROTOCOLS:
        return False
    if scheme == "mailto":
        return bool(parts.path)
    return href[len(scheme) + 1 :].startswith("//") and bool(host)


def _allowed_link_attribute(tag: str, name: str, value: str) -> bool:
    if name == "href":
        return is_absolute_link(value)
    return name in ALLOWED_ATTRIBUTES["a"]


def _only_absolute_links(attrs: Attrs, new: bool = False) -> Attrs | None:
    # None leaves the text as text: an address the linkifier found ("ssh:host",
    # "data:…", "http:evil.com"), or a Markdown link whose href the cleaner dropped.
    href = attrs.get((None, "href"))
    return attrs if href is not None and is_absolute_link(href) else None


def _set_rel(attrs: Attrs, new: bool = False) -> Attrs:
    attrs[(None, "rel")] = LINK_REL
    attrs[(None, "target")] = LINK_TARGET
    return attrs


@cache
def _markdown() -> MarkdownIt:
    # "commonmark" with raw HTML off: <script> in a comment stays text.
    md = MarkdownIt("commonmark", {"html": False, "linkify": False, "typographer": False})
    # Images and headings are not part of a comment; they render as text.
    md.disable(["image", "heading", "lheading", "table", "hr"], ignoreInvalid=True)
    return md


@cache
def _cleaner() -> bleach.Cleaner:
    return bleach.Cleaner(
        tags=ALLOWED_TAGS,
        attributes={"a": _allowed_link_attribute},
        protocols=ALLOWED_PROTOCOLS,
        strip=True,
        filters=[
            partial(
                LinkifyFilter, callbacks=[_only_absolute_links, _set_rel], skip_tags={"pre", "code"}
            )
        ],
    )


def render_comment(source: str) -> str:
    """Markdown source to safe HTML with only the allowed tags and link schemes."""
    return str(_cleaner().clean(_markdown().render(source))).strip()


# --- policy documents -------------------------------------------------------------------
# Written by admins, shown on the service's own pages: headings, rules and tables are
# allowed, and links may be relative (to other pages of the service).

DOCUMENT_TAGS = ALLOWED_TAGS | frozenset(
    {"h2", "h3", "h4", "h5", "h6", "hr", "table", "thead", "tbody", "tr", "th", "td"}
)
DOCUMENT_LINK_REL = "noopener noreferrer"


def _allowed_document_link(tag: str, name: str, value: str) -> bool:
    if name == "href":
        try:
            parts = urlsplit(value)
        except ValueError:
            return False
        if parts.scheme:
            return parts.scheme.lower() in ALLOWED_PROTOCOLS
        # Relative paths and fragments, but not scheme-relative "//host" links.
        return not value.startswith("//") and "\\" not in value
    return name in ("title", "rel")


def _only_absolute_autolinks(attrs: Attrs, new: bool = False) -> Attrs | None:
    # The document's own links may be relative; addresses found in its text may not.
    return _only_absolute_links(attrs) if new else attrs


def _set_document_rel(attrs: Attrs, new: bool = False) -> Attrs:
    attrs[(None, "rel")] = DOCUMENT_LINK_REL
    return attrs


@cache
def _document_markdown() -> MarkdownIt:
    md = MarkdownIt("commonmark", {"html": False, "linkify": False, "typographer": False})
    md.enable("table")
    md.disable(["image"], ignoreInvalid=True)
    return md


@cache
def _document_cleaner() -> bleach.Cleaner:
    return bleach.Cleaner(
        tags=DOCUMENT_TAGS,
        attributes={"a": _allowed_document_link},
        protocols=ALLOWED_PROTOCOLS,
        strip=True,
        filters=[
            partial(
                LinkifyFilter,
                callbacks=[_only_absolute_autolinks, _set_document_rel],
                skip_tags={"pre", "code"},
            )
        ],
    )


def render_document(source: str) -> str:
    """A policy document's Markdown to safe HTML.

    Headings move one level down (# becomes <h2>): the page's own <h1> is the
    document's title.
    """
    md = _document_markdown()
    tokens = md.parse(source)
    for token in tokens:
        if token.type in ("heading_open", "heading_close"):
            token.tag = f"h{min(int(token.tag[1]) + 1, 6)}"
    html = md.renderer.render(tokens, md.options, {})
    return str(_document_cleaner().clean(html)).strip()


# --- imported comments ------------------------------------------------------------------
# Comments moved in from another system (commentsvc.transfer) arrive as HTML. They pass
# through the same cleaner as new comments: their markup is never trusted.

_BLANK_LINES = re.compile(r"\n{3,}")


# Older systems mark emphasis with <b> and <i>: kept as the <strong> and <em> a comment has.
_OLD_EMPHASIS = re.compile(r"<(/?)(b|i)(?=[\s/>])", re.IGNORECASE)
_EMPHASIS_NAMES = {"b": "strong", "i": "em"}


def clean_imported_html(source_html: str) -> str:
    """Another system's comment HTML, cleaned as a new comment's Markdown output is."""
    renamed = _OLD_EMPHASIS.sub(
        lambda m: f"<{m.group(1)}{_EMPHASIS_NAMES[m.group(2).lower()]}", source_html
    )
    return str(_cleaner().clean(renamed)).strip()


class _Text(HTMLParser):
    """The text of HTML, with a line break for <br> and a blank line after blocks."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "br":
            self.parts.append("\n")

    def handle_endtag(self, tag: str) -> None:
        if tag in _BLOCKS:
            self.parts.append("\n\n")

    def handle_data(self, data: str) -> None:
        self.parts.append(data)


_BLOCKS = frozenset({"p", "blockquote", "pre", "li"})


def html_to_text(cleaned_html: str) -> str:
    """The text of cleaned comment HTML, with its paragraphs and line breaks: what an
    imported comment is searched by and edited from."""
    parser = _Text()
    parser.feed(cleaned_html)
    parser.close()
    return _BLANK_LINES.sub("\n\n", "".join(parser.parts)).strip()
