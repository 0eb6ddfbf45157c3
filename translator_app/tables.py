"""Tables: the only state the agents keep."""

from __future__ import annotations

import faust

from .app import app, settings
from .records import FinalTranslation

__all__ = ("final_table",)

# Keys are the article id as raw UTF-8 bytes (``key_type=bytes`` makes Faust use
# the raw codec; for ``str`` it would JSON-encode them with quotes). The agent
# writes inside ``take`` batches, where the "current event" is the batch's last
# one, so ``use_partitioner`` makes the changelog partition follow the key: the
# same partition the id has on the translated topic, keeping them co-partitioned.
final_table: faust.Table[bytes, FinalTranslation] = app.Table(  # type: ignore[assignment]
    settings.table_final,
    key_type=bytes,
    value_type=FinalTranslation,
    partitions=settings.topic_partitions,
    use_partitioner=True,
    help="Latest final translation of each article, by id.",
)
