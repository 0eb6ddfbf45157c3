"""The segment translation cache contract, its key, and an in-process implementation.

The worker plugs in a Kafka-backed store (``translator_app.segment_cache``);
the engine only sees this contract, so it never imports Faust.
"""

from __future__ import annotations

import hashlib
from collections import OrderedDict
from dataclasses import dataclass, field
from typing import Protocol

__all__ = ("CacheStats", "LruSegmentCache", "SegmentStore", "cache_key")


def cache_key(*, model: str, generation: str, text: str) -> str:
    """Return the cache key of one source segment.

    Args:
        model: The model id or directory, so two models never share entries.
        generation: Everything else that changes the output (backend, precision,
            beams, token budget), as the backend reports it.
        text: The exact source segment.
    """
    digest = hashlib.sha256()
    for part in (model, generation, text):
        encoded = part.encode("utf-8")
        # Length-prefixed, so ("a", "bc") and ("ab", "c") cannot collide.
        digest.update(len(encoded).to_bytes(8, "big"))
        digest.update(encoded)
    return digest.hexdigest()


class SegmentStore(Protocol):
    """Where cached translations live. Called only from the event loop thread."""

    def get(self, key: str) -> str | None:
        """Return the cached translation for ``key``, or ``None``."""
        ...

    def put(self, key: str, translation: str) -> None:
        """Remember ``translation`` for ``key``; may evict older entries."""
        ...


@dataclass(slots=True)
class CacheStats:
    """Hit and miss counts since start."""

    hits: int = 0
    misses: int = 0

    @property
    def hit_rate(self) -> float:
        """Hits over lookups; 0 before the first lookup."""
        total = self.hits + self.misses
        return self.hits / total if total else 0.0


@dataclass(slots=True)
class LruSegmentCache:
    """A bounded in-process LRU store, for benchmarks and engine-only use.

    Args:
        capacity: Maximum entries; 0 disables caching.
    """

    capacity: int
    _entries: OrderedDict[str, str] = field(default_factory=OrderedDict)

    def get(self, key: str) -> str | None:
        """Return the cached translation and mark it recently used."""
        value = self._entries.get(key)
        if value is not None:
            self._entries.move_to_end(key)
        return value

    def put(self, key: str, translation: str) -> None:
        """Insert, evicting the least recently used entry when full."""
        if self.capacity <= 0:
            return
        self._entries[key] = translation
        self._entries.move_to_end(key)
        while len(self._entries) > self.capacity:
            self._entries.popitem(last=False)

    def __len__(self) -> int:
        return len(self._entries)
