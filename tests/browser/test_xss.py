"""Hostile comments stay inert text: on the first-party thread page and in the widget."""

from __future__ import annotations

from html.parser import HTMLParser

import pytest
from playwright.sync_api import Dialog, Frame, Page, expect
from sqlalchemy import select

from commentsvc.comments.models import Comment
from commentsvc.core.extensions import db
from tests.browser.conftest import (
    ARTICLE,
    ARTICLE_TITLE,
    SERVICE_URL,
    LiveServer,
    create_article_thread,
)
from tests.factories import PASSWORD

# What Markdown in a comment may become; anything else must show as text.
SAFE_TAGS = {"p", "br", "strong", "em", "a", "blockquote", "code", "pre", "ul", "ol", "li"}
LINK_ATTRIBUTES = {("rel", "nofollow ugc noopener noreferrer"), ("target", "_blank")}

# Every payload tries to run script: alert(), a title change, or setting window.__xss.
PAYLOADS = [
    "<script>window.__xss=1</script>",
    "<SCRIPT SRC=//localhost:5000/embed.js></SCRIPT>",
    "<scr<script>ipt>window.__xss=1</script>",
    '<img src=x onerror="window.__xss=1">',
    "<img src=x\nonerror=alert(1)>",
    "<svg onload=alert(1)>",
    "<svg><script>window.__xss=1</script></svg>",
    "<svg><style><img src=x onerror=window.__xss=1></style></svg>",
    "<math><mtext><table><mglyph><style><img src=x onerror=alert(1)>",
    '<noscript><p title="</noscript><img src=x onerror=window.__xss=1>">',
    "<form><math><mtext></form><form><mglyph><style></math><img src onerror=alert(1)>",
    "<template><script>window.__xss=1</script></template>",
    "<details open ontoggle=\"document.title='pwned'\">",
    "<input autofocus onfocus=window.__xss=1>",
    "<video><source onerror=alert(1)></video>",
    "<body onload=alert(1)>",
    '<iframe srcdoc="<script>parent.__xss=1</script>"></iframe>',
    '<meta http-equiv="refresh" content="0;url=javascript:alert(1)">',
    '<base href="javascript:alert(1)//">',
    '<object data="javascript:window.__xss=1"></object>',
    '<style>body{background:url("javascript:alert(1)")}</style>',
    '<p style="background:url(javascript:alert(1))">styled</p>',
    '<a href="javascript:window.__xss=1">plain html link</a>',
    '<a href="https://example.org" onclick="window.__xss=1">html link with handler</a>',
    "[markdown link](javascript:window.__xss=1)",
    "[mixed case](JaVaScRiPt:alert(1))",
    "[entity](&#106;avascript:window.__xss=1)",
    "[hex entities](&#x6A;&#x61;vascript:alert(1))",
    "[colon entity](javascript&colon;alert(1))",
    "[tab split](java&#9;script:alert(1))",
    "[newline split](java&#10;script:window.__xss=1)",
    "[angle destination](<javascript:alert(1)>)",
    "[data url](data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==)",
    "[vb](vbscript:msgbox(1))",
    '[title breakout](https://example.org "x\\" onmouseover=\\"window.__xss=1")',
    "<javascript:alert(1)>",
    '<https://example.org/" onmouseover="window.__xss=1>',
    "![image](javascript:alert(1))",
    '"><script>window.__xss=1</script>',
    "</textarea><script>window.__xss=1</script>",
    "`<script>window.__xss=1</script>`",
    "javascript:window.__xss=1",
    "{{7*7}}",
    "${7*7}",
]
EVENT_ATTRS_OR_SCRIPT_URLS = """
    root => [...root.querySelectorAll("*")].flatMap(el => [...el.attributes]
        .filter(a => /^on/i.test(a.name) ||
            /^(javascript|vbscript|data):/i.test(a.value.replace(/[\\s\\u0000-\\u001f]/g, "")))
        .map(a => `<${el.localName} ${a.name}="${a.value}">`))
"""

SEND_FORM = """
    async form => (await fetch(form.action, {
        method: "POST", body: new URLSearchParams(new FormData(form)),
    })).status
"""


class Markup(HTMLParser):
    """Tags and attributes of stored HTML (text that merely mentions them is ignored)."""

    def __init__(self) -> None:
        super().__init__()
        self.tags: set[str] = set()
        self.attrs: list[tuple[str, str]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.add(tag)
        self.attrs += [(name, value or "") for name, value in attrs]


@pytest.fixture
def thread_path(service: LiveServer, news_site: str) -> str:
    with service.app.app_context():
        create_article_thread(news_site)
    return f"/threads/demo/t/{ARTICLE}"


def post_payloads(page: Page, thread_path: str) -> None:
    page.goto(f"{SERVICE_URL}/auth/sign-in?next={thread_path}")
    page.get_by_label("E-mail address").fill("reader@example.org")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in", exact=True).click()
    textarea = page.get_by_label("Your comment", exact=True)
    textarea.fill(PAYLOADS[0])
    page.get_by_role("button", name="Post comment").click()
    expect(page.locator("li.comment")).to_have_count(1)
    # The rest go through the same form, several per page load: fill it, send what it holds.
    for payload in PAYLOADS[1:]:
        textarea.fill(payload)
        status = page.locator("form.comment-form").evaluate(SEND_FORM)
        assert status == 200, payload
    page.reload()
    expect(page.locator("li.comment")).to_have_count(len(PAYLOADS))


def expect_inert(target: Page | Frame, title: str) -> None:
    comment_list = target.locator("[data-comments]")
    bodies = comment_list.locator(".body")
    expect(bodies).to_have_count(len(PAYLOADS))
    expect(bodies.get_by_text("{{7*7}}", exact=True)).to_be_visible()
    expect(bodies.get_by_text("${7*7}", exact=True)).to_be_visible()
    expect(bodies.filter(has_text="49")).to_have_count(0)
    # Only the allowed tags made it into the page; the rest shows as text.
    tags = comment_list.locator(".body *").evaluate_all("els => els.map(e => e.localName)")
    assert set(tags) <= SAFE_TAGS, set(tags) - SAFE_TAGS
    expect(bodies.get_by_text("<script>window.__xss=1</script>", exact=True).first).to_be_visible()
    assert comment_list.evaluate(EVENT_ATTRS_OR_SCRIPT_URLS) == []
    assert target.evaluate("typeof window.__xss") == "undefined"
    assert target.evaluate("document.title") == title


def test_hostile_comments_render_as_harmless_text(
    page: Page, service: LiveServer, news_site: str, reader: int, thread_path: str
):
    dialogs: list[str] = []

    def record(dialog: Dialog) -> None:
        dialogs.append(dialog.message)
        dialog.dismiss()

    page.on("dialog", record)
    post_payloads(page, thread_path)
    expect_inert(page, f"Comments · {ARTICLE_TITLE} · commentsvc")

    page.goto(f"{news_site}/articles/{ARTICLE}")
    frame_element = page.locator("iframe")
    expect(page.frame_locator("iframe").locator("li.comment")).to_have_count(len(PAYLOADS))
    frame = frame_element.element_handle().content_frame()
    assert frame is not None
    expect_inert(frame, f"Comments · {ARTICLE_TITLE}")
    assert page.evaluate("typeof window.__xss") == "undefined"
    assert page.title() == f"{ARTICLE_TITLE} — Demo News"
    expect(page.locator("[data-commentsvc-count]")).to_have_text(str(len(PAYLOADS)))
    assert dialogs == []

    # The page's CSP would stop inline script anyway: the stored HTML itself must be clean.
    with service.app.app_context():
        stored = db.session.scalars(select(Comment.body_html)).all()
    assert len(stored) == len(PAYLOADS)
    for html in stored:
        assert "<script" not in html.lower(), html
        markup = Markup()
        markup.feed(html)
        assert markup.tags <= SAFE_TAGS, html
        for name, value in markup.attrs:
            assert not name.startswith("on"), html
            if name == "href":
                assert value.startswith(("https://", "http://", "mailto:")), html
            else:  # what the sanitiser itself sets on every link, nothing else
                assert (name, value) in LINK_ATTRIBUTES, html
