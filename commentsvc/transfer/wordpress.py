"""WordPress's export (WXR, "WordPress eXtended RSS"): <rss><channel> with an <item> per
post, page or attachment, each holding its comments as <wp:comment> records; a reply
names its parent by wp:comment_id.

A thread's key is its link's path, as a snippet given the path keys the article;
key_from="identifier" takes "post-" and the post id instead (the key the README's
WordPress snippet gives). The wp namespace carries the format's
version (http://wordpress.org/export/1.0/ to 1.2/): every version is read alike.
"""

from __future__ import annotations

import html
import re
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import Literal
from xml.etree.ElementTree import Element

from commentsvc.comments.models import CommentStatus
from commentsvc.transfer import xmlsource
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
    parse_time,
    plain_body,
    visible,
)

ITEM = "item"
WP_NAMESPACE = re.compile(r"\{(https?://wordpress\.org/export/\d+(?:\.\d+)*/)\}")
# What WordPress writes for a time it does not know (drafts, some old comments).
UNKNOWN_TIME = "0000-00-00 00:00:00"
ID_MAX = 20

STATES = {
    "1": CommentStatus.APPROVED,
    "0": CommentStatus.PENDING,
    "spam": CommentStatus.SPAM,
    "trash": CommentStatus.DELETED,
    "post-trashed": CommentStatus.DELETED,
}
COMMENT_TYPES = {"", "comment"}
LEFT_OUT_TYPES = {"pingback": "pingbacks", "trackback": "trackbacks"}
# Items whose comments are not carried over, by wp:post_type and by wp:status.
LEFT_OUT_KINDS = {"attachment": "comments on attachments"}
LEFT_OUT_STATES = {
    "trash": "comments on trashed posts",
    # Readable only by those signed in to WordPress; imported, they would be public.
    "private": "comments on private posts",
}

KeyFrom = Literal["identifier", "url"]
Namespaces = dict[str, str]


def _namespaces(item: Element) -> Namespaces | None:
    """The prefixes to read an item with; None for an item without WordPress fields."""
    for child in item:
        match = WP_NAMESPACE.match(child.tag)
        if match:
            return {"wp": match.group(1)}
    return None


class WordPressExport:
    name = "wordpress"

    def __init__(self, path: Path, key_from: KeyFrom = "url") -> None:
        self.path = path
        self.key_from = key_from

    def scan(self) -> Scan:
        scan = Scan()
        # Thread key → (post id, the item it came from): two posts must not share one.
        keys: dict[str, tuple[str, str]] = {}
        wordpress = False
        for n, element in enumerate(xmlsource.records(self.path, {ITEM}, level=2), start=1):
            ns = _namespaces(element)
            if ns is None:
                continue
            wordpress = True
            comments = self._read_item(element, n, ns, scan)
            if not comments:
                continue
            thread = comments[0].thread
            where = _item_where(n, thread.source_id)
            post_id, first = keys.setdefault(thread.key, (thread.source_id, where))
            if post_id != thread.source_id:
                raise BadSource(
                    f"{where}: its thread key {thread.key!r} is also {first}'s. Links that "
                    "differ only in their query (?p=…) need --key-from identifier."
                )
            scan.comments += len(comments)
        if not wordpress:
            raise BadSource(
                "it has no <item> with WordPress fields: is it a WordPress export (WXR)?"
            )
        scan.threads = len(keys)
        return scan

    def items(self) -> Iterator[SourceComment]:
        for n, element in enumerate(xmlsource.records(self.path, {ITEM}, level=2), start=1):
            ns = _namespaces(element)
            if ns is not None:
                yield from self._read_item(element, n, ns, Scan())

    def _read_item(
        self, element: Element, n: int, ns: Namespaces, scan: Scan
    ) -> list[SourceComment]:
        """The item's comments to import; those left out are counted in scan."""
        records = element.findall("wp:comment", ns)
        if not records:
            return []
        kind = xmlsource.text(element, "wp:post_type", ns).strip()
        state = xmlsource.text(element, "wp:status", ns).strip()
        left_out = LEFT_OUT_KINDS.get(kind) or LEFT_OUT_STATES.get(state)
        kept: list[tuple[int, Element]] = []
        for m, record in enumerate(records, start=1):
            comment_type = visible(xmlsource.text(record, "wp:comment_type", ns), 40).lower()
            if left_out:
                scan.skip(left_out)
            elif comment_type in LEFT_OUT_TYPES:
                scan.skip(LEFT_OUT_TYPES[comment_type])
            elif comment_type not in COMMENT_TYPES:
                scan.skip(f"comments of type {comment_type!r}")
            else:
                kept.append((m, record))
        if not kept:
            return []
        post_id = xmlsource.text(element, "wp:post_id", ns).strip()
        where = _item_where(n, post_id)
        thread = self._thread(element, post_id, where, ns)
        return [_comment(record, thread, m, where, ns) for m, record in kept]

    def _thread(self, element: Element, post_id: str, where: str, ns: Namespaces) -> SourceThread:
        _check_id(post_id, "wp:post_id", where)
        link = visible(xmlsource.text(element, "link", ns), URL_MAX)
        if self.key_from == "identifier":
            key = f"post-{post_id}"
        elif link:
            key = key_from_url(link)
        else:
            raise BadSource(
                f"{where}: it has no <link> to key its thread by "
                "(--key-from identifier keys threads by post id: post-ID)."
            )
        return SourceThread(
            source_id=post_id,
            key=key[:KEY_MAX],
            title=visible(html.unescape(xmlsource.text(element, "title", ns)), TITLE_MAX),
            url=link if link.startswith(("http://", "https://")) else "",
            created_at=_time(element, "post_date", where, ns),
            locked=xmlsource.text(element, "wp:comment_status", ns).strip() == "closed",
        )


def _item_where(n: int, post_id: str) -> str:
    return f"item {n:,} (post_id {visible(post_id, 40) or 'missing'})"


def _check_id(value: str, name: str, where: str) -> None:
    if not value:
        raise BadSource(f"{where}: it has no {name}.")
    if not (value.isascii() and value.isdigit() and len(value) <= ID_MAX):
        raise BadSource(f"{where}: {value[:40]!r} is not a {name} (a number).")


def _time(element: Element, name: str, where: str, ns: Namespaces) -> datetime | None:
    """wp:<name>_gmt, or the site's local wp:<name> when WordPress did not know it;
    None when neither is known."""
    for path in (f"wp:{name}_gmt", f"wp:{name}"):
        raw = xmlsource.text(element, path, ns).strip()
        if raw and raw != UNKNOWN_TIME:
            return parse_time(raw, where)
    return None


def _comment(
    record: Element, thread: SourceThread, m: int, item_where: str, ns: Namespaces
) -> SourceComment:
    comment_id = xmlsource.text(record, "wp:comment_id", ns).strip()
    where = f"{item_where}, comment {m:,} (comment_id {visible(comment_id, 40) or 'missing'})"
    _check_id(comment_id, "wp:comment_id", where)
    parent_id = xmlsource.text(record, "wp:comment_parent", ns).strip()
    if parent_id not in ("", "0"):
        _check_id(parent_id, "wp:comment_parent", where)
    created = _time(record, "comment_date", where, ns)
    if created is None:
        raise BadSource(f"{where}: it has no date.")
    state = xmlsource.text(record, "wp:comment_approved", ns).strip().lower()
    status = STATES.get(state)
    if status is None:
        raise BadSource(
            f"{where}: {state[:40]!r} is not a comment state (1, 0, spam, trash or post-trashed)."
        )
    body = plain_body(xmlsource.text(record, "wp:comment_content", ns), where)
    return SourceComment(
        source_id=comment_id,
        thread=thread,
        parent_id=None if parent_id in ("", "0") else parent_id,
        author=_author(record, ns),
        body=body,
        status=status,
        created_at=created,
    )


def _author(record: Element, ns: Namespaces) -> SourceAuthor | None:
    name = visible(xmlsource.text(record, "wp:comment_author", ns), NAME_MAX)
    email = visible(xmlsource.text(record, "wp:comment_author_email", ns), 254) or None
    if email:
        key = f"email:{email.lower()}"
    elif name:
        key = f"name:{name}"
    else:
        return None
    return SourceAuthor(key=key, name=name, email=email)
