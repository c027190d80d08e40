"""How the widget looks: the dark theme from the snippet and from the reader's setting, the
frame's transparency, mobile widths without overflow, target sizes, and axe in both themes.

Screenshots are kept under test-artifacts/looks/<test>/ (git-ignored) for a person to look at.
"""

from __future__ import annotations

import zlib
from pathlib import Path
from typing import TYPE_CHECKING, Literal

import pytest
from axe_playwright_python.sync_playwright import Axe  # type: ignore[import-untyped]  # no types shipped
from flask import Flask
from playwright.sync_api import Browser, BrowserContext, Frame, Page, expect

from commentsvc.accounts import widget_sign_in
from commentsvc.accounts.models import Reader
from commentsvc.comments import posting, sites
from commentsvc.core.extensions import db
from tests.browser.conftest import (
    ARTICLE,
    SERVICE_URL,
    LiveServer,
    create_article_thread,
)
from tests.browser.test_embed import content_frame, expect_iframe_fits
from tests.factories import make_reader

if TYPE_CHECKING:
    from playwright._impl._api_structures import SetCookieParam

ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "looks"
LONG_URL = "https://news.example/" + "very-long-path-segment-" * 8 + "end"
SAMPLE = [
    (
        "Aysel Quliyeva",
        "aysel@example.org",
        None,
        "A clear piece, thank you. **Who checks** that the other side has moved?",
    ),
    ("Rauf", "rauf@example.org", 0, f"The source is here: {LONG_URL}"),
    (
        "Nigar",
        "nigar@example.org",
        1,
        "> who checks\n\nThe guarantors, says the article. "
        "Pneumonoultramicroscopicsilicovolcanoconiosis!",
    ),
    (
        "Orxan",
        "orxan@example.org",
        None,
        "Code from the report:\n\n```\n"
        + "sequence = [guarantee(step) for step in plan if step.verified and not step.disputed]"
        + "  # a long line\n"
        + "```",
    ),
]


def seed_thread(app: Flask, news_url: str) -> None:
    """The article's thread with comments that test the layout: a long URL, a long word,
    a quote, a wide code block and nested replies."""
    ids: list[int] = []
    for name, email, parent, body in SAMPLE:
        author_id = make_reader(app, email=email, display_name=name)
        with app.app_context():
            thread = create_article_thread(news_url)
            author = db.session.get(Reader, author_id)
            assert author is not None
            parent_id = ids[parent] if parent is not None else None
            ids.append(posting.post_comment(author, thread, thread.site, body, parent_id).id)


def widget_cookie(app: Flask, email: str, partition: str | None) -> SetCookieParam:
    """A widget session of a new reader, as the sign-in popup would leave it, partitioned
    under the news site (the flow itself is tested in test_embed.py)."""
    reader_id = make_reader(app, email=email, display_name="Dilan")
    with app.app_context():
        reader = db.session.get(Reader, reader_id)
        site = sites.require_site("demo")
        assert reader is not None
        code = widget_sign_in.create_embed_code(reader, site.id)
    client = app.test_client()
    response = client.post(
        "/embed/demo/session", data={"code": code}, headers={"Origin": SERVICE_URL}
    )
    assert response.status_code == 200, response.text
    cookie = client.get_cookie("commentsvc_embed", path="/embed")
    assert cookie is not None
    return {
        "name": "commentsvc_embed",
        "value": cookie.value,
        "domain": "localhost",
        "path": "/embed",
        "secure": True,
        "httpOnly": True,
        "sameSite": "None",
        **({"partitionKey": partition} if partition else {}),
    }


def shot(page: Page, test: str, name: str) -> Path:
    path = ARTIFACTS / test / f"{name}.png"
    path.parent.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(path), full_page=True)
    return path


def open_article(page: Page, news_url: str, theme: str = "") -> Frame:
    query = f"?theme={theme}" if theme else ""
    page.goto(f"{news_url}/articles/{ARTICLE}{query}")
    frame_locator = page.frame_locator("iframe")
    expect(frame_locator.get_by_role("heading", name="Comments")).to_be_visible()
    page.locator("iframe").scroll_into_view_if_needed()
    expect_iframe_fits(page)
    return content_frame(page)


def colours(frame: Frame) -> dict[str, str]:
    found: dict[str, str] = frame.evaluate(
        """() => {
          const main = getComputedStyle(document.querySelector('main'));
          const body = getComputedStyle(document.body);
          return {theme: document.documentElement.dataset.theme, main: main.backgroundColor,
                  text: body.color, scheme: getComputedStyle(document.documentElement).colorScheme};
        }"""
    )
    return found


def pixel(page: Page, x: float, y: float) -> tuple[int, int, int]:
    """The colour on screen at (x, y) of the page, as painted (frames included)."""
    png = page.screenshot(clip={"x": x, "y": y, "width": 1, "height": 1}, scale="css")
    # A one-pixel PNG: its first pixel's bytes follow the row's filter byte unchanged,
    # whichever filter (nothing lies left of or above it).
    position, data = 8, b""
    while position < len(png):
        length = int.from_bytes(png[position : position + 4], "big")
        kind = png[position + 4 : position + 8]
        if kind == b"IDAT":
            data += png[position + 8 : position + 8 + length]
        position += 12 + length
    raw = zlib.decompress(data)
    return raw[1], raw[2], raw[3]


DARK_BG = "rgb(15, 20, 25)"
DARK_TEXT = "rgb(230, 233, 237)"
LIGHT_TEXT = "rgb(27, 31, 36)"


@pytest.fixture
def thread(service: LiveServer, news_site: str) -> str:
    seed_thread(service.app, news_site)
    return news_site


@pytest.fixture
def light_context(browser: Browser) -> BrowserContext:
    context = browser.new_context(color_scheme="light", viewport={"width": 1280, "height": 900})
    context.set_default_timeout(10_000)
    return context


def test_dark_from_the_snippet_paints_a_dark_widget_on_the_dark_page(
    light_context, thread, request
):
    page = light_context.new_page()
    frame = open_article(page, thread, "dark")
    # The snippet's data-theme="dark" reached the frame, whatever the reader's setting.
    assert "theme=dark" in frame.url
    assert colours(frame) == {"theme": "dark", "main": DARK_BG, "text": DARK_TEXT, "scheme": "dark"}
    # No white box: the space right of the heading is the widget's dark background.
    box = page.locator("iframe").bounding_box()
    assert box is not None
    assert max(pixel(page, box["x"] + box["width"] - 20, box["y"] + 20)) < 40
    shot(page, request.node.name, "article-dark")


def test_auto_follows_the_readers_setting(browser: Browser, thread, request):
    schemes: list[tuple[Literal["dark", "light"], tuple[str, str]]] = [
        ("dark", (DARK_BG, DARK_TEXT)),
        ("light", ("rgba(0, 0, 0, 0)", LIGHT_TEXT)),
    ]
    for scheme, expected in schemes:
        context = browser.new_context(color_scheme=scheme)
        context.set_default_timeout(10_000)
        page = context.new_page()
        # A news page without a dark look of its own; the snippet leaves data-theme out.
        frame = open_article(page, thread)
        assert "theme=" not in frame.url  # auto is the default, left out of the URL
        found = colours(frame)
        assert (found["theme"], found["main"], found["text"]) == ("auto", *expected)
        # The frame itself stays transparent although its color-scheme (dark) is not the
        # page's (embed.js gives the iframe element the frame's): outside the widget's
        # rounded corner is the white page, not the browser's opaque dark backdrop.
        box = page.locator("iframe").bounding_box()
        assert box is not None
        assert pixel(page, box["x"], box["y"]) == (255, 255, 255)
        shot(page, request.node.name, f"article-auto-{scheme}")
        context.close()


def test_a_light_widget_stays_transparent_on_the_light_page(light_context, thread, request):
    page = light_context.new_page()
    frame = open_article(page, thread, "light")
    # A tinted news page: a transparent frame shows the tint, an opaque one would be white.
    page.add_style_tag(content="html { background: rgb(250, 246, 236); }")
    assert colours(frame)["main"] == "rgba(0, 0, 0, 0)"
    box = page.locator("iframe").bounding_box()
    assert box is not None
    assert pixel(page, box["x"] + box["width"] - 20, box["y"] + 20) == (250, 246, 236)


def overflow(frame: Frame | Page) -> list[str]:
    """Elements wider than the viewport, and whether the document scrolls sideways."""
    found: list[str] = frame.evaluate(
        """() => {
          const width = document.documentElement.clientWidth;
          const wide = [...document.querySelectorAll('body *')]
            .filter(el => el.checkVisibility() && !el.closest('.hp, pre'))
            .filter(el => el.getBoundingClientRect().right > width + 1)
            .map(el => el.tagName + '.' + el.className);
          if (document.documentElement.scrollWidth > width) wide.push('document');
          return wide;
        }"""
    )
    return found


CONTROLS = "a[href], button, summary, textarea, input:not([type=hidden]), select"
SMALL_TARGETS = """([minimum, controls]) => [...document.querySelectorAll(controls)]
  .filter(el => !el.closest('.hp, .body') && el.checkVisibility())
  // A box or a radio inside its label: the label is what a finger hits.
  .map(el => el.matches('[type=checkbox], [type=radio]') && el.closest('label') || el)
  .map(el => [el.tagName, el.textContent.trim().slice(0, 30), el.getBoundingClientRect()])
  .filter(([, , r]) => r.width < minimum || r.height < minimum)
  .map(([tag, text, r]) => [tag, text, Math.round(r.width), Math.round(r.height)])"""

# The wide code block scrolls inside itself, within the frame.
PRE_SCROLLS = """() => {
  const pre = document.querySelector('.body pre');
  const right = pre.getBoundingClientRect().right;
  return pre.scrollWidth > pre.clientWidth && right <= document.documentElement.clientWidth;
}"""
# Voting, replying and posting.
MAIN_ACTIONS = (
    "button.vote, a.reply, .reply > summary, .comment-form [type=submit], .reply [type=submit]"
)


@pytest.mark.parametrize("width", [320, 390])
def test_mobile_widths_do_not_overflow_and_targets_are_big_enough(
    browser: Browser, service: LiveServer, thread, width, request
):
    context = browser.new_context(
        viewport={"width": width, "height": 800},
        is_mobile=True,
        has_touch=True,
        device_scale_factor=2,
    )
    context.set_default_timeout(10_000)
    context.add_cookies([widget_cookie(service.app, "dilan@example.org", "http://127.0.0.1")])
    page = context.new_page()
    frame = open_article(page, thread)
    expect(page.frame_locator("iframe").get_by_text("Signed in as Dilan.")).to_be_visible()
    assert frame.evaluate("matchMedia('(pointer: coarse)').matches")
    # Open forms must fit too.
    widget = page.frame_locator("iframe")
    widget.locator("a.reply").first.click()  # the page's reply form opens in place
    expect(widget.locator("details.reply textarea")).to_be_focused()
    # The Report form opens under its comment. From the keyboard: the reply form just made
    # the frame taller, and a mouse click computed before the host page resized the frame
    # can land elsewhere.
    widget.locator("a.report").first.press("Enter")
    expect(widget.locator("details.report form")).to_be_visible()
    expect_iframe_fits(page)
    assert overflow(page) == []
    assert overflow(frame) == []
    assert frame.evaluate(PRE_SCROLLS)
    assert frame.evaluate(SMALL_TARGETS, [24, CONTROLS]) == []
    # Voting, replying and posting: 44 px on a touch screen.
    sizes = frame.evaluate(
        "s => [...document.querySelectorAll(s)].map(el => el.getBoundingClientRect())"
        ".map(r => [r.width, r.height])",
        MAIN_ACTIONS,
    )
    assert len(sizes) >= 6
    assert [s for s in sizes if s[0] < 44 or s[1] < 44] == []
    shot(page, request.node.name, f"article-{width}")


def test_the_composer_grows_with_the_text(browser: Browser, service: LiveServer, thread):
    context = browser.new_context(viewport={"width": 390, "height": 800})
    context.set_default_timeout(10_000)
    context.add_cookies([widget_cookie(service.app, "dilan@example.org", "http://127.0.0.1")])
    page = context.new_page()
    open_article(page, thread)
    box = page.frame_locator("iframe").get_by_label("Your comment", exact=True)
    before = box.bounding_box()
    box.fill("\n".join(f"Line {n} of a longer comment." for n in range(12)))
    after = box.bounding_box()
    assert before is not None
    assert after is not None
    assert after["height"] > before["height"] + 100
    expect_iframe_fits(page)


@pytest.mark.parametrize("theme", ["light", "dark"])
def test_axe_finds_nothing_serious_in_either_theme(
    browser: Browser, service: LiveServer, thread, theme, request
):
    # The widget page itself (axe cannot be injected through the frame's CSP), signed in so
    # that every control is there; opened as a tab, its cookie is not partitioned.
    context = browser.new_context(color_scheme="light", bypass_csp=True)
    context.set_default_timeout(10_000)
    context.add_cookies([widget_cookie(service.app, "dilan@example.org", None)])
    page = context.new_page()
    page.goto(f"{SERVICE_URL}/embed/demo/t/{ARTICLE}?theme={theme}")
    expect(page.get_by_text("Signed in as Dilan.")).to_be_visible()
    page.locator("a.reply").first.click()
    expect(page.locator("details.reply textarea")).to_be_focused()
    page.locator("a.report").first.click()
    expect(page.locator("details.report form")).to_be_visible()
    results = Axe().run(page)
    serious = [
        (v["id"], [n["target"] for n in v["nodes"]])
        for v in results.response["violations"]
        if v["impact"] in ("serious", "critical")
    ]
    assert serious == []
    assert "color-contrast" in {rule["id"] for rule in results.response["passes"]}
    shot(page, request.node.name, f"widget-{theme}")
