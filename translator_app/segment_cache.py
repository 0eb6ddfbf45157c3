"""The engine's segment cache, stored in a Faust global table of fixed size."""

from __future__ import annotations

import logging
from collections.abc import MutableMapping

from .records import CachedSegment

__all__ = ("TableSegmentStore",)

logger = logging.getLogger(__name__)


class TableSegmentStore:
    """A direct-mapped cache over a table: each key owns one of ``slots`` slots.

    A new entry overwrites whatever held its slot, so the table never exceeds
    ``slots`` entries (and Kafka's log compaction keeps the changelog at that
    size too) without any eviction bookkeeping that would itself need state.
    The full key is stored with the value, so a slot collision is a miss,
    never a wrong translation.

    Args:
        table: A table (or any mapping) from slot bytes to :class:`CachedSegment`.
        slots: Number of slots; 0 disables the cache.
    """

    def __init__(self, table: MutableMapping[bytes, CachedSegment], *, slots: int) -> None:
        self.table = table
        self.slots = slots

    def _slot(self, key: str) -> bytes:
        return b"%d" % (int(key[:16], 16) % self.slots)

    def get(self, key: str) -> str | None:
        """Return the translation cached under ``key``, if its slot still holds it."""
        if self.slots <= 0:
            return None
        entry = self.table.get(self._slot(key))
        if entry is None or entry.key != key:
            return None
        return entry.translation

    def put(self, key: str, translation: str) -> None:
        """Store ``translation`` in ``key``'s slot, replacing what was there."""
        if self.slots <= 0:
            return
        slot = self._slot(key)
        current = self.table.get(slot)
        if current is not None and current.key == key and current.translation == translation:
            return  # no changelog write for an unchanged entry
        self.table[slot] = CachedSegment(key=key, translation=translation)
