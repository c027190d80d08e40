"""What happens to a new comment: bans and closed threads (for comments.eligibility), which
words refuse it, which rules hold it."""

from __future__ import annotations

import re
import time
import unicodedata
from collections.abc import Collection
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from functools import lru_cache

from flask import current_app
from flask_babel import format_datetime
from flask_babel import lazy_gettext as _l
from sqlalchemy import func, or_, select

from commentsvc.accounts.models import Reader
from commentsvc.comments.models import Comment, CommentStatus, ModerationPolicy, Site, Thread
from commentsvc.core import tokens
from commentsvc.core.errors import Invalid, LinkInvalid
from commentsvc.core.extensions import db, utcnow
from commentsvc.moderation.models import Ban, BanKind, CommentHold, HoldReason, TrustMark

WORD_MAX = 100
WORDS_MAX = 1000
# Besides accents, fold the Turkic dotless i (U+0131) into i: "SIKINTI" typed on an
# English keyboard and the same word typed in Azerbaijani must match each other.
_EXTRA_FOLDS = str.maketrans({"\u0131": "i"})


# --- words -----------------------------------------------------------------------------


def normalise(text: str) -> str:
    """Text folded for matching: compatibility forms, case and accents removed.

    NFKD splits "é" into "e" plus a combining accent and "ﬁ" into "fi"; casefold
    handles "ß" and the Turkic "İ" (which becomes i plus a combining dot).
    """
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    bare = "".join(c for c in decomposed if not unicodedata.combining(c))
    return " ".join(bare.translate(_EXTRA_FOLDS).split())


def parse_word_list(text: str) -> list[str]:
    """One word or phrase per line (commas also separate), without duplicates.

    :raises Invalid: a word too long, or too many of them.
    """
    words: list[str] = []
    seen: set[str] = set()
    for raw in re.split(r"[\n,]", text):
        word = " ".join(raw.split())
        if not word:
            continue
        if len(word) > WORD_MAX:
            raise Invalid(_l("A word or phrase can be at most %(n)d characters.", n=WORD_MAX))
        key = normalise(word)
        if key and key not in seen:
            seen.add(key)
            words.append(word)
    if len(words) > WORDS_MAX:
        raise Invalid(_l("A list can hold at most %(n)d words.", n=WORDS_MAX))
    return words


@lru_cache(maxsize=256)
def _pattern(words: tuple[str, ...]) -> re.Pattern[str] | None:
    keys = sorted({normalise(w) for w in words} - {""}, key=len, reverse=True)
    if not keys:
        return None
    # Whole words only: no letter or digit may touch either end of the match.
    alternatives = "|".join(re.escape(k).replace(r"\ ", r"\s+") for k in keys)
    return re.compile(rf"(?<!\w)(?:{alternatives})(?!\w)")


def matching_words(words: list[str], text: str) -> list[str]:
    """The entries of words found in text as whole words, ignoring case and accents."""
    pattern = _pattern(tuple(words))
    if pattern is None:
        return []
    found = {m.group(0) for m in pattern.finditer(normalise(text))}
    by_key = {normalise(w): w for w in words}
    return sorted({by_key.get(" ".join(f.split()), f) for f in found})


_ANCHOR = re.compile(r"<a\s[^>]*>.*?</a>", re.S)
_BARE_URL = re.compile(r"(?i)\b(?:https?://|www\.)\S")


def count_links(html: str) -> int:
    """Links in a rendered comment: Markdown links and linked addresses, plus addresses
    the linkifier left as text (e.g. on a top-level domain it does not know)."""
    anchors = len(_ANCHOR.findall(html))
    return anchors + len(_BARE_URL.findall(_ANCHOR.sub(" ", html)))


# --- who may post ----------------------------------------------------------------------


def active_bans(reader_ids: Collection[int], site_id: int | None = None) -> list[Ban]:
    """The bans and suspensions in force now for these readers (on one site, if given)."""
    now = utcnow()
    stmt = select(Ban).where(
        Ban.reader_id.in_(reader_ids),
        Ban.lifted_at.is_(None),
        or_(Ban.until.is_(None), Ban.until > now),
    )
    if site_id is not None:
        stmt = stmt.where(or_(Ban.site_id == site_id, Ban.site_id.is_(None)))
    return list(db.session.scalars(stmt))


def strongest(bans: list[Ban]) -> Ban | None:
    """A ban without end wins over a suspension; of suspensions, the longest."""
    if not bans:
        return None
    far = datetime.max.replace(tzinfo=UTC)
    return max(bans, key=lambda b: b.until or far)


def active_ban(reader_id: int, site_id: int) -> Ban | None:
    """The ban or suspension that stops the reader posting on the site now, if any."""
    return strongest(active_bans([reader_id], site_id))


def ban_message(ban: Ban, site: Site) -> str:
    if ban.kind == BanKind.SUSPENSION and ban.until is not None:
        text = _l(
            "You are suspended from commenting on %(site)s until %(until)s.",
            site=site.name,
            until=format_datetime(ban.until, "short") + " UTC",
        )
    else:
        text = _l("You are banned from commenting on %(site)s.", site=site.name)
    if ban.reason:
        return str(_l("%(text)s Reason: %(reason)s", text=text, reason=ban.reason))
    return str(text)


def closed_since(site: Site, thread: Thread) -> datetime | None:
    """When the thread closed by the site's rule (days after its first comment), if it has."""
    if site.close_after_days is None:
        return None
    # min() keeps the column's type, so the result is an aware UTC datetime.
    first = db.session.scalar(
        select(func.min(Comment.created_at)).where(Comment.thread_id == thread.id)
    )
    if first is None:
        return None
    closes = first + timedelta(days=site.close_after_days)
    return closes if closes <= utcnow() else None


# --- trust and holds -------------------------------------------------------------------


def approved_count(reader_id: int, site_id: int, at_most: int) -> int:
    """The reader's approved comments on the site, counted up to at_most (enough to compare)."""
    if at_most <= 0:
        return 0
    inner = (
        select(Comment.id)
        .join(Thread, Thread.id == Comment.thread_id)
        .where(
            Comment.author_id == reader_id,
            Thread.site_id == site_id,
            Comment.status == CommentStatus.APPROVED,
        )
        .limit(at_most)
        .subquery()
    )
    return db.session.scalar(select(func.count()).select_from(inner)) or 0


def is_trusted(reader_id: int, site: Site) -> bool:
    """Marked trusted by a moderator, or enough approved comments (unless marked not trusted)."""
    mark = db.session.scalar(
        select(TrustMark.trusted).where(
            TrustMark.site_id == site.id, TrustMark.reader_id == reader_id
        )
    )
    if mark is not None:
        return bool(mark)
    if site.trust_after <= 0:
        return False
    return approved_count(reader_id, site.id, site.trust_after) >= site.trust_after


Hold = tuple[HoldReason, str]


@dataclass
class Verdict:
    """What the rules say about a comment: refused (with the reason for the reader) or
    held (with the reasons for the moderators), or neither."""

    refusal: str | None = None
    holds: list[Hold] = field(default_factory=list)


def assess(reader: Reader, site: Site, source: str, html: str, signals: list[Hold]) -> Verdict:
    """Apply the site's word lists and hold rules to a comment about to be stored.

    Banned words refuse the comment for everyone. Trusted readers skip the other
    holds; signals of automation (see form_signals) hold it whoever sent it.
    """
    banned = matching_words(site.banned_words, source)
    if banned:
        return Verdict(
            refusal=str(
                _l(
                    "Your comment was not posted: it contains words this site does not "
                    "allow (%(words)s). Please rephrase it.",
                    words=", ".join(banned),
                )
            )
        )
    holds = list(signals)
    if is_trusted(reader.id, site):
        return Verdict(holds=holds)
    if site.moderation_policy == ModerationPolicy.HOLD_ALL:
        holds.append((HoldReason.HOLD_ALL, ""))
    elif site.moderation_policy == ModerationPolicy.HOLD_FIRST_N:
        approved = approved_count(reader.id, site.id, site.hold_first_n)
        if approved < site.hold_first_n:
            holds.append((HoldReason.NEW_READER, f"{approved}/{site.hold_first_n}"))
    links = count_links(html)
    if links > site.max_links:
        holds.append((HoldReason.LINKS, str(links)))
    suspicious = matching_words(site.suspicious_words, source)
    if suspicious:
        holds.append((HoldReason.SUSPICIOUS_WORDS, ", ".join(suspicious)[:300]))
    return Verdict(holds=holds)


def store_holds(comment_id: int, holds: list[Hold]) -> None:
    """Record why the comment waits, in the caller's transaction (skipping known reasons)."""
    known = set(
        db.session.scalars(select(CommentHold.reason).where(CommentHold.comment_id == comment_id))
    )
    for reason, detail in holds:
        if reason not in known:
            known.add(reason)
            db.session.add(CommentHold(comment_id=comment_id, reason=reason, detail=detail[:300]))


# --- the no-JavaScript form's brakes ---------------------------------------------------


def form_token() -> str:
    """A signed note of when the comment form was shown, for the minimum fill time."""
    return tokens.FORM_TIMING.make({"t": int(time.time())})


def form_signals(honeypot: str | None, started: str | None) -> list[Hold]:
    """Hold reasons from the form itself: a filled-in hidden field, or a form sent faster
    than a person can write (or with a forged or missing time when the form had one)."""
    signals: list[Hold] = []
    if honeypot:
        signals.append((HoldReason.HONEYPOT, honeypot[:100]))
    if started is None:
        return signals
    minimum = current_app.config["COMMENT_MIN_FILL_SECONDS"]
    try:
        shown = int(tokens.FORM_TIMING.read(started)["t"])
    except (LinkInvalid, KeyError, TypeError, ValueError):
        signals.append((HoldReason.TOO_FAST, "invalid form time"))
        return signals
    elapsed = int(time.time()) - shown
    if elapsed < minimum:
        signals.append((HoldReason.TOO_FAST, f"{max(elapsed, 0)} s"))
    return signals
