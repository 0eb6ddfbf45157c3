"""Shared helpers for tests that run the real broker and worker processes."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import AsyncIterator, Callable, Iterable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer
from aiokafka.admin import AIOKafkaAdminClient, NewTopic

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "scripts"))

import kafka_local  # noqa: E402
from kafka_local import Broker, Cluster, free_port  # noqa: E402

__all__ = (
    "ROOT",
    "Broker",
    "Cluster",
    "Worker",
    "admin",
    "consume",
    "create_topics",
    "faust_command",
    "free_port",
    "produce",
    "start_broker",
    "start_cluster",
    "worker_env",
)


@asynccontextmanager
async def admin(bootstrap: str) -> AsyncIterator[AIOKafkaAdminClient]:
    """A started admin client for ``bootstrap``, closed on exit."""
    client = AIOKafkaAdminClient(bootstrap_servers=bootstrap)
    try:
        await client.start()
        yield client
    finally:
        await client.close()


def _prime_group_coordinator(bootstrap: str, *, timeout: float = 60.0) -> None:
    """Make the fresh broker create ``__consumer_offsets`` and elect its group coordinator now.

    Otherwise the first worker's group join creates it mid-join, and on a
    loaded machine that join was seen to stall for faust's 90 s request timeout.
    """

    async def run() -> None:
        deadline = time.monotonic() + timeout
        while True:
            try:
                async with admin(bootstrap) as client:
                    await client.list_consumer_group_offsets("prime-coordinator")
                return
            except Exception:
                if time.monotonic() > deadline:
                    raise
                await asyncio.sleep(1)

    asyncio.run(run())


def start_broker(workdir: Path, **options: Any) -> Broker:
    """:func:`kafka_local.start_broker`, then prime its group coordinator."""
    broker = kafka_local.start_broker(workdir, **options)
    _prime_group_coordinator(broker.bootstrap)
    return broker


def start_cluster(workdir: Path, **options: Any) -> Cluster:
    """:func:`kafka_local.start_cluster`, then prime its group coordinator."""
    cluster = kafka_local.start_cluster(workdir, **options)
    _prime_group_coordinator(cluster.bootstrap)
    return cluster


FAUST = str(ROOT / ".venv" / "bin" / "faust") if (ROOT / ".venv" / "bin" / "faust").exists() else "faust"


def worker_env(*, bootstrap: str, prefix: str, workdir: Path, model: Path, **extra: str) -> dict[str, str]:
    """Environment for a worker with its own app id, topics and data dir."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("TRANSLATOR_")}
    env.update(
        {
            "TRANSLATOR_BROKER": f"kafka://{bootstrap}",
            "TRANSLATOR_APP_ID": f"{prefix}-app",
            "TRANSLATOR_TOPIC_INPUT": f"{prefix}-in",
            "TRANSLATOR_TOPIC_TRANSLATED": f"{prefix}-translated",
            "TRANSLATOR_TOPIC_FINAL": f"{prefix}-final",
            "TRANSLATOR_TOPIC_ERRORS": f"{prefix}-errors",
            "TRANSLATOR_DATA_DIR": str(workdir / "data"),
            "TRANSLATOR_INGEST_STATE": str(workdir / "ingest.sqlite3"),
            "TRANSLATOR_WEB_PORT": str(free_port()),
            "TRANSLATOR_MODEL": str(model),
            "TRANSLATOR_INFERENCE_THREADS": "1",
            "TRANSLATOR_SESSION_TIMEOUT_S": "10",
            **extra,
        }
    )
    return env


@dataclass
class Worker:
    """A ``faust -A translator_app.app worker`` subprocess."""

    env: dict[str, str]
    log: Path
    process: subprocess.Popen[bytes] | None = field(default=None)

    def start(self, *, timeout: float = 240.0, attempts: int = 3) -> Worker:
        """Start and wait for Faust's "Ready" line; fail with the log otherwise.

        A web port picked by :func:`free_port` can be taken by an outgoing
        connection's ephemeral port before the worker binds it; then the start
        is retried on a new port. The timeout outlasts one stalled Kafka request
        (faust waits 90 s before it retries a group join).
        """
        for _ in range(attempts):
            text = self._start_once(timeout=timeout)
            if text is None:
                return self
            if "address already in use" not in text.lower():
                break
            self.env["TRANSLATOR_WEB_PORT"] = str(free_port())
        raise RuntimeError(f"worker did not become ready:\n{self.log.read_text(errors='replace')[-4000:]}")

    def _start_once(self, *, timeout: float) -> str | None:
        """Start the process; return None when ready, else the log written by this attempt."""
        offset = self.log.stat().st_size if self.log.exists() else 0
        with self.log.open("ab") as out:
            self.process = subprocess.Popen(
                [FAUST, "-A", "translator_app.app", "worker", "-l", "info"],
                env=self.env,
                cwd=ROOT,
                stdout=out,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            text = self.log.read_text(errors="replace")[offset:]
            if "[^Worker]: Ready" in text:
                return None
            if self.process.poll() is not None:
                break
            time.sleep(0.3)
        self.stop()
        return self.log.read_text(errors="replace")[offset:]

    def stop(self, *, sig: int = signal.SIGTERM, timeout: float = 60.0) -> int | None:
        """Signal the worker and wait for it to exit; return its status."""
        if self.process is None or self.process.poll() is not None:
            return None if self.process is None else self.process.returncode
        os.killpg(self.process.pid, sig)
        try:
            return self.process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            os.killpg(self.process.pid, signal.SIGKILL)
            return self.process.wait()


def faust_command(env: dict[str, str], *args: str, timeout: float = 120.0) -> subprocess.CompletedProcess[str]:
    """Run ``faust -A translator_app.app <args>`` and return its output."""
    return subprocess.run(
        [FAUST, "-A", "translator_app.app", *args], env=env, cwd=ROOT, capture_output=True, text=True, timeout=timeout
    )


def create_topics(bootstrap: str, names: Iterable[str], *, partitions: int = 4, replication: int = 1) -> None:
    """Create topics (idempotently) with ``partitions`` partitions each."""

    async def run() -> None:
        async with admin(bootstrap) as client:
            existing = set(await client.list_topics())
            new = [NewTopic(n, partitions, replication) for n in names if n not in existing]
            if new:
                await client.create_topics(new)

    asyncio.run(run())


def produce(bootstrap: str, topic: str, messages: Iterable[tuple[bytes | None, bytes | None]]) -> int:
    """Write raw (key, value) messages and wait for every acknowledgement."""

    async def run() -> int:
        producer = AIOKafkaProducer(bootstrap_servers=bootstrap, acks="all", max_request_size=16 * 1024 * 1024)
        await producer.start()
        try:
            futures = [await producer.send(topic, key=key, value=value) for key, value in messages]
            await asyncio.gather(*futures)
            return len(futures)
        finally:
            await producer.stop()

    return asyncio.run(run())


def consume(
    bootstrap: str,
    topics: Iterable[str],
    *,
    until: Callable[[dict[str, list[dict[str, Any]]]], bool],
    timeout: float = 120.0,
    isolation_level: str = "read_uncommitted",
) -> dict[str, list[dict[str, Any]]]:
    """Read JSON records from the start of ``topics`` until ``until(records)`` or timeout."""
    names = list(topics)

    async def run() -> dict[str, list[dict[str, Any]]]:
        consumer = AIOKafkaConsumer(
            *names,
            bootstrap_servers=bootstrap,
            auto_offset_reset="earliest",
            group_id=None,
            isolation_level=isolation_level,
            max_partition_fetch_bytes=16 * 1024 * 1024,
            # Without it a reader that started while a broker was dying keeps
            # asking that broker for offsets until the 5-minute refresh.
            metadata_max_age_ms=2000,
        )
        await consumer.start()
        records: dict[str, list[dict[str, Any]]] = {name: [] for name in names}
        try:
            deadline = time.monotonic() + timeout
            while not until(records) and time.monotonic() < deadline:
                batch = await consumer.getmany(timeout_ms=500)
                for tp, messages in batch.items():
                    for message in messages:
                        body = json.loads(message.value)
                        body["_key"] = None if message.key is None else message.key.decode()
                        body["_partition"] = tp.partition
                        records[tp.topic].append(body)
        finally:
            await consumer.stop()
        return records

    return asyncio.run(run())
