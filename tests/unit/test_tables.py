"""Table changelog partitions follow the key exactly as Kafka's default partitioner would."""

from __future__ import annotations

from aiokafka.partitioner import DefaultPartitioner

import translator_app.app  # noqa: F401  (the app module wires tables, agents and views in order)
from translator_app.tables import final_table, key_partition


def test_key_partition_matches_the_producers_default_partitioner() -> None:
    partitioner = DefaultPartitioner()
    for i in range(200):
        key = f"article-{i}".encode()
        assert key_partition(key, 4) == partitioner(key, [0, 1, 2, 3], [0, 1, 2, 3])


def test_tables_compute_partitions_without_asking_the_producer() -> None:
    # No producer has started in a unit test: this would fail with use_partitioner=True.
    assert final_table.partition_for_key(b"article-7") == key_partition(b"article-7", 4)
