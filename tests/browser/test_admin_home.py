"""The admin home in Chromium: an admin signs in, lands on it, and watches the demo news
site's set-up checklist turn green; the Install page's Copy buttons copy exactly the
snippets; the admin pages pass axe in light, dark and at 390 px."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import pytest
from axe_playwright_python.sync_playwright import Axe  # type: ignore[import-untyped]  # no types shipped
from playwright.sync_api import BrowserContext, Locator, Page, expect

from commentsvc.accounts.models import Reader
from commentsvc.comments import posting, threads
from commentsvc.core.extensions import db
from tests.browser.conftest import ARTICLE, SERVICE_URL, LiveServer
from tests.factories import PASSWORD, make_reader

ADMIN = "admin@example.org"


@pytest.fixture
def admin_context(browser: Any, service: LiveServer) -> Iterator[BrowserContext]:
    make_reader(service.app, ADMIN, "Admin Ada", is_admin=True)
    context = browser.new_context()
    context.grant_permissions(["clipboard-read", "clipboard-write"], origin=SERVICE_URL)
    context.set_default_timeout(10_000)
    yield context
    context.close()


def sign_in(page: Page) -> None:
    page.goto(f"{SERVICE_URL}/auth/sign-in")
    page.get_by_label("E-mail address").fill(ADMIN)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()


def step(page: Page, name: str) -> Locator:
    card = page.get_by_role("region", name=re.compile("^Demo News"))
    return card.locator(f'li[data-step="{name}"]')


def expect_steps(page: Page, done: set[str]) -> None:
    page.goto(f"{SERVICE_URL}/admin")
    for name in ("origins", "widget", "comment", "banner", "moderators"):
        item = step(page, name)
        if name in done:
            expect(item).to_have_class(re.compile(r"\bdone\b"))
            expect(item).to_contain_text("Done:")
        else:
            expect(item).to_have_class(re.compile(r"\btodo\b"))
            expect(item).to_contain_text("Not done:")
    expect(page.get_by_text(f"{len(done)} of 5 done")).to_be_visible()


def test_admin_lands_on_the_home_and_the_checklist_turns_green_step_by_step(
    admin_context: BrowserContext, service: LiveServer, news_site: str
) -> None:
    page = admin_context.new_page()
    sign_in(page)
    expect(page).to_have_url(f"{SERVICE_URL}/admin")
    expect(page.get_by_role("heading", name="Admin", level=1)).to_be_visible()
    expect(page.get_by_role("link", name="Admin", exact=True)).to_have_attribute("href", "/admin")
    expect_steps(page, {"origins"})
    expect(page.locator('[data-pending-site="demo"]')).to_have_text("0")

    # The news site's front page shows the consent banner (no comments there).
    news = admin_context.new_page()
    news.goto(news_site + "/")
    expect(news.get_by_role("dialog", name="Cookies on this site")).to_be_visible()
    expect_steps(page, {"origins", "banner"})
    expect(step(page, "banner")).to_contain_text(news_site)

    # An article embeds the widget.
    news.goto(f"{news_site}/articles/{ARTICLE}")
    widget = news.frame_locator('iframe[title="Comments"]')
    expect(widget.get_by_role("heading", name=re.compile("^Comments"))).to_be_visible()
    expect_steps(page, {"origins", "banner", "widget"})
    expect(step(page, "widget")).to_contain_text(news_site)

    # A reader comments under it.
    author = make_reader(service.app, "aysel@example.org", "Aysel")
    with service.app.app_context():
        found = threads.find_existing_thread("demo", ARTICLE)
        assert found is not None
        site, thread = found
        reader = db.session.get(Reader, author)
        assert reader is not None
        posting.post_comment(reader, thread, site, "The first comment on the site.")
    expect_steps(page, {"origins", "banner", "widget", "comment"})

    # The admin adds a moderator from the card's Settings link.
    make_reader(service.app, "mina@example.org", "Moderator Mina")
    card = page.get_by_role("region", name=re.compile("^Demo News"))
    card.get_by_role("link", name="Settings").click()
    page.get_by_label("E-mail address of the new moderator").fill("mina@example.org")
    page.get_by_role("button", name="Add moderator").click()
    expect_steps(page, {"origins", "banner", "widget", "comment", "moderators"})


SNIPPETS = {
    "Comments": (
        '<div data-commentsvc-thread="ARTICLE-KEY" data-title="ARTICLE TITLE"'
        ' data-theme="auto"></div>\n'
        f'<script src="{SERVICE_URL}/embed.js" data-site="demo" async></script>'
    ),
    "Comment count": (
        '<span data-commentsvc-count="ARTICLE-KEY">0</span>\n'
        f'<script src="{SERVICE_URL}/count.js" data-site="demo" async></script>'
    ),
    "In <head>": f'<script src="{SERVICE_URL}/consent.js" data-site="demo" async></script>',
    "Where the Cookie settings link goes": (
        '<button type="button" data-consent-open>Cookie settings</button>'
    ),
}


def test_copy_buttons_copy_exactly_the_snippets_and_say_so(
    admin_context: BrowserContext, service: LiveServer
) -> None:
    page = admin_context.new_page()
    sign_in(page)
    page.get_by_role("link", name="Snippets and preview").click()
    expect(page.get_by_role("heading", name="Install on Demo News")).to_be_visible()
    status = page.get_by_role("status")
    for title, text in SNIPPETS.items():
        found = page.get_by_role("button", name=f"Copy {title}", exact=True)
        # Its name changes to "Copied …" for a moment: follow the button itself.
        button = page.locator(f'button[data-copy="{found.get_attribute("data-copy")}"]')
        button.click()
        expect(button).to_have_text(re.compile("^Copied"))
        expect(status).to_have_text(f"Copied: {title}")
        assert page.evaluate("navigator.clipboard.readText()") == text
    # The label comes back after a moment.
    expect(page.locator('button[data-copy="snippet-comments"]')).to_have_text(
        re.compile("^Copy "), timeout=5_000
    )
    preview = page.frame_locator('iframe[title="Preview of the comments widget"]')
    expect(preview.get_by_role("heading", name=re.compile("^Comments"))).to_be_visible()
    expect(preview.get_by_text("Aysel")).to_be_visible()

    page.goto(f"{SERVICE_URL}/admin/sites/demo/consent")
    page.get_by_role("button", name="Copy In <head>", exact=True).click()
    assert page.evaluate("navigator.clipboard.readText()") == SNIPPETS["In <head>"]


@pytest.mark.parametrize(
    "variant",
    [
        {"viewport": {"width": 1280, "height": 900}},
        {"viewport": {"width": 1280, "height": 900}, "color_scheme": "dark"},
        {"viewport": {"width": 390, "height": 844}},
    ],
    ids=["light", "dark", "390px"],
)
def test_admin_pages_pass_axe_and_fit_the_screen(
    browser: Any, service: LiveServer, variant: dict[str, Any]
) -> None:
    make_reader(service.app, ADMIN, "Admin Ada", is_admin=True)
    context = browser.new_context(**variant)
    context.set_default_timeout(10_000)
    page = context.new_page()
    sign_in(page)
    expect(page).to_have_url(f"{SERVICE_URL}/admin")
    for path in ("/admin", "/admin/sites/demo/install", "/admin/sites/demo/consent"):
        page.goto(SERVICE_URL + path)
        page.wait_for_load_state("networkidle")
        results = Axe().run(page)
        serious = [
            (v["id"], [n["target"] for n in v["nodes"]])
            for v in results.response["violations"]
            if v["impact"] in ("serious", "critical")
        ]
        assert serious == [], (path, serious)
        assert page.evaluate(
            "document.documentElement.scrollWidth <= document.documentElement.clientWidth"
        ), path
    context.close()
