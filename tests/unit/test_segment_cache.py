"""The Kafka-backed segment cache is bounded by construction and never returns another key's text."""

from __future__ import annotations

from translator_app.engine.cache import cache_key
from translator_app.records import CachedSegment
from translator_app.segment_cache import TableSegmentStore


def test_table_store_never_exceeds_its_slots_and_a_collision_is_a_miss() -> None:
    table: dict[bytes, CachedSegment] = {}
    store = TableSegmentStore(table, slots=8)
    keys = [cache_key(model="m", generation="g", text=str(i)) for i in range(100)]
    for key in keys:
        store.put(key, f"t{key[:4]}")
    assert len(table) <= 8
    hits = [key for key in keys if store.get(key) is not None]
    assert 0 < len(hits) <= 8
    assert all(store.get(key) == f"t{key[:4]}" for key in hits)  # never another key's text


def test_zero_slots_disable_the_table_cache() -> None:
    table: dict[bytes, CachedSegment] = {}
    store = TableSegmentStore(table, slots=0)
    store.put("ab" * 32, "x")
    assert table == {} and store.get("ab" * 32) is None
