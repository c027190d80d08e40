"""Every staff page (moderation and admin) in the light and the dark theme: axe finds
nothing serious, and nothing is wider than a 360 px phone."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from pprint import pformat
from typing import Any

import pytest
from axe_playwright_python.sync_playwright import Axe  # type: ignore[import-untyped]  # no types shipped
from flask import Flask
from playwright.sync_api import Browser, Page, expect

from commentsvc.comments import reports
from commentsvc.comments.models import Site
from commentsvc.consent import banner_settings, records
from commentsvc.moderation import decisions, moderators
from commentsvc.moderation.decisions import Decision
from tests.browser.conftest import LiveServer, running
from tests.conftest import SMTPServer, build_app, free_port
from tests.factories import PASSWORD
from tests.moderation_support import Ids, build_world, get, post, reader

ADMIN = "admin@example.org"
WORDPRESS_EXPORT = Path(__file__).parents[1] / "transfer" / "data" / "wordpress.xml"
MODERATOR = "mina@example.org"


def seed(app: Flask) -> Ids:
    """Held, decided and reported comments, word lists and consent settings on demo."""
    ids = build_world(app, "hold_first_n")
    held = [
        post(app, ids.alice, "A first comment, held for a new reader."),
        post(app, ids.bob, "Bob's first comment, with a link: https://example.org/a"),
        post(app, ids.carol, "Carol writes on the other site.", ids.other_thread),
    ]
    with app.app_context():
        admin = reader(ids.admin)
        decisions.decide(admin, held[0], Decision.APPROVE)
        decisions.decide(admin, held[1], Decision.REJECT, "Advertising or spam.")
        later = post(app, ids.alice, "A reply everyone can read.")
        reports.report_comment(reader(ids.carol), later, "spam")
        moderators.update_word_lists(
            reader(ids.mod), get(Site, ids.site), "casino\nfree money", "scam"
        )
        site = get(Site, ids.site)
        banner_settings.save_settings(
            site, banner_settings.SettingsInput(categories=["analytics"]), admin
        )
        shown = banner_settings.public_config(site, "en", gpc=False)
        records.record_decision(
            site,
            {
                "site": "demo",
                "consent_id": records.sign_consent_id(site, "6f1c2b3a-4d5e-4f60-8a1b-2c3d4e5f6a7b"),
                "action": "accept_all",
                "source": "banner",
                "granted": ["necessary", "analytics"],
                "refused": [],
                "revision": shown["revision"],
                "settings_version": shown["settings_version"],
                "language": "en",
                "text_hash": shown["text_hash"],
            },
            records.RequestFacts("198.51.100.9", "Firefox/133.0", False, None, ids.alice),
        )
    post(app, ids.bob, "Bob again, still held.")
    # Comments moved in from WordPress, some held: the queue marks them imported.
    imported = app.test_cli_runner().invoke(
        args=["import", "wordpress", str(WORDPRESS_EXPORT), "--site", "demo"]
    )
    assert imported.exit_code == 0, imported.output
    return ids


def staff_pages(ids: Ids) -> list[tuple[str, str, str]]:
    """(name, who signs in, path) of every staff page."""
    return [
        ("queue", ADMIN, "/moderation/"),
        ("decided", ADMIN, "/moderation/decided"),
        ("reports", ADMIN, "/moderation/reports"),
        ("readers", ADMIN, "/moderation/readers?q=Al"),
        ("reader", ADMIN, f"/moderation/readers/{ids.alice}"),
        ("audit", ADMIN, "/moderation/audit"),
        ("settings-index", ADMIN, "/moderation/settings"),
        ("settings", ADMIN, "/moderation/sites/demo/settings"),
        ("settings-moderator", MODERATOR, "/moderation/sites/demo/settings"),
        ("thread", ADMIN, f"/moderation/threads/{ids.thread}"),
        ("sites", ADMIN, "/admin/sites"),
        ("site-new", ADMIN, "/admin/sites/new"),
        ("site", ADMIN, "/admin/sites/demo"),
        ("policies", ADMIN, "/admin/policies"),
        ("policy", ADMIN, "/admin/policies/privacy"),
        ("site-policy", ADMIN, "/admin/sites/demo/policies/terms"),
        ("consent-settings", ADMIN, "/admin/sites/demo/consent"),
        ("consent-records", ADMIN, "/admin/consent?site=demo"),
        ("admin-home", ADMIN, "/admin"),
        ("install", ADMIN, "/admin/sites/demo/install"),
        ("preview", ADMIN, "/admin/sites/demo/preview"),
    ]


@pytest.fixture(scope="module")
def staff_world(
    smtp_server: SMTPServer, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[LiveServer, Ids]]:
    port = free_port()
    url = f"http://localhost:{port}"
    app = build_app(tmp_path_factory.mktemp("staff"), smtp_server.port, PUBLIC_URL=url)
    ids = seed(app)
    with running(app, port) as live:
        yield live, ids


def sign_in(page: Page, url: str, email: str) -> None:
    page.goto(url + "/auth/sign-in")
    page.get_by_label("E-mail address").fill(email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(lambda u: "/auth/sign-in" not in u)


def problems(page: Page) -> list[str]:
    """axe's serious and critical violations, and anything wider than the viewport."""
    found = [
        f"{v['id']} ({v['impact']}): {[n['target'] for n in v['nodes']][:3]}"
        for v in Axe().run(page).response["violations"]
        if v["impact"] in ("serious", "critical")
    ]
    width: Any = page.evaluate("document.documentElement.scrollWidth")
    if width > 360:
        found.append(f"{width} px wide at 360 px")
    return found


@pytest.mark.parametrize("theme", ["light", "dark"])
def test_every_staff_page_passes_axe_and_fits_a_phone(
    browser: Browser, staff_world: tuple[LiveServer, Ids], theme: Any
) -> None:
    live, ids = staff_world
    found: dict[str, list[str]] = {}
    for email in (ADMIN, MODERATOR):
        context = browser.new_context(color_scheme=theme, viewport={"width": 360, "height": 800})
        page = context.new_page()
        sign_in(page, live.url, email)
        for name, who, path in staff_pages(ids):
            if who != email:
                continue
            response = page.goto(live.url + path)
            assert response is not None
            assert response.status == 200, (name, response.status)
            assert page.evaluate("matchMedia('(prefers-color-scheme: dark)').matches") == (
                theme == "dark"
            )
            if issues := problems(page):
                found[name] = issues
        context.close()
    assert found == {}, pformat(found)


def test_word_lists_and_policy_text_show_a_running_count(
    browser: Browser, staff_world: tuple[LiveServer, Ids]
) -> None:
    live, _ = staff_world
    # Without JavaScript the limits are a hint the text area is described by.
    context = browser.new_context(java_script_enabled=False)
    page = context.new_page()
    sign_in(page, live.url, MODERATOR)
    page.goto(live.url + "/moderation/sites/demo/settings")
    expect(page.get_by_label("Banned words (refuse the comment)")).to_have_accessible_description(
        re.compile(r"^Up to 1,000 entries, each up to 100 characters\.")
    )
    context.close()

    context = browser.new_context()
    page = context.new_page()
    sign_in(page, live.url, MODERATOR)
    page.goto(live.url + "/moderation/sites/demo/settings")
    banned = page.get_by_label("Banned words (refuse the comment)")
    expect(banned).to_have_accessible_description(
        re.compile(r"^1 of 1,000 entries; the longest has 4 of 100 characters\.")
    )
    banned.fill("scam\nfraud, SCAM\n" + "x" * 101)
    count = page.get_by_text("3 of 1,000 entries; the longest has 101 of 100 characters.")
    expect(count).to_be_visible()
    expect(count).to_have_class(re.compile(r"\bover\b"))
    expect(banned).to_have_accessible_description(re.compile("^3 of 1,000 entries"))
    # Once typing pauses, a polite live region says it too.
    expect(page.get_by_role("status").filter(has_text="3 of 1,000 entries")).to_have_count(1)
    context.close()

    context = browser.new_context()
    page = context.new_page()
    sign_in(page, live.url, ADMIN)
    page.goto(live.url + "/admin/policies/privacy")
    text = page.get_by_label("Text (Markdown)")
    text.fill("Short and clear: ünïcode counts as one each.")
    expect(text).to_have_accessible_description(re.compile("^44 of 100,000 characters"))
    expect(text).to_have_css("font-family", re.compile("^(?!.*mono)", re.IGNORECASE))
    context.close()
