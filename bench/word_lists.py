"""Benchmark the word lists at their worst: the longest list of the longest phrases a
moderator may save, against 10,000-character comments built to be slow.

Usage (from the repository root, so that this checkout's commentsvc is measured):
    .venv/bin/python -m bench.word_lists
    BENCH_RUNS=5 .venv/bin/python -m bench.word_lists

For each case, a list is built from one repeated unit: every entry is that unit as many
times as the settings form accepts, then a word of its own, so entries share all but
their last word; the comment repeats the unit, so every position starts a partial match
that never completes. Each comment is checked against a list of 1 such entry, of 600
(the size used in the reported attack) and of the most entries a list may hold. Times
are medians of BENCH_RUNS runs (default 15), per comment.
"""

from __future__ import annotations

import os
import statistics
import time
from collections.abc import Callable

from commentsvc.core.errors import Invalid
from commentsvc.moderation import rules

RUNS = int(os.environ.get("BENCH_RUNS", "15"))
COMMENT_CHARS = 10_000

# (case, the unit entries are made of, the unit the comment repeats)
CASES = [
    ("shared prefixes, never completed", "abcd ", "abcd "),
    ("one-letter words", "a ", "a "),
    ("compatibility forms that expand (U+FDFA)", "\ufdfa", "\ufdfa"),
    ("invisible characters inside words", "abcd ", "a\u200bb\u00adc\u2060d "),
    ("look-alike letters (Cyrillic a)", "casino ", "c\u0430sino "),
    ("ordinary prose", "abcd ", "The council met on Tuesday to discuss the new budget. "),
]


def accepted(entry: str) -> bool:
    try:
        return rules.parse_word_list(entry) != []
    except Invalid:
        return False


def entries(unit: str, count: int) -> list[str]:
    """count entries: unit repeated as often as a list accepts, then a word of their own."""
    repeats = 1
    while accepted(unit * (repeats + 1) + " z99999"):
        repeats += 1
    made = [f"{unit * repeats} z{n:05d}" for n in range(count)]
    rules.parse_word_list("\n".join(made))  # the form would accept this list
    return made


def median_seconds(check: Callable[[], object]) -> float:
    samples = []
    for _ in range(RUNS):
        started = time.perf_counter()
        check()
        samples.append(time.perf_counter() - started)
    return statistics.median(samples)


def main() -> None:
    most = rules.WORDS_MAX
    print(f"{COMMENT_CHARS:,}-character comments, median of {RUNS} runs, per comment")
    print(f"{'case':44} {'1 entry':>10} {'600':>10} {most:>10}")
    for name, list_unit, comment_unit in CASES:
        text = (comment_unit * COMMENT_CHARS)[:COMMENT_CHARS]
        made = entries(list_unit, most)
        times = [
            median_seconds(lambda words=words, text=text: rules.matching_words(words, text))
            for words in (made[:1], made[:600], made)
        ]
        print(f"{name:44} " + " ".join(f"{t * 1000:8.1f}ms" for t in times), flush=True)


if __name__ == "__main__":
    main()
