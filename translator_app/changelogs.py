"""Create the tables' changelog topics before the worker joins its group."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time

import faust
from aiokafka.admin import AIOKafkaAdminClient, NewTopic
from aiokafka.errors import KafkaError, TopicAlreadyExistsError

__all__ = ("ensure_changelog_topics",)

logger = logging.getLogger(__name__)


async def ensure_changelog_topics(app: faust.App, *, bootstrap: list[str], timeout: float = 60.0) -> None:
    """Create missing changelog topics and wait until the cluster's metadata lists them all.

    Faust creates them itself, but only moments before the consumer joins its
    group. When the join's metadata does not list one yet, faust's assignor
    skips it ("Ignoring missing topic") and the join never completes: a worker
    starting for the first time against a cluster was seen to hang for minutes
    (CI, 2026-12-05). Done here first, the join always sees every topic.

    Raises:
        RuntimeError: if the topics are not visible within ``timeout`` seconds.
    """
    wanted = {
        table.changelog_topic.get_topic_name(): table.changelog_topic.partitions or app.conf.topic_partitions
        for table in app.tables.values()
    }
    if not wanted:
        return
    replication = app.conf.topic_replication_factor
    deadline = time.monotonic() + timeout
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap)
    await admin.start()
    try:
        missing = [name for name in wanted if name not in set(await admin.list_topics())]
        if missing:
            logger.info("creating changelog topics %s", ", ".join(missing))
            new = [
                NewTopic(name, wanted[name], replication, topic_configs={"cleanup.policy": "compact"})
                for name in missing
            ]
            # Another worker of the group may create one meanwhile; the wait below checks.
            with contextlib.suppress(TopicAlreadyExistsError):
                await admin.create_topics(new)
        while True:
            try:
                described = await admin.describe_topics(list(wanted))
                ready = {
                    d["topic"]
                    for d in described
                    if d["error_code"] == 0
                    and len(d["partitions"]) == wanted[d["topic"]]
                    and all(p["leader"] >= 0 for p in d["partitions"])
                }
            except KafkaError:
                ready = set()
            if ready == set(wanted):
                return
            if time.monotonic() > deadline:
                raise RuntimeError(f"changelog topics not visible after {timeout:.0f} s: {sorted(set(wanted) - ready)}")
            await asyncio.sleep(0.2)
    finally:
        await admin.close()
