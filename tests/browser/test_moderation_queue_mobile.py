"""The compact queue in Chromium: on a phone (keys and taps, no sideways scrolling), on
a desktop screen (five comments at a glance), the words that held a comment marked,
and an author's earlier comments in a side panel."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from axe_playwright_python.sync_playwright import Axe  # type: ignore[import-untyped]  # no types shipped
from playwright.sync_api import Browser, BrowserContext, Page, expect
from sqlalchemy import select, update

from commentsvc.comments.models import Comment, Site
from commentsvc.core.extensions import db
from commentsvc.moderation import decisions
from commentsvc.moderation.decisions import Decision
from tests.browser.conftest import LiveServer, running
from tests.conftest import SMTPServer, build_app, free_port
from tests.factories import PASSWORD
from tests.moderation_support import build_world, post, reader

BODIES = [
    "First: try the casino tonight.",
    "Second: a fair point about the talks.",
    "Third: " + "a long and winding remark about the sequencing of guarantees. " * 12,
    "Fourth: a follow-up question.",
    "Fifth: another reasonable remark.",
    "Sixth: the last one.",
]


@pytest.fixture
def queue_server(smtp_server: SMTPServer, tmp_path: Path) -> Iterator[LiveServer]:
    """CSRF on, every comment held; "casino" is a suspicious word; Alice has one
    comment rejected earlier, with a reason."""
    port = free_port()
    url = f"http://localhost:{port}"
    app = build_app(tmp_path, smtp_server.port, PUBLIC_URL=url, WTF_CSRF_ENABLED=True)
    ids = build_world(app, "hold_all")
    with app.app_context():
        db.session.execute(update(Site).values(suspicious_words=["casino"]))
        db.session.commit()
    earlier = post(app, ids.alice, "Earlier: an old remark that was rejected.")
    with app.app_context():
        decisions.decide(reader(ids.mod), earlier, Decision.REJECT, "Off-topic here.")
    for n, body in enumerate(BODIES):
        post(app, (ids.alice, ids.bob, ids.carol)[n % 3], body)
    with running(app, port) as live:
        yield live


def status_of(live: LiveServer, prefix: str) -> str:
    with live.app.app_context():
        return db.session.scalars(
            select(Comment.status).where(Comment.body_source.startswith(prefix))
        ).one()


def signed_in(context: BrowserContext, live: LiveServer) -> Page:
    page = context.new_page()
    page.goto(live.url + "/auth/sign-in?next=/moderation/")
    page.get_by_label("E-mail address").fill("mina@example.org")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("heading", name="Moderation queue")).to_be_visible()
    # The page shows before its deferred script (the keys) has run: wait for it.
    page.wait_for_load_state()
    return page


def no_sideways_scroll(page: Page) -> bool:
    return bool(page.evaluate("document.documentElement.scrollWidth <= innerWidth"))


def test_a_phone_approves_with_keys_and_taps_without_scrolling_sideways(
    browser: Browser, queue_server: LiveServer
):
    live = queue_server
    context = browser.new_context(viewport={"width": 360, "height": 740}, has_touch=True)
    page = signed_in(context, live)
    items = page.locator("[data-queue-item]")
    expect(items).to_have_count(len(BODIES))
    assert no_sideways_scroll(page)

    page.keyboard.press("j")
    expect(page.locator("[data-queue-item]:focus")).to_contain_text("First: try the casino")
    page.keyboard.press("a")
    expect(page.get_by_role("status")).to_contain_text("Comment approved.")
    expect(items).to_have_count(len(BODIES) - 1)
    assert status_of(live, "First") == "approved"
    assert no_sideways_scroll(page)

    second = items.filter(has_text="Second: a fair point")
    second.get_by_role("button", name="Approve").tap()
    expect(page.get_by_role("status")).to_contain_text("Comment approved.")
    expect(items).to_have_count(len(BODIES) - 2)
    assert status_of(live, "Second") == "approved"

    # The rarer actions open under the row, inside the screen.
    more = items.first.locator("summary", has_text="More")
    more.tap()
    delete = items.first.get_by_role("button", name="Delete for good")
    expect(delete).to_be_visible()
    box = delete.bounding_box()
    assert box is not None
    assert box["x"] >= 0
    assert box["x"] + box["width"] <= 360
    assert no_sideways_scroll(page)

    # The bulk reason menu fits the screen and can be chosen.
    bulk_reason = page.get_by_label("Reason for rejecting")
    bulk_reason.select_option("off_topic")
    box = bulk_reason.bounding_box()
    assert box is not None
    assert box["x"] >= 0
    assert box["x"] + box["width"] <= 360
    context.close()


def test_five_comments_start_on_the_first_desktop_screen(
    browser: Browser, queue_server: LiveServer
):
    context = browser.new_context(viewport={"width": 1280, "height": 1080})
    page = signed_in(context, queue_server)
    tops = page.locator("[data-queue-item]").evaluate_all(
        "items => items.map(i => i.getBoundingClientRect().top)"
    )
    assert len([top for top in tops if top < 1080]) >= 5, tops
    assert no_sideways_scroll(page)
    # The long comment is cut short until "Show all".
    long_item = page.locator("[data-queue-item]", has_text="Third:")
    body = long_item.locator(".body")
    clamped = body.evaluate("b => b.scrollHeight > b.clientHeight + 1")
    assert clamped
    long_item.get_by_text("Show all").click()
    expect(long_item.get_by_text("Show less")).to_be_visible()
    assert body.evaluate("b => b.scrollHeight <= b.clientHeight + 1")
    context.close()


def test_the_word_that_held_a_comment_is_marked(page: Page, queue_server: LiveServer):
    page.set_viewport_size({"width": 1280, "height": 1080})
    page.goto(queue_server.url + "/auth/sign-in?next=/moderation/")
    page.get_by_label("E-mail address").fill("mina@example.org")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    item = page.locator("[data-queue-item]", has_text="First: try the casino")
    expect(item.locator("[data-reason=suspicious_words]")).to_have_text("Suspicious words (casino)")
    expect(item.locator(".body mark")).to_have_text(["casino"])
    expect(page.locator("[data-queue-item]", has_text="Second:").locator("mark")).to_have_count(0)


def test_the_author_panel_shows_earlier_comments_without_leaving_the_queue(
    page: Page, queue_server: LiveServer
):
    page.set_viewport_size({"width": 1280, "height": 1080})
    page.goto(queue_server.url + "/auth/sign-in?next=/moderation/")
    page.get_by_label("E-mail address").fill("mina@example.org")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    queue_url = page.url
    item = page.locator("[data-queue-item]", has_text="First: try the casino")
    opener = item.get_by_role("link", name="Alice\u2019s history")
    opener.click()
    panel = page.get_by_role("dialog", name="Alice")
    expect(panel).to_be_visible()
    earlier = panel.locator("li", has_text="Earlier: an old remark")
    expect(earlier).to_contain_text("rejected")
    expect(earlier).to_contain_text("Off-topic here.")
    expect(earlier).to_contain_text("Blinken in Baku")
    assert page.url == queue_url
    serious = [
        v["id"]
        for v in Axe().run(page).response["violations"]
        if v["impact"] in ("serious", "critical")
    ]
    assert serious == []
    page.keyboard.press("Escape")
    expect(panel).to_be_hidden()
    expect(opener).to_be_focused()
    # Keys work the queue again once the panel is closed.
    page.keyboard.press("j")
    expect(page.locator("[data-queue-item]:focus")).to_have_count(1)
