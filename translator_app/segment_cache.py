"""The engine's segment cache, stored in a Faust global table of fixed size."""

from __future__ import annotations

import logging
from collections.abc import MutableMapping

from .records import CachedSegment

__all__ = ("TableSegmentStore",)

logger = logging.getLogger(__name__)


class TableSegmentStore:
    """A two-choice cache over a table: each key may live in one of two of ``slots`` slots.

    A new entry goes to a free one of its two slots, or else replaces one of
    them, so the table never exceeds ``slots`` entries (and Kafka's log
    compaction keeps the changelog at that size too) without any eviction
    bookkeeping that would itself need state. The full key is stored with the
    value, so an overwritten slot is a miss, never a wrong translation.

    Two choices rather than one, because a direct-mapped table loses an entry
    whenever two live keys share a slot: 184 segments in 100 000 slots collide
    with probability 1 - exp(-184**2 / 200 000) = 16 %, and ``make bench``'s
    articles did, so one segment was translated again on every pass. With two
    choices an entry is lost only when both of its slots are taken.

    Args:
        table: A table (or any mapping) from slot bytes to :class:`CachedSegment`.
        slots: Number of slots; 0 disables the cache.
    """

    def __init__(self, table: MutableMapping[bytes, CachedSegment], *, slots: int) -> None:
        self.table = table
        self.slots = slots

    def _slots(self, key: str) -> tuple[bytes, bytes]:
        # Independent hex digits of the (sha256) key. The first slot is the one
        # the direct-mapped version used, so entries it wrote are still found.
        return (b"%d" % (int(key[:16], 16) % self.slots), b"%d" % (int(key[16:32], 16) % self.slots))

    def get(self, key: str) -> str | None:
        """Return the translation cached under ``key``, if one of its slots still holds it."""
        if self.slots <= 0:
            return None
        for slot in self._slots(key):
            entry = self.table.get(slot)
            if entry is not None and entry.key == key:
                return entry.translation
        return None

    def put(self, key: str, translation: str) -> None:
        """Store ``translation`` in one of ``key``'s slots: its own, else a free one, else either."""
        if self.slots <= 0:
            return
        slots = self._slots(key)
        entries = [self.table.get(slot) for slot in slots]
        for slot, entry in zip(slots, entries, strict=True):
            if entry is not None and entry.key == key:
                if entry.translation != translation:  # no changelog write for an unchanged entry
                    self.table[slot] = CachedSegment(key=key, translation=translation)
                return
        free = [slot for slot, entry in zip(slots, entries, strict=True) if entry is None]
        # Both taken: the victim is picked by a key bit, i.e. at random, since
        # no recency is kept (keeping it would mean a changelog write per hit).
        target = free[0] if free else slots[int(key[32], 16) & 1]
        self.table[target] = CachedSegment(key=key, translation=translation)
