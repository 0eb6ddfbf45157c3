"""Overlapping takes: offsets are acknowledged per partition in order, and work in flight is bounded."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from typing import Any, cast

import pytest
from faust.types import TP, EventT

from translator_app.inflight import BackgroundWork, InflightLimit, OrderedAcks


@dataclass
class FakeMessage:
    tp: TP
    offset: int
    refcount: int = 1

    def incref(self) -> None:
        self.refcount += 1


@dataclass
class FakeEvent:
    message: FakeMessage


def events(topic_partition: TP, *offsets: int) -> list[EventT]:
    return [cast(EventT, FakeEvent(FakeMessage(topic_partition, offset))) for offset in offsets]


A, B = TP("in", 0), TP("in", 1)


def recorder() -> tuple[list[tuple[int, int]], Any]:
    acked: list[tuple[int, int]] = []

    async def ack(event: EventT) -> None:
        acked.append((event.message.tp.partition, event.message.offset))

    return acked, ack


async def test_an_offset_is_acknowledged_only_after_every_earlier_one_of_its_partition() -> None:
    # The hole faust commits over: offset 20 unpublished while 21 and 22 are done.
    acked, ack = recorder()
    acks = OrderedAcks(ack)
    a20, a21, a22 = events(A, 20, 21, 22)
    [b7] = events(B, 7)
    acks.hold([a20, a21, b7, a22])
    await acks.done(a21)
    await acks.done(a22)
    assert acked == [] and acks.held == 4
    await acks.done(b7)  # another partition is not held up by A's
    assert acked == [(1, 7)]
    await acks.done(a20)
    assert acked == [(1, 7), (0, 20), (0, 21), (0, 22)] and acks.held == 0


async def test_holding_takes_a_reference_so_the_takes_own_ack_cannot_commit() -> None:
    acks = OrderedAcks(recorder()[1])
    batch = events(A, 1, 2)
    acks.hold(batch)
    assert [e.message.refcount for e in batch] == [2, 2]


async def test_takes_held_later_queue_behind_earlier_ones() -> None:
    acked, ack = recorder()
    acks = OrderedAcks(ack)
    first, second = events(A, 1, 2), events(A, 3, 4)
    acks.hold(first)
    acks.hold(second)
    for event in second:  # the later take finishes first
        await acks.done(event)
    assert acked == []
    for event in first:
        await acks.done(event)
    assert [offset for _, offset in acked] == [1, 2, 3, 4]


async def test_the_limit_admits_work_until_full_and_a_large_take_alone() -> None:
    limit = InflightLimit(10)
    await limit.acquire(6)
    waiting = asyncio.ensure_future(limit.acquire(6))
    await asyncio.sleep(0.01)
    assert not waiting.done()  # 12 > 10
    limit.release(6)
    await asyncio.wait_for(waiting, 1)
    assert limit.count == 6
    limit.release(6)
    await asyncio.wait_for(limit.acquire(50), 1)  # nothing in flight: a take over the limit still runs
    assert limit.count == 50


async def test_a_failed_background_take_is_raised_in_the_agent() -> None:
    work = BackgroundWork()

    async def broken() -> None:
        raise RuntimeError("bug in a take")

    work.start(broken(), name="take-1")
    await asyncio.sleep(0.01)
    with pytest.raises(RuntimeError, match="bug in a take"):
        work.raise_failure()


async def test_cancelling_background_work_leaves_nothing_running() -> None:
    work = BackgroundWork()
    started = asyncio.Event()

    async def slow() -> None:
        started.set()
        await asyncio.sleep(60)

    work.start(slow(), name="take-2")
    await started.wait()
    await work.cancel()
    assert len(work) == 0 and work.failure is None
