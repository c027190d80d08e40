"""KeptLRU: bounded by count, the least recently used dropped first."""

from __future__ import annotations

from commentsvc.core.kept import KeptLRU


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
