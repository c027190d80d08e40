"""Two-step sign-in for staff in Chromium: a moderator of a site that requires it is made
to add an authenticator app before moderating, then signs in in two steps (an app's
code, a recovery code); an admin's passkey is the second step. Every new page passes axe,
light and dark."""

from __future__ import annotations

from datetime import timedelta

import pyotp
from playwright.sync_api import Browser, Page, expect
from sqlalchemy import update

from commentsvc.accounts import factor_rules, reset
from commentsvc.accounts.models import Reader, ReaderSession
from commentsvc.comments import sites
from commentsvc.core import tokens
from commentsvc.core.extensions import db, utcnow
from commentsvc.moderation.models import SiteModerator
from tests.browser.conftest import LiveServer
from tests.browser.test_passkeys import add_passkey, axe_clean, virtual_authenticator
from tests.factories import PASSWORD, make_reader

MODERATOR = "mina@example.org"
ADMIN = "admin@example.org"


def staff(service: LiveServer, require_for_moderators: bool) -> None:
    admin_id = make_reader(service.app, email=ADMIN, display_name="Admin", is_admin=True)
    mod_id = make_reader(service.app, email=MODERATOR, display_name="Mina")
    with service.app.app_context():
        site = sites.require_site("demo")
        db.session.add(SiteModerator(site_id=site.id, reader_id=mod_id))
        db.session.commit()
        admin = db.session.get(Reader, admin_id)
        assert admin is not None
        factor_rules.set_site_rule(admin, site, require_for_moderators)


def password_step(page: Page, url: str, email: str) -> None:
    page.goto(url + "/auth/sign-in")
    page.get_by_label("E-mail address").fill(email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in", exact=True).click()


def test_a_moderator_must_add_an_app_and_then_signs_in_in_two_steps(
    browser: Browser, service: LiveServer
):
    staff(service, require_for_moderators=True)
    context = browser.new_context()
    page = context.new_page()
    password_step(page, service.url, MODERATOR)
    # The queue is the moderator's landing page; it sends them to add a factor first.
    expect(page.get_by_role("status")).to_contain_text("Your role needs two-step sign-in.")
    expect(page.get_by_role("heading", name="Two-step sign-in")).to_be_visible()
    page.goto(service.url + "/moderation/")
    expect(page.get_by_role("heading", name="Your account", exact=True)).to_be_visible()

    page.get_by_role("link", name="Set up an authenticator app").click()
    expect(page.get_by_role("img", name="QR code for your authenticator app")).to_be_visible()
    axe_clean(page)
    secret = page.locator("code.secret").inner_text()
    page.get_by_label("6-digit code from the app").fill("000000")
    page.get_by_role("button", name="Turn on two-step sign-in").click()
    expect(page.get_by_text("That code is not right.")).to_be_visible()
    axe_clean(page)
    page.get_by_label("6-digit code from the app").fill(pyotp.TOTP(secret).now())
    page.get_by_role("button", name="Turn on two-step sign-in").click()
    expect(page.get_by_role("heading", name="Your recovery codes")).to_be_visible()
    axe_clean(page)
    codes = page.get_by_role("list", name="Recovery codes").locator("code").all_inner_texts()
    assert len(codes) == 10

    page.goto(service.url + "/moderation/")
    expect(page.get_by_role("heading", name="Moderation queue")).to_be_visible()

    page.get_by_role("button", name="Sign out", exact=True).click()
    password_step(page, service.url, MODERATOR)
    expect(page.get_by_role("heading", name="Confirm it is you")).to_be_visible()
    axe_clean(page)
    page.get_by_label("Code from your app, or a recovery code").fill(codes[0])
    page.get_by_role("button", name="Confirm").click()
    expect(page.get_by_role("heading", name="Moderation queue")).to_be_visible()

    # The same recovery code does not open a second session.
    page.get_by_role("button", name="Sign out", exact=True).click()
    password_step(page, service.url, MODERATOR)
    page.get_by_label("Code from your app, or a recovery code").fill(codes[0])
    page.get_by_role("button", name="Confirm").click()
    expect(page.get_by_text("That code is not right, or was already used.")).to_be_visible()
    context.close()


def test_an_admins_passkey_is_the_second_step(browser: Browser, service: LiveServer):
    staff(service, require_for_moderators=False)
    context = browser.new_context()
    page = context.new_page()
    virtual_authenticator(page)
    password_step(page, service.url, ADMIN)
    expect(page.get_by_role("heading", name="Admin", exact=False).first).to_be_visible()
    page.goto(service.url + "/account")
    add_passkey(page, "Security key")
    page.get_by_role("button", name="Sign out", exact=True).click()

    password_step(page, service.url, ADMIN)
    expect(page.get_by_role("heading", name="Confirm it is you")).to_be_visible()
    page.get_by_role("button", name="Use my passkey").click()
    expect(page).to_have_url(service.url + "/admin")
    context.close()


def test_a_staff_reset_takes_the_passkey_as_its_second_factor(
    browser: Browser, service: LiveServer
):
    staff(service, require_for_moderators=False)
    context = browser.new_context()
    page = context.new_page()
    virtual_authenticator(page)
    password_step(page, service.url, ADMIN)
    page.goto(service.url + "/account")
    add_passkey(page, "Security key")
    page.get_by_role("button", name="Sign out", exact=True).click()

    with service.app.app_context():
        admin = db.session.query(Reader).filter_by(email=ADMIN).one()
        token = tokens.PASSWORD_RESET.make(reset._reset_payload(admin))
    page.goto(f"{service.url}/auth/reset/{token}")
    expect(page.get_by_role("heading", name="Choose a new password")).to_be_visible()
    expect(page.get_by_label("Code from your app, or a recovery code")).to_be_visible()
    axe_clean(page)
    page.get_by_role("button", name="Use my passkey").click()
    expect(page.get_by_text("Your passkey confirmed it is you.")).to_be_visible()
    expect(page.get_by_label("Code from your app, or a recovery code")).to_have_count(0)
    axe_clean(page)
    page.get_by_label("New password").fill("a fresh and unusual passphrase")
    page.get_by_role("button", name="Save the new password").click()
    expect(page.get_by_role("status")).to_contain_text("Your password has been changed")
    context.close()


def test_publishing_a_policy_after_15_minutes_asks_again_and_keeps_the_text(
    browser: Browser, service: LiveServer
):
    """The admin's text stays in the editor while they confirm in another tab."""
    make_reader(service.app, email=ADMIN, display_name="Admin", is_admin=True)
    context = browser.new_context()
    page = context.new_page()
    password_step(page, service.url, ADMIN)
    page.goto(service.url + "/account/two-step/app")
    secret = page.locator("code.secret").inner_text()
    page.get_by_label("6-digit code from the app").fill(pyotp.TOTP(secret).now())
    page.get_by_role("button", name="Turn on two-step sign-in").click()
    codes = page.get_by_role("list", name="Recovery codes").locator("code").all_inner_texts()
    with service.app.app_context():  # as if the factor was proved 20 minutes ago
        db.session.execute(
            update(ReaderSession).values(second_factor_at=utcnow() - timedelta(minutes=20))
        )
        db.session.commit()

    page.goto(service.url + "/admin/policies/terms")
    text = "# Terms of use\n\nWritten over a long afternoon."
    page.get_by_label("Text (Markdown)").fill(text)
    page.get_by_label("What changed").fill("Clearer wording")
    page.get_by_role("button", name="Publish new version").click()
    notice = page.get_by_role("alert")
    expect(notice).to_contain_text("Publishing needs your passkey or your app's code again.")
    expect(page.get_by_label("Text (Markdown)")).to_have_value(text)
    axe_clean(page)

    with context.expect_page() as opened:
        notice.get_by_role("link", name="Confirm it is you (opens a new tab)").click()
    confirming = opened.value
    confirming.get_by_label("Code from your app, or a recovery code").fill(codes[0])
    confirming.get_by_role("button", name="Confirm").click()
    expect(confirming.get_by_role("heading", level=1)).to_be_visible()
    confirming.close()

    page.get_by_role("button", name="Publish new version").click()
    expect(page.get_by_role("status")).to_contain_text("Published Terms of use version 2.")
