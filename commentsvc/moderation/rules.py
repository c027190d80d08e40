"""What happens to a new comment: bans and closed threads (for comments.eligibility), which
words refuse it, which rules hold it."""

# Cyrillic look-alikes are the subject of the word lists' comments, not slips.
# ruff: noqa: RUF002, RUF003

from __future__ import annotations

import re
import time
import unicodedata
from collections.abc import Collection, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from functools import lru_cache

from flask import current_app
from flask_babel import format_datetime
from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select

from commentsvc.accounts.identity import confusable_skeleton
from commentsvc.accounts.models import Reader
from commentsvc.comments.models import Comment, ModerationPolicy, Site, Thread
from commentsvc.core import kept, tokens
from commentsvc.core.errors import Invalid, LinkInvalid
from commentsvc.core.extensions import db, utcnow
from commentsvc.core.kept import KeptLRU
from commentsvc.moderation import standing
from commentsvc.moderation.models import Ban, BanKind, CommentHold, HoldReason

WORD_MAX = 100  # characters in one entry
PHRASE_WORDS_MAX = 5
WORDS_MAX = 1000
_WORD = re.compile(r"\w+")
# Dropped before matching: accents and other combining marks (Mn, Me) once NFKD has
# split them off, and invisible format characters (Cf: zero-width space and joiners,
# soft hyphen, word joiner, BOM, bidi controls) that would split a word unseen.
_DROPPED = frozenset({"Mn", "Me", "Cf"})
# Russian letters once accents are gone (ё is е, й is и): a word written only in them
# is Russian, even when each letter looks like a Latin one ("сам", "рот").
_RUSSIAN = frozenset("абвгдежзиклмнопрстуфхцчшщъыьэюя")
_SCRIPTS = ("LATIN", "CYRILLIC", "GREEK")


class _Folds(dict[int, int | str | None]):
    """A str.translate table filled on first sight of each character: drop it (see
    _DROPPED) or keep it, and fold the Turkic dotless i into i ("SIKINTI" typed on an
    English keyboard and the same word typed in Azerbaijani must match)."""

    def __missing__(self, code: int) -> int | str | None:
        char = chr(code)
        folded: int | str | None = code
        if char == "\u0131":
            folded = "i"
        elif unicodedata.category(char) in _DROPPED:
            folded = None
        self[code] = folded
        return folded


_FOLDS = _Folds()


# --- words -----------------------------------------------------------------------------
# A comment and a list entry are both cut into words (runs of letters, digits and _;
# punctuation separates words like a space) after normalise(). An entry matches where
# its words follow one another in the comment: a single word by itself, a phrase word
# after word. The entries are kept in tries of words (see _index), so checking a comment
# costs at most 2 x (words in the comment) x (words in the longest entry) lookups,
# however long the list; a list never becomes one big regular expression.
#
# Look-alike letters (accounts.identity.confusable_skeleton) count only in a word that
# is disguised (see _disguised), e.g. "cаsino" with a Cyrillic а: such a word is
# compared by its skeleton with the skeletons of the entries. A word written wholly in
# one alphabet is compared as written, so the Russian "сам" does not match an English
# entry "cam", nor "cam" a Russian entry "сам".


def normalise(text: str) -> str:
    """Text folded for matching: compatibility forms, case, accents and invisible
    characters removed, spaces collapsed.

    NFKC turns "ﬁ" into "fi" and fullwidth letters into plain ones; casefold handles
    "ß" and the Turkic "İ"; NFKD then splits "é" into "e" plus an accent, which goes.
    """
    folded = unicodedata.normalize("NFKC", text).casefold()
    bare = unicodedata.normalize("NFKD", folded).translate(_FOLDS)
    return " ".join(bare.split())


def _words(text: str) -> list[str]:
    return _WORD.findall(normalise(text))


@lru_cache(maxsize=4096)
def _script(char: str) -> str:
    name = unicodedata.name(char, "")
    return name.split(" ", 1)[0] if char.isalpha() else ""


def _disguised(word: str) -> bool:
    """A word nobody writes except to dodge a word list: letters of two of the Latin,
    Cyrillic and Greek alphabets ("cаsino"), such letters with a digit read as a letter
    ("h0t"), or only look-alikes that are not all Russian letters ("ѕсам", Macedonian ѕ)."""
    skeleton = confusable_skeleton(word)
    if skeleton == word:
        return False
    scripts = {_script(c) for c in word} & set(_SCRIPTS)
    if len(scripts) > 1:
        return True
    if scripts and any(c.isdigit() and s != c for c, s in zip(word, skeleton, strict=True)):
        return True
    return (
        bool(scripts)
        and "LATIN" not in scripts
        and all(c != s for c, s in zip(word, skeleton, strict=True))
        and not set(word) <= _RUSSIAN
    )


class _Node:
    __slots__ = ("children", "entries")

    def __init__(self) -> None:
        self.children: dict[str, _Node] = {}
        self.entries: set[str] = set()

    def add(self, path: list[str], entry: str) -> None:
        node = self
        for word in path:
            node = node.children.setdefault(word, _Node())
        node.entries.add(entry)


@dataclass(frozen=True)
class _Index:
    """The entries twice: by their words (a disguised word by its skeleton, as the
    moderator evidently meant it) and by the skeletons of all their words."""

    plain: _Node
    skeletons: _Node
    depth: int  # the words of the longest entry


@lru_cache(maxsize=64)
def _index(entries: tuple[str, ...]) -> _Index:
    plain, by_skeleton, depth = _Node(), _Node(), 0
    for entry in entries:
        words = _words(entry)
        if not words:
            continue
        skeletons = [confusable_skeleton(w) for w in words]
        plain.add([s if _disguised(w) else w for w, s in zip(words, skeletons, strict=True)], entry)
        by_skeleton.add(skeletons, entry)
        depth = max(depth, len(words))
    return _Index(plain, by_skeleton, depth)


Word = tuple[str | None, str]  # a word of a text as written (None if disguised), its skeleton


def _sequence(words: list[str]) -> list[Word]:
    seen: dict[str, Word] = {}
    sequence: list[Word] = []
    for word in words:
        if word not in seen:
            skeleton = confusable_skeleton(word)
            seen[word] = (None if skeleton != word and _disguised(word) else word, skeleton)
        sequence.append(seen[word])
    return sequence


def _walk(index: _Index, sequence: list[Word]) -> Iterator[tuple[int, int, _Node]]:
    """Every match as (first word, word after the last, trie node with the entries).

    From each word of the text, two walks follow the next words: one through the
    entries as written, while no word is disguised; one through the skeletons, which
    counts only once a disguised word was met. Each takes at most one step per word of
    the longest entry, so the work is bounded by the length of the text, not the list.
    """
    for start in range(len(sequence)):
        plain: _Node | None = index.plain
        by_skeleton: _Node | None = index.skeletons
        disguised = False
        for offset, (as_written, skeleton) in enumerate(sequence[start : start + index.depth]):
            if plain is not None:
                plain = None if as_written is None else plain.children.get(as_written)
            if by_skeleton is not None:
                by_skeleton = by_skeleton.children.get(skeleton)
            disguised = disguised or as_written is None
            if plain is None and by_skeleton is None:
                break
            if plain is not None and plain.entries:
                yield start, start + offset + 1, plain
            if by_skeleton is not None and disguised and by_skeleton.entries:
                yield start, start + offset + 1, by_skeleton


def matching_words(words: list[str], text: str) -> list[str]:
    """The entries of words found in text as whole words, ignoring case, accents,
    invisible characters and disguised look-alike letters (sorted, as entered)."""
    index = _index(tuple(words))
    if not index.depth:
        return []
    found: set[str] = set()
    reported: set[int] = set()
    for _start, _end, node in _walk(index, _sequence(_words(text))):
        if id(node) not in reported:
            reported.add(id(node))
            found.update(node.entries)
    return sorted(found)


@lru_cache(maxsize=8192)
def _fold_char(char: str) -> str:
    """One character as normalise() folds it (spaces stay spaces)."""
    folded = unicodedata.normalize("NFKC", char).casefold()
    return unicodedata.normalize("NFKD", folded).translate(_FOLDS)


def word_spans(text: str) -> list[tuple[str, int, int]]:
    """The words of text as _words() finds them, each with where it is in text
    (start, end), so that a match can be shown where it was written."""
    folded = list(map(_fold_char, text))
    joined = "".join(folded)
    if len(joined) == len(text) and all(folded):
        # Each character folded to exactly one: positions are the same in both texts.
        return [(match.group(), match.start(), match.end()) for match in _WORD.finditer(joined)]
    owners: list[int] = []
    for position, piece in enumerate(folded):
        owners.extend([position] * len(piece))
    spans = []
    for match in _WORD.finditer(joined):
        end = owners[match.end() - 1] + 1
        while end < len(text) and not folded[end]:  # an accent or invisible mark goes along
            end += 1
        spans.append((match.group(), owners[match.start()], end))
    return spans


def matching_spans(words: list[str], text: str) -> list[tuple[int, int]]:
    """Where in text the entries of words match (start, end), by the same rules as
    matching_words: whole words, phrases word after word, look-alikes when disguised."""
    index = _index(tuple(words))
    if not index.depth:
        return []
    spans = word_spans(text)
    sequence = _sequence([word for word, _, _ in spans])
    found = {(spans[first][1], spans[last - 1][2]) for first, last, _ in _walk(index, sequence)}
    return sorted(found)


def check_word_list(text: str) -> tuple[list[str], list[str]]:
    """The entries of a list as typed (one per line or between commas, spaces collapsed,
    without duplicates) and what is wrong with it, in words for the moderator."""
    words: list[str] = []
    seen: set[tuple[str, ...]] = set()
    too_long: list[str] = []
    too_many_words: list[str] = []
    wordless: list[str] = []
    for raw in re.split(r"[\n,]", text):
        word = " ".join(raw.split())
        if not word:
            continue
        key = tuple(_words(word)) or (normalise(word),)
        if key in seen:
            continue
        seen.add(key)
        words.append(word)
        if len(word) > WORD_MAX:
            too_long.append(word)
        elif not _WORD.search(key[0]):
            wordless.append(word)
        elif len(key) > PHRASE_WORDS_MAX:
            too_many_words.append(word)
    problems = []
    if too_long:
        problems.append(
            _l(
                "A word or phrase can be at most %(n)d characters: %(entries)s",
                n=WORD_MAX,
                entries=_some(too_long),
            )
        )
    if too_many_words:
        problems.append(
            _l(
                "A phrase can have at most %(n)d words: %(entries)s",
                n=PHRASE_WORDS_MAX,
                entries=_some(too_many_words),
            )
        )
    if wordless:
        problems.append(
            _l(
                "An entry needs a letter or digit to match: %(entries)s",
                entries=_some(wordless),
            )
        )
    if len(words) > WORDS_MAX:
        problems.append(
            _l(
                "A list can hold at most %(n)d words; this one has %(count)d.",
                n=WORDS_MAX,
                count=len(words),
            )
        )
    return words, [str(p) for p in problems]


def _some(entries: list[str], shown: int = 5, width: int = 40) -> str:
    """The first few entries, each cut to width characters, for an error message."""
    listed = "; ".join(e if len(e) <= width else e[: width - 1] + "…" for e in entries[:shown])
    return listed + (f"; … (+{len(entries) - shown})" if len(entries) > shown else "")


def parse_word_list(text: str) -> list[str]:
    """The entries of a list (see check_word_list).

    :raises Invalid: an entry too long, of too many words or of no word; too many entries.
    """
    words, problems = check_word_list(text)
    if problems:
        raise Invalid(" ".join(problems))
    return words


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
    return list(
        db.session.scalars(select(Ban).where(standing.active_ban_filter(reader_ids, site_id)))
    )


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


def is_trusted(reader_id: int, site: Site) -> bool:
    """Marked trusted by a moderator, or enough approved comments (unless marked not trusted)."""
    return standing.of(reader_id, site).trusted


Hold = tuple[HoldReason, str]


@dataclass
class Verdict:
    """What the rules say about a comment: refused (with the reason for the reader) or
    held (with the reasons for the moderators), or neither."""

    refusal: str | None = None
    holds: list[Hold] = field(default_factory=list)


def assess(
    reader: Reader,
    site: Site,
    source: str,
    html: str,
    signals: list[Hold],
    known: standing.Standing | None = None,
) -> Verdict:
    """Apply the site's word lists and hold rules to a comment about to be stored.

    Banned words refuse the comment for everyone. Trusted readers skip the other
    holds; signals of automation (see form_signals) hold it whoever sent it. known:
    the reader's standing on the site, when the caller has read it already.
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
    known = known or standing.of(reader.id, site)
    if known.trusted:
        return Verdict(holds=holds)
    if site.moderation_policy == ModerationPolicy.HOLD_ALL:
        holds.append((HoldReason.HOLD_ALL, ""))
    elif site.moderation_policy == ModerationPolicy.HOLD_FIRST_N:
        approved = known.approved  # counted at least up to hold_first_n
        if approved < site.hold_first_n:
            holds.append((HoldReason.NEW_READER, f"{approved}/{site.hold_first_n}"))
    links = count_links(html)
    if links > site.max_links:
        holds.append((HoldReason.LINKS, str(links)))
    suspicious = matching_words(site.suspicious_words, source)
    if suspicious:
        holds.append((HoldReason.SUSPICIOUS_WORDS, ", ".join(suspicious)[:300]))
    return Verdict(holds=holds)


def store_holds(comment_id: int, holds: list[Hold], new: bool = False) -> None:
    """Record why the comment waits, in the caller's transaction (skipping known reasons;
    a new comment has none yet)."""
    known: set[str] = (
        set()
        if new
        else set(
            db.session.scalars(
                select(CommentHold.reason).where(CommentHold.comment_id == comment_id)
            )
        )
    )
    for reason, detail in holds:
        if reason not in known:
            known.add(reason)
            db.session.add(CommentHold(comment_id=comment_id, reason=reason, detail=detail[:300]))


# --- the no-JavaScript form's brakes ---------------------------------------------------


_FORM_TOKENS = "commentsvc.form_tokens"


def form_token() -> str:
    """A signed note of when the comment form was shown, for the minimum fill time.

    It says nothing but the second, so every form shown in one second carries the same
    note: it is signed once per second in each process, not once per page."""
    now = int(time.time())
    made: KeptLRU[str] = kept.in_app(_FORM_TOKENS, 2)
    found = made.get(now)
    if found is None:
        found = tokens.FORM_TIMING.make({"t": now})
        made.put(now, found)
    return found


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
