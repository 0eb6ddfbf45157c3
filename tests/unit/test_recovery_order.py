"""The worker seeks its stream partitions before it fetches from them (faust 0.15.3 did it the other way round)."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable
from types import SimpleNamespace
from typing import Any

import pytest
from faust.tables.recovery import Recovery

from translator_app import recovery_order

STREAM = ("news-in", 0)
CHANGELOG = ("app-final-changelog", 0)


def fake_recovery(calls: list[str], *, generation: int = 7) -> Any:
    """A stand-in ``Recovery`` recording every step that touches the stream partitions."""

    async def perform_seek() -> None:
        calls.append("seek")

    async def noop(*_: Any) -> None:
        return None

    async def fetcher_start() -> None:
        calls.append("fetcher")

    async def wait(coro: Awaitable[None], timeout: float | None = None) -> None:
        await coro

    consumer = SimpleNamespace(
        assignment=lambda: {STREAM, CHANGELOG},
        perform_seek=perform_seek,
        stop_flow=lambda: calls.append("stop_flow"),
        resume_flow=lambda: calls.append("resume_flow"),
        resume_partitions=lambda tps: calls.append(f"resume_partitions {sorted(tps)}"),
    )
    app = SimpleNamespace(
        consumer=consumer,
        consumer_generation_id=generation,
        conf=SimpleNamespace(broker_request_timeout=30.0),
        on_rebalance_complete=SimpleNamespace(send=noop),
        flow_control=SimpleNamespace(
            suspend=lambda: calls.append("flow_control.suspend"),
            resume=lambda: calls.append("flow_control.resume (clears queues)"),
        ),
        _fetcher=SimpleNamespace(maybe_start=fetcher_start),
        assignor=SimpleNamespace(assigned_standbys=lambda: set()),
        on_rebalance_end=lambda: calls.append("ready"),
    )

    class Table:  # hashable, like faust's: the recovery maps are keyed by table
        async def on_recovery_completed(self, actives: set[Any], standbys: set[Any]) -> None:
            calls.append("table recovered")

    table = Table()
    return SimpleNamespace(
        app=app,
        log=SimpleNamespace(info=lambda *a: None, warning=lambda *a: calls.append("warning")),
        completed=asyncio.Event(),
        tables=SimpleNamespace(
            values=lambda: [table],
            on_actives_ready=lambda: None,
            on_standbys_ready=lambda: None,
        ),
        actives_for_table={table: set()},
        standbys_for_table={table: set()},
        _set_recovery_ended=lambda: None,
        _wait=wait,
        _is_changelog_tp=lambda tp: tp == CHANGELOG,
    )


# The seek runs with the flow stopped; the queues are cleared after it; only then do records flow.
EXPECTED_ORDER = [
    "table recovered",
    "stop_flow",
    "flow_control.suspend",
    f"resume_partitions {[STREAM]}",
    "seek",
    "flow_control.resume (clears queues)",
    "resume_flow",
    "fetcher",
    "ready",
]


@pytest.mark.parametrize("method", [recovery_order.on_recovery_completed, recovery_order.resume_streams])
async def test_stream_partitions_are_seeked_with_flow_stopped_then_queues_cleared(method: Any) -> None:
    calls: list[str] = []
    recovery = fake_recovery(calls)
    await method(recovery, generation_id=7)
    expected = EXPECTED_ORDER if method is recovery_order.on_recovery_completed else EXPECTED_ORDER[1:]
    assert calls == expected
    assert recovery.completed.is_set()


@pytest.mark.parametrize("method", [recovery_order.on_recovery_completed, recovery_order.resume_streams])
async def test_a_newer_rebalance_leaves_the_partitions_paused(method: Any) -> None:
    calls: list[str] = []
    await method(fake_recovery(calls, generation=8), generation_id=7)
    assert "seek" not in calls and not any(c.startswith(("resume", "stop")) for c in calls)
    assert "warning" in calls


def test_the_app_installs_the_fix_into_faust() -> None:
    import translator_app.app  # noqa: F401  (building the app installs it)

    assert Recovery.on_recovery_completed is recovery_order.on_recovery_completed
    assert Recovery._resume_streams is recovery_order.resume_streams
