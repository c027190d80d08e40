"""Disqus's XML export: <thread> records (the articles), then <post> records (the
comments), each post naming its thread and, for a reply, its parent by dsq:id.

A thread's key is its identifier (what the site's Disqus snippet called the article),
or, without one, its link's path; key_from="url" always takes the path.
"""

from __future__ import annotations

from collections.abc import Iterator
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
    html_body,
    key_from_url,
    parse_time,
    visible,
)

NS = {"d": "http://disqus.com", "dsq": "http://disqus.com/disqus-internals"}
THREAD = "{http://disqus.com}thread"
POST = "{http://disqus.com}post"
DSQ_ID = "{http://disqus.com/disqus-internals}id"

KeyFrom = Literal["identifier", "url"]


def _dsq_id(element: Element | None) -> str:
    return (element.get(DSQ_ID) or "").strip() if element is not None else ""


class DisqusExport:
    name = "disqus"

    def __init__(self, path: Path, key_from: KeyFrom = "identifier") -> None:
        self.path = path
        self.key_from = key_from
        # dsq:id → thread; kept from scan() for comments() (threads are few next to posts).
        self._threads: dict[str, SourceThread] = {}
        self._deleted_threads: set[str] = set()

    def scan(self) -> Scan:
        scan = Scan()
        self._threads.clear()
        posts = 0
        for element in xmlsource.records(self.path, {THREAD, POST}, level=1):
            if element.tag == THREAD:
                self._read_thread(element, len(self._threads) + 1)
                continue
            posts += 1
            comment = self._read_post(element, posts)
            if comment is None:
                scan.skip("posts of deleted or unknown threads")
            else:
                scan.comments += 1
        scan.threads = len(self._threads)
        return scan

    def items(self) -> Iterator[SourceComment]:
        for n, element in enumerate(xmlsource.records(self.path, {POST}, level=1), start=1):
            comment = self._read_post(element, n)
            if comment is not None:
                yield comment

    def _read_thread(self, element: Element, n: int) -> None:
        dsq_id = _dsq_id(element)
        where = f"thread {n:,} (dsq:id {dsq_id or 'missing'})"
        if not dsq_id:
            raise BadSource(f"{where}: it has no dsq:id attribute.")
        link = visible(xmlsource.text(element, "d:link", NS), URL_MAX)
        identifier = visible(xmlsource.text(element, "d:id", NS), KEY_MAX)
        key = identifier if self.key_from == "identifier" and identifier else key_from_url(link)
        if not key:
            raise BadSource(f"{where}: it has neither an identifier nor a link to key it by.")
        created = xmlsource.text(element, "d:createdAt", NS)
        if xmlsource.flag(element, "d:isDeleted", NS):
            self._deleted_threads.add(dsq_id)
        self._threads[dsq_id] = SourceThread(
            source_id=dsq_id,
            key=key[:KEY_MAX],
            title=visible(xmlsource.text(element, "d:title", NS), TITLE_MAX),
            url=link if link.startswith(("http://", "https://")) else "",
            created_at=parse_time(created, where) if created.strip() else None,
            locked=xmlsource.flag(element, "d:isClosed", NS),
        )

    def _read_post(self, element: Element, n: int) -> SourceComment | None:
        dsq_id = _dsq_id(element)
        where = f"post {n:,} (dsq:id {dsq_id or 'missing'})"
        if not dsq_id:
            raise BadSource(f"{where}: it has no dsq:id attribute.")
        thread_id = _dsq_id(element.find("d:thread", NS))
        thread = self._threads.get(thread_id)
        created = parse_time(xmlsource.text(element, "d:createdAt", NS), where)
        body = html_body(xmlsource.text(element, "d:message", NS), where)
        if thread is None or thread_id in self._deleted_threads:
            return None
        if xmlsource.flag(element, "d:isSpam", NS):
            status = CommentStatus.SPAM
        elif xmlsource.flag(element, "d:isDeleted", NS):
            status = CommentStatus.DELETED
        else:
            status = CommentStatus.APPROVED
        return SourceComment(
            source_id=dsq_id,
            thread=thread,
            parent_id=_dsq_id(element.find("d:parent", NS)) or None,
            author=_author(element.find("d:author", NS)),
            body=body,
            status=status,
            created_at=created,
        )


def _author(element: Element | None) -> SourceAuthor | None:
    if element is None:
        return None
    name = visible(xmlsource.text(element, "d:name", NS), NAME_MAX)
    username = visible(xmlsource.text(element, "d:username", NS), 200)
    email = visible(xmlsource.text(element, "d:email", NS), 254) or None
    if username:
        key = f"user:{username}"
    elif email:
        key = f"email:{email.lower()}"
    elif name:
        key = f"name:{name}"
    else:
        return None
    return SourceAuthor(key=key, name=(name or username)[:NAME_MAX], email=email)
