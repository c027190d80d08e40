"""A moderator with the queue open learns that a new comment was held, without reloading."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from tests.browser.conftest import LiveServer, running
from tests.conftest import SMTPServer, build_app, free_port
from tests.factories import PASSWORD
from tests.moderation_support import Ids, build_world, post


@pytest.fixture
def world(smtp_server: SMTPServer, tmp_path: Path) -> Iterator[tuple[LiveServer, Ids]]:
    """Sites that hold every comment, one comment waiting on demo; pages ask every second."""
    port = free_port()
    url = f"http://localhost:{port}"
    app = build_app(
        tmp_path,
        smtp_server.port,
        PUBLIC_URL=url,
        WTF_CSRF_ENABLED=True,
        MODERATION_POLL_SECONDS=1,
    )
    ids = build_world(app, "hold_all")
    post(app, ids.alice, "Already waiting when the page opened.")
    with running(app, port) as live:
        yield live, ids


def test_a_held_comment_shows_up_on_the_open_queue(page: Page, world):
    live, ids = world
    page.goto(live.url + "/auth/sign-in?next=/moderation/")
    page.get_by_label("E-mail address").fill("mina@example.org")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("heading", name="Moderation queue")).to_be_visible()
    expect(page).to_have_title("(1) Moderation queue · commentsvc")
    expect(page.get_by_text("New held comments")).to_be_hidden()
    notice = page.locator("[aria-live=polite]")

    # Another site's comment is none of this moderator's business.
    post(live.app, ids.carol, "Held on the other site.", ids.other_thread)
    post(live.app, ids.bob, "Held while the moderator had the queue open.")
    expect(notice.filter(has_text="New held comments: 1")).to_be_visible()
    expect(page).to_have_title("(2) Moderation queue · commentsvc")
    post(live.app, ids.carol, "And another one.")
    expect(notice.filter(has_text="New held comments: 2")).to_be_visible()
    expect(page).to_have_title("(3) Moderation queue · commentsvc")

    page.get_by_role("link", name="Refresh to see them").click()
    expect(page.get_by_text("Held while the moderator had the queue open.")).to_be_visible()
    expect(page.get_by_text("And another one.")).to_be_visible()
    expect(page.get_by_text("Held on the other site.")).to_have_count(0)
    expect(page.get_by_text(re.compile("New held comments"))).to_be_hidden()
    expect(page).to_have_title("(3) Moderation queue · commentsvc")
