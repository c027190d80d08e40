# ruff: noqa: RUF001 -- Turkish texts use the dotless i on purpose
"""A Turkish reader on a Turkish news page: the banner, the widget and the sign-in popup."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from axe_playwright_python.sync_playwright import Axe  # type: ignore[import-untyped]  # no types shipped
from playwright.sync_api import Page, expect

from tests.browser.conftest import CONSENT_ARTICLE, SERVICE_URL, LiveServer
from tests.factories import PASSWORD


@pytest.fixture
def turkish_page(browser: Any, consent_site: LiveServer, reader: int) -> Iterator[Page]:
    """A browser set to Turkish (Accept-Language and navigator.language)."""
    context = browser.new_context(locale="tr-TR")
    context.set_default_timeout(10_000)
    yield context.new_page()
    context.close()


def serious(page: Page) -> list[str]:
    results = Axe().run(page)
    return [
        f"{v['id']}: {v['help']}"
        for v in results.response["violations"]
        if v["impact"] in ("serious", "critical")
    ]


def test_turkish_reader_reads_the_banner_and_comments_in_turkish(turkish_page: Page):
    page = turkish_page
    page.goto(CONSENT_ARTICLE + "?lang=tr")
    banner = page.get_by_role("dialog", name="Bu sitede çerezler")
    expect(banner.get_by_role("button", name="Tümünü kabul et")).to_be_visible()
    expect(banner.get_by_role("link", name="Gizlilik Politikası (sürüm 1)")).to_have_attribute(
        "href", f"{SERVICE_URL}/policies/privacy/v1"
    )
    assert serious(page) == []
    banner.get_by_role("button", name="Tümünü reddet").click()
    expect(banner).to_be_hidden()

    widget = page.frame_locator("iframe")
    expect(widget.get_by_role("heading", name="Yorumlar")).to_be_visible()
    with page.expect_popup() as popup_info:
        widget.get_by_role("link", name="Yorum yapmak için giriş yapın").click()
    popup = popup_info.value
    expect(popup.get_by_role("heading", name="Hesabınıza giriş yapın")).to_be_visible()
    expect(popup.get_by_role("link", name="Şifrenizi mi unuttunuz?")).to_be_visible()
    popup.get_by_label("E-posta adresi").fill("reader@example.org")
    popup.get_by_label("Şifre").fill(PASSWORD)
    with popup.expect_event("close"):
        popup.get_by_role("button", name="Giriş yap", exact=True).click()
    expect(widget.get_by_text("Aysel Quliyeva olarak giriş yaptınız.")).to_be_visible()

    text = "İstanbul ılık bir günde IŞIKLARLA aydınlandı."
    widget.get_by_label("Yorumunuz", exact=True).fill(text)
    widget.get_by_role("button", name="Yorumu gönder").click()
    mine = widget.locator("li.comment").filter(has_text="IŞIKLARLA")
    expect(mine.get_by_role("article").get_by_role("paragraph")).to_have_text(
        "İstanbul ılık bir günde IŞIKLARLA aydınlandı."
    )
    expect(mine.get_by_text("Düzenle", exact=True)).to_be_visible()
    expect(mine.get_by_text("Sil", exact=True)).to_be_visible()  # opens the confirmation
