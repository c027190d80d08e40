"""A reader reports a comment from inside the widget on a news site; the moderators see it."""

from __future__ import annotations

import pytest
from playwright.sync_api import FrameLocator, Page, expect
from sqlalchemy import select

from commentsvc.comments.models import Report
from commentsvc.core.extensions import db
from tests.browser.conftest import ARTICLE, LiveServer, seed_comment
from tests.factories import PASSWORD


def sign_in_in_the_widget(page: Page, widget: FrameLocator) -> None:
    with page.expect_popup() as popup_info:
        widget.get_by_role("link", name="Sign in to comment").click()
    popup = popup_info.value
    popup.get_by_label("E-mail address").fill("reader@example.org")
    popup.get_by_label("Password").fill(PASSWORD)
    with popup.expect_event("close"):
        popup.get_by_role("button", name="Sign in", exact=True).click()
    expect(widget.get_by_text("Signed in as Aysel Quliyeva.")).to_be_visible()


# The harder of the two cookie settings: third-party cookies blocked (a partitioned one).
@pytest.mark.parametrize("embed_context", ["3p-cookies-blocked"], indirect=True)
def test_reader_reports_a_comment_inside_the_embedded_widget(
    embed_page: Page, service: LiveServer, news_site: str, reader: int
):
    cid = seed_comment(
        service, news_site, "Everyone who disagrees is a traitor.", "rauf@example.org", "Rauf"
    )
    page = embed_page
    page.goto(f"{news_site}/articles/{ARTICLE}")
    widget = page.frame_locator("iframe")
    sign_in_in_the_widget(page, widget)

    item = widget.locator(f"#c{cid}")
    # From the keyboard: a mouse click right after the frame's reload can land while the
    # host page is still resizing the frame (layout shift), and miss.
    # "Report" is a link to the page with the one Report form, under this comment.
    item.get_by_role("link", name="Report").press("Enter")
    expect(item.get_by_role("group", name="What is wrong with this comment?")).to_be_visible()
    # The keyboard again: the frame may still be taking its new height after the load.
    reason = item.get_by_label("Abuse or harassment")
    reason.focus()
    reason.press("Space")
    expect(reason).to_be_checked()
    item.get_by_label("Details (needed for “Something else”)").fill("Calls readers traitors.")
    item.get_by_role("button", name="Send report").click()
    expect(widget.locator(f"#c{cid}").get_by_text("You reported this comment")).to_be_visible()
    expect(widget.locator(f"#c{cid}").get_by_text("Report", exact=True)).to_have_count(0)
    # The comment stays up until enough readers report it.
    expect(widget.get_by_text("Everyone who disagrees is a traitor.")).to_be_visible()

    with service.app.app_context():
        report = db.session.scalars(select(Report)).one()
        assert (report.comment_id, report.reason, report.text) == (
            cid,
            "abuse",
            "Calls readers traitors.",
        )
