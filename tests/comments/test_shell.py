"""The kept page around a thread's comments (comments/shell.py): every reader still gets
their own name, token, count and comments, and pages that are someone's alone are never
kept or shared."""

from __future__ import annotations

import re

import pytest
from flask import Flask
from flask.testing import FlaskClient

from commentsvc.comments import sites
from tests.comments.test_embed import ORIGIN, PAGE, WWW, post, posted, widget
from tests.factories import make_reader, sign_in

FIRST_PARTY = "/threads/demo/t/a1"


@pytest.fixture
def site_id(app: Flask, client: FlaskClient) -> int:
    with app.app_context():
        site_id = sites.create_site("demo", "Demo", [ORIGIN, WWW]).id
    assert client.get(PAGE).status_code == 200
    return site_id


def signed_in_as(page: str) -> str:
    match = re.search(r"<p>Signed in as (.*?)\.</p>", page)
    assert match is not None
    return match.group(1)


def tokens(page: str) -> set[str]:
    return set(re.findall(r'name="csrf_token" value="([^"]*)"', page))


def test_each_reader_gets_their_own_name_token_and_count(app, site_id):
    alice = widget(app, "alice@example.org", "Alice <b>Liddell</b>", site_id)
    bob = widget(app, "bob@example.org", "Bob & Co", site_id)
    first = alice.get(PAGE).text
    for _ in range(2):
        page = bob.get(PAGE).text
        assert signed_in_as(page) == "Bob &amp; Co"
        assert len(tokens(page)) == 1
        assert tokens(page) != tokens(first)
        assert not re.search(r"(csrf|name|started)-[0-9a-f]{32}|(count|comments)[0-9a-f]{32}", page)
    assert signed_in_as(alice.get(PAGE).text) == "Alice &lt;b&gt;Liddell&lt;/b&gt;"
    posted(alice, "one more")
    page = bob.get(PAGE).text
    assert '<span class="count">(1)</span>' in page
    assert 'data-count="1"' in page
    assert "one more" in page


def test_the_form_time_is_each_pages_own(app, site_id):
    alice = widget(app, "alice@example.org", "Alice", site_id)
    started = re.compile(r'name="started" value="([^"]+)"')
    first = started.findall(alice.get(PAGE).text)
    assert first
    assert all(value.count(".") >= 1 for value in first)  # a signed token, not a stand-in


def test_pages_for_other_urls_languages_and_readers_are_not_shared(app, site_id):
    alice = widget(app, "alice@example.org", "Alice", site_id)
    alice.get(PAGE)
    other_origin = alice.get(PAGE.replace(f"origin={ORIGIN}", f"origin={WWW}")).text
    assert f'data-parent-origin="{WWW}"' in other_origin
    russian = alice.get(PAGE + "&lang=ru", headers={"Accept-Language": "ru"}).text
    assert 'lang="ru"' in russian
    newcomer = widget(app, "new@example.org", "Newcomer", site_id, verified=False)
    page = newcomer.get(PAGE).text
    assert "Please verify your e-mail address" in page
    assert "new@example.org" in page
    refused = post(alice, "")
    assert refused.status_code == 422
    assert 'role="alert"' in refused.text


def test_the_first_party_page_keeps_staff_links_and_messages_to_their_reader(app, site_id):
    make_reader(app, "admin@example.org", "Admin", is_admin=True)
    make_reader(app, "reader@example.org", "Reader")
    admin, reader = app.test_client(), app.test_client()
    sign_in(admin, "admin@example.org")
    sign_in(reader, "reader@example.org")
    for _ in range(2):
        assert ">Admin</a>" in admin.get(FIRST_PARTY).text
        page = reader.get(FIRST_PARTY).text
        assert ">Admin</a>" not in page
        assert 'class="account-name">Reader</a>' in page
    with reader.session_transaction() as stored:
        stored["_flashes"] = [("message", "Your settings are saved.")]
    assert "Your settings are saved." in reader.get(FIRST_PARTY).text
    assert "Your settings are saved." not in reader.get(FIRST_PARTY).text
    assert "Your settings are saved." not in admin.get(FIRST_PARTY).text
