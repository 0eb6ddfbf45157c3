"""What the pipeline benchmark needs around a worker: articles, a paced producer, a collector of finals."""

from __future__ import annotations

import asyncio
import json
import random
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer

__all__ = ("FinalCollector", "make_articles", "percentile", "produce_paced")

ROOT = Path(__file__).resolve().parent.parent


def make_articles(
    n: int, *, prefix: str, titles_only: bool = False, seed: int = 1, unique: bool = False
) -> list[dict[str, Any]]:
    """``n`` articles from the corpus: a title plus a 2-3 sentence summary, unique ids.

    Sentences are dealt from a shuffled deck of the corpus and the deck is
    reshuffled only when it runs out, so no sentence repeats within a deck's
    worth of articles. Repeats would flatter the pipeline: its batcher
    translates identical segments in flight once, while the raw engine
    measurement translates every copy. Runs longer than a deck (the corpus has
    459 sentences, about 130 articles) pass ``unique=True``, which numbers
    every sentence.
    """
    lines = [line for line in (ROOT / "data" / "corpus_es.txt").read_text(encoding="utf-8").splitlines() if line]
    rng = random.Random(seed)
    deck: list[str] = []

    dealt = 0

    def deal(k: int) -> list[str]:
        nonlocal dealt
        if len(deck) < k:
            deck[:0] = rng.sample(lines, len(lines))
        picked = [deck.pop() for _ in range(k)]
        if unique:  # a serial number makes every sentence distinct, so none is deduplicated
            picked = [f"[{dealt + i}] {sentence}" for i, sentence in enumerate(picked)]
        dealt += k
        return picked

    articles = []
    for i in range(n):
        [title] = deal(1)
        summary = "" if titles_only else " ".join(deal(rng.choice((2, 3))))
        articles.append({"id": f"{prefix}-{i}", "title": title, "summary": summary})
    return articles


def percentile(values: list[float], p: float) -> float:
    """Nearest-rank percentile (p in 0..100) of ``values``."""
    ordered = sorted(values)
    if not ordered:
        return float("nan")
    rank = max(1, min(len(ordered), round(p / 100 * len(ordered) + 0.5)))
    return ordered[rank - 1]


async def _produce(bootstrap: str, topic: str, articles: list[dict[str, Any]], rate: float | None) -> float:
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap, acks="all", linger_ms=0)
    await producer.start()
    try:
        started = time.time()
        futures = []
        for i, article in enumerate(articles):
            if rate is not None:
                # Paced from the start time, so a slow send does not lower the offered load.
                await asyncio.sleep(max(0.0, started + i / rate - time.time()))
            payload = json.dumps(article, ensure_ascii=False).encode()
            futures.append(await producer.send(topic, key=article["id"].encode(), value=payload))
        await asyncio.gather(*futures)
        return started
    finally:
        await producer.stop()


def produce_paced(bootstrap: str, topic: str, articles: list[dict[str, Any]], *, rate: float | None = None) -> float:
    """Send ``articles`` (at ``rate`` per second, or at once) and return the start time."""
    return asyncio.run(_produce(bootstrap, topic, articles, rate))


@dataclass
class FinalCollector:
    """Reads ``final_translations`` in a background thread, keeping each id's first record and arrival time."""

    bootstrap: str
    topic: str
    records: dict[str, dict[str, Any]] = field(default_factory=dict)
    arrived: dict[str, float] = field(default_factory=dict)
    _stop: threading.Event = field(default_factory=threading.Event)
    _thread: threading.Thread | None = None
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def start(self) -> FinalCollector:
        ready = threading.Event()
        self._thread = threading.Thread(target=lambda: asyncio.run(self._run(ready)), daemon=True)
        self._thread.start()
        ready.wait(30)
        return self

    async def _run(self, ready: threading.Event) -> None:
        consumer = AIOKafkaConsumer(
            self.topic, bootstrap_servers=self.bootstrap, auto_offset_reset="earliest", group_id=None
        )
        await consumer.start()
        ready.set()
        try:
            while not self._stop.is_set():
                batch = await consumer.getmany(timeout_ms=200)
                now = time.time()
                with self._lock:
                    for messages in batch.values():
                        for message in messages:
                            record = json.loads(message.value)
                            if record["id"] not in self.records:
                                self.records[record["id"]] = record
                                self.arrived[record["id"]] = now
        finally:
            await consumer.stop()

    def wait_for(self, ids: list[str], *, timeout: float) -> list[dict[str, Any]]:
        """Block until every id has a final record; return them in ``ids`` order."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            with self._lock:
                if all(i in self.records for i in ids):
                    return [self.records[i] for i in ids]
            time.sleep(0.05)
        with self._lock:
            missing = [i for i in ids if i not in self.records]
        raise TimeoutError(f"{len(missing)} of {len(ids)} articles never reached final_translations")

    def last_arrival(self, ids: list[str]) -> float:
        with self._lock:
            return max(self.arrived[i] for i in ids)

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=10)
