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


def _key(first: int, second: int, pick: str = "0") -> str:
    """A cache key whose two slots (hex digits 0-15 and 16-31) are ``first`` and ``second``."""
    return f"{first:016x}{second:016x}{pick}" + "0" * 31


def test_two_keys_sharing_a_slot_both_stay_cached() -> None:
    # The direct-mapped store lost one of these; in `make bench` that was one
    # segment of 184 translated again on every cached pass.
    table: dict[bytes, CachedSegment] = {}
    store = TableSegmentStore(table, slots=100)
    a, b = _key(7, 11), _key(107, 12)  # both first-choice slot 7
    store.put(a, "A")
    store.put(b, "B")
    assert (store.get(a), store.get(b)) == ("A", "B")
    assert set(table) == {b"7", b"12"}


def test_a_full_pair_of_slots_evicts_one_entry_and_rewrites_nothing_unchanged() -> None:
    table: dict[bytes, CachedSegment] = {}
    store = TableSegmentStore(table, slots=100)
    a, b, c = _key(1, 2), _key(2, 1), _key(101, 102, pick="1")
    store.put(a, "A")
    store.put(b, "B")
    before = dict(table)
    store.put(a, "A")
    assert table == before  # an unchanged entry costs no changelog write
    store.put(c, "C")  # slots 1 and 2 both taken: the key bit picks slot 2
    assert store.get(c) == "C" and store.get(a) == "A" and store.get(b) is None
    assert len(table) == 2
    store.put(a, "A2")  # an existing key is updated where it lives
    assert table[b"1"] == CachedSegment(key=a, translation="A2")


def test_an_entry_written_by_the_direct_mapped_store_is_still_found() -> None:
    key = cache_key(model="m", generation="g", text="hola")
    table = {b"%d" % (int(key[:16], 16) % 50): CachedSegment(key=key, translation="hello")}
    assert TableSegmentStore(table, slots=50).get(key) == "hello"
