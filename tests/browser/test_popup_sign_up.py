"""One-window sign-up: from the article to a posted comment through the sign-in popup,
with third-party cookies blocked and allowed, and no second tab.

The popup is opened by the widget's "Sign in to comment" (today's widget.js opens the
sign-in page for every data-action="sign-in" link); the sign-in page in the popup links
to the popup's sign-up and password reset, so the flow does not depend on which page
the widget opens first.
"""

from __future__ import annotations

import re
import tempfile
from pathlib import Path

from axe_playwright_python.sync_playwright import Axe  # type: ignore[import-untyped]  # no types shipped
from playwright.sync_api import BrowserContext, FrameLocator, Page, expect

from commentsvc.core.mail import deliver_pending
from tests.accounts.popup_support import code_in
from tests.browser.conftest import LiveServer
from tests.browser.test_embed import click_in_frame, comment_item, expect_iframe_fits, open_article
from tests.conftest import Inbox, body_of
from tests.factories import make_reader

# Kept after the run, to look at.
SHOTS = Path(tempfile.gettempdir()) / "s13" / "shots" / "signup"


def look(popup: Page, step: str, param: str) -> None:
    """The popup fits 480 px without sideways scrolling and passes axe, light and dark;
    a screenshot of each theme goes to SHOTS."""
    SHOTS.mkdir(parents=True, exist_ok=True)
    popup.set_viewport_size({"width": 480, "height": 700})
    for scheme in ("light", "dark"):
        popup.emulate_media(color_scheme=scheme)
        assert popup.evaluate("document.documentElement.scrollWidth") <= 480, step
        serious = [
            f"{v['id']}: {[n['target'] for n in v['nodes']][:3]}"
            for v in Axe().run(popup).response["violations"]
            if v["impact"] in ("serious", "critical")
        ]
        assert serious == [], (step, scheme, serious)
        if param == "3p-cookies-blocked":
            popup.screenshot(path=str(SHOTS / f"{step}-{scheme}.png"), full_page=True)
    popup.emulate_media(color_scheme="light")


def mailed_code(service: LiveServer, inbox: Inbox, address: str) -> str:
    with service.app.app_context():
        deliver_pending()
    return code_in(inbox.last_to(address))


def open_popup(page: Page, widget: FrameLocator) -> Page:
    with page.expect_popup() as popup_info:
        widget.get_by_role("link", name="Sign in to comment").click()
    popup = popup_info.value
    expect(popup.get_by_text("Comments on Demo News")).to_be_visible()
    return popup


def post_a_comment(page: Page, widget: FrameLocator, name: str) -> None:
    widget.get_by_label("Your comment", exact=True).fill("First time here, and no second tab.")
    click_in_frame(page, widget.get_by_role("button", name="Post comment"))
    mine = comment_item(widget, "First time here, and no second tab.")
    expect(mine.locator(".author").first).to_have_text(name)
    expect_iframe_fits(page)


def test_a_new_reader_signs_up_in_the_popup_and_comments(
    request,
    embed_context: BrowserContext,
    embed_page: Page,
    service: LiveServer,
    news_site: str,
    inbox: Inbox,
):
    param = request.node.callspec.params["embed_context"]
    page = embed_page
    widget = open_article(page, news_site)
    popup = open_popup(page, widget)
    look(popup, "1-sign-in", param)
    popup.get_by_role("link", name="Create an account").click()
    expect(popup.get_by_role("heading", name="Create an account")).to_be_visible()
    look(popup, "2-sign-up", param)

    # Every mistake is told at once, next to its field.
    popup.get_by_label("E-mail address").fill("leyla@example")
    popup.get_by_label("Display name").fill("L")
    popup.get_by_label("Password").fill("password")
    popup.get_by_role("button", name="Create account").click()
    expect(popup.get_by_role("alert")).to_contain_text("Please correct the marked fields.")
    for label in ("E-mail address", "Display name", "Password"):
        expect(popup.get_by_label(label)).to_have_attribute("aria-invalid", "true")
    expect(popup.get_by_text("commonly used passwords")).to_be_visible()
    expect(popup.get_by_text("You need to accept the terms")).to_be_visible()
    look(popup, "3-sign-up-errors", param)

    popup.get_by_label("E-mail address").fill("leyla@example.org")
    popup.get_by_label("Display name").fill("Leyla Məmmədova")
    popup.get_by_label("Password").fill("a long and unusual passphrase")
    popup.get_by_label("I accept the terms of use and the privacy policy").check()
    popup.get_by_role("button", name="Create account").click()
    expect(popup.get_by_role("heading", name="Enter the code")).to_be_visible()
    look(popup, "4-code", param)

    code = mailed_code(service, inbox, "leyla@example.org")
    popup.get_by_label("6-digit code").fill(code)
    with popup.expect_event("close"):
        popup.get_by_role("button", name="Verify and sign in").click()
    expect(widget.get_by_text("Signed in as Leyla Məmmədova.")).to_be_visible()
    post_a_comment(page, widget, "Leyla Məmmədova")
    # The reader never left the article: its tab is the only page.
    assert embed_context.pages == [page]


def test_a_reader_who_lost_the_password_resets_it_in_the_popup_and_comments(
    request,
    embed_context: BrowserContext,
    embed_page: Page,
    service: LiveServer,
    news_site: str,
    inbox: Inbox,
):
    param = request.node.callspec.params["embed_context"]
    make_reader(service.app, email="aysel@example.org", display_name="Aysel Quliyeva")
    page = embed_page
    widget = open_article(page, news_site)
    popup = open_popup(page, widget)
    popup.get_by_role("link", name="Lost your password?").click()
    expect(popup.get_by_role("heading", name="Reset your password")).to_be_visible()
    look(popup, "5-reset", param)
    popup.get_by_label("E-mail address").fill("aysel@example.org")
    popup.get_by_role("button", name="Send the code").click()
    expect(popup.get_by_role("heading", name="Enter the code")).to_be_visible()

    code = mailed_code(service, inbox, "aysel@example.org")
    popup.get_by_label("6-digit code").fill("000000" if code != "000000" else "111111")
    popup.get_by_role("button", name="Next").click()
    expect(popup.get_by_text("That code is not right.")).to_be_visible()
    expect(popup.get_by_label("6-digit code")).to_have_attribute("aria-invalid", "true")
    look(popup, "6-code-wrong", param)
    popup.get_by_label("6-digit code").fill(code)
    popup.get_by_role("button", name="Next").click()
    expect(popup.get_by_role("heading", name="Choose a new password")).to_be_visible()
    look(popup, "7-new-password", param)
    popup.get_by_label("New password").fill("a fresh and unusual passphrase")
    with popup.expect_event("close"):
        popup.get_by_role("button", name="Save the new password and sign in").click()
    expect(widget.get_by_text("Signed in as Aysel Quliyeva.")).to_be_visible()
    post_a_comment(page, widget, "Aysel Quliyeva")
    assert embed_context.pages == [page]


def test_the_link_in_the_mail_opened_in_another_tab_lets_the_popup_go_on(
    embed_context: BrowserContext,
    embed_page: Page,
    service: LiveServer,
    news_site: str,
    inbox: Inbox,
):
    page = embed_page
    widget = open_article(page, news_site)
    popup = open_popup(page, widget)
    popup.get_by_role("link", name="Create an account").click()
    popup.get_by_label("E-mail address").fill("rauf@example.org")
    popup.get_by_label("Display name").fill("Rauf")
    popup.get_by_label("Password").fill("a long and unusual passphrase")
    popup.get_by_label("I accept the terms of use and the privacy policy").check()
    popup.get_by_role("button", name="Create account").click()
    expect(popup.get_by_role("heading", name="Enter the code")).to_be_visible()

    with service.app.app_context():
        deliver_pending()
    body = body_of(inbox.last_to("rauf@example.org"))
    link = re.search(re.escape(service.url) + r"/auth/verify/\S+", body)
    assert link, body
    # The reader opens the link from the mail client: a new tab, beside the popup.
    tab = embed_context.new_page()
    with popup.expect_event("close"):
        tab.goto(link.group(0))
        expect(tab.get_by_role("status")).to_contain_text("your e-mail address is verified")
    expect(widget.get_by_text("Signed in as Rauf.")).to_be_visible()
