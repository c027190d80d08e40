"""Thread pages built from kept comment fragments (comments/rendering.py): never a stale
fragment, nobody else's pending comment, the reader's own controls, avatars and times."""

from __future__ import annotations

import hashlib
import html
import re
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import update

from commentsvc.accounts import profile
from commentsvc.accounts.models import Reader
from commentsvc.comments import reading, rendering, sites, threads
from commentsvc.comments.models import Site, Thread
from commentsvc.core import links
from commentsvc.core.extensions import db
from commentsvc.core.kept import KeptLRU
from commentsvc.moderation import bans, decisions
from tests.comments.test_embed import (
    ORIGIN,
    OWN,
    PAGE,
    WWW,
    act,
    app_with_csrf,
    comment_ids,
    post,
    posted,
    widget,
)
from tests.comments.test_thread_queries import add_comments
from tests.factories import PASSWORD, make_reader, sign_in


@pytest.fixture
def site_id(app: Flask, client: FlaskClient) -> int:
    with app.app_context():
        site_id = sites.create_site("demo", "Demo", [ORIGIN, WWW]).id
    assert client.get(PAGE).status_code == 200  # the first view creates the thread
    return site_id


@pytest.fixture
def alice(app: Flask, site_id: int) -> FlaskClient:
    return widget(app, "alice@example.org", "Alice Liddell", site_id)


@pytest.fixture
def bob(app: Flask, site_id: int) -> FlaskClient:
    return widget(app, "bob@example.org", "Bob", site_id)


def item(page: str, cid: int) -> str:
    """The comment's own article (not its replies)."""
    match = re.search(rf'<li class="comment[^"]*" id="c{cid}">(.*?)</article>', page, re.S)
    assert match is not None, f"c{cid} not on the page"
    return match.group(1)


def reader(app: Flask, email: str) -> Reader:
    found: Reader | None = db.session.scalar(db.select(Reader).filter_by(email=email))
    assert found is not None
    return found


def moderator(app: Flask) -> Reader:
    make_reader(app, "admin@example.org", "Admin", is_admin=True)
    return reader(app, "admin@example.org")


def test_a_renamed_author_shows_the_new_name_and_initials(app, alice, bob):
    cid = posted(alice, "words")
    before = item(bob.get(PAGE).text, cid)
    assert "Alice Liddell" in before
    assert ">AL</text>" in before
    with app.app_context():
        profile.change_display_name(reader(app, "alice@example.org"), "Zed Quinn")
    for client in (bob, alice, FlaskClient(app)):
        after = item(client.get(PAGE).text, cid)
        assert "Zed Quinn" in after
        assert ">ZQ</text>" in after
        assert "Alice" not in after


def test_an_edit_shows_the_new_text_with_its_time_to_every_reader(app, alice, bob):
    cid = posted(alice, "first words")
    assert "first words" in bob.get(PAGE).text
    assert act(alice, "edit", cid, body="second words").status_code == 303
    for client in (bob, alice):
        text = item(client.get(PAGE).text, cid)
        assert "second words" in text
        assert "first words" not in text
        assert re.search(r'class="mark edited">edited <time datetime="[^"]+" title="', text)


def test_a_pending_comment_is_seen_by_its_author_only_until_approved(app, alice, bob):
    shared = posted(alice, "published first")
    bob.get(PAGE)  # the thread's rows and fragments are kept
    with app.app_context():
        db.session.execute(update(Site).values(moderation_policy="hold_all"))
        db.session.commit()
    held = posted(bob, "held words")
    reply = posted(bob, "held reply", parent_id=str(shared))
    mine = bob.get(PAGE).text
    assert "awaiting moderation" in item(mine, held)
    assert "held reply" in mine
    for client in (alice, FlaskClient(app)):
        page = client.get(PAGE).text
        assert "held words" not in page
        assert "held reply" not in page
        assert "awaiting moderation" not in page
        assert held not in comment_ids(client.get(PAGE))
    with app.app_context():
        mod = moderator(app)
        decisions.decide(mod, held, decisions.Decision.APPROVE)
        decisions.decide(mod, reply, decisions.Decision.REJECT, reason="Off-topic")
    page = alice.get(PAGE).text
    assert "held words" in item(page, held)
    assert "awaiting moderation" not in page
    assert "held reply" not in page
    assert "held reply" not in bob.get(PAGE).text  # rejected: gone for its author too


def test_votes_pins_and_deletes_show_at_once(app, alice, bob):
    cid = posted(alice, "pin me")
    assert '<span class="score" aria-label="Score">0</span>' in item(bob.get(PAGE).text, cid)
    assert act(bob, "vote", cid, value="1").status_code == 303
    text = item(bob.get(PAGE).text, cid)
    assert '<span class="score" aria-label="Score">1</span>' in text
    assert 'aria-label="Vote up" aria-pressed="true"' in text
    anonymous = item(FlaskClient(app).get(PAGE).text, cid)
    assert '<span class="score" aria-label="Score">1</span>' in anonymous
    with app.app_context():
        decisions.set_pinned(moderator(app), cid, True)
    page = alice.get(PAGE).text
    assert f'<li class="comment depth-0 pinned" id="c{cid}">' in page
    assert '<span class="mark">pinned</span>' in item(page, cid)
    with app.app_context():
        decisions.decide(
            reader(app, "admin@example.org"), cid, decisions.Decision.DELETE, "Spam", "approved"
        )
    assert "pin me" not in bob.get(PAGE).text


def test_a_deleted_account_leaves_a_neutral_placeholder(app, alice, bob):
    top = posted(alice, "alice wrote this")
    posted(bob, "bob answers", parent_id=str(top))
    assert "Alice Liddell" in bob.get(PAGE).text
    with app.app_context():
        profile.delete_account(reader(app, "alice@example.org"), PASSWORD)
    page = bob.get(PAGE).text
    text = item(page, top)
    assert "Alice" not in page
    assert "alice wrote this" not in page
    assert "Deleted comment" in text
    assert 'class="avatar neutral"' in text


def test_avatars_are_local_decorative_and_differ_per_reader(app, alice, bob):
    a, b = posted(alice, "one"), posted(bob, "two")
    page = bob.get(PAGE).text
    avatars = [re.search(r"<svg class=\"avatar\".*?</svg>", item(page, c), re.S) for c in (a, b)]
    assert all(avatars)
    first, second = (m.group(0) for m in avatars if m)
    for svg in (first, second):
        assert 'aria-hidden="true"' in svg
        assert "http" not in svg
        assert "href" not in svg
        assert "url(" not in svg
    assert re.search(r'fill="(hsl[^"]+)"', first) != re.search(r'fill="(hsl[^"]+)"', second)
    assert "<img" not in page
    # Nothing made from an e-mail address (as Gravatar's hashes are).
    assert "gravatar" not in page.lower()
    for email in ("alice@example.org", "bob@example.org"):
        for digest in (hashlib.md5, hashlib.sha256):
            assert digest(email.encode()).hexdigest() not in page


def test_times_are_localised_with_the_exact_time_as_title(app, alice, bob):
    cid = posted(alice, "words")
    text = item(bob.get(PAGE, headers={"Accept-Language": "ru"}).text, cid)
    match = re.search(r'<time datetime="([^"]+)" title="([^"]+)">([^<]+)</time>', text)
    assert match is not None
    iso, exact, short = match.groups()
    assert iso.endswith("+00:00")
    assert "UTC" not in short
    assert short != iso
    assert exact != short


def test_the_report_form_is_on_the_page_once_at_most(app, alice, bob):
    ids = [posted(alice, f"comment {n}") for n in range(3)]
    page = bob.get(PAGE).text
    assert page.count('<a class="report" href=') == 3
    assert "What is wrong with this comment?" not in page
    link = re.search(rf'<a class="report" href="([^"]+#report-{ids[1]})"', page)
    assert link is not None
    chosen = bob.get(html.unescape(link.group(1)).split("#")[0]).text
    assert chosen.count("What is wrong with this comment?") == 1
    assert chosen.count('name="reason"') == 5
    form = item(chosen, ids[1])
    assert f'action="/embed/demo/c/{ids[1]}/report/a1"' in form
    # Sent as a plain form, the report is taken and the page goes back to the comment.
    sent = act(bob, "report", ids[1], reason="spam", text="")
    assert sent.status_code == 303
    assert sent.headers["Location"].endswith(f"#c{ids[1]}")
    assert "You reported this comment" in item(bob.get(PAGE).text, ids[1])


def test_delete_asks_first_and_says_what_stays(app, alice, bob):
    lonely = posted(alice, "lonely")
    answered = posted(alice, "answered")
    posted(bob, "a reply", parent_id=str(answered))
    page = alice.get(PAGE).text
    lone, kept = item(page, lonely), item(page, answered)
    for text in (lone, kept):
        assert '<details class="delete"><summary>Delete</summary>' in text
    assert "will be removed" in lone
    assert "replaced by “deleted” while replies remain" in kept
    assert 'class="delete"' not in item(bob.get(PAGE).text, answered)  # not bob's
    assert act(alice, "delete", answered).status_code == 303
    page = bob.get(PAGE).text
    assert "This comment was deleted." in item(page, answered)
    assert "a reply" in page


def test_the_first_party_page_is_paged_like_the_widget(app, client, site_id):
    with app.app_context():
        found = threads.find_existing_thread("demo", "a1")
        assert found is not None
        thread_id = found[1].id
    make_reader(app)
    add_comments(app, thread_id, reading.PAGE_SIZE + 5)
    sign_in(client)
    first = client.get("/threads/demo/t/a1")
    assert len(comment_ids(first)) == reading.PAGE_SIZE
    more = re.search(r'data-action="load-more" href="([^"]+)"', first.text)
    assert more is not None
    second = client.get(html.unescape(more.group(1)))
    assert len(comment_ids(second)) == 5
    assert not set(comment_ids(first)) & set(comment_ids(second))


def test_comment_item_is_the_li_of_the_page(app, alice, bob):
    top = posted(alice, "top")
    posted(bob, "reply", parent_id=str(top))
    page = bob.get(PAGE).text
    with app.test_request_context(PAGE):
        from flask_login import login_user

        me = reader(app, "bob@example.org")
        login_user(me)
        found = threads.find_existing_thread("demo", "a1")
        assert found is not None
        site, thread = found
        li = str(rendering.comment_item(site, thread, me, top))
    assert li.startswith(f'<li class="comment depth-0" id="c{top}">')
    strip = re.compile(r'name="(csrf_token|started)" value="[^"]*"')
    assert strip.sub("", li) in strip.sub("", page)
    assert "reply" in li


def test_a_refused_reply_keeps_the_text_open_under_its_comment(app, alice, bob):
    cid = posted(alice, "top")
    refused = post(bob, "", parent_id=str(cid))
    assert refused.status_code == 422
    text = item(refused.text, cid)
    assert '<details class="reply" open>' in text
    assert 'role="alert"' in text


def test_a_page_has_one_reply_form_and_a_reply_link_under_each_comment(app, alice, bob):
    ids = [posted(alice, f"comment {n}") for n in range(5)]
    page = bob.get(PAGE).text
    assert page.count('name="parent_id"') == 1  # the page's one reply form, in a <template>
    assert page.count("<template data-reply-form>") == 1
    for cid in ids:
        own = item(page, cid)
        assert f'href="{html.escape(PAGE)}&amp;reply={cid}#reply-{cid}"' in own
        assert 'data-label="Reply to Alice Liddell"' in own
        assert "<textarea" not in own
    # Without the script, the link shows the form under that comment only.
    chosen = bob.get(f"{PAGE}&reply={ids[2]}").text
    assert chosen.count('name="parent_id"') == 2
    form = item(chosen, ids[2])
    assert '<details class="reply" open>' in form
    assert f'<input type="hidden" name="parent_id" value="{ids[2]}">' in form
    assert f'<label for="reply-{ids[2]}">Reply to Alice Liddell</label>' in form
    reply = posted(bob, "an answer", parent_id=str(ids[2]))
    after = bob.get(PAGE).text
    assert re.search(rf'id="c{ids[2]}">.*?<ol class="replies"><li [^>]*id="c{reply}"', after, re.S)


@pytest.mark.parametrize("chosen", ["abc", "-1", "9" * 30, "", "1e3"])
def test_a_malformed_reply_choice_shows_the_plain_page(alice, bob, chosen):
    posted(alice, "top")
    page = bob.get(f"{PAGE}&reply={chosen}")
    assert page.status_code == 200
    assert page.text.count('name="parent_id"') == 1


def test_nobody_gets_a_reply_form_on_a_locked_thread_or_when_signed_out(app, client, alice):
    cid = posted(alice, "top")
    assert 'name="parent_id"' not in client.get(f"{PAGE}&reply={cid}").text
    with app.app_context():
        db.session.execute(update(Thread).values(locked=True))
        db.session.commit()
    locked = alice.get(f"{PAGE}&reply={cid}").text
    assert 'name="parent_id"' not in locked
    assert "data-reply=" not in locked


def test_vote_buttons_send_the_pages_one_vote_form_with_their_value(app, alice, bob):
    cid, other = posted(alice, "vote on me"), posted(alice, "and on me")
    # A comment cannot take the form's place: no element of a comment keeps an id.
    posted(alice, '<form id="vote-form" action="https://evil.example/"><b id="vote-form">x</b>')
    page = bob.get(PAGE).text
    assert page.count('id="vote-form"') == 1
    # The token and the way back are said once, in the page's vote form; each button
    # sends that form to its own comment's address.
    assert page.count('<form id="vote-form" method="post" hidden>') == 1
    vote_form = page.split('<form id="vote-form"', 1)[1].split("</form>", 1)[0]
    assert 'name="csrf_token"' in vote_form
    assert f'name="next" value="{html.escape(PAGE)}"' in vote_form
    for comment in (cid, other):
        buttons = re.findall(r'<button form="vote-form"[^>]*>', item(page, comment))
        assert len(buttons) == 2
        assert all(f'formaction="/embed/demo/c/{comment}/vote/a1"' in b for b in buttons)
    own = item(page, cid)
    assert "<form" not in own
    assert own.count('class="vote"') == 2
    assert 'name="value" value="1"' in own
    assert 'name="value" value="-1"' in own
    assert act(bob, "vote", cid, value="1").status_code == 303
    pressed = item(bob.get(PAGE).text, cid)
    # Pressed, ▲ sends 0 (take the vote back); ▼ still sends -1.
    assert re.search(
        r'name="value" value="0"[^>]*aria-label="Vote up"[^>]*aria-pressed="true"', pressed
    )
    assert '<span class="score" aria-label="Score">1</span>' in pressed
    assert act(bob, "vote", cid, value="0").status_code == 303
    assert '<span class="score" aria-label="Score">0</span>' in item(bob.get(PAGE).text, cid)


def csrf_tokens(page: str) -> set[str]:
    return set(re.findall(r'name="csrf_token" value="([^"]*)"', page))


def csrf_sessions(page: str) -> set[str]:
    """The session's token each CSRF token on the page signs: two pages of one session
    carry the same one, while the signed tokens differ when a second passed between them
    (each is signed with the time it was made)."""
    return {token.split(".")[0] for token in csrf_tokens(page)}


def without_token(page: str) -> str:
    """The page less its CSRF token (signed with the second it was made)."""
    (token,) = csrf_tokens(page)
    return page.replace(token, "")


def test_kept_subtrees_carry_each_readers_own_token_and_votes(app, alice, bob, site_id):
    carol = widget(app, "carol@example.org", "Carol", site_id)
    ids = [posted(alice, f"comment {n}") for n in range(3)]
    assert act(bob, "vote", ids[1], value="1").status_code == 303
    for _ in range(2):  # the second time from kept subtrees
        bob_page, carol_page = bob.get(PAGE).text, carol.get(PAGE).text
        assert len(csrf_tokens(bob_page)) == 1
        assert len(csrf_tokens(carol_page)) == 1
        assert csrf_tokens(bob_page) != csrf_tokens(carol_page)
        assert "csrf-" not in bob_page
        assert 'aria-pressed="true"' in item(bob_page, ids[1])
        assert 'aria-pressed="true"' not in carol_page
        assert "Edit" not in item(carol_page, ids[0])
        assert ">Edit<" in item(alice.get(PAGE).text, ids[0])


def test_a_page_from_kept_subtrees_holds_its_own_readers_token_only(smtp_server, tmp_path):
    app, site_id = app_with_csrf(smtp_server.port, tmp_path)
    alice = widget(app, "alice@example.org", "Alice", site_id)
    token = csrf_tokens(alice.get(PAGE).text).pop()
    cid = posted(alice, "vote on me", csrf_token=token)
    # Alice's own copy, with its Edit and Delete forms, is kept and shown again.
    for _ in range(2):
        assert csrf_sessions(alice.get(PAGE).text) == {token.split(".")[0]}
    bob = widget(app, "bob@example.org", "Bob", site_id)
    carol = widget(app, "carol@example.org", "Carol", site_id)
    (bobs,) = csrf_tokens(bob.get(PAGE).text)  # kept
    (carols,) = csrf_tokens(carol.get(PAGE).text)
    assert bobs != carols
    assert act(bob, "vote", cid, value="1", csrf_token=carols).status_code == 400
    assert act(carol, "vote", cid, value="1", csrf_token=carols).status_code == 303
    assert 'aria-pressed="true"' in item(carol.get(PAGE).text, cid)


def rendered_subtrees(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """The ids of the top-level comments whose subtrees are rendered from now on."""
    rendered: list[int] = []
    original = rendering._Layer.item

    def counting(self: rendering._Layer, c: reading.CommentView) -> str:
        if c.depth == 0:
            rendered.append(c.id)
        return original(self, c)

    monkeypatch.setattr(rendering._Layer, "item", counting)
    return rendered


def test_after_a_new_comment_only_its_subtree_is_rendered_again(app, alice, bob, monkeypatch):
    ids = [posted(alice, f"comment {n}") for n in range(4)]
    bob.get(PAGE)  # every subtree kept
    rendered = rendered_subtrees(monkeypatch)
    bob.get(PAGE)
    assert rendered == []
    reply = posted(alice, "a late reply", parent_id=str(ids[1]))
    page = bob.get(PAGE).text
    assert rendered == [ids[1]]
    assert f'id="c{reply}"' in page
    edited = act(alice, "edit", ids[3], body="changed words")
    assert edited.status_code == 303
    rendered.clear()
    assert "changed words" in bob.get(PAGE).text
    assert rendered == [ids[3]]


def test_a_banned_readers_vote_answer_has_no_reply_link_either(app, alice, bob, site_id):
    cid = posted(alice, "top")
    with app.app_context():
        bans.ban(moderator(app), reader(app, "bob@example.org").id, site_id, "spam")
    # The widget's script asks for the voted comment alone, to put in place.
    answer = bob.post(
        f"/embed/demo/c/{cid}/vote/a1",
        data={"value": "1"},
        headers={"X-Commentsvc-Fragment": "1", **OWN},
    )
    assert answer.status_code == 200, answer.text
    assert f'id="c{cid}"' in answer.text
    assert "data-reply=" not in answer.text
    assert "Vote up" in answer.text


def test_a_banned_reader_gets_no_reply_links_nor_reply_form(app, alice, bob, site_id):
    cid = posted(alice, "top")
    assert "data-reply=" in bob.get(PAGE).text
    with app.app_context():
        bans.ban(moderator(app), reader(app, "bob@example.org").id, site_id, "spam")
    for path in (PAGE, f"{PAGE}&reply={cid}"):
        page = bob.get(path).text
        assert "data-reply=" not in page
        assert 'name="parent_id"' not in page
        assert "Vote up" in page  # reading and voting stay


def test_made_up_page_urls_do_not_fill_the_kept_links(app, alice, monkeypatch):
    """Every page names its own URL in its links: kept per URL, but only so many, and
    never a long one, whatever a visitor puts in the query."""
    monkeypatch.setitem(app.extensions, rendering.PAGE_LINKS, KeptLRU(5))
    monkeypatch.setitem(app.extensions, links.PATHS, KeptLRU(5))
    for n in range(12):
        assert alice.get(f"{PAGE}&title=Story+{n}").status_code == 200
    long_title = "x" * 3000
    for n in range(3):
        answer = alice.get(f"{PAGE}&title={long_title}{n}")
        assert answer.status_code == 200
        # The page still links to itself with the title it was given (cut to 2,000).
        assert "x" * 2000 in answer.text
    kept_links = app.extensions["commentsvc.page_links"]
    kept_paths = app.extensions["commentsvc.paths"]
    assert len(kept_links) <= 5
    assert len(kept_paths) <= 5
    assert not any("x" * 100 in str(key) for key in kept_links)
    assert not any("x" * 100 in value for value in kept_paths.values())


def looked_up_subtrees(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """The ids of the comments whose kept subtrees are looked up one by one from now on."""
    looked_up: list[int] = []
    original = rendering._Layer.kept

    def counting(
        self: rendering._Layer, key: tuple[Any, ...], c: reading.CommentView
    ) -> rendering.Kept:
        looked_up.append(c.id)
        return original(self, key, c)

    monkeypatch.setattr(rendering._Layer, "kept", counting)
    return looked_up


def test_a_page_nobody_has_a_stake_in_is_kept_whole_with_each_readers_token(
    app, alice, bob, site_id, monkeypatch
):
    carol = widget(app, "carol@example.org", "Carol", site_id)
    ids = [posted(alice, f"comment {n}") for n in range(3)]
    looked_up = looked_up_subtrees(monkeypatch)
    first = bob.get(PAGE).text
    assert sorted(looked_up) == ids  # put together from the subtrees, once
    looked_up.clear()
    bob_again, carols = bob.get(PAGE).text, carol.get(PAGE).text
    assert looked_up == []  # then served whole, to every reader without a stake
    assert without_token(bob_again) == without_token(first)
    assert csrf_sessions(bob_again) == csrf_sessions(first)
    assert len(csrf_tokens(bob_again)) == len(csrf_tokens(carols)) == 1
    assert csrf_tokens(bob_again) != csrf_tokens(carols)
    assert "csrf-" not in carols
    assert comment_ids(carol.get(PAGE)) == ids
    # A stake (here a vote) takes the reader off the whole page, to their own copy of
    # that subtree; the others keep theirs.
    assert act(carol, "vote", ids[0], value="1").status_code == 303
    assert 'aria-pressed="true"' in item(carol.get(PAGE).text, ids[0])
    assert 'aria-pressed="true"' not in bob.get(PAGE).text
    # A new comment is on the next whole page at once.
    late = posted(alice, "a late one")
    assert comment_ids(bob.get(PAGE)) == [*ids, late]


def test_a_reader_with_a_stake_takes_the_other_subtrees_from_everyones_kept_page(
    app, alice, bob, site_id, monkeypatch
):
    carol = widget(app, "carol@example.org", "Carol", site_id)
    ids = [posted(alice, f"comment {n}") for n in range(4)]
    assert act(carol, "vote", ids[2], value="1").status_code == 303
    bob.get(PAGE)  # everyone's page, kept whole
    looked_up = looked_up_subtrees(monkeypatch)
    page = carol.get(PAGE).text
    # Her own copy of the subtree she voted in is looked up; the others come with the page.
    assert looked_up == [ids[2]]
    assert comment_ids(carol.get(PAGE)) == ids
    assert 'aria-pressed="true"' in item(page, ids[2])
    assert page.count('aria-pressed="true"') == 1
    assert (
        csrf_sessions(page)
        == csrf_sessions(carol.get(PAGE).text)
        != csrf_sessions(bob.get(PAGE).text)
    )
    assert "csrf-" not in page
    # A reply in another subtree: the new page shows it to her at once, not the old one.
    reply = posted(alice, "a late reply", parent_id=str(ids[0]))
    bob.get(PAGE)
    assert comment_ids(carol.get(PAGE)) == [ids[0], reply, *ids[1:]]
    # Without everyone's page kept (a cold cache), her page is the same.
    kept_page = carol.get(PAGE).text
    app.extensions.pop(rendering.EXTENSION)
    assert without_token(carol.get(PAGE).text) == without_token(kept_page)


def test_a_readers_own_copy_of_a_subtree_is_kept_until_what_it_shows_them_changes(
    app, alice, bob, monkeypatch
):
    ids = [posted(alice, f"comment {n}") for n in range(3)]
    mine = posted(bob, "my own words", parent_id=str(ids[2]))
    assert act(bob, "vote", ids[0], value="1").status_code == 303
    rendered = rendered_subtrees(monkeypatch)
    first = bob.get(PAGE).text
    assert sorted(rendered) == ids  # his first look at the page
    rendered.clear()
    again = bob.get(PAGE).text
    assert rendered == []  # both kept for him
    assert len(csrf_tokens(again)) == 1
    assert csrf_sessions(again) == csrf_sessions(first)
    assert 'aria-pressed="true"' in item(again, ids[0])
    assert ">Edit<" in item(again, mine)
    # Another vote: that copy again, showing it.
    assert act(bob, "vote", ids[0], value="-1").status_code == 303
    rendered.clear()
    voted = bob.get(PAGE).text
    assert ids[0] in rendered
    assert 'value="0" class="vote" aria-label="Vote down" aria-pressed="true"' in item(
        voted, ids[0]
    )
    # The edit window closes: the kept copy with the Edit form is not served any more.
    with app.app_context():
        db.session.execute(update(Site).values(edit_window_seconds=0))
        db.session.commit()
    assert ">Edit<" not in item(bob.get(PAGE).text, mine)
