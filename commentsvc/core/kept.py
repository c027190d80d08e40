"""A per-process memory of made things, bounded by how many it holds."""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Hashable, Iterator
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


def in_app(name: str, max_entries: int) -> KeptLRU[V]:
    """This app's KeptLRU called name, made on first use (each app has its own)."""
    found = current_app.extensions.get(name)
    if found is None:
        found = current_app.extensions.setdefault(name, KeptLRU[V](max_entries))
    return found  # type: ignore[no-any-return]
