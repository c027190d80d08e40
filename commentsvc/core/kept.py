"""Per-process memories of made things: bounded by how many they hold (KeptLRU) or by
the bytes they take (SizedLRU); the least recently used go first."""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable, Iterator
from typing import Generic, TypeVar

from flask import current_app

V = TypeVar("V")


class KeptLRU(Generic[V]):
    """At most max_entries values, the least recently used dropped first; safe to share
    between a worker's threads."""

    def __init__(self, max_entries: int) -> None:
        self.max_entries = max_entries
        self._data: OrderedDict[Hashable, V] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: Hashable) -> V | None:
        with self._lock:
            found = self._data.get(key)
            if found is not None:
                self._data.move_to_end(key)
            return found

    def put(self, key: Hashable, value: V) -> None:
        with self._lock:
            self._data[key] = value
            self._data.move_to_end(key)
            while len(self._data) > self.max_entries:
                self._data.popitem(last=False)

    def __len__(self) -> int:
        return len(self._data)

    def __iter__(self) -> Iterator[Hashable]:
        """The keys, least recently used first (a copy: safe while others put)."""
        with self._lock:
            return iter(list(self._data))

    def values(self) -> list[V]:
        with self._lock:
            return list(self._data.values())


class SizedLRU(Generic[V]):
    """Values put with the bytes they take; the least recently used go first once the
    total passes max_bytes. A value larger than max_bytes is not kept at all (and the key's
    older value goes, so get never answers with what put replaced). Safe to
    share between a worker's threads. on_change, if given, hears each put's change in
    bytes and in entries (e.g. to move metrics gauges)."""

    def __init__(self, max_bytes: int, on_change: Callable[[int, int], None] | None = None) -> None:
        self.max_bytes = max_bytes
        self._on_change = on_change
        self._data: OrderedDict[Hashable, tuple[V, int]] = OrderedDict()
        self._size = 0
        self._lock = threading.Lock()

    def get(self, key: Hashable) -> V | None:
        with self._lock:
            found = self._data.get(key)
            if found is None:
                return None
            self._data.move_to_end(key)
            return found[0]

    def put(self, key: Hashable, value: V, size: int) -> None:
        with self._lock:
            before, count = self._size, len(self._data)
            old = self._data.pop(key, None)
            if old is not None:
                self._size -= old[1]
            if size <= self.max_bytes:
                self._data[key] = (value, size)
                self._size += size
            while self._size > self.max_bytes:
                _key, (_value, dropped) = self._data.popitem(last=False)
                self._size -= dropped
            if self._on_change is not None:
                self._on_change(self._size - before, len(self._data) - count)

    @property
    def size(self) -> int:
        """The bytes the kept values take, as they were put."""
        return self._size

    def __len__(self) -> int:
        return len(self._data)


def in_app(name: str, max_entries: int) -> KeptLRU[V]:
    """This app's KeptLRU called name, made on first use (each app has its own)."""
    found = current_app.extensions.get(name)
    if found is None:
        found = current_app.extensions.setdefault(name, KeptLRU[V](max_entries))
    return found  # type: ignore[no-any-return]
