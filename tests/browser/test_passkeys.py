"""Passkeys in Chromium with a virtual authenticator (DevTools' WebAuthn domain): add one
on the account page, sign in with it on the sign-in page and in the widget's popup with
third-party cookies blocked, remove it; and a browser with no passkey support is told so."""

from __future__ import annotations

from typing import Any

import pytest
from axe_playwright_python.sync_playwright import Axe  # type: ignore[import-untyped]  # no types shipped
from playwright.sync_api import Browser, BrowserContext, CDPSession, Page, expect

from tests.browser.conftest import LiveServer
from tests.browser.test_embed import open_article
from tests.factories import PASSWORD


def virtual_authenticator(page: Page) -> tuple[CDPSession, str]:
    """A platform authenticator with user verification, as a phone or laptop has."""
    cdp = page.context.new_cdp_session(page)
    cdp.send("WebAuthn.enable")
    created: Any = cdp.send(
        "WebAuthn.addVirtualAuthenticator",
        {
            "options": {
                "protocol": "ctap2",
                "transport": "internal",
                "hasResidentKey": True,
                "hasUserVerification": True,
                "isUserVerified": True,
                "automaticPresenceSimulation": True,
            }
        },
    )
    return cdp, str(created["authenticatorId"])


def axe_clean(page: Page) -> None:
    for scheme in ("light", "dark"):
        page.emulate_media(color_scheme=scheme)
        serious = [
            f"{v['id']}: {[n['target'] for n in v['nodes']][:3]}"
            for v in Axe().run(page).response["violations"]
            if v["impact"] in ("serious", "critical")
        ]
        assert serious == [], (page.url, scheme, serious)
    page.emulate_media(color_scheme="light")


def password_sign_in(page: Page, url: str) -> None:
    page.goto(url + "/auth/sign-in")
    page.get_by_label("E-mail address").fill("reader@example.org")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in", exact=True).click()
    expect(page.get_by_role("heading", name="Your account", exact=True)).to_be_visible()


def add_passkey(page: Page, name: str) -> None:
    page.get_by_label("Name of the new passkey").fill(name)
    page.get_by_role("button", name="Add a passkey").click()
    expect(page.get_by_role("status")).to_contain_text(f"Passkey “{name}” added")


def test_a_reader_adds_a_passkey_signs_in_with_it_and_removes_it(
    browser: Browser, service: LiveServer, reader: int
):
    context = browser.new_context()
    page = context.new_page()
    virtual_authenticator(page)
    password_sign_in(page, service.url)
    axe_clean(page)
    add_passkey(page, "Work laptop")
    expect(page.get_by_text("not used yet")).to_be_visible()

    page.get_by_role("button", name="Sign out", exact=True).click()
    page.goto(service.url + "/auth/sign-in")
    axe_clean(page)
    page.get_by_role("button", name="Use a passkey").click()
    expect(page.get_by_role("heading", name="Your account", exact=True)).to_be_visible()
    expect(page.get_by_text("last used")).to_be_visible()

    page.get_by_role("button", name="Remove the passkey Work laptop").click()
    expect(page.get_by_role("status")).to_contain_text("Passkey “Work laptop” removed.")
    expect(page.get_by_text("You have no passkeys yet.")).to_be_visible()

    # The authenticator still holds the key, but the service no longer takes it.
    page.get_by_role("button", name="Sign out", exact=True).click()
    page.goto(service.url + "/auth/sign-in")
    page.get_by_role("button", name="Use a passkey").click()
    expect(page.get_by_role("alert")).to_contain_text("That passkey could not be used.")
    context.close()


@pytest.mark.parametrize("embed_context", ["3p-cookies-blocked"], indirect=True)
def test_a_passkey_signs_in_through_the_widget_popup_with_third_party_cookies_blocked(
    embed_context: BrowserContext,
    embed_page: Page,
    service: LiveServer,
    news_site: str,
    reader: int,
):
    page = embed_page
    cdp, authenticator = virtual_authenticator(page)
    password_sign_in(page, service.url)
    add_passkey(page, "Phone")
    credentials: Any = cdp.send("WebAuthn.getCredentials", {"authenticatorId": authenticator})
    page.get_by_role("button", name="Sign out", exact=True).click()

    widget = open_article(page, news_site)
    with page.expect_popup() as popup_info:
        widget.get_by_role("link", name="Sign in to comment").click()
    popup = popup_info.value
    expect(popup.get_by_text("Comments on Demo News")).to_be_visible()
    # The popup is its own tab: the same passkey, on that tab's authenticator.
    popup_cdp, popup_authenticator = virtual_authenticator(popup)
    for credential in credentials["credentials"]:
        popup_cdp.send(
            "WebAuthn.addCredential",
            {"authenticatorId": popup_authenticator, "credential": credential},
        )
    with popup.expect_event("close"):
        popup.get_by_role("button", name="Use a passkey").click()
    expect(widget.get_by_text("Signed in as Aysel Quliyeva.")).to_be_visible()
    assert embed_context.pages == [page]


def test_a_browser_without_passkeys_is_told_so(browser: Browser, service: LiveServer, reader: int):
    context = browser.new_context()
    context.add_init_script("delete window.PublicKeyCredential")
    page = context.new_page()
    page.goto(service.url + "/auth/sign-in")
    page.get_by_role("button", name="Use a passkey").click()
    expect(page.get_by_role("alert")).to_contain_text("This browser cannot use passkeys.")
    # The password form is still there.
    expect(page.get_by_label("Password")).to_be_visible()
    context.close()
