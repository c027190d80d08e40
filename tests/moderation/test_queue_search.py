# ruff: noqa: RUF001 -- Azerbaijani, Turkish and Russian letters on purpose
"""Word search in the moderation queue (GET /moderation/?q=...): case and accents do
not matter in any of the service's languages, every word must be in a comment, the
search box has no query syntax, and a moderator searches only their own sites."""

from __future__ import annotations

import re

import pytest

from commentsvc.comments import posting
from commentsvc.comments.models import ModerationPolicy
from commentsvc.core.extensions import db
from tests.factories import PASSWORD, sign_in
from tests.moderation_support import build_world, client_for, post, reader


@pytest.fixture
def ids(app):
    return build_world(app, ModerationPolicy.HOLD_ALL)


@pytest.fixture
def mod(app, ids):
    return client_for(app, "mina@example.org")


def found(client, query: str, **params: str) -> list[int]:
    response = client.get("/moderation/", query_string={"q": query, **params})
    assert response.status_code == 200
    return item_ids(response.text)


def item_ids(html: str) -> list[int]:
    return [int(n) for n in re.findall(r'<article class="queue-item[^"]*" id="q(\d+)"', html)]


def test_words_are_found_whatever_their_case_and_accents(app, ids, mod):
    az = post(app, ids.alice, "ŞƏHƏR mərkəzində yollar bağlandı")
    ru = post(app, ids.bob, "Ёлка на Площади уже стоит")
    tr = post(app, ids.carol, "İstanbul'da KIŞ erken geldi, ılık günler bitti")
    en = post(app, ids.alice, "The CAFÉ by the naïve mural reopened")
    searches = {
        "seher": [az],
        "şəhər": [az],
        "ŞƏHƏR": [az],
        "Seher merkezinde": [az],
        "BAGLANDI": [az],
        "елка": [ru],
        "ЁЛКА": [ru],
        "ёлка площади": [ru],
        "istanbul": [tr],
        "ISTANBUL": [tr],
        "kış": [tr],
        "KIS": [tr],
        "ilik": [tr],
        "ILIK": [tr],
        "cafe": [en],
        "Café naive": [en],
    }
    for query, expected in searches.items():
        assert found(mod, query) == expected, query


def test_every_word_must_be_in_the_comment_and_words_are_whole(app, ids, mod):
    talks = post(app, ids.alice, "Talks in Baku stalled")
    winter = post(app, ids.bob, "Baku winter, the pipeline froze")
    assert found(mod, "baku") == [talks, winter]
    assert found(mod, "Baku winter") == [winter]
    assert found(mod, "winter   BAKU!") == [winter]
    assert found(mod, "baku summer") == []
    # Whole words: a part of a word finds nothing.
    assert found(mod, "pipe") == []
    assert found(mod, "pipeline") == [winter]


def test_search_box_syntax_is_taken_as_plain_words(app, ids, mod):
    talks = post(app, ids.alice, "Talks in Baku stalled")
    near = post(app, ids.bob, "Not near the pipeline: OR so they said")
    everything = [talks, near]
    # Nothing but punctuation or operators: no filter.
    for query in ('"', "*", ":", "-", "^", "()", '"" * ""', "   ", "%_\\"):
        assert found(mod, query) == everything, query
    # Operators are words like any other, quotes and signs are ignored.
    assert found(mod, "-baku") == [talks]
    assert found(mod, "baku OR pipeline") == []
    assert found(mod, "NOT baku") == []
    assert found(mod, "near pipeline") == [near]
    assert found(mod, "NEAR(talks stalled)") == []
    assert found(mod, 'talks" OR "pipeline') == []
    assert found(mod, "search_text:baku") == []
    assert found(mod, "baku*") == [talks]
    assert found(mod, '"baku"') == [talks]
    assert found(mod, "stalled'); DROP TABLE comment; --") == []
    assert found(mod, "talks") == [talks]


def test_a_search_keeps_filters_and_paging(app, ids, mod):
    admin = client_for(app, "admin@example.org")
    own = [post(app, ids.alice, f"Qəbələ road, note {n}") for n in range(27)]
    other = post(app, ids.bob, "Qəbələ road", ids.other_thread)
    post(app, ids.carol, "Somewhere else")
    assert found(admin, "qebele", site="demo") == own[:25]
    first = admin.get("/moderation/", query_string={"q": "qebele", "site": "demo"})
    following = re.search(r'href="([^"]*)" rel="next"', first.text)
    assert following is not None
    assert "q=qebele" in following.group(1)
    second = admin.get(following.group(1).replace("&amp;", "&"))
    assert [int(n) for n in re.findall(r'id="q(\d+)"', second.text)] == own[25:]
    assert 'rel="next"' not in second.text
    assert found(admin, "QƏBƏLƏ", author=str(ids.bob)) == [other]
    assert found(admin, "qebele", thread=str(ids.other_thread)) == [other]
    assert found(admin, "qebele", reason="hold_all", site="other") == [other]
    assert found(admin, "qebele", reason="links") == []


def test_an_edited_comment_is_found_by_its_new_text_only(app, ids, mod):
    cid = post(app, ids.alice, "Qəbələ yolu bağlıdır")
    assert found(mod, "qebele") == [cid]
    with app.app_context():
        posting.edit_comment(reader(ids.alice), cid, "Şəki yolu açıqdır")
        db.session.commit()
    assert found(mod, "qebele") == []
    assert found(mod, "baglidir") == []
    assert found(mod, "seki acıqdir") == [cid]


def test_decided_and_deleted_comments_leave_the_search_and_an_undo_brings_one_back(app, ids, mod):
    rejected = post(app, ids.alice, "Qəbələ first")
    deleted = post(app, ids.bob, "Qəbələ second")
    leaving = post(app, ids.carol, "Qəbələ third")
    kept = post(app, ids.alice, "Qəbələ fourth")
    for cid, action in ((rejected, "reject"), (deleted, "delete")):
        response = mod.post(f"/moderation/comments/{cid}/decide", data={"action": action})
        assert response.status_code == 303
    carol = app.test_client()
    sign_in(carol, "carol@example.org")
    response = carol.post("/account/delete", data={"delete-current_password": PASSWORD})
    assert response.status_code in (200, 303)
    assert found(mod, "qebele") == [kept]
    assert mod.post(f"/moderation/comments/{rejected}/undo").status_code == 303
    assert found(mod, "qebele") == [rejected, kept]
    assert found(mod, "first") == [rejected]
    assert found(mod, "third") == []
    assert leaving not in found(mod, "")


def test_a_moderator_never_finds_another_sites_comments(app, ids, mod):
    own = post(app, ids.alice, "Şəhər news here")
    other = post(app, ids.bob, "Şəhər news there", ids.other_thread)
    assert found(mod, "seher") == [own]
    assert found(mod, "there") == []
    for params in ({"site": "other"}, {"thread": str(ids.other_thread)}):
        response = mod.get("/moderation/", query_string={"q": "seher", **params})
        assert item_ids(response.text) == []
        assert "there" not in response.text
    omar = client_for(app, "omar@example.org")
    assert found(omar, "seher") == [other]
    assert found(omar, "here") == []
    admin = client_for(app, "admin@example.org")
    assert found(admin, "seher") == [own, other]
