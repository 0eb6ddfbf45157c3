"""A worker creates its tables' changelog topics, and sees them, before it joins its group."""

from __future__ import annotations

import asyncio

from tests.support import Broker, admin
from translator_app.app import app
from translator_app.changelogs import ensure_changelog_topics


async def _describe(bootstrap: str) -> dict[str, int]:
    names = [table.changelog_topic.get_topic_name() for table in app.tables.values()]
    async with admin(bootstrap) as client:
        described = await client.describe_topics(names)
    return {d["topic"]: len(d["partitions"]) for d in described if d["error_code"] == 0}


def test_changelog_topics_exist_with_their_partitions_before_the_join(kafka: Broker) -> None:
    names = {table.changelog_topic.get_topic_name() for table in app.tables.values()}
    assert len(names) == 3  # final_translations_by_id, segment_cache, recent_translations
    asyncio.run(ensure_changelog_topics(app, bootstrap=[kafka.bootstrap]))
    described = asyncio.run(_describe(kafka.bootstrap))
    assert described == {name: app.conf.topic_partitions for name in names}
    # A second worker (or a restart) finds them and changes nothing.
    asyncio.run(ensure_changelog_topics(app, bootstrap=[kafka.bootstrap], timeout=10))
    assert asyncio.run(_describe(kafka.bootstrap)) == described
