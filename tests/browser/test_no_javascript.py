"""With JavaScript off, every thread action is still a plain form that works: the
first-party thread page (what a reader without JavaScript is sent to) and a plain iframe
of the widget on a news site."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from playwright.sync_api import Browser, Page, expect

from commentsvc.comments import sites
from commentsvc.core.extensions import db
from tests.browser.conftest import ARTICLE, NEWS_URL, SERVICE_URL, LiveServer, seed_comment
from tests.factories import PASSWORD

THREAD = f"{SERVICE_URL}/threads/demo/t/{ARTICLE}"


@pytest.fixture
def no_script(browser: Browser) -> Iterator[Page]:
    context = browser.new_context(java_script_enabled=False)
    yield context.new_page()
    context.close()


def item(page: Page, text: str):
    return page.locator("li.comment").filter(has=page.locator(":scope > article", has_text=text))


def test_every_thread_action_works_as_a_plain_form(
    no_script: Page, service: LiveServer, reader: int
):
    page = no_script
    seed_comment(service, NEWS_URL, "Someone else's opening words.", "o@example.org", "Other")
    page.goto(f"{SERVICE_URL}/auth/sign-in?next=/threads/demo/t/{ARTICLE}")
    page.get_by_label("E-mail").fill("reader@example.org")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page).to_have_url(THREAD)

    # Post, with the Markdown rendered and the link opening a new tab.
    page.get_by_label("Your comment", exact=True).fill(
        "Plain **form** post, see https://example.org"
    )
    page.get_by_role("button", name="Post comment").click()
    mine = item(page, "Plain form post")
    expect(mine.locator("strong")).to_have_text("form")
    expect(mine.get_by_role("link", name="https://example.org")).to_have_attribute(
        "target", "_blank"
    )

    # A refused post keeps the text, with the reason next to it.
    with service.app.app_context():
        site = sites.require_site("demo")
        site.banned_words = ["scam"]
        db.session.commit()
    page.get_by_label("Your comment", exact=True).fill("This offer is a scam, friends.")
    page.get_by_role("button", name="Post comment").click()
    expect(page.locator(".comment-form .error")).to_contain_text("scam")
    expect(page.get_by_label("Your comment", exact=True)).to_have_value(
        "This offer is a scam, friends."
    )

    # Reply: the form opens from its summary, no script needed.
    other = item(page, "Someone else's opening words.")
    other.get_by_text("Reply", exact=True).first.click()
    other.get_by_label("Reply to Other").fill("A reply without script.")
    other.get_by_role("button", name="Post reply").click()
    expect(item(page, "A reply without script.")).to_be_visible()

    # Vote.
    other = item(page, "Someone else's opening words.")
    other.get_by_role("button", name="Vote up").first.click()
    other = item(page, "Someone else's opening words.")
    expect(other.get_by_role("button", name="Vote up").first).to_have_attribute(
        "aria-pressed", "true"
    )

    # Report: the link opens the form under that comment.
    other.get_by_role("link", name="Report").first.click()
    other = item(page, "Someone else's opening words.")
    other.get_by_label("Spam or advertising").check()
    other.get_by_role("button", name="Send report").click()
    expect(
        item(page, "Someone else's opening words.").get_by_text("You reported this comment")
    ).to_be_visible()

    # Edit, then delete after the confirmation.
    mine = item(page, "Plain form post")
    mine.get_by_text("Edit", exact=True).click()
    mine.get_by_label("Edit your comment").fill("Plain form post, edited.")
    mine.get_by_role("button", name="Save changes").click()
    mine = item(page, "Plain form post, edited.")
    expect(mine.locator(".mark.edited")).to_be_visible()
    mine.get_by_text("Delete", exact=True).click()
    mine.get_by_role("button", name="Delete comment").click()
    expect(page.get_by_text("Plain form post, edited.")).to_have_count(0)


def test_a_plain_iframe_shows_the_thread_without_script(
    no_script: Page, service: LiveServer, news_site: str
):
    seed_comment(service, news_site, "Read without any script.", "o@example.org", "Other")
    page = no_script
    # The README's plain-iframe snippet, as the demo news site pastes it.
    page.goto(f"{news_site}/articles/{ARTICLE}?snippet=iframe")
    widget = page.frame_locator("iframe")
    expect(widget.get_by_text("Read without any script.")).to_be_visible()
    # Signing in opens the first-party page in a new tab (no popup without script).
    expect(widget.get_by_role("link", name="Sign in to comment")).to_have_attribute(
        "target", "_blank"
    )
