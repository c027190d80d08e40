"""After a Disqus import, the demo article shows the imported thread in its widget: the
names, the reply tree and the count, as a reader of the news site sees them."""

from __future__ import annotations

from pathlib import Path

from playwright.sync_api import Page, expect

from tests.browser.conftest import ARTICLE, NEWS_URL, LiveServer
from tests.browser.test_embed import open_article

EXPORT = f"""<?xml version="1.0" encoding="utf-8"?>
<disqus xmlns="http://disqus.com" xmlns:dsq="http://disqus.com/disqus-internals">
  <thread dsq:id="1">
    <id>{ARTICLE}</id>
    <link>{NEWS_URL}/articles/{ARTICLE}</link>
    <title>Blinken's failure in Azerbaijan</title>
    <createdAt>2022-06-01T08:00:00Z</createdAt>
  </thread>
  <post dsq:id="10">
    <message><![CDATA[<p>An opening comment from <b>2022</b>.</p>]]></message>
    <createdAt>2022-06-01T09:00:00Z</createdAt>
    <author><name>Leyla Həsənova</name><email>leyla@mail.example</email></author>
    <thread dsq:id="1"/>
  </post>
  <post dsq:id="11">
    <message><![CDATA[<p>A reply to the opening.</p>]]></message>
    <createdAt>2022-06-01T10:00:00Z</createdAt>
    <author><name>Murad</name></author>
    <thread dsq:id="1"/><parent dsq:id="10"/>
  </post>
  <post dsq:id="12">
    <message><![CDATA[<p>A reply to the reply.</p>]]></message>
    <createdAt>2022-06-01T11:00:00Z</createdAt>
    <author><name>Leyla Həsənova</name><email>leyla@mail.example</email></author>
    <thread dsq:id="1"/><parent dsq:id="11"/>
  </post>
  <post dsq:id="13">
    <message><![CDATA[<p>Buy followers now</p>]]></message>
    <createdAt>2022-06-01T12:00:00Z</createdAt>
    <isSpam>true</isSpam>
    <author><name>Spammer</name></author>
    <thread dsq:id="1"/>
  </post>
</disqus>
"""


def test_the_demo_article_shows_the_imported_tree(
    page: Page, service: LiveServer, news_site: str, tmp_path: Path
):
    path = tmp_path / "disqus.xml"
    path.write_text(EXPORT, encoding="utf-8")
    result = service.app.test_cli_runner().invoke(
        args=["import", "disqus", str(path), "--site", "demo"]
    )
    assert result.exit_code == 0, result.output

    widget = open_article(page, news_site)
    opening = widget.locator("li.comment", has_text="An opening comment from 2022.").first
    expect(opening).to_be_visible()
    expect(opening.get_by_text("Leyla Həsənova").first).to_be_visible()
    expect(opening.locator("strong", has_text="2022")).to_be_visible()
    # The tree: the reply inside the opening's replies, the reply to it inside that.
    reply = opening.locator("ol.replies > li.comment", has_text="A reply to the opening.")
    expect(reply).to_be_visible()
    expect(reply.get_by_text("Murad")).to_be_visible()
    expect(
        reply.locator("ol.replies > li.comment", has_text="A reply to the reply.")
    ).to_be_visible()
    expect(widget.get_by_text("Buy followers now")).to_have_count(0)
    expect(widget.get_by_text("leyla@mail.example")).to_have_count(0)
    # The article's comment count counts the three published comments.
    expect(page.locator("[data-commentsvc-count]")).to_have_text("3")
