"""Tables: the only state the agents keep."""

from __future__ import annotations

from .app import app, settings
from .records import FinalTranslation

__all__ = ("final_table",)

# Written by the finalize agent inside ``take`` batches, where the "current
# event" is the batch's last one; ``use_partitioner`` makes the changelog
# partition follow the key instead. With raw UTF-8 keys that is the same
# partition the id has on the translated topic, so the table stays co-partitioned.
final_table = app.Table(
    settings.table_final,
    key_type=str,
    value_type=FinalTranslation,
    partitions=settings.topic_partitions,
    use_partitioner=True,
    help="Latest final translation of each article, by id.",
)
# Tables take no key_serializer argument and default to JSON ('"id"' with quotes);
# set it before the changelog topic is first built, so keys hash as raw UTF-8.
final_table.key_serializer = "raw"
