"""The compact queue through its pages: the words and links the hold rules looked for
marked in the comment (safely, whatever the comment or the word list holds), and an
author's record (a fragment for the side panel, a section of the reader page) that
shows a moderator only their own sites."""

from __future__ import annotations

import re
from html.parser import HTMLParser

import pytest
from sqlalchemy import update

from commentsvc.comments import reports
from commentsvc.comments.models import Comment, ModerationPolicy, Site
from commentsvc.core.extensions import db
from commentsvc.moderation import bans, decisions, history, rules
from commentsvc.moderation.decisions import Decision
from tests.factories import without_tokens
from tests.moderation_support import build_world, client_for, post, reader


@pytest.fixture
def ids(app):
    return build_world(app, ModerationPolicy.HOLD_ALL)


@pytest.fixture
def mod(app, ids):
    return client_for(app, "mina@example.org")


def set_words(app, suspicious: list[str], banned: list[str] | None = None, **values) -> None:
    """Word lists as stored (as a script or an old version might have left them)."""
    with app.app_context():
        db.session.execute(
            update(Site).values(suspicious_words=suspicious, banned_words=banned or [], **values)
        )
        db.session.commit()


class Body(HTMLParser):
    """One queue item's comment body: its tags (without the marks), its text, and the
    text of each mark."""

    def __init__(self, page: str, comment_id: int) -> None:
        super().__init__(convert_charrefs=True)
        self.depth = 0  # inside the item's body div
        self.in_mark = False
        self.tags: list[str] = []
        self.text = ""
        self.marks: list[tuple[str, str]] = []
        self.target = f"body-{comment_id}"
        self.feed(page)

    def handle_starttag(self, tag, attrs):
        if self.depth:
            if tag in ("div",):
                self.depth += 1
            if tag == "mark":
                self.in_mark = True
                self.marks.append((dict(attrs).get("class") or "", ""))
                assert attrs == [("class", "hit")] or attrs == [("class", "link")], attrs
            else:
                self.tags.append(self.get_starttag_text() or "")
        elif dict(attrs).get("id") == self.target:
            self.depth = 1

    def handle_endtag(self, tag):
        if not self.depth:
            return
        if tag == "div":
            self.depth -= 1
            return
        if tag == "mark":
            self.in_mark = False
        else:
            self.tags.append(f"</{tag}>")

    def handle_data(self, data):
        if self.depth:
            self.text += data
            if self.in_mark:
                kind, text = self.marks[-1]
                self.marks[-1] = (kind, text + data)


def stored(app, comment_id: int) -> Body:
    """The comment's stored HTML, read as Body reads an item."""
    with app.app_context():
        comment = db.session.get(Comment, comment_id)
        assert comment is not None
        return Body(f'<div id="body-{comment_id}">{comment.body_html}</div>', comment_id)


def test_the_words_of_the_lists_are_marked_as_the_rules_match_them(app, ids, mod):
    set_words(app, ["casino", "free money", "hot"])
    text = (
        "CASINO! Casinos are not a càsino. Try the c\u0430sino, **free** money, "
        "free\n\nmoney, free-money; and h0t deals, not shot."
    )
    cid = post(app, ids.alice, text)
    body = Body(mod.get("/moderation/").text, cid)
    assert body.marks == [
        ("hit", "CASINO"),
        ("hit", "càsino"),
        ("hit", "c\u0430sino"),  # a Cyrillic a: disguised
        ("hit", "free"),
        ("hit", "money"),
        ("hit", "free"),
        ("hit", "money"),
        ("hit", "free-money"),
        ("hit", "h0t"),
    ]
    original = stored(app, cid)
    assert body.tags == original.tags
    assert body.text == original.text
    # The rules see the same words in the source as the marks show.
    with app.app_context():
        assert rules.matching_words(["casino", "free money", "hot"], text) == [
            "casino",
            "free money",
            "hot",
        ]


def test_marks_never_break_the_cleaned_html(app, ids, mod):
    hostile_words = ["<script>", '"', "mark", "a href", "amp", "lt", "rel", "nofollow", "p"]
    text = (
        'I <script>alert("x")</script> mark my words & "quote" <mark>a href</mark>\n\n'
        '[a href](https://evil.example/?a="mark"&lt=1 "mark") '
        "<img src=x onerror=alert(1)> `code with mark` rel nofollow p"
    )
    cid = post(app, ids.alice, text)
    # Banned since the comment came in (a banned word refuses a new comment).
    set_words(app, hostile_words, banned=['<script>alert("x")</script>'])
    page = mod.get("/moderation/").text
    body = Body(page, cid)
    original = stored(app, cid)
    # Every tag as it was cleaned (links keep their href and rel), the text unchanged.
    assert body.tags == original.tags
    assert body.text == original.text
    assert "<script" not in page.split('id="body-', 1)[1].split("</article>", 1)[0]
    assert "<img" not in page
    marked = [text for _kind, text in body.marks]
    # The banned entry's words run from "script" to "script": one mark, escaped.
    assert 'script>alert("x")</script' in marked
    assert '<mark class="hit">script&gt;alert(&quot;x&quot;)&lt;/script</mark>' in page
    assert {"mark", "a href", "rel", "nofollow", "p"} <= set(marked)
    # Words that only appear in entities and attributes ("&amp;", href="…&lt=1") are
    # not text: nothing of them is marked.
    assert not {"amp", "lt"} & set(marked)
    assert all(kind == "hit" for kind, _ in body.marks)


def test_counted_links_are_marked_when_they_held_the_comment(app, ids, mod):
    set_words(app, [], max_links=1)
    held = post(
        app,
        ids.alice,
        "See [the report](https://a.example/r) and https://b.example/x?y=1&z=2 "
        "and http://c.unknowntld",
    )
    fine = post(app, ids.bob, "Only https://d.example")
    set_words(app, [], max_links=5)
    page = mod.get("/moderation/").text
    body = Body(page, held)
    assert ("link", "the report") in body.marks
    assert ("link", "https://b.example/x?y=1&z=2") in body.marks
    assert ("link", "http://c.unknowntld") in body.marks
    assert body.tags == stored(app, held).tags
    assert Body(page, fine).marks == []  # not held for its links: nothing marked
    assert "Many links (3)" in page


def test_compact_item_keeps_every_action_and_shows_a_relative_age(app, ids, mod):
    short = post(app, ids.alice, "Short.")
    long = post(app, ids.bob, "Long. " + "Words upon words. " * 40)
    page = mod.get("/moderation/").text
    items = {int(n): html for n, html in re.findall(r'id="q(\d+)"(.*?)</article>', page, re.S)}
    assert "Show all" not in items[short]
    assert '<details class="show-all"' in items[long]
    for html in items.values():
        assert re.search(r'<time datetime="[^"]+" title="[^"]+ UTC">just now</time>', html)
        assert "<summary>More</summary>" in html
        for label in ("Approve", "Spam", "Reject", "Delete for good"):
            assert f">{label}</button>" in html
    # Delete sits under "More" and still posts its own form.
    response = mod.post(
        f"/moderation/comments/{short}/decide", data={"action": "delete", "expected": "pending"}
    )
    assert response.status_code == 303
    with app.app_context():
        comment = db.session.get(Comment, short)
        assert comment is not None
        assert comment.status == "deleted"


def test_the_author_panel_shows_their_record_on_my_sites_only(app, ids, mod):
    mine = post(app, ids.alice, "On demo, kept.")
    rejected = post(app, ids.alice, "On demo, rejected.")
    theirs = post(app, ids.alice, "On the other site only", ids.other_thread)
    with app.app_context():
        decisions.decide(reader(ids.mod), mine, Decision.APPROVE)
        decisions.decide(reader(ids.mod), rejected, Decision.REJECT, "Rude to Bob.")
        reports.report_comment(reader(ids.bob), mine, "abuse")
        bans.ban(reader(ids.other_mod), ids.alice, ids.other_site, "Spam on other")
        bans.ban(reader(ids.mod), ids.alice, ids.site, "Cool off on demo")
    panel = mod.get(f"/moderation/readers/{ids.alice}/panel")
    assert panel.status_code == 200
    assert "<html" not in panel.text  # a fragment for the side panel
    text = panel.text
    assert "On demo, kept." in text
    assert "On demo, rejected." in text
    assert "Rude to Bob." in text
    assert "1 report against their comments" in text
    assert "Cool off on demo" in text
    for secret in ("On the other site only", "Other Times", "Caspian", "Spam on other"):
        assert secret not in text
    assert f'href="/moderation/readers/{ids.alice}#comments"' in text
    # The other site's moderator sees the other side only.
    omar = client_for(app, "omar@example.org")
    theirs_panel = omar.get(f"/moderation/readers/{ids.alice}/panel").text
    assert "On the other site only" in theirs_panel
    assert "On demo" not in theirs_panel
    assert "Rude to Bob." not in theirs_panel
    assert "Cool off on demo" not in theirs_panel
    assert theirs  # used above


def test_a_moderator_gets_404_for_readers_of_other_sites(app, ids):
    post(app, ids.bob, "Only on the other site", ids.other_thread)
    post(app, ids.alice, "On demo")
    mina = client_for(app, "mina@example.org")
    assert mina.get(f"/moderation/readers/{ids.alice}/panel").status_code == 200
    nobody = mina.get("/moderation/readers/999999/panel")
    foreign = mina.get(f"/moderation/readers/{ids.bob}/panel")
    assert nobody.status_code == foreign.status_code == 404
    assert without_tokens(nobody.text) == without_tokens(foreign.text)
    assert "Bob" not in foreign.text
    assert "Only on the other site" not in foreign.text
    assert (
        client_for(app, "bob@example.org").get(f"/moderation/readers/{ids.bob}/panel").status_code
        == 403
    )


def test_the_panel_is_bounded_and_the_reader_page_pages_through_the_rest(app, ids, mod):
    with app.app_context():
        rows = [
            Comment(
                thread_id=ids.thread,
                author_id=ids.alice,
                body_source=f"c{n}",
                body_html=f"<p>comment number {n}</p>",
            )
            for n in range(history.PAGE_SIZE + 5)
        ]
        db.session.add_all(rows)
        db.session.commit()
    total = history.PAGE_SIZE + 5
    panel = mod.get(f"/moderation/readers/{ids.alice}/panel").text
    shown = [int(n) for n in re.findall(r"comment number (\d+)<", panel)]
    assert shown == list(range(total - 1, total - 1 - history.RECENT, -1))
    page = mod.get(f"/moderation/readers/{ids.alice}").text
    first = [int(n) for n in re.findall(r"comment number (\d+)<", page)]
    assert first == list(range(total - 1, total - 1 - history.PAGE_SIZE, -1))
    next_link = re.search(r'<a href="([^"]+)" rel="next">', page)
    assert next_link
    rest = mod.get(next_link.group(1).replace("&amp;", "&")).text
    assert [int(n) for n in re.findall(r"comment number (\d+)<", rest)] == [4, 3, 2, 1, 0]
    assert 'rel="next"' not in rest


def test_without_javascript_the_history_link_leads_to_the_reader_page(app, ids, mod):
    post(app, ids.alice, "Held for a look.")
    page = mod.get("/moderation/").text
    link = re.search(r'<a href="([^"]+)" data-drawer="([^"]+)"[^>]*>Alice\u2019s history</a>', page)
    assert link
    assert link.group(1) == f"/moderation/readers/{ids.alice}#comments"
    reader_page = mod.get(link.group(1).split("#")[0])
    assert 'id="comments"' in reader_page.text
    assert "Held for a look." in reader_page.text
    assert mod.get(link.group(2)).status_code == 200
