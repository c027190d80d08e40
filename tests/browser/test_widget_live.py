"""The widget's in-place actions, drafts, preview, live updates and height, in Chromium on
the demo news site (third-party cookies allowed and blocked where a session is involved)."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from playwright.sync_api import Browser, BrowserContext, FrameLocator, Page, expect
from sqlalchemy import select, update

from commentsvc.accounts.models import Reader
from commentsvc.comments import posting
from commentsvc.comments.models import Site
from commentsvc.core.extensions import db
from tests.browser.conftest import ARTICLE, LiveServer, create_article_thread, seed_comment
from tests.browser.test_embed import (
    click_in_frame,
    comment_item,
    content_frame,
    expect_iframe_fits,
    open_article,
    sign_in_through_popup,
)

DRAFT = "Half a thought about the **guarantees**"
PUBLISHED = "Your comment is published."
HELD = "Your comment is waiting for a moderator; only you can see it."


def seed_many(service: LiveServer, news_url: str, count: int) -> None:
    """count comments by another reader, oldest first ("Comment 1." … "Comment N.")."""
    seed_comment(service, news_url, "Comment 1.", "nargiz@example.org", "Nərgiz")
    with service.app.app_context():
        thread = create_article_thread(news_url)
        author = db.session.scalar(select(Reader).filter_by(email="nargiz@example.org"))
        assert author is not None
        for n in range(2, count + 1):
            posting.post_comment(author, thread, thread.site, f"Comment {n}.")


def site_rules(service: LiveServer, **values: object) -> None:
    with service.app.app_context():
        db.session.execute(update(Site).values(**values))
        db.session.commit()


def mark_frame(page: Page) -> None:
    """A note in the frame's window: it is gone if the frame reloads."""
    content_frame(page).evaluate("window.stillHere = true")


def frame_kept(page: Page) -> bool:
    return bool(content_frame(page).evaluate("window.stillHere === true"))


def sign_in(page: Page, widget: FrameLocator) -> None:
    sign_in_through_popup(page, widget)
    page.bring_to_front()  # the popup had the focus
    # The page after the hand-off is shown before its deferred script has run: wait for
    # the composer's tabs, which the script adds, before typing.
    expect(widget.get_by_role("tab", name="Write").first).to_be_visible()


def composer(widget: FrameLocator):
    return widget.get_by_label("Your comment", exact=True)


def test_in_place_actions_keep_the_draft_and_the_frame_fits(
    embed_context: BrowserContext,
    embed_page: Page,
    service: LiveServer,
    news_site: str,
    reader: int,
):
    seed_many(service, news_site, 52)  # more than a page: "Load more comments"
    page = embed_page
    widget = open_article(page, news_site)
    sign_in(page, widget)
    composer(widget).fill(DRAFT)
    mark_frame(page)

    first = comment_item(widget, "Comment 1.")
    first.get_by_role("button", name="Vote up").click()
    expect(first.locator(".score").first).to_have_text("1")
    expect(first.get_by_role("button", name="Vote up")).to_have_attribute("aria-pressed", "true")
    expect(first.get_by_role("button", name="Vote up")).to_be_focused()
    expect_iframe_fits(page)

    widget.get_by_role("link", name="Newest").click()
    expect(widget.get_by_role("link", name="Newest")).to_have_attribute("aria-current", "true")
    expect(widget.locator("ol.comments > li.comment").first).to_contain_text("Comment 52.")
    expect_iframe_fits(page)

    widget.get_by_role("link", name="Load more comments").click()
    expect(comment_item(widget, "Comment 1.")).to_have_count(1)
    expect(widget.get_by_role("link", name="Load more comments")).to_have_count(0)
    expect_iframe_fits(page)

    # A reply being written under a comment survives the sort too.
    second = comment_item(widget, "Comment 2.")
    second.get_by_text("Reply", exact=True).click()
    second.get_by_label("Reply to Nərgiz").fill("A reply in the making")
    widget.get_by_role("link", name="Oldest").click()
    second = comment_item(widget, "Comment 2.")
    expect(second.get_by_label("Reply to Nərgiz")).to_have_value("A reply in the making")
    expect(composer(widget)).to_have_value(DRAFT)
    assert frame_kept(page)

    # An accidental reload: both drafts are back.
    page.reload()
    widget = page.frame_locator("iframe")
    expect(composer(widget)).to_have_value(DRAFT)
    second = comment_item(widget, "Comment 2.")
    expect(second.get_by_label("Reply to Nərgiz")).to_have_value("A reply in the making")
    expect_iframe_fits(page)

    # Posted: shown, focused and announced; the draft is gone, also after a reload.
    mark_frame(page)
    click_in_frame(page, widget.get_by_role("button", name="Post comment"))
    mine = comment_item(widget, "Half a thought about the")
    expect(mine.locator("strong")).to_have_text("guarantees")
    expect(mine).to_be_focused()
    expect(widget.locator("[data-live]")).to_have_text(PUBLISHED)
    expect(composer(widget)).to_have_value("")
    expect(widget.get_by_role("heading", name="Comments")).to_contain_text("(53)")
    expect_iframe_fits(page)

    click_in_frame(page, second.get_by_role("button", name="Post reply"))
    reply = second.locator("ol.replies li.comment")
    expect(reply).to_contain_text("A reply in the making")
    expect(reply).to_be_focused()
    expect_iframe_fits(page)

    # The reply's subtree folds and unfolds in place.
    second.get_by_role("button", name="Hide replies").click()
    expect(reply).to_be_hidden()
    expect_iframe_fits(page)
    second.get_by_role("button", name="Show replies").click()
    expect(reply).to_be_visible()

    mine.get_by_text("Delete", exact=True).click()  # the confirmation opens in place
    expect(mine.get_by_text("Your comment will be")).to_be_visible()
    expect_iframe_fits(page)
    mine.get_by_role("button", name="Delete comment").click()
    expect(widget.get_by_text("Half a thought about the")).to_have_count(0)
    expect_iframe_fits(page)
    assert frame_kept(page)

    page.reload()
    widget = page.frame_locator("iframe")
    expect(widget.get_by_role("heading", name="Comments")).to_contain_text("(53)")
    expect(composer(widget)).to_have_value("")


def test_refused_and_held_posts_say_so_next_to_the_text(
    embed_context: BrowserContext,
    embed_page: Page,
    service: LiveServer,
    news_site: str,
    reader: int,
):
    site_rules(service, banned_words=["scam"])
    page = embed_page
    widget = open_article(page, news_site)
    sign_in(page, widget)
    mark_frame(page)
    composer(widget).fill("This deal is a scam")
    click_in_frame(page, widget.get_by_role("button", name="Post comment"))
    error = widget.locator(".comment-form p.error")
    expect(error).to_be_visible()
    field = composer(widget)
    expect(field).to_have_value("This deal is a scam")
    expect(field).to_have_attribute("aria-invalid", "true")
    expect(field).to_have_attribute("aria-describedby", error.get_attribute("id") or "-")
    expect(field).to_be_focused()
    expect_iframe_fits(page)
    assert frame_kept(page)

    site_rules(service, moderation_policy="hold_all")
    field.fill("A calmer word")
    click_in_frame(page, widget.get_by_role("button", name="Post comment"))
    held = comment_item(widget, "A calmer word")
    expect(held).to_contain_text("awaiting moderation")
    expect(held).to_be_focused()
    expect(widget.locator("[data-live]")).to_have_text(HELD)
    expect(error).to_have_count(0)
    expect(field).not_to_have_attribute("aria-invalid", "true")
    expect_iframe_fits(page)


def test_a_refused_plain_form_still_sizes_the_frame(
    embed_page: Page, service: LiveServer, news_site: str, reader: int
):
    """The form as sent without the widget's script: the page it leads to still knows
    the host page's origin, so the frame keeps fitting."""
    site_rules(service, banned_words=["scam"])
    seed_comment(service, news_site, "Seen before", "nargiz@example.org", "Nərgiz")
    page = embed_page
    widget = open_article(page, news_site)
    sign_in(page, widget)
    composer(widget).fill("Another scam")
    frame = content_frame(page)
    with frame.expect_navigation():
        frame.evaluate(
            "HTMLFormElement.prototype.submit.call(document.querySelector('.comment-form'))"
        )
    widget = page.frame_locator("iframe")
    expect(widget.locator(".comment-form p.error")).to_be_visible()
    expect(composer(widget)).to_have_value("Another scam")
    expect_iframe_fits(page)
    seen = comment_item(widget, "Seen before")
    seen.get_by_text("Reply", exact=True).click()
    expect(seen.get_by_label("Reply to Nərgiz")).to_be_visible()
    expect_iframe_fits(page)


@pytest.fixture
def article_page(browser: Browser) -> Iterator[Page]:
    context = browser.new_context(viewport={"width": 1280, "height": 800})
    context.set_default_timeout(10_000)
    yield context.new_page()
    context.close()


def test_preview_shows_what_is_stored(
    embed_page: Page, service: LiveServer, news_site: str, reader: int
):
    page = embed_page
    widget = open_article(page, news_site)
    sign_in(page, widget)
    source = "See [the text](https://example.org/t) **now**\n\n> quoted\n\n- one\n- two"
    composer(widget).fill(source)
    widget.get_by_role("tab", name="Preview").click()
    panel = widget.get_by_role("tabpanel")
    expect(panel.locator("strong")).to_have_text("now")
    expect(composer(widget)).to_be_hidden()
    expect_iframe_fits(page)
    previewed = panel.inner_html()
    widget.get_by_role("tab", name="Write").click()
    expect(composer(widget)).to_have_value(source)
    click_in_frame(page, widget.get_by_role("button", name="Post comment"))
    mine = comment_item(widget, "See the text")
    expect(mine).to_be_focused()
    stored = mine.locator(".body").first.inner_html()
    assert previewed == stored


def test_a_link_in_a_comment_opens_a_new_page_and_the_frame_stays(
    article_page: Page, service: LiveServer, news_site: str
):
    seed_comment(
        service, news_site, "Read [the report](http://127.0.0.1:8001/)", "n@example.org", "N"
    )
    page = article_page
    widget = open_article(page, news_site)
    with page.context.expect_page() as opened:
        widget.get_by_role("link", name="the report").click()
    assert opened.value.url.startswith(news_site)
    expect(widget.get_by_role("heading", name="Comments")).to_be_visible()
    assert content_frame(page).url.startswith(f"{service.url}/embed/")


def test_another_readers_comment_comes_through_the_new_comments_notice(
    article_page: Page, service: LiveServer, news_site: str
):
    seed_comment(service, news_site, "Already here", "n@example.org", "Nərgiz")
    page = article_page
    widget = open_article(page, news_site)
    expect(widget.get_by_text("Already here")).to_be_visible()
    expect_iframe_fits(page)
    notice = widget.get_by_role("status").filter(has_text="new comment")
    # Nothing new: the poll is answered 304 and nothing shows.
    with page.expect_response(lambda r: "/embed/demo/changes/" in r.url) as polled:
        content_frame(page).evaluate("document.dispatchEvent(new Event('visibilitychange'))")
    assert polled.value.status == 200
    with page.expect_response(lambda r: "/embed/demo/changes/" in r.url) as polled:
        content_frame(page).evaluate("document.dispatchEvent(new Event('visibilitychange'))")
    assert polled.value.status == 304
    expect(notice).to_be_hidden()

    with service.app.app_context():
        thread = create_article_thread(news_site)
        author = db.session.get(Reader, 1)
        assert author is not None
        posting.post_comment(author, thread, thread.site, "Fresh from elsewhere")
    page.evaluate("window.scrollTo(0, 300)")
    scrolled = page.evaluate("window.scrollY")
    assert scrolled > 0
    content_frame(page).evaluate("document.dispatchEvent(new Event('visibilitychange'))")
    expect(notice).to_have_text("1 new comment — show")
    notice.get_by_role("button", name="show").click()
    fresh = comment_item(widget, "Fresh from elsewhere")
    expect(fresh).to_be_visible()
    expect(notice).to_be_hidden()
    expect(widget.get_by_role("heading", name="Comments")).to_contain_text("(2)")
    expect_iframe_fits(page)
    assert page.evaluate("window.scrollY") == scrolled


CLS_OBSERVER = """
window.layoutShift = 0;
new PerformanceObserver(function (list) {
  list.getEntries().forEach(function (e) {
    if (e.hadRecentInput) return;
    window.layoutShift += e.value;
    // What moved, for the failure message: [shift, ms, [node, y before, y after] …].
    var moved = e.sources.map(function (s) {
      return [s.node ? s.node.nodeName + "#" + s.node.id : "?", s.previousRect.y, s.currentRect.y];
    });
    (window.shifts = window.shifts || []).push([e.value, Math.round(e.startTime), moved]);
  });
}).observe({ type: "layout-shift", buffered: true });
"""


@pytest.mark.parametrize("viewport", [(1280, 800), (390, 844)])
def test_the_article_hardly_moves_while_the_comments_load(
    browser: Browser, service: LiveServer, news_site: str, viewport: tuple[int, int]
):
    """The article's first view: the frame starts at its reserved height and grows once.

    Judged as layout shift is judged in the field, over several views: the middle one of
    three loads (a busy machine now and then moves one view more; the message says what).
    """
    seed_many(service, news_site, 12)
    width, height = viewport
    shifts, moved = [], []
    for _ in range(3):
        context = browser.new_context(viewport={"width": width, "height": height})
        context.add_init_script(CLS_OBSERVER)
        page = context.new_page()
        try:
            page.goto(f"{news_site}/articles/{ARTICLE}")
            expect(page.frame_locator("iframe").get_by_text("Comment 12.")).to_be_visible()
            expect_iframe_fits(page)
            page.wait_for_timeout(500)  # the observer reports the last shifts
            shifts.append(page.evaluate("window.layoutShift"))
            moved.append(page.evaluate("JSON.stringify(window.shifts || [])"))
        finally:
            context.close()
    assert sorted(shifts)[1] <= 0.05, (shifts, moved)


def test_times_read_relative_with_the_exact_time_as_title(
    article_page: Page, service: LiveServer, news_site: str
):
    seed_comment(service, news_site, "Just now", "n@example.org", "N")
    widget = open_article(article_page, news_site)
    when = comment_item(widget, "Just now").locator("time")
    expect(when).to_have_text("now")
    # The exact time stays in reach: the element's title, and its datetime attribute.
    # (in the reader's language, to the second: "November 30, 2026, 10:25:39 AM UTC")
    expect(when).to_have_attribute("title", re.compile(r"^\w+ \d{1,2}, \d{4}, [\d:]+\s[AP]M UTC$"))
    expect(when).to_have_attribute("datetime", re.compile(r"^\d{4}-\d\d-\d\dT"))
