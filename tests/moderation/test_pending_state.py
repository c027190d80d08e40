"""Whether new comments were held: /moderation/pending-state, and what the queue page
renders for its notice and title."""

from __future__ import annotations

import re
from typing import Any

import pytest
from flask.testing import FlaskClient

from commentsvc.comments.models import ModerationPolicy
from tests.moderation_support import build_world, client_for, post

URL = "/moderation/pending-state"
JSON = {"Accept": "application/json"}


def state(client: FlaskClient, query: str = "") -> dict[str, Any]:
    answer = client.get(URL + query, headers=JSON)
    assert answer.status_code == 200, answer.text
    found = answer.get_json()
    assert isinstance(found, dict)
    return found


@pytest.fixture
def ids(app):
    return build_world(app, ModerationPolicy.HOLD_ALL)


@pytest.fixture
def held(app, ids):
    """Two comments held on demo, one on other (ids in that order)."""
    return [
        post(app, ids.alice, "First on demo"),
        post(app, ids.bob, "Second on demo"),
        post(app, ids.carol, "On other", ids.other_thread),
    ]


def test_a_moderator_counts_only_their_own_sites(app, ids, held):
    mina = client_for(app, "mina@example.org")
    answer = mina.get(URL, headers=JSON)
    assert answer.status_code == 200
    assert answer.json == {"pending": 2, "newest": held[1], "new": 2, "sites": {"demo": 2}}
    admin = client_for(app, "admin@example.org")
    assert admin.get(URL, headers=JSON).json == {
        "pending": 3,
        "newest": held[2],
        "new": 3,
        "sites": {"demo": 2, "other": 1},
    }
    assert admin.get(URL + "?site=other", headers=JSON).json == {
        "pending": 1,
        "newest": held[2],
        "new": 1,
        "sites": {"other": 1},
    }


def test_since_counts_what_came_after_the_page(app, ids, held):
    mina = client_for(app, "mina@example.org")
    assert state(mina, f"?since={held[0]}")["new"] == 1
    assert state(mina, f"?since={held[1]}")["new"] == 0
    later = post(app, ids.carol, "Third on demo")
    assert state(mina, f"?site=demo&since={held[1]}") == {
        "pending": 3,
        "newest": later,
        "new": 1,
        "sites": {"demo": 3},
    }


def test_another_sites_counts_are_refused(app, ids, held):
    mina = client_for(app, "mina@example.org")
    foreign = mina.get(URL + "?site=other", headers=JSON)
    assert foreign.status_code == 403
    assert foreign.json is not None
    assert set(foreign.json) == {"error"}
    assert "pending" not in foreign.text
    assert str(held[2]) not in foreign.text
    assert mina.get(URL + "?site=nowhere", headers=JSON).status_code == 404


def test_an_unchanged_queue_answers_304_without_a_body(app, ids, held):
    mina = client_for(app, "mina@example.org")
    first = mina.get(URL, headers=JSON)
    etag = first.headers["ETag"]
    assert etag.startswith('"')  # strong: no W/
    assert "no-store" in first.headers["Cache-Control"]
    again = mina.get(URL, headers={**JSON, "If-None-Match": etag})
    assert again.status_code == 304
    assert again.data == b""
    assert again.headers["ETag"] == etag
    # A comment held on another site changes nothing for this moderator.
    post(app, ids.carol, "More on other", ids.other_thread)
    assert mina.get(URL, headers={**JSON, "If-None-Match": etag}).status_code == 304
    newer = post(app, ids.carol, "More on demo")
    changed = mina.get(URL, headers={**JSON, "If-None-Match": etag})
    assert changed.status_code == 200
    assert changed.json is not None
    assert changed.json["newest"] == newer
    assert changed.headers["ETag"] != etag


def test_readers_cannot_ask_and_visitors_must_sign_in(app, ids, held):
    alice = client_for(app, "alice@example.org")
    refused = alice.get(URL, headers=JSON)
    assert refused.status_code == 403
    assert "pending" not in refused.text
    anonymous = app.test_client().get(URL, headers=JSON)
    assert anonymous.status_code == 302
    assert "/auth/sign-in" in anonymous.headers["Location"]


def test_the_queue_page_shows_the_count_in_its_title_and_carries_the_notice(app, ids, held):
    mina = client_for(app, "mina@example.org")
    page = mina.get("/moderation/").text
    assert "<title>(2) Moderation queue · commentsvc</title>" in page
    notice = re.search(r'<div class="new-held"[^>]*>', page)
    assert notice is not None
    assert f'data-live-newest="{held[1]}"' in notice.group(0)
    assert f'data-live-url="/moderation/pending-state?since={held[1]}"' in notice.group(0)
    assert 'aria-live="polite"' in notice.group(0)
    assert "staff-live.js" in page
    admin = client_for(app, "admin@example.org")
    scoped = admin.get("/moderation/?site=other").text
    assert "<title>(1) Moderation queue · commentsvc</title>" in scoped
    assert "/moderation/pending-state?site=other&amp;since=" in scoped


def test_an_empty_queue_has_no_count_in_its_title(app, ids):
    mina = client_for(app, "mina@example.org")
    assert "<title>Moderation queue · commentsvc</title>" in mina.get("/moderation/").text
