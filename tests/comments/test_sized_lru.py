"""The size bound of the shared page cache: least recently used pages go first."""

from __future__ import annotations

from datetime import UTC, datetime

from commentsvc.comments.page_cache import Entry, SizedLRU, Stamp

STAMP = Stamp(1, 0, datetime(2026, 1, 1, tzinfo=UTC), "demo", ("https://news.example",))


def entry(size: int) -> Entry:
    return Entry(STAMP, "200 OK", [], b"x" * size)


def test_least_recently_used_pages_go_first_once_over_the_budget():
    cache = SizedLRU(max_bytes=300)
    cache.put("a", entry(100))
    cache.put("b", entry(100))
    cache.put("c", entry(100))
    assert cache.get("a") is not None  # a is now the most recently used
    cache.put("d", entry(100))
    assert cache.get("b") is None
    assert [cache.get(k) is not None for k in "acd"] == [True, True, True]


def test_replacing_a_page_counts_only_its_new_size():
    cache = SizedLRU(max_bytes=300)
    cache.put("a", entry(200))
    cache.put("a", entry(50))
    cache.put("b", entry(250))
    assert cache.get("a") is not None
    assert cache.get("b") is not None


def test_a_page_larger_than_the_whole_budget_is_not_kept():
    cache = SizedLRU(max_bytes=300)
    cache.put("a", entry(100))
    cache.put("huge", entry(301))
    assert cache.get("huge") is None
    assert cache.get("a") is not None
    assert len(cache) == 1
