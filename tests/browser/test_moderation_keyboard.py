"""A moderator works the queue in Chromium with the keyboard alone."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect
from sqlalchemy import select

from commentsvc.comments.models import Comment
from commentsvc.core.extensions import db
from commentsvc.moderation.models import AuditEntry
from tests.browser.conftest import LiveServer, running
from tests.conftest import SMTPServer, build_app, free_port
from tests.factories import PASSWORD
from tests.moderation_support import build_world, post


@pytest.fixture
def moderation_server(smtp_server: SMTPServer, tmp_path: Path) -> Iterator[LiveServer]:
    """The service on a free port with CSRF on, sites held for moderation, five comments."""
    port = free_port()
    url = f"http://localhost:{port}"
    app = build_app(tmp_path, smtp_server.port, PUBLIC_URL=url, WTF_CSRF_ENABLED=True)
    ids = build_world(app, "hold_all")
    for author, body in [
        (ids.alice, "First: a fair point about the talks."),
        (ids.bob, "Second: completely off-topic rambling."),
        (ids.carol, "Third: BUY CHEAP WATCHES"),
        (ids.alice, "Fourth: a follow-up question."),
        (ids.bob, "Fifth: another reasonable remark."),
    ]:
        post(app, author, body)
    with running(app, port) as live:
        yield live


def statuses(live: LiveServer) -> dict[str, str]:
    with live.app.app_context():
        return {
            c.body_source.split(":")[0]: c.status
            for c in db.session.scalars(select(Comment).order_by(Comment.id))
        }


def focused_item(page: Page):
    return page.locator("[data-queue-item]:focus")


def test_moderator_works_the_queue_with_the_keyboard(page: Page, moderation_server: LiveServer):
    live = moderation_server
    page.goto(live.url + "/auth/sign-in?next=/moderation/")
    page.get_by_label("E-mail address").focus()
    page.keyboard.type("mina@example.org")
    page.keyboard.press("Tab")
    page.keyboard.type(PASSWORD)
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", name="Moderation queue")).to_be_visible()
    page.wait_for_load_state()  # the keys are the page's deferred script: wait until it ran
    items = page.locator("[data-queue-item]")
    expect(items).to_have_count(5)

    # ? shows the shortcuts, and again hides them.
    page.keyboard.press("?")
    expect(page.get_by_text("Next / previous comment")).to_be_visible()
    page.keyboard.press("?")
    expect(page.get_by_text("Next / previous comment")).to_be_hidden()

    # j moves down, k back up; a approves the focused comment.
    page.keyboard.press("j")
    expect(focused_item(page)).to_contain_text("First: a fair point")
    page.keyboard.press("j")
    page.keyboard.press("k")
    expect(focused_item(page)).to_contain_text("First: a fair point")
    page.keyboard.press("a")
    expect(page.get_by_role("status")).to_contain_text("Comment approved.")
    expect(items).to_have_count(4)
    # The queue keeps the place: the next comment has the focus.
    expect(focused_item(page)).to_contain_text("Second: completely off-topic")

    # r goes to the reason; arrows choose one, Enter rejects.
    page.keyboard.press("r")
    expect(page.locator("[data-queue-item].current select[data-reason]")).to_be_focused()
    page.keyboard.press("ArrowDown")
    expect(page.locator("select[data-reason]:focus")).to_have_value("off_topic")
    page.keyboard.press("Enter")
    expect(page.get_by_role("status")).to_contain_text("Comment rejected.")
    expect(items).to_have_count(3)

    # s marks the spam.
    expect(focused_item(page)).to_contain_text("Third: BUY CHEAP WATCHES")
    page.keyboard.press("s")
    expect(page.get_by_role("status")).to_contain_text("Comment marked as spam.")
    expect(items).to_have_count(2)

    # x selects both that are left; b goes to the bulk action, Tab to its button.
    expect(focused_item(page)).to_contain_text("Fourth")
    page.keyboard.press("x")
    page.keyboard.press("j")
    page.keyboard.press("x")
    expect(page.locator("[data-select]:checked")).to_have_count(2)
    page.keyboard.press("b")
    expect(page.locator("[data-bulk-action]")).to_be_focused()
    page.keyboard.press("Tab")
    page.keyboard.press("Tab")
    expect(page.get_by_role("button", name="Apply to selected")).to_be_focused()
    page.keyboard.press("Enter")
    expect(page.get_by_role("status")).to_contain_text("2 comments decided.")
    expect(page.get_by_text("Nothing waits for moderation here.")).to_be_visible()

    assert statuses(live) == {
        "First": "approved",
        "Second": "rejected",
        "Third": "spam",
        "Fourth": "approved",
        "Fifth": "approved",
    }
    with live.app.app_context():
        rejection = db.session.scalars(
            select(AuditEntry).where(AuditEntry.action == "reject")
        ).one()
        assert rejection.reason == "Off-topic: it does not discuss the article."
