"""KeptLRU (bounded by count) and SizedLRU (bounded by bytes): the least recently used
go first."""

from __future__ import annotations

from commentsvc.core.kept import KeptLRU, SizedLRU


def test_the_least_recently_used_goes_first():
    kept: KeptLRU[str] = KeptLRU(2)
    kept.put("a", "A")
    kept.put("b", "B")
    assert kept.get("a") == "A"  # "b" is now the least recently used
    kept.put("c", "C")
    assert kept.get("b") is None
    assert list(kept) == ["a", "c"]
    kept.put("a", "A2")  # putting again refreshes too
    kept.put("d", "D")
    assert list(kept) == ["a", "d"]
    assert kept.values() == ["A2", "D"]
    assert len(kept) == 2


def test_least_recently_used_values_go_first_once_over_the_byte_budget():
    cache: SizedLRU[str] = SizedLRU(max_bytes=300)
    cache.put("a", "A", 100)
    cache.put("b", "B", 100)
    cache.put("c", "C", 100)
    assert cache.get("a") == "A"  # a is now the most recently used
    cache.put("d", "D", 100)
    assert cache.get("b") is None
    assert [cache.get(k) for k in "acd"] == ["A", "C", "D"]
    assert cache.size == 300


def test_replacing_a_value_counts_only_its_new_size():
    cache: SizedLRU[str] = SizedLRU(max_bytes=300)
    cache.put("a", "A", 200)
    cache.put("a", "A2", 50)
    cache.put("b", "B", 250)
    assert cache.get("a") == "A2"
    assert cache.get("b") == "B"
    assert cache.size == 300


def test_a_value_larger_than_the_whole_budget_is_not_kept_and_drops_nothing():
    cache: SizedLRU[str] = SizedLRU(max_bytes=300)
    cache.put("a", "A", 100)
    cache.put("huge", "H", 301)
    assert cache.get("huge") is None
    assert cache.get("a") == "A"
    assert len(cache) == 1


def test_an_oversized_replacement_drops_the_older_value_of_its_key():
    cache: SizedLRU[str] = SizedLRU(max_bytes=300)
    cache.put("a", "A", 100)
    cache.put("b", "B", 100)
    cache.put("a", "A-too-big", 301)
    assert cache.get("a") is None
    assert cache.get("b") == "B"
    assert (cache.size, len(cache)) == (100, 1)


def test_each_put_reports_its_change_in_bytes_and_entries():
    changes: list[tuple[int, int]] = []
    cache: SizedLRU[str] = SizedLRU(300, lambda size, count: changes.append((size, count)))
    cache.put("a", "A", 200)
    cache.put("a", "A2", 50)  # replaced: smaller, same count
    cache.put("b", "B", 250)  # b in, nothing out (300 in all)
    cache.put("c", "C", 100)  # c in, a and b out
    assert changes == [(200, 1), (-150, 0), (250, 1), (-200, -1)]
    assert (cache.size, len(cache)) == (100, 1)
