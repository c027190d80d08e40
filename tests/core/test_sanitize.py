"""Comment text to HTML: Markdown through the allowlist, links that cannot run script."""

from __future__ import annotations

import re

import pytest

from commentsvc.core.sanitize import render_comment, render_document

REL = 'rel="nofollow ugc noopener noreferrer"'


def tags_in(html: str) -> set[str]:
    return {name.lower() for name in re.findall(r"<\s*([a-zA-Z][a-zA-Z0-9]*)", html)}


def hrefs_in(html: str) -> list[str]:
    return re.findall(r'href="([^"]*)"', html)


def test_markdown_renders_only_the_allowed_tags():
    source = (
        "Hello **bold** and *em*  \nnext line\n\n"
        "> a quote\n\n- one\n- two\n\n1. first\n\n"
        "`code` and [a link](https://example.org/)\n\n```\nblock\n```"
    )
    html = render_comment(source)
    assert tags_in(html) == {
        "p",
        "br",
        "strong",
        "em",
        "blockquote",
        "ul",
        "ol",
        "li",
        "code",
        "pre",
        "a",
    }
    assert "<strong>bold</strong>" in html
    assert "<blockquote>" in html


@pytest.mark.parametrize(
    ("source", "href"),
    [
        ("[site](https://example.org/page)", "https://example.org/page"),
        ("[site](http://example.org/page)", "http://example.org/page"),
        ("see https://example.org/page today", "https://example.org/page"),
        ("<https://example.org/page>", "https://example.org/page"),
    ],
)
def test_web_links_get_rel_nofollow_ugc_noopener_noreferrer(source, href):
    html = render_comment(source)
    assert hrefs_in(html) == [href]
    assert REL in html
    # Inside a site's frame: a new top-level tab, never the comments frame itself.
    assert html.count('target="_blank"') == 1


def test_mailto_links_are_kept():
    html = render_comment("[write](mailto:editor@example.org)")
    assert hrefs_in(html) == ["mailto:editor@example.org"]
    assert REL in html


def test_raw_html_is_shown_as_text():
    html = render_comment('<script>alert(1)</script> <b>bold</b> <a href="https://x.example">x</a>')
    assert "<script" not in html
    assert "<b>" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "&lt;b&gt;bold&lt;/b&gt;" in html
    assert hrefs_in(html) == []


@pytest.mark.parametrize(
    "source",
    [
        "[x](javascript:alert(1))",
        "[x](JaVaScRiPt:alert(1))",
        "[x](  javascript:alert(1))",
        "[x](data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==)",
        "[x](vbscript:msgbox(1))",
        "[x](jav&#x61;script:alert(1))",
        "[x](&#106;avascript:alert(1))",
        "[x](java\tscript:alert(1))",
        "[x](<java script:alert(1)>)",
        "[x](java%0Ascript:alert(1))",
        "<javascript:alert(1)>",
        '<a href="javascript:alert(1)">x</a>',
        "javascript:alert(1)",
        "[x](ftp://example.org/file)",
    ],
)
def test_script_and_other_schemes_never_become_links(source):
    assert hrefs_in(render_comment(source)) == []


@pytest.mark.parametrize("source", ["[x](/account)", "[x](#top)", "[x](//evil.example/)"])
def test_relative_links_are_not_links(source):
    # They would lead into this service, inside the news site's frame.
    assert hrefs_in(render_comment(source)) == []


def test_images_are_not_rendered():
    html = render_comment("![a cat](https://example.org/cat.png) <img src=x onerror=alert(1)>")
    assert "<img" not in html
    assert "onerror=alert(1)&gt;" in html


def test_headings_tables_and_rules_stay_text():
    html = render_comment("# Big news\n\nTitle\n===\n\n---\n\n| a | b |\n|---|---|\n| 1 | 2 |")
    assert tags_in(html) == {"p"}
    assert "# Big news" in html


def test_attributes_other_than_href_and_rel_are_dropped():
    html = render_comment('[x](https://example.org/ "a title")')
    assert "title=" not in html
    assert hrefs_in(html) == ["https://example.org/"]


@pytest.mark.parametrize(
    "source",
    [
        "data:example.com",
        "see data:text.html",
        "ssh://example.com",
        "ssh:example.com",
        "xmpp:me@example.com",
        "feed:example.com",
        "urn:example.com",
        "ftp://example.com",
        "irc://example.com",
        "telnet:example.com",
        "sftp:example.org/x",
        "javascript:alert(1)",
    ],
)
def test_bare_addresses_with_other_schemes_stay_text(source):
    html = render_comment(source)
    assert hrefs_in(html) == []
    assert "<a" not in html


@pytest.mark.parametrize(
    "source",
    [
        "[x](http:evil.com)",
        "[x](https:evil.com/account)",
        "[x](HTTP:evil.com)",
        "[x](http:/evil.com)",
        "[x](https:///evil.com)",
        "[x](http:\\\\evil.com)",
        "http:example.com",
        "https:/example.com",
        "<http:evil.com>",
        "[x](/account)",
        "[x](evil.com)",
    ],
)
def test_links_without_a_host_resolve_nowhere(source):
    # "http:evil.com" is relative to a page on http(s): it would open this service's
    # /evil.com inside the news site's frame. Such links stay text, not empty anchors.
    html = render_comment(source)
    assert hrefs_in(html) == []
    assert "<a" not in html


@pytest.mark.parametrize(
    ("source", "href"),
    [
        ("see example.com today", "http://example.com"),
        ("www.example.com", "http://www.example.com"),
        ("mailto:editor@example.org", "mailto:editor@example.org"),
        ("HTTPS://EXAMPLE.COM/x", "HTTPS://EXAMPLE.COM/x"),
        ("[x](https://example.org:8443/a?b=1#c)", "https://example.org:8443/a?b=1#c"),
    ],
)
def test_absolute_web_and_mail_links_still_work(source, href):
    assert hrefs_in(render_comment(source)) == [href]


def test_documents_keep_their_relative_links_but_not_other_schemes():
    html = render_document("[privacy](/privacy) and ssh://example.com and https://example.com")
    assert hrefs_in(html) == ["/privacy", "https://example.com"]
