"""Bookkeeping for takes that overlap: acknowledgements in offset order, and a bound on work in flight.

The translate agent hands each take to a background task and goes straight back
for the next one, so an article that arrives while the model is busy reaches
an idle replica at once instead of waiting for the whole previous take. Its
articles then finish out of order. Faust commits a partition up to the first
gap in its acknowledged offsets, but commits straight over a gap of exactly
one at the head (faust #606/#707, ``Consumer._new_offset``). So each
partition's events are acknowledged here strictly in offset order, each only
once its own record is on Kafka: the acknowledged offsets are always an
unbroken run from the committed one, and no commit can pass an unpublished
article.
"""

from __future__ import annotations

import asyncio
import logging
from collections import defaultdict, deque
from collections.abc import Awaitable, Callable, Coroutine, Iterable
from dataclasses import dataclass
from typing import Any

from faust.types import TP, EventT

__all__ = ("BackgroundWork", "InflightLimit", "OrderedAcks")

logger = logging.getLogger(__name__)


@dataclass(slots=True)
class _Held:
    event: EventT
    done: bool = False


class OrderedAcks:
    """Hold events past their take and acknowledge each partition's in offset order.

    Args:
        ack: Drops the reference :meth:`hold` took; the last reference's drop
            marks the offset safe to commit.
    """

    def __init__(self, ack: Callable[[EventT], Awaitable[Any]]) -> None:
        self._ack = ack
        self._queues: defaultdict[TP, deque[_Held]] = defaultdict(deque)
        self._held: dict[int, _Held] = {}

    @property
    def held(self) -> int:
        """Events taken and not yet acknowledged."""
        return sum(len(queue) for queue in self._queues.values())

    def hold(self, events: Iterable[EventT]) -> None:
        """Take an extra reference on each event, so the take's own ack cannot commit it.

        Call before the first ``await`` after a take yields: the take
        acknowledges its events when the loop body returns (or is cancelled).
        """
        for event in events:
            event.message.incref()
            held = _Held(event)
            self._held[id(event)] = held
            self._queues[event.message.tp].append(held)

    async def done(self, event: EventT) -> None:
        """Mark ``event``'s record published; acknowledge every event of its partition now unblocked."""
        self._held.pop(id(event)).done = True
        queue = self._queues[event.message.tp]
        while queue and queue[0].done:
            await self._ack(queue.popleft().event)


class InflightLimit:
    """At most ``limit`` articles in flight; a take larger than the limit still runs alone.

    Args:
        limit: Most articles handed to background work and not yet finished.
    """

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self.count = 0
        self._changed = asyncio.Event()

    async def acquire(self, n: int) -> None:
        """Wait until ``n`` more articles fit (or nothing is in flight), then count them."""
        while self.count and self.count + n > self.limit:
            self._changed.clear()
            await self._changed.wait()
        self.count += n

    def release(self, n: int) -> None:
        """Count ``n`` articles as finished."""
        self.count -= n
        self._changed.set()


class BackgroundWork:
    """The agent's in-flight take tasks: started, watched for failure, cancelled on exit."""

    def __init__(self) -> None:
        self._tasks: set[asyncio.Task[None]] = set()
        self.failure: BaseException | None = None

    def __len__(self) -> int:
        return len(self._tasks)

    def start(self, work: Coroutine[Any, Any, None], *, name: str) -> None:
        """Run ``work`` in the background; a failure is logged and kept for :meth:`raise_failure`."""
        task = asyncio.get_running_loop().create_task(work, name=name)
        self._tasks.add(task)
        task.add_done_callback(self._finished)

    def _finished(self, task: asyncio.Task[None]) -> None:
        self._tasks.discard(task)
        if task.cancelled():
            return
        failure = task.exception()
        if failure is None:
            return
        logger.error("background take %s failed; its articles stay uncommitted", task.get_name(), exc_info=failure)
        if self.failure is None:
            self.failure = failure

    def raise_failure(self) -> None:
        """Re-raise the first background failure in the agent, so it crashes loudly."""
        if self.failure is not None:
            raise self.failure

    async def cancel(self) -> None:
        """Cancel what is still running (its events stay unacknowledged, so they are read again)."""
        tasks = list(self._tasks)
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
