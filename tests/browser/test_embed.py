"""The widget inside a news site's iframe, with third-party cookies allowed and blocked."""

from __future__ import annotations

import re
import time

import pytest
from playwright.sync_api import BrowserContext, Frame, FrameLocator, Locator, Page, expect

from tests.browser.conftest import ARTICLE, ARTICLE_TITLE, SERVICE_URL, LiveServer, seed_comment
from tests.factories import PASSWORD


def open_article(page: Page, news_url: str) -> FrameLocator:
    page.goto(f"{news_url}/articles/{ARTICLE}")
    return page.frame_locator("iframe")


def content_frame(page: Page) -> Frame:
    handle = page.locator("iframe").element_handle()
    frame = handle.content_frame()
    assert frame is not None
    return frame


def expect_iframe_fits(page: Page) -> None:
    """The iframe is as tall as the widget's content, as its height messages asked."""
    frame = content_frame(page)
    # Inside the frame, innerHeight is the iframe element's own height.
    # Poll from Python: frame.wait_for_function compiles its predicate with eval,
    # which the widget's CSP (no 'unsafe-eval') refuses now and then.
    fits = "Math.abs(window.innerHeight - document.body.getBoundingClientRect().height) <= 2"
    deadline = time.monotonic() + 5
    while not frame.evaluate(fits) and time.monotonic() < deadline:
        page.wait_for_timeout(50)
    box = page.locator("iframe").bounding_box()
    assert box is not None
    content = frame.evaluate("document.body.getBoundingClientRect().height")
    assert abs(box["height"] - content) <= 2, (box["height"], content)


def click_in_frame(page: Page, target: Locator) -> None:
    """Click target inside the cross-origin frame once the host page has stopped scrolling.

    The frame runs in its own process; when a click follows the scroll that brings its
    target into view within the same frame, Chromium can still route the mouse to the host
    page (the iframe element) and the click is lost. Two animation frames let it catch up.
    """
    target.scroll_into_view_if_needed()
    page.evaluate("new Promise(r => requestAnimationFrame(() => requestAnimationFrame(r)))")
    target.click()


def sign_in_through_popup(page: Page, widget: FrameLocator) -> None:
    with page.expect_popup() as popup_info:
        widget.get_by_role("link", name="Sign in to comment").click()
    popup = popup_info.value
    popup.get_by_label("E-mail address").fill("reader@example.org")
    popup.get_by_label("Password").fill(PASSWORD)
    with popup.expect_event("close"):
        popup.get_by_role("button", name="Sign in", exact=True).click()
    expect(widget.get_by_text("Signed in as Aysel Quliyeva.")).to_be_visible()


def comment_item(widget: FrameLocator, text: str) -> Locator:
    """The comment whose own text (not a reply's) contains text, with its replies."""
    return widget.locator("li.comment").filter(
        has=widget.locator(":scope > article", has_text=text)
    )


def test_anonymous_reader_sees_the_widget_and_gets_no_cookie(
    request: pytest.FixtureRequest, embed_context: BrowserContext, embed_page: Page, news_site: str
):
    widget = open_article(embed_page, news_site)
    expect(widget.get_by_role("heading", name="Comments")).to_be_visible()
    expect(widget.get_by_text("No comments yet. Be the first to comment.")).to_be_visible()
    expect(widget.get_by_role("link", name="Sign in to comment")).to_be_visible()
    expect(embed_page.locator("[data-commentsvc-count]")).to_have_text("0")
    expect_iframe_fits(embed_page)
    assert [c for c in embed_context.cookies() if c["domain"] == "localhost"] == []

    # The profile really has the policy this run is named after.
    allowed = request.node.callspec.params["embed_context"] == "3p-cookies-allowed"
    probe = "document.cookie = 'probe=1; SameSite=None; Secure'; document.cookie"
    assert content_frame(embed_page).evaluate(probe) == ("probe=1" if allowed else "")


def test_reader_signs_in_through_the_popup_and_comments_in_the_widget(
    embed_context: BrowserContext,
    embed_page: Page,
    service: LiveServer,
    news_site: str,
    reader: int,
):
    context = embed_context
    seed_comment(
        service,
        news_site,
        "Who checks that the other side has moved?",
        "nargiz@example.org",
        "Nərgiz",
    )
    page = embed_page
    widget = open_article(page, news_site)
    expect(widget.get_by_text("Who checks that the other side has moved?")).to_be_visible()
    sign_in_through_popup(page, widget)
    expect_iframe_fits(page)
    # The widget's session lives in a cookie partitioned under the news site.
    [session_cookie] = [c for c in context.cookies() if c["name"] == "commentsvc_embed"]
    assert session_cookie.get("partitionKey") == "http://127.0.0.1"

    widget.get_by_label("Your comment", exact=True).fill("The talks stalled on **sequencing**.")
    click_in_frame(page, widget.get_by_role("button", name="Post comment"))
    mine = comment_item(widget, "The talks stalled on")
    expect(mine.locator("strong")).to_have_text("sequencing")
    expect(mine.locator(".author").first).to_have_text("Aysel Quliyeva")
    expect_iframe_fits(page)

    theirs = comment_item(widget, "Who checks that the other side")
    theirs.get_by_text("Reply", exact=True).click()
    theirs.get_by_label("Reply to Nərgiz").fill("The guarantors, says the article.")
    # The open form made the frame taller: click once the host page has resized it.
    expect_iframe_fits(page)
    click_in_frame(page, theirs.get_by_role("button", name="Post reply"))
    reply = theirs.locator("ol.replies li.comment")
    expect(reply).to_contain_text("The guarantors, says the article.")
    expect_iframe_fits(page)

    mine.get_by_text("Edit", exact=True).click()
    mine.get_by_label("Edit your comment").fill("The talks stalled on who moves first.")
    expect_iframe_fits(page)
    mine.get_by_role("button", name="Save changes").click()
    mine = comment_item(widget, "The talks stalled on who moves first.")
    expect(mine.locator("header")).to_contain_text("edited")
    expect(widget.get_by_text("The talks stalled on sequencing")).to_have_count(0)
    expect_iframe_fits(page)

    theirs.get_by_role("button", name="Vote up").click()
    expect(theirs.locator(".score").first).to_have_text("1")
    expect(theirs.get_by_role("button", name="Vote up")).to_have_attribute("aria-pressed", "true")
    expect_iframe_fits(page)

    widget.get_by_label("Your comment", exact=True).fill("Posted in haste.")
    click_in_frame(page, widget.get_by_role("button", name="Post comment"))
    hasty = comment_item(widget, "Posted in haste.")
    expect(hasty).to_have_count(1)
    expect_iframe_fits(page)
    # Delete asks first, and says what happens.
    hasty.get_by_text("Delete", exact=True).click()
    expect(hasty.get_by_text("Your comment will be removed from the thread.")).to_be_visible()
    expect_iframe_fits(page)
    hasty.get_by_role("button", name="Delete comment").click()
    expect(widget.get_by_text("Posted in haste.")).to_have_count(0)
    expect(widget.locator("li.comment")).to_have_count(3)
    expect_iframe_fits(page)

    # Three comments remain: the seeded one, the reader's own, and the reply.
    page.reload()
    expect(page.locator("[data-commentsvc-count]")).to_have_text("3")
    expect(widget.get_by_role("heading", name="Comments")).to_contain_text("(3)")
    expect(widget.get_by_text("Signed in as Aysel Quliyeva.")).to_be_visible()

    widget.get_by_role("button", name="Sign out").click()
    expect(widget.get_by_role("link", name="Sign in to comment")).to_be_visible()
    expect(widget.get_by_label("Your comment", exact=True)).to_have_count(0)
    expect(widget.get_by_text("The talks stalled on who moves first.")).to_be_visible()
    expect_iframe_fits(page)


def test_unregistered_site_cannot_show_the_widget(
    embed_page: Page, news_site: str, unregistered_site: str
):
    page = embed_page
    with page.expect_response(re.compile(r"/embed/demo/t/")) as answer:
        page.goto(f"{unregistered_site}/articles/{ARTICLE}")
    # The service answered; frame-ancestors makes Chromium show its error page instead.
    assert f"frame-ancestors {news_site}" in answer.value.headers["content-security-policy"]
    frame = content_frame(page)
    frame.wait_for_url(re.compile(r"^(chrome-error://|http://localhost:5000/embed/)"))
    blocked = frame.url.startswith("chrome-error://") or not frame.evaluate(
        "document.body ? document.body.innerText.trim() : ''"
    )
    assert blocked, frame.url
    expect(page.frame_locator("iframe").get_by_role("heading", name="Comments")).to_have_count(0)


def test_blocked_popup_offers_the_first_party_thread_page(embed_page: Page, news_site: str):
    page = embed_page
    widget = open_article(page, news_site)
    expect(widget.get_by_role("link", name="Sign in to comment")).to_be_visible()
    notice = widget.get_by_text("Your browser blocked the sign-in window.")
    expect(notice).to_be_hidden()
    content_frame(page).evaluate("window.open = () => null")
    widget.get_by_role("link", name="Sign in to comment").click()
    expect(notice).to_be_visible()
    fallback = widget.get_by_role("link", name="Open the comments on our site")
    expect(fallback).to_have_attribute("href", f"/threads/demo/t/{ARTICLE}")
    expect_iframe_fits(page)
    with page.expect_popup() as popup_info:
        fallback.click()
    thread_page = popup_info.value
    expect(thread_page).to_have_url(re.compile(re.escape(f"{SERVICE_URL}/threads/demo/t/")))
    expect(
        thread_page.get_by_role("heading", name=f"Comments on “{ARTICLE_TITLE}”")
    ).to_be_visible()
