# ruff: noqa: RUF001 -- Azerbaijani texts use the dotless i on purpose
"""The consent banner on the demo news site, in Chromium, with the proof the service keeps."""

from __future__ import annotations

import re
from typing import Any

from axe_playwright_python.sync_playwright import Axe  # type: ignore[import-untyped]  # no types shipped
from playwright.sync_api import Locator, Page, expect
from sqlalchemy import select

from commentsvc.comments import sites
from commentsvc.consent import banner_settings
from commentsvc.consent import records as consent_records
from commentsvc.consent.models import ConsentRecord
from commentsvc.core.extensions import db
from tests.browser.conftest import CONSENT_ARTICLE, NEWS_URL, SERVICE_URL, LiveServer

RECORD_URL = f"{SERVICE_URL}/api/v1/consent"
# The choice cookie: the consent ID the service issued, signed for the site, then the
# revision and the optional categories granted.
SIGNED_CHOICE = r"[0-9a-f-]{36}\.[\w-]{43}~\d+~[a-z.]*"


def banner(page: Page) -> Locator:
    return page.get_by_role("dialog", name="Cookies on this site")


def preferences(page: Page) -> Locator:
    return page.get_by_role("dialog", name="Cookie preferences")


def footer_button(page: Page, name: str) -> Locator:
    """A button in the article's footer, once the comments frame above it has taken its
    content's height: until then the footer moves as the frame grows, and a click aimed
    at it can land on the frame instead."""
    handle = page.locator('iframe[title="Comments"]').element_handle()  # waits for embed.js
    frame = handle.content_frame()
    assert frame is not None
    frame.wait_for_url("**/embed/**")
    frame.wait_for_load_state("load")
    for _ in range(20):
        content = frame.evaluate("Math.ceil(document.body.getBoundingClientRect().height)")
        page.wait_for_function(
            "h => document.querySelector('iframe[title=\"Comments\"]').style.height === h + 'px'",
            arg=content,
        )
        if frame.evaluate("Math.ceil(document.body.getBoundingClientRect().height)") == content:
            break
    return page.get_by_role("button", name=name)


def cookies(page: Page) -> dict[str, str]:
    return {c["name"]: c["value"] for c in page.context.cookies(NEWS_URL)}


def analytics_runs(page: Page) -> Any:
    return page.evaluate("window.demoAnalytics || null")


def decide(page: Page, button: Locator) -> None:
    """Click a decision button and wait until the service has stored the record and the
    banner has kept the consent ID the service issued."""
    with page.expect_response(
        lambda r: r.url == RECORD_URL and r.request.method == "POST"
    ) as response:
        button.click()
    assert response.value.status == 201, response.value.text()
    issued = response.value.json()["consent_id"]
    page.wait_for_function(
        "id => document.cookie.includes('commentsvc_consent=' + id + '~')", arg=issued
    )


def signed_for_demo(service: LiveServer, consent_id: str) -> str:
    with service.app.app_context():
        site = sites.get_site("demo")
        assert site is not None
        return consent_records.sign_consent_id(site, consent_id)


def records(service: LiveServer) -> list[ConsentRecord]:
    with service.app.app_context():
        rows = list(db.session.scalars(select(ConsentRecord).order_by(ConsentRecord.id)))
        for row in rows:
            # Every field a record must have, whatever the decision.
            assert re.fullmatch(r"[0-9a-f-]{36}", row.consent_id)
            assert row.site.slug == "demo"
            assert row.created_at.tzinfo is not None
            assert row.action in ("accept_all", "reject_all", "custom", "withdraw")
            assert row.source in ("banner", "preferences", "gpc")
            assert "necessary" in row.granted
            assert set(row.granted) | set(row.refused) == {
                "necessary",
                "preferences",
                "analytics",
                "marketing",
            }
            assert row.revision >= 1
            assert row.settings_version >= 1
            assert row.language == "en"
            assert re.fullmatch(r"[0-9a-f]{64}", row.text_hash)
            assert row.ip_prefix == "127.0.0.0/24"
            assert row.browser == "chrome"
            assert row.reader_id is None
        db.session.expunge_all()
        return rows


def test_fresh_visit_shows_the_banner_and_stores_and_sends_nothing(
    page: Page, consent_site: LiveServer
):
    sent: list[str] = []
    page.on("request", lambda r: sent.append(f"{r.method} {r.url.split('?')[0]}"))
    page.goto(CONSENT_ARTICLE)
    expect(banner(page)).to_be_visible()
    expect(banner(page)).to_be_focused()
    accept = banner(page).get_by_role("button", name="Accept all")
    reject = banner(page).get_by_role("button", name="Reject all")
    # Equal weight: the same size and look.
    look = (
        "e => { const s = getComputedStyle(e); return [s.fontSize, s.fontWeight, s.color, "
        "s.backgroundColor, s.borderColor, e.offsetHeight, e.offsetWidth]; }"
    )
    assert accept.evaluate(look) == reject.evaluate(look)
    # Scrolling and moving about is not consent.
    page.mouse.wheel(0, 2000)
    page.keyboard.press("Tab")
    expect(banner(page)).to_be_visible()
    assert cookies(page) == {}
    assert analytics_runs(page) is None
    # From the page to the service: the banner's script and settings, and the comment
    # widget's own loader, frame and counts. Nothing is posted.
    page.wait_for_load_state("networkidle")
    to_service = {url for url in sent if url.split()[1].startswith(SERVICE_URL)}
    assert {
        f"GET {SERVICE_URL}/consent.js",
        f"GET {SERVICE_URL}/api/v1/sites/demo/consent-config",
    } <= to_service
    allowed = ("/consent.js", "/consent-config", "/embed.js", "/count.js", "/counts")
    widget = f"GET {SERVICE_URL}/embed/demo/t/"
    for url in to_service:
        assert url.startswith(widget) or url.endswith(allowed) or "/static/" in url, url
    assert not [url for url in sent if not url.startswith("GET ")]
    assert records(consent_site) == []


def test_reject_all_keeps_analytics_inert_for_good(page: Page, consent_site: LiveServer):
    page.goto(CONSENT_ARTICLE)
    decide(page, banner(page).get_by_role("button", name="Reject all"))
    expect(banner(page)).to_have_count(0)
    choice = cookies(page)["commentsvc_consent"]
    assert re.fullmatch(SIGNED_CHOICE, choice)
    assert choice.endswith("~")
    page.reload()
    expect(page.get_by_role("heading", name="Blinken's failure in Azerbaijan")).to_be_visible()
    expect(banner(page)).to_have_count(0)
    page.wait_for_function("document.readyState === 'complete'")
    assert analytics_runs(page) is None
    expect(page.locator("#analytics-status")).to_have_text("")
    (record,) = records(consent_site)
    assert (record.action, record.source) == ("reject_all", "banner")
    assert record.granted == ["necessary"]


def test_accept_all_runs_the_analytics_scripts_in_document_order(
    page: Page, consent_site: LiveServer
):
    events: list[Any] = []
    page.expose_function("noteConsent", lambda detail: events.append(detail))
    page.add_init_script(
        "document.addEventListener('commentsvc:consent', e => window.noteConsent(e.detail))"
    )
    page.goto(CONSENT_ARTICLE)
    decide(page, banner(page).get_by_role("button", name="Accept all"))
    expect(page.get_by_text("Analytics active")).to_be_visible()
    page.wait_for_function("(window.demoAnalytics || []).length === 3")
    assert analytics_runs(page) == ["inline-1", "external", "inline-2"]
    assert events[-1]["action"] == "accept_all"
    assert events[-1]["granted"] == ["necessary", "preferences", "analytics", "marketing"]
    page.reload()
    expect(page.get_by_text("Analytics active")).to_be_visible()
    expect(banner(page)).to_have_count(0)
    (record,) = records(consent_site)
    assert (record.action, record.refused) == ("accept_all", [])
    assert record.consent_id == page.evaluate("commentsvcConsent.get().consentId")
    # The banner keeps the ID the service minted, signed for this site.
    kept = cookies(page)["commentsvc_consent"].split("~")[0]
    assert kept == signed_for_demo(consent_site, record.consent_id)


def test_a_new_revision_asks_again_before_anything_runs(page: Page, consent_site: LiveServer):
    page.goto(CONSENT_ARTICLE)
    decide(page, banner(page).get_by_role("button", name="Accept all"))
    first_id = cookies(page)["commentsvc_consent"].split("~")[0].split(".")[0]
    with consent_site.app.app_context():
        site = sites.get_site("demo")
        assert site is not None
        current = banner_settings.current_settings(site)
        banner_settings.save_settings(
            site,
            banner_settings.SettingsInput(
                categories=list(current.categories), cookies=current.cookies, ask_again=True
            ),
            None,
        )
    page.reload()
    expect(banner(page)).to_be_visible()
    assert analytics_runs(page) is None
    decide(page, banner(page).get_by_role("button", name="Accept all"))
    expect(page.get_by_text("Analytics active")).to_be_visible()
    first, second = records(consent_site)
    assert second.revision == first.revision + 1
    assert second.consent_id == first.consent_id == first_id


def test_gpc_starts_analytics_and_marketing_refused_and_says_so(
    gpc_page: Page, consent_site: LiveServer
):
    page = gpc_page
    page.goto(CONSENT_ARTICLE)
    expect(banner(page)).to_contain_text("Global Privacy Control")
    banner(page).get_by_role("button", name="Preferences").click()
    dialog = preferences(page)
    expect(dialog).to_contain_text("Global Privacy Control")
    for name in ("Preferences", "Analytics", "Marketing"):
        expect(dialog.get_by_role("checkbox", name=name)).not_to_be_checked()
    decide(page, dialog.get_by_role("button", name="Accept all"))
    page.wait_for_function("document.readyState === 'complete'")
    assert analytics_runs(page) is None
    assert cookies(page)["commentsvc_consent"].endswith("~preferences")
    (record,) = records(consent_site)
    assert (record.action, record.source, record.gpc) == ("accept_all", "gpc", True)
    assert record.refused == ["analytics", "marketing"]


def test_withdrawal_deletes_the_listed_cookies_and_is_recorded(
    page: Page, consent_site: LiveServer
):
    page.goto(CONSENT_ARTICLE)
    decide(page, banner(page).get_by_role("button", name="Accept all"))
    expect(page.get_by_text("Analytics active")).to_be_visible()
    assert "demo_analytics" in cookies(page)

    settings = footer_button(page, "Cookie settings")
    settings.click()
    dialog = preferences(page)
    expect(dialog).to_be_visible()
    expect(dialog.get_by_role("checkbox", name="Analytics")).to_be_checked()
    expect(dialog.get_by_role("checkbox", name="Preferences")).to_be_focused()
    decide(page, dialog.get_by_role("button", name="Reject all"))
    expect(dialog).to_have_count(0)
    expect(settings).to_be_focused()
    expect(page.get_by_text("Analytics stopped")).to_be_visible()
    assert "demo_analytics" not in cookies(page)
    assert cookies(page)["commentsvc_consent"].endswith("~")
    # Consenting again and withdrawing take one click each.
    settings.click()
    decide(page, preferences(page).get_by_role("button", name="Accept all"))
    page.reload()  # a script runs once per page: the tag sets its cookie again on load
    expect(page.get_by_text("Analytics active")).to_be_visible()
    assert "demo_analytics" in cookies(page)
    decide(page, footer_button(page, "Withdraw cookie consent"))
    expect(page.get_by_text("Analytics stopped")).to_be_visible()
    assert "demo_analytics" not in cookies(page)
    accepted, withdrawn, again, withdrawn_again = records(consent_site)
    assert (withdrawn.action, withdrawn.source) == ("withdraw", "preferences")
    assert withdrawn.refused == ["preferences", "analytics", "marketing"]
    assert again.action == "accept_all"
    assert withdrawn_again.action == "withdraw"
    assert {r.consent_id for r in (withdrawn, again, withdrawn_again)} == {accepted.consent_id}


def serious(page: Page, selector: str) -> list[str]:
    results = Axe().run(page, context=selector)
    # axe looked inside the banner's shadow root: it checked the buttons there.
    assert "button-name" in {rule["id"] for rule in results.response["passes"]}
    return [
        f"{v['id']}: {v['help']}"
        for v in results.response["violations"]
        if v["impact"] in ("serious", "critical")
    ]


def test_banner_and_preferences_work_by_keyboard_and_pass_axe(page: Page, consent_site: LiveServer):
    page.goto(CONSENT_ARTICLE)
    expect(banner(page)).to_be_focused()
    assert serious(page, "#commentsvc-consent") == []

    # Through the policy links, "Accept all" and "Reject all".
    for _ in range(8):
        page.keyboard.press("Tab")
        if page.evaluate("document.activeElement.shadowRoot?.activeElement?.textContent") == (
            "Preferences"
        ):
            break
    opener = banner(page).get_by_role("button", name="Preferences")
    expect(opener).to_be_focused()
    page.keyboard.press("Enter")
    dialog = preferences(page)
    expect(dialog).to_be_visible()
    assert serious(page, "#commentsvc-consent") == []
    # Escape closes without deciding; focus goes back to the button that opened it.
    page.keyboard.press("Escape")
    expect(dialog).to_have_count(0)
    expect(opener).to_be_focused()
    assert cookies(page) == {}

    page.keyboard.press("Enter")
    analytics = dialog.get_by_role("checkbox", name="Analytics")
    expect(dialog.get_by_role("checkbox", name="Preferences")).to_be_focused()
    page.keyboard.press("Tab")
    expect(analytics).to_be_focused()
    page.keyboard.press("Space")
    expect(analytics).to_be_checked()
    dialog.get_by_role("button", name="Save choices").focus()
    with page.expect_response(lambda r: r.url == RECORD_URL and r.request.method == "POST"):
        page.keyboard.press("Enter")
    expect(page.get_by_text("Analytics active")).to_be_visible()
    (record,) = records(consent_site)
    assert (record.action, record.source) == ("custom", "preferences")
    assert record.granted == ["necessary", "analytics"]


def test_the_banner_speaks_the_pages_language(page: Page, consent_site: LiveServer):
    page.goto(CONSENT_ARTICLE + "?lang=az")
    dialog = page.get_by_role("dialog", name="Bu saytda kukilər")
    expect(dialog.get_by_role("button", name="Hamısını qəbul et")).to_be_visible()
    expect(dialog.get_by_role("button", name="Hamısını rədd et")).to_be_visible()
    expect(dialog.get_by_role("link", name="Məxfilik siyasəti (versiya 1)")).to_have_attribute(
        "href", f"{SERVICE_URL}/policies/privacy/v1"
    )


def test_the_widget_only_talks_to_the_service(page: Page, consent_site: LiveServer):
    from_widget: list[str] = []

    def note(request: Any) -> None:
        frame = request.frame
        if frame is not None and frame.parent_frame is not None:
            from_widget.append(request.url)

    page.on("request", note)
    page.goto(CONSENT_ARTICLE)
    widget = page.frame_locator("iframe")
    expect(widget.get_by_role("heading", name="Comments")).to_be_visible()
    page.wait_for_load_state("networkidle")
    assert from_widget
    assert all(url.startswith(SERVICE_URL + "/") for url in from_widget), from_widget


def test_a_stored_id_the_service_did_not_issue_is_replaced_by_a_new_one(
    page: Page, consent_site: LiveServer
):
    """A browser still holding an older banner's unsigned ID (or a forged one) keeps
    working: the service refuses the ID, the banner drops it and gets a new one."""
    with consent_site.app.app_context():
        site = sites.get_site("demo")
        assert site is not None
        revision = banner_settings.current_settings(site).revision
    old = "0b8e7c1a-1d2e-4f3a-9b8c-7d6e5f4a3b2c"
    page.context.add_cookies(
        [{"name": "commentsvc_consent", "value": f"{old}~{revision}~analytics", "url": NEWS_URL}]
    )
    statuses: list[int] = []
    page.on("response", lambda r: statuses.append(r.status) if r.url == RECORD_URL else None)
    page.goto(CONSENT_ARTICLE)
    expect(banner(page)).to_have_count(0)
    expect(page.get_by_text("Analytics active")).to_be_visible()
    footer_button(page, "Cookie settings").click()
    with page.expect_response(lambda r: r.url == RECORD_URL and r.status == 201) as response:
        preferences(page).get_by_role("button", name="Reject all").click()
    issued = response.value.json()["consent_id"]
    page.wait_for_function(
        "id => document.cookie.includes('commentsvc_consent=' + id + '~')", arg=issued
    )
    assert [s for s in statuses if s != 204] == [403, 201]
    (record,) = records(consent_site)
    assert record.action == "withdraw"
    assert record.consent_id != old
    assert issued == signed_for_demo(consent_site, record.consent_id)
    assert re.fullmatch(SIGNED_CHOICE, cookies(page)["commentsvc_consent"])
    # The next decision goes under the new ID at once.
    footer_button(page, "Cookie settings").click()
    decide(page, preferences(page).get_by_role("button", name="Accept all"))
    withdrawn, accepted = records(consent_site)
    assert accepted.consent_id == withdrawn.consent_id


def test_the_banner_never_hides_the_end_of_the_page(page: Page, consent_site: LiveServer):
    page.set_viewport_size({"width": 390, "height": 700})
    page.goto(CONSENT_ARTICLE)
    expect(banner(page)).to_be_visible()
    footer = page.locator("footer")
    page.evaluate("window.scrollTo(0, document.documentElement.scrollHeight)")
    page.wait_for_function(
        "Math.abs(window.scrollY + innerHeight - document.documentElement.scrollHeight) < 2"
    )
    footer_box = footer.bounding_box()
    banner_box = banner(page).bounding_box()
    assert footer_box is not None
    assert banner_box is not None
    # Scrolled to the end, the page's last line is above the banner, not under it.
    assert footer_box["y"] + footer_box["height"] <= banner_box["y"]
    # Deciding gives the room back.
    before = page.evaluate("document.documentElement.scrollHeight")
    decide(page, banner(page).get_by_role("button", name="Reject all"))
    expect(banner(page)).to_have_count(0)
    assert page.evaluate("document.documentElement.scrollHeight") < before
