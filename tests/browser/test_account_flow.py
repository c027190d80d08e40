"""A reader signs up, verifies the address, signs out and resets the password in Chromium."""

from __future__ import annotations

import re

from playwright.sync_api import Page, expect

from commentsvc.core.mail import deliver_pending
from tests.browser.conftest import LiveServer
from tests.conftest import Inbox, body_of


def follow_mail_link(page: Page, live: LiveServer, inbox: Inbox, address: str) -> None:
    with live.app.app_context():
        deliver_pending()
    body = body_of(inbox.last_to(address))
    match = re.search(re.escape(live.url) + r"/\S+", body)
    assert match, body
    page.goto(match.group(0))


def test_sign_up_verify_sign_out_and_reset_password(
    page: Page, live_server: LiveServer, inbox: Inbox
):
    address = "leyla@example.org"
    page.goto(live_server.url + "/")
    page.get_by_role("link", name="Create an account").first.click()

    page.get_by_label("E-mail address").fill(address)
    page.get_by_label("Display name").fill("Leyla Məmmədova")
    page.get_by_label("Password").fill("a long and unusual passphrase")
    page.get_by_label("I accept the terms of use and the privacy policy").check()
    page.get_by_role("button", name="Create account").click()
    expect(page.get_by_role("heading", name="Check your inbox")).to_be_visible()

    follow_mail_link(page, live_server, inbox, address)
    # Not signed in yet: the page says the address is verified and offers to sign in.
    expect(page.get_by_role("status")).to_contain_text("your e-mail address is verified")
    page.get_by_role("main").get_by_role("link", name="Sign in").click()
    page.get_by_label("E-mail address").fill(address)
    page.get_by_label("Password").fill("a long and unusual passphrase")
    page.get_by_role("button", name="Sign in", exact=True).click()
    expect(page.get_by_role("heading", name="Your account", exact=True)).to_be_visible()
    expect(page.get_by_text("(verified)")).to_be_visible()

    page.get_by_role("button", name="Sign out", exact=True).click()
    expect(page.get_by_role("link", name="Sign in").first).to_be_visible()

    page.get_by_role("link", name="Sign in").first.click()
    page.get_by_role("link", name="Lost your password?").click()
    page.get_by_label("E-mail address").fill(address)
    page.get_by_role("button", name="Send the link").click()
    expect(page.get_by_role("heading", name="Check your inbox")).to_be_visible()

    follow_mail_link(page, live_server, inbox, address)
    expect(page).to_have_url(live_server.url + "/auth/reset/new-password")
    page.get_by_label("New password").fill("another quite unusual phrase")
    page.get_by_role("button", name="Save the new password").click()
    expect(page.get_by_role("status")).to_contain_text("Your password has been changed")

    page.get_by_label("E-mail address").fill(address)
    page.get_by_label("Password").fill("a long and unusual passphrase")
    page.get_by_role("button", name="Sign in", exact=True).click()
    expect(page.get_by_text("Wrong e-mail address or password.")).to_be_visible()

    page.get_by_label("Password").fill("another quite unusual phrase")
    page.get_by_role("button", name="Sign in", exact=True).click()
    expect(page.get_by_role("heading", name="Your account", exact=True)).to_be_visible()
