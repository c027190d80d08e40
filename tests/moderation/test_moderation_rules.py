"""What happens to a new comment: word lists, hold rules, trust, bans, closed threads."""

# Azerbaijani and Russian letters are the text under test, not look-alikes.
# ruff: noqa: RUF001

from __future__ import annotations

import statistics
import time
from datetime import timedelta

import pytest
from sqlalchemy import select, update

from commentsvc.comments import posting
from commentsvc.comments.models import Comment, CommentStatus, ModerationPolicy, Site, Thread
from commentsvc.core import tokens
from commentsvc.core.errors import Forbidden, Invalid
from commentsvc.core.extensions import db, utcnow
from commentsvc.moderation import rules
from commentsvc.moderation.models import Ban, BanKind, CommentHold, HoldReason, TrustMark
from tests.moderation_support import build_world, get, post, reader, status, thread_row


@pytest.fixture
def ids(app):
    return build_world(app)


def configure(app, **values) -> None:
    with app.app_context():
        db.session.execute(update(Site).where(Site.slug == "demo").values(**values))
        db.session.commit()


def holds(app, comment_id: int) -> dict[str, str]:
    with app.app_context():
        rows = db.session.scalars(select(CommentHold).where(CommentHold.comment_id == comment_id))
        return {h.reason: h.detail for h in rows}


@pytest.mark.parametrize(
    ("words", "text", "found"),
    [
        (["casino"], "Visit our CASINO today", ["casino"]),
        (["casino"], "casinos and casinoworld", []),
        (["café"], "a CAFE near the square", ["café"]),
        (["cafe"], "a Café near the square", ["cafe"]),
        (["şərəfsiz"], "Sən ŞƏRƏFSİZ adamsan", ["şərəfsiz"]),
        (["sıkıntı"], "BU SIKINTI BİTMƏDİ", ["sıkıntı"]),
        (["ёлка"], "Ёлка у дома", ["ёлка"]),
        (["мошенник"], "Он МОШЕННИК!", ["мошенник"]),
        (["мошенник"], "мошенники повсюду", []),
        (["buy now"], "please  BUY\nNOW", ["buy now"]),
        (["ﬁx"], "a quick fix", ["ﬁx"]),
        # Punctuation separates words like a space.
        (["buy now"], "buy-now!", ["buy now"]),
        (["casino"], "the casino's bonus", ["casino"]),
        # Invisible characters inside a word do not split it.
        (["casino"], "ca\u200bsi\u00adno", ["casino"]),
        (["casino"], "\ufeffcas\u2060ino", ["casino"]),
        (["buy now"], "buy\u200c now\u200d", ["buy now"]),
        # Disguised words are read as the letters they imitate...
        (["casino"], "c\u0430sino", ["casino"]),
        (["scam"], "\u0455\u0441\u0430\u043c", ["scam"]),
        (["hot"], "h0t deals", ["hot"]),
        (["мошенник"], "мoшенник", ["мошенник"]),
        (["casino", "cаsino"], "casino", ["casino", "cаsino"]),
        # ...but a word written wholly in one alphabet is taken as written.
        (["cam", "pot"], "Он сам виноват, закрой рот", []),
        (["сам", "рот"], "a webcam shot: cam, pot", []),
        (["сам"], "Он сам виноват", ["сам"]),
    ],
)
def test_word_lists_match_whole_words_ignoring_case_and_accents(words, text, found):
    assert rules.matching_words(words, text) == found


def test_word_list_parsing_drops_duplicates_and_limits_length():
    assert rules.parse_word_list("Casino\n casino \n\nbuy   now, Spam") == [
        "Casino",
        "buy now",
        "Spam",
    ]
    with pytest.raises(Invalid, match="at most 100 characters"):
        rules.parse_word_list("x" * 101)
    with pytest.raises(Invalid, match="at most 1000 words"):
        rules.parse_word_list("\n".join(f"w{n}" for n in range(1001)))
    with pytest.raises(Invalid, match="at most 5 words: one two three four five six"):
        rules.parse_word_list("one two three four five\none two three four five six")
    # NFKC spells U+FDFA out as four words.
    with pytest.raises(Invalid, match="at most 5 words"):
        rules.parse_word_list("\ufdfa \ufdfa")
    with pytest.raises(Invalid, match="needs a letter or digit to match: !!!"):
        rules.parse_word_list("!!!")


def test_matching_work_grows_with_the_comment_not_the_list():
    # The reported attack: hundreds of the longest phrases allowed, sharing all but
    # their last word, against a comment that starts a partial match at every word.
    phrases = [f"{'abcdefghijklmnopqrs ' * 4}z{n:05d}" for n in range(rules.WORDS_MAX)]
    text = ("abcdefghijklmnopqrs " * 500)[:10_000]

    def median(words: list[str]) -> float:
        rules.matching_words(words, text)
        samples = []
        for _ in range(15):
            started = time.perf_counter()
            rules.matching_words(words, text)
            samples.append(time.perf_counter() - started)
        return statistics.median(samples)

    assert median(phrases) <= 3 * median(phrases[:1])


def test_hold_none_publishes_and_counts(app, ids):
    cid = post(app, ids.alice, "Plain and fine.")
    assert status(app, cid) == CommentStatus.APPROVED
    assert thread_row(app, ids.thread)[0] == 1
    assert holds(app, cid) == {}


def test_hold_all_holds_every_comment_with_the_reason(app, ids):
    configure(app, moderation_policy=ModerationPolicy.HOLD_ALL)
    cid = post(app, ids.alice)
    assert status(app, cid) == CommentStatus.PENDING
    assert holds(app, cid) == {"hold_all": ""}
    assert thread_row(app, ids.thread)[0] == 0


def test_hold_first_n_holds_until_n_comments_were_approved(app, ids):
    configure(app, moderation_policy=ModerationPolicy.HOLD_FIRST_N, hold_first_n=2)
    first = post(app, ids.alice, "one")
    assert holds(app, first) == {"new_reader": "0/2"}
    with app.app_context():
        db.session.execute(update(Comment).values(status=CommentStatus.APPROVED))
        db.session.commit()
    second = post(app, ids.alice, "two")
    assert holds(app, second) == {"new_reader": "1/2"}
    with app.app_context():
        db.session.execute(update(Comment).values(status=CommentStatus.APPROVED))
        db.session.commit()
    assert status(app, post(app, ids.alice, "three")) == CommentStatus.APPROVED
    # Another reader starts from zero.
    assert status(app, post(app, ids.bob, "bob's first")) == CommentStatus.PENDING


def test_more_links_than_allowed_are_held(app, ids):
    two = "See https://a.example and [this](https://b.example)."
    assert status(app, post(app, ids.alice, two)) == CommentStatus.APPROVED
    three = two + " And example.org too."
    cid = post(app, ids.alice, three)
    assert holds(app, cid) == {"links": "3"}


def test_suspicious_words_hold_and_banned_words_refuse_with_the_reason(app, ids):
    configure(app, suspicious_words=["casino"], banned_words=["Şərəfsiz"])
    held = post(app, ids.alice, "Best CASINO bonus")
    assert holds(app, held) == {"suspicious_words": "casino"}
    with pytest.raises(posting.Rejected, match="does not allow \\(Şərəfsiz\\)"):
        post(app, ids.alice, "sən şərəfsiz adamsan")
    with app.app_context():
        assert (
            db.session.scalar(select(Comment).where(Comment.body_source.contains("adam"))) is None
        )


def test_trusted_readers_skip_holds_but_not_banned_words(app, ids):
    configure(
        app,
        moderation_policy=ModerationPolicy.HOLD_ALL,
        suspicious_words=["casino"],
        banned_words=["scam"],
        trust_after=2,
    )
    with app.app_context():
        db.session.add(TrustMark(site_id=ids.site, reader_id=ids.alice, trusted=True))
        db.session.commit()
    assert status(app, post(app, ids.alice, "casino https://a https://b https://c")) == "approved"
    with pytest.raises(posting.Rejected):
        post(app, ids.alice, "total scam")
    # Bob becomes trusted after two approved comments...
    for n in range(2):
        assert status(app, post(app, ids.bob, f"held {n}")) == "pending"
    with app.app_context():
        db.session.execute(update(Comment).values(status=CommentStatus.APPROVED))
        db.session.commit()
    assert status(app, post(app, ids.bob, "now trusted")) == "approved"
    # ...unless a moderator said otherwise.
    with app.app_context():
        db.session.add(TrustMark(site_id=ids.site, reader_id=ids.bob, trusted=False))
        db.session.commit()
    assert status(app, post(app, ids.bob, "not any more")) == "pending"


def test_trust_on_one_site_does_not_carry_to_another(app, ids):
    with app.app_context():
        db.session.execute(update(Site).values(moderation_policy=ModerationPolicy.HOLD_ALL))
        db.session.add(TrustMark(site_id=ids.site, reader_id=ids.alice, trusted=True))
        db.session.commit()
    assert status(app, post(app, ids.alice, "here")) == "approved"
    assert status(app, post(app, ids.alice, "there", thread_id=ids.other_thread)) == "pending"


@pytest.mark.parametrize("site_wide", [True, False])
def test_banned_reader_is_told_why_and_cannot_post(app, ids, site_wide):
    with app.app_context():
        db.session.add(
            Ban(
                reader_id=ids.alice,
                site_id=ids.site if site_wide else None,
                reason="Repeated insults",
            )
        )
        db.session.commit()
    with pytest.raises(Forbidden, match="banned from commenting on Demo News"):
        post(app, ids.alice)
    with pytest.raises(Forbidden, match="Reason: Repeated insults"):
        post(app, ids.alice)
    other = "other site"
    if site_wide:
        assert status(app, post(app, ids.alice, other, ids.other_thread)) == "approved"
    else:
        with pytest.raises(Forbidden):
            post(app, ids.alice, other, ids.other_thread)


def test_suspension_ends_at_its_time_and_lifted_bans_stop(app, ids):
    with app.app_context():
        suspension = Ban(
            reader_id=ids.alice,
            site_id=ids.site,
            kind=BanKind.SUSPENSION,
            until=utcnow() + timedelta(days=2),
        )
        db.session.add(suspension)
        db.session.commit()
        suspension_id = suspension.id
    with pytest.raises(Forbidden, match="suspended from commenting on Demo News until"):
        post(app, ids.alice)
    with app.app_context():
        db.session.execute(
            update(Ban).where(Ban.id == suspension_id).values(until=utcnow() - timedelta(seconds=1))
        )
        db.session.commit()
    assert status(app, post(app, ids.alice)) == "approved"
    with app.app_context():
        db.session.add(Ban(reader_id=ids.alice, site_id=ids.site, lifted_at=utcnow()))
        db.session.commit()
    assert status(app, post(app, ids.alice, "still fine")) == "approved"


def test_thread_closes_days_after_its_first_comment(app, ids):
    configure(app, close_after_days=3)
    first = post(app, ids.alice, "first")
    assert status(app, post(app, ids.bob, "still open")) == "approved"
    with app.app_context():
        db.session.execute(
            update(Comment)
            .where(Comment.id == first)
            .values(created_at=utcnow() - timedelta(days=3, minutes=1))
        )
        db.session.commit()
    with pytest.raises(Forbidden, match="closed for new comments"):
        post(app, ids.bob, "too late")
    assert status(app, post(app, ids.bob, "other thread", ids.other_thread)) == "approved"


def test_an_edit_meets_the_same_rules(app, ids):
    configure(app, suspicious_words=["casino"], banned_words=["scam"])
    cid = post(app, ids.alice, "innocent")
    with app.app_context():
        with pytest.raises(posting.Rejected):
            posting.edit_comment(reader(ids.alice), cid, "a scam")
        assert get(Comment, cid).body_source == "innocent"
        posting.edit_comment(reader(ids.alice), cid, "try the casino")
    assert status(app, cid) == CommentStatus.PENDING
    assert holds(app, cid) == {"suspicious_words": "casino"}
    assert thread_row(app, ids.thread)[0] == 0


def test_form_signals_hold_bot_like_posts(app):
    with app.test_request_context():
        fresh = rules.form_token()
        assert rules.form_signals("", None) == []
        assert rules.form_signals("http://spam.example", None)[0][0] == "honeypot"
        assert [r for r, _ in rules.form_signals("", fresh)] == ["too_fast"]
        assert [r for r, _ in rules.form_signals("", "forged")] == ["too_fast"]
        app.config["COMMENT_MIN_FILL_SECONDS"] = 0
        assert rules.form_signals("", fresh) == []


def test_forms_shown_in_one_second_share_their_signed_time(app, monkeypatch):
    clock = [1_800_000_000.2]
    monkeypatch.setattr(time, "time", lambda: clock[0])
    with app.test_request_context():
        first = rules.form_token()
        clock[0] += 0.5
        assert rules.form_token() == first
        clock[0] += 1
        later = rules.form_token()
        assert later != first
        assert tokens.FORM_TIMING.read(first)["t"] == 1_800_000_000
        assert tokens.FORM_TIMING.read(later)["t"] == 1_800_000_001


def test_holds_from_the_form_apply_even_to_trusted_readers(app, ids):
    with app.app_context():
        db.session.add(TrustMark(site_id=ids.site, reader_id=ids.alice, trusted=True))
        db.session.commit()
        thread = get(Thread, ids.thread)
        site = get(Site, ids.site)
        comment = posting.post_comment(
            reader(ids.alice), thread, site, "hi", signals=[(HoldReason.HONEYPOT, "x")]
        )
        assert comment.status == CommentStatus.PENDING


@pytest.mark.parametrize(
    ("text", "words"),
    [
        ("Plain words, and MORE words.", ["plain", "words", "and", "more", "words"]),
        ("Салам, ДОСТ: bu söz", ["салам", "дост", "bu", "soz"]),
        # "ß" folds to two letters, a combining accent to none, "ﬁ" to two.
        ("Straße, cafe\u0301 and ﬁne", ["strasse", "cafe", "and", "fine"]),
    ],
)
def test_word_spans_point_at_the_words_as_written(text: str, words: list[str]) -> None:
    spans = rules.word_spans(text)
    assert [word for word, _, _ in spans] == words
    # Each span covers the word as it stands in the text, accents and all.
    shown = [text[start:end] for _, start, end in spans]
    assert [rules.normalise(piece) for piece in shown] == words
