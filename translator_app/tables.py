"""Tables: the only state the worker keeps.

Every table here is written with byte keys and a changelog partition computed
from the key, locally, with Kafka's default partitioner (murmur2). Faust's own
``use_partitioner=True`` asks the producer, which crashes the writing agent
when the producer has no metadata for the changelog topic yet (seen on the
first write after a start). Computing it here gives the same partition without
that dependency, and works outside any event (on-demand requests write the
segment cache from the web handlers' side of the engine).
"""

from __future__ import annotations

from typing import Any

import faust
from aiokafka.partitioner import murmur2

from .app import app, settings
from .records import CachedSegment, FinalTranslation

__all__ = ("KeyPartitionedGlobalTable", "KeyPartitionedTable", "final_table", "recent_table", "segment_cache_table")


def key_partition(key: bytes, partitions: int) -> int:
    """The partition Kafka's default partitioner gives ``key`` among ``partitions``."""
    return (murmur2(key) & 0x7FFFFFFF) % partitions


class KeyPartitionedTable(faust.Table):
    """A table whose changelog partition follows the key, as the producer would choose it."""

    def partition_for_key(self, key: Any) -> int | None:
        """Return the key's partition; the article id's partition on the keyed topics too."""
        return key_partition(key, self.partitions or settings.topic_partitions)


class KeyPartitionedGlobalTable(faust.GlobalTable):
    """A global table (every worker holds every key) with key-derived changelog partitions."""

    def partition_for_key(self, key: Any) -> int | None:
        """Return the key's partition."""
        return key_partition(key, self.partitions or settings.topic_partitions)


def _table(cls: type[faust.Table], name: str, **kwargs: Any) -> Any:
    # What ``App.GlobalTable`` passes: apply standby changes one at a time.
    extra: dict[str, Any] = {"standby_buffer_size": 1, "is_global": True} if cls is KeyPartitionedGlobalTable else {}
    table = cls(
        app,
        name=name,
        beacon=app.tables.beacon,
        partitions=settings.topic_partitions,
        key_type=bytes,
        **extra,
        **kwargs,
    )
    return app.tables.add(table)


# Keys are the article id as raw UTF-8 bytes (``key_type=bytes`` makes Faust use
# the raw codec; for ``str`` it would JSON-encode them with quotes). The key's
# partition is the id's partition on the translated topic (same partitioner,
# same count), so the table stays co-partitioned with the finalize agent's input.
final_table: faust.Table = _table(
    KeyPartitionedTable,
    settings.table_final,
    value_type=FinalTranslation,
    help="Latest final translation of each article, by id.",
)

# The segment cache. A *global* table, because its key (a hash of the source
# sentence) has nothing to do with the article's partition: every worker must
# see every entry, whichever worker translated it. Its changelog makes it
# survive restarts. It is bounded by construction: keys are ``cache_slots``
# fixed slots (see ``segment_cache.TableSegmentStore``), so the table and its
# compacted changelog never hold more than that many entries.
segment_cache_table: faust.GlobalTable = _table(
    KeyPartitionedGlobalTable,
    settings.table_segment_cache,
    value_type=CachedSegment,
    help="Segment translation cache: slot -> (cache key, translation).",
)

# The newest final translations, for ``GET /articles`` and the live page: a
# ring of ``recent_per_partition`` slots per partition (key
# "<partition>:<offset mod N>"), global so that any worker can list them all.
recent_table: faust.GlobalTable = _table(
    KeyPartitionedGlobalTable,
    settings.table_recent,
    value_type=FinalTranslation,
    help="Ring of the newest final translations per partition.",
)
