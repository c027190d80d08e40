"""Links in posted comments, as readers see them on the thread page: only absolute
http(s) and mailto addresses become links, whether written in Markdown or bare."""

from __future__ import annotations

import re

import pytest

from tests.moderation_support import build_world, client_for

PAGE = "/threads/demo/t/a1"
PAYLOADS = [
    "data:example.com",
    "ssh://example.com",
    "xmpp:me@example.com",
    "feed:example.com",
    "urn:example.com",
    "javascript:alert(1)",
    "[x](http:evil.com)",
    "https:evil.com",
    "[y](https:/evil.com)",
    "[z](/account)",
]


@pytest.fixture
def ids(app):
    return build_world(app)


def comment_hrefs(page: str) -> list[str]:
    """The hrefs of the links inside comments (marked rel="… ugc …")."""
    return re.findall(r'<a href="([^"]*)" rel="nofollow ugc noopener noreferrer"', page)


def test_posted_payloads_render_inert_and_real_links_still_work(app, ids):
    alice = client_for(app, "alice@example.org")
    body = "\n\n".join([*PAYLOADS, "and https://example.org/page"])
    assert alice.post(PAGE, data={"body": body}).status_code == 303
    page = alice.get(PAGE).text
    assert comment_hrefs(page) == ["https://example.org/page"]
    for scheme in ("data:", "ssh:", "xmpp:", "feed:", "urn:", "javascript:", "http:evil"):
        assert f'href="{scheme}' not in page
    # The text is still there, as text.
    assert "ssh://example.com" in page
    assert "xmpp:me@example.com" in page
    assert "<p>x</p>" in page
    assert "<p>z</p>" in page
