"""Publish records and wait until Kafka has them, retrying instead of dropping."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import faust

__all__ = ("Outgoing", "publish_all")

logger = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class Outgoing:
    """One record to publish."""

    topic: faust.TopicT
    key: str | None
    value: Any


async def publish_all(messages: Sequence[Outgoing], *, first_delay: float = 0.2, max_delay: float = 10.0) -> None:
    """Send ``messages`` and return only when the broker has acknowledged all of them.

    The caller's input offsets are acknowledged after this returns, so a record
    that fails to publish is retried (with backoff) rather than given up on:
    giving up would commit past an article that was never published.
    """
    pending = list(messages)
    delay = first_delay
    while pending:
        outcomes: list[Any] = []
        for message in pending:
            try:
                outcomes.append(await message.topic.send(key=message.key, value=message.value))
            except Exception as exc:  # the producer can refuse before queueing
                outcomes.append(exc)
        waits = [o for o in outcomes if not isinstance(o, BaseException)]
        delivered = iter(await asyncio.gather(*waits, return_exceptions=True))
        statuses = [o if isinstance(o, BaseException) else next(delivered) for o in outcomes]
        failed = [m for m, status in zip(pending, statuses, strict=True) if isinstance(status, BaseException)]
        if failed:
            logger.warning(
                "%d of %d records not acknowledged by Kafka; retrying in %.1fs", len(failed), len(pending), delay
            )
            await asyncio.sleep(delay)
            delay = min(delay * 2, max_delay)
        pending = failed
