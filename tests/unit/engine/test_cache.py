"""Cache keys separate models and settings; stores stay within their bounds."""

from __future__ import annotations

from translator_app.engine.cache import CacheStats, LruSegmentCache, cache_key


def test_key_depends_on_model_settings_and_text() -> None:
    base = cache_key(model="m", generation="greedy", text="Hola")
    assert base == cache_key(model="m", generation="greedy", text="Hola")
    assert base != cache_key(model="m2", generation="greedy", text="Hola")
    assert base != cache_key(model="m", generation="beams=4", text="Hola")
    assert base != cache_key(model="m", generation="greedy", text="Hola ")
    # Length prefixes: moving a boundary between parts changes the key.
    assert cache_key(model="ab", generation="c", text="") != cache_key(model="a", generation="bc", text="")


def test_lru_evicts_the_least_recently_used() -> None:
    cache = LruSegmentCache(capacity=2)
    cache.put("a", "A")
    cache.put("b", "B")
    assert cache.get("a") == "A"
    cache.put("c", "C")
    assert (cache.get("a"), cache.get("b"), cache.get("c"), len(cache)) == ("A", None, "C", 2)


def test_zero_capacity_disables_caching() -> None:
    cache = LruSegmentCache(capacity=0)
    cache.put("a", "A")
    assert cache.get("a") is None


def test_hit_rate() -> None:
    assert CacheStats().hit_rate == 0.0
    assert CacheStats(hits=3, misses=1).hit_rate == 0.75
