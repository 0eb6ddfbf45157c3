"""One async micro-batcher per model, shared by the stream and on-demand requests.

Callers hand over lists of segments; a single collector task groups queued
segments from all callers into model calls of up to ``max_batch`` segments and
``max_tokens`` source tokens, of similar lengths (sorted within a window of
queued segments, as a backend sorts one big list), waiting at most
``max_wait_s`` for company when a replica is idle. Up to ``replicas`` calls run
at once, each in one of the engine's inference threads, never on the event
loop; while they run, new segments queue up, so under load batches fill
without any waiting.

Results are matched to callers through one future per segment, never through
positions in a shared list, so a caller always gets its own results in its own
order. Identical segments (in one request, across concurrent requests, or in
the cache) are translated once.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Callable, Sequence
from concurrent.futures import Executor
from dataclasses import dataclass

from .backend import Backend
from .cache import CacheStats, SegmentStore, cache_key

__all__ = ("BatchInfo", "MicroBatcher", "SegmentResult")

logger = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class SegmentResult:
    """One translated segment, what it cost, and whether the cache answered."""

    text: str
    model_seconds: float
    cached: bool


@dataclass(frozen=True, slots=True)
class BatchInfo:
    """What one model call did; reported to ``on_batch`` for metrics."""

    segments: int
    tokens: int
    seconds: float
    queue_depth: int
    # Who the segments came from, e.g. {"stream", "api"} for a coalesced call.
    origins: frozenset[str] = frozenset()


@dataclass(slots=True)
class _Item:
    text: str
    tokens: int
    key: str
    future: asyncio.Future[SegmentResult]
    origin: str


class MicroBatcher:
    """Coalesce concurrent translation requests for one backend.

    Args:
        backend: The model to call (blocking; run in ``executor``).
        executor: The engine's inference thread.
        max_batch: Most segments per model call.
        max_wait_s: Longest wait for more segments once one is queued and the model is idle.
        max_tokens: Most source tokens per model call.
        max_pending: Most queued segments; callers wait beyond it (backpressure).
        store: Segment cache, or ``None``.
        stats: Cache hit/miss counters to update.
        on_batch: Called on the event loop after each model call.
        replicas: Most model calls at once (the executor needs as many threads).
    """

    def __init__(
        self,
        backend: Backend,
        *,
        executor: Executor,
        max_batch: int,
        max_wait_s: float,
        max_tokens: int,
        max_pending: int,
        store: SegmentStore | None = None,
        stats: CacheStats | None = None,
        on_batch: Callable[[BatchInfo], None] | None = None,
        replicas: int = 1,
    ) -> None:
        if replicas < 1:
            raise ValueError("replicas must be at least 1")
        self.backend = backend
        self.replicas = replicas
        self.max_batch = max_batch
        self.max_wait_s = max_wait_s
        self.max_tokens = max_tokens
        self.stats = stats if stats is not None else CacheStats()
        self._executor = executor
        self._store = store
        self._on_batch = on_batch
        self._inflight: dict[str, asyncio.Future[SegmentResult]] = {}
        # Segments taken off the queue and not yet sent, in arrival order: the
        # window sorted to build similar-length batches. Window plus queue stay
        # within ``max_pending``, so memory is bounded whatever callers do. A
        # stream take of 128 articles is ~500 segments; a window that holds
        # them all packs calls as well as sorting the whole list would.
        self._waiting: list[_Item] = []
        self._window = min(16 * max_batch, max(max_batch, max_pending // 2))
        self._queue: asyncio.Queue[_Item] = asyncio.Queue(maxsize=max(1, max_pending - self._window))
        self._running: list[_Item] = []
        self._calls: set[asyncio.Task[None]] = set()
        self._collector: asyncio.Task[None] | None = None

    @property
    def queue_depth(self) -> int:
        """Segments waiting for a model call."""
        return self._queue.qsize() + len(self._waiting)

    @property
    def idle(self) -> bool:
        """True when nothing is queued, running or awaited."""
        return self.queue_depth == 0 and not self._running and not self._inflight

    async def translate(self, texts: Sequence[str], *, origin: str = "direct") -> list[str]:
        """Translate ``texts`` in order.

        Raises:
            Exception: the first segment's failure, if any segment failed.
        """
        results = await self.translate_detailed(texts, origin=origin)
        for result in results:
            if isinstance(result, BaseException):
                raise result
        return [r.text for r in results if isinstance(r, SegmentResult)]

    async def translate_detailed(
        self, texts: Sequence[str], *, origin: str = "direct"
    ) -> list[SegmentResult | BaseException]:
        """Translate ``texts`` in order, with a per-segment result or error.

        Empty segments translate to empty strings without a model call. A
        segment over the segment token limit fails alone with ``ValueError``.
        ``origin`` (a small fixed set, e.g. "stream" or "api") is reported per batch.
        """
        self._ensure_collector()
        futures: list[asyncio.Future[SegmentResult]] = []
        loop = asyncio.get_running_loop()
        lengths = self.backend.count_tokens(texts)
        for text, tokens in zip(texts, lengths, strict=True):
            futures.append(await self._future_for(text, tokens, origin, loop))
        if futures:
            # ``wait`` rather than ``gather``: a caller that is cancelled must not
            # cancel futures that other callers share.
            await asyncio.wait(futures)
        return [f.exception() or f.result() for f in futures]

    async def _future_for(
        self, text: str, tokens: int, origin: str, loop: asyncio.AbstractEventLoop
    ) -> asyncio.Future[SegmentResult]:
        future: asyncio.Future[SegmentResult] = loop.create_future()
        if not text.strip():
            future.set_result(SegmentResult(text="", model_seconds=0.0, cached=False))
            return future
        if tokens > self.backend.max_segment_tokens:
            future.set_exception(
                ValueError(f"segment of {tokens} tokens exceeds the model limit of {self.backend.max_segment_tokens}")
            )
            return future
        key = cache_key(model=self.backend.model_name, generation=self.backend.generation_key, text=text)
        shared = self._inflight.get(key)
        if shared is not None:
            return shared
        cached = self._store.get(key) if self._store is not None else None
        if cached is not None:
            self.stats.hits += 1
            future.set_result(SegmentResult(text=cached, model_seconds=0.0, cached=True))
            return future
        self.stats.misses += 1
        self._inflight[key] = future
        await self._queue.put(_Item(text=text, tokens=tokens, key=key, future=future, origin=origin))
        return future

    def _ensure_collector(self) -> None:
        if self._collector is None or self._collector.done():
            self._collector = asyncio.get_running_loop().create_task(self._collect(), name="micro-batcher")

    def _top_up(self) -> None:
        """Move whatever is queued into the sorting window, without waiting."""
        while len(self._waiting) < self._window:
            try:
                self._waiting.append(self._queue.get_nowait())
            except asyncio.QueueEmpty:
                return

    async def _next_batch(self) -> list[_Item]:
        loop = asyncio.get_running_loop()
        if not self._waiting:
            # A replica is idle: wait up to ``max_wait_s`` for company.
            self._waiting.append(await self._queue.get())
            deadline = loop.time() + self.max_wait_s
            while True:
                self._top_up()
                remaining = deadline - loop.time()
                if len(self._waiting) >= self.max_batch or remaining <= 0:
                    break
                try:
                    self._waiting.append(await asyncio.wait_for(self._queue.get(), remaining))
                except TimeoutError:
                    break
        self._top_up()
        # Share what is waiting among the idle replicas (this one included):
        # twelve titles go out as two calls of six, each done sooner than one
        # of twelve, rather than one call while the other replica idles.
        idle = self.replicas - len(self._calls)
        return self._pick(min(self.max_batch, -(-len(self._waiting) // max(1, idle))))

    def _pick(self, size: int) -> list[_Item]:
        """Choose the next batch of up to ``size`` from the window: similar lengths, oldest segment always included.

        Sorting the window by length and cutting it into ``size`` chunks is
        what a backend does with one big list, and keeps padding low. The
        chunk that holds the oldest waiting segment goes first, so a long
        segment can never be starved by a stream of short ones.
        """
        ordered = sorted(self._waiting, key=lambda item: item.tokens)
        oldest = self._waiting[0]
        index = ordered.index(oldest)
        start = min((index // size) * size, max(0, len(ordered) - size))
        batch = ordered[start : start + size]
        while len(batch) > 1 and sum(item.tokens for item in batch) > self.max_tokens:
            batch.remove(batch[-1] if batch[-1] is not oldest else batch[0])
        chosen = {id(item) for item in batch}
        self._waiting = [item for item in self._waiting if id(item) not in chosen]
        return batch

    async def _collect(self) -> None:
        free = asyncio.Semaphore(self.replicas)
        loop = asyncio.get_running_loop()
        while True:
            await free.acquire()
            try:
                batch = await self._next_batch()
            except BaseException:
                free.release()
                raise
            call = loop.create_task(self._run_guarded(batch), name="model-call")
            self._calls.add(call)
            call.add_done_callback(self._calls.discard)
            call.add_done_callback(lambda _: free.release())

    async def _run_guarded(self, batch: list[_Item]) -> None:
        """Run one call; a failure outside the model (a bug) fails its callers instead of hanging them."""
        try:
            await self._run(batch)
        except Exception as exc:
            logger.exception("model call on %d segments failed outside the model", len(batch))
            for item in batch:
                self._inflight.pop(item.key, None)
                if not item.future.done():
                    item.future.set_exception(exc)

    async def _run(self, batch: list[_Item]) -> None:
        loop = asyncio.get_running_loop()
        texts = [item.text for item in batch]
        started = time.perf_counter()
        self._running.extend(batch)
        try:
            outputs: list[str | BaseException] = list(
                await loop.run_in_executor(self._executor, self.backend.translate, texts)
            )
        except Exception as exc:
            if len(batch) == 1:
                outputs = [exc]
            else:
                # Isolate the segment that breaks the model, so only its caller fails.
                logger.warning("model call on %d segments failed (%r); retrying one at a time", len(batch), exc)
                outputs = [await self._run_one(loop, text) for text in texts]
        # Not in a ``finally``: when a call is cancelled mid-way, ``aclose``
        # still needs to know which futures to fail.
        running = {id(item) for item in batch}
        self._running = [item for item in self._running if id(item) not in running]
        elapsed = time.perf_counter() - started
        for item, output in zip(batch, outputs, strict=True):
            self._inflight.pop(item.key, None)
            if item.future.done():
                continue
            if isinstance(output, BaseException):
                item.future.set_exception(output)
                continue
            self._remember(item.key, output)
            item.future.set_result(SegmentResult(text=output, model_seconds=elapsed, cached=False))
        if self._on_batch is not None:
            info = BatchInfo(
                segments=len(batch),
                tokens=sum(i.tokens for i in batch),
                seconds=elapsed,
                queue_depth=self.queue_depth,
                origins=frozenset(i.origin for i in batch),
            )
            self._on_batch(info)

    def _remember(self, key: str, translation: str) -> None:
        if self._store is None:
            return
        try:
            self._store.put(key, translation)
        except Exception:  # a cache that cannot write must not lose the translation
            logger.exception("segment cache write failed")

    async def _run_one(self, loop: asyncio.AbstractEventLoop, text: str) -> str | BaseException:
        try:
            outputs = await loop.run_in_executor(self._executor, self.backend.translate, [text])
            return outputs[0]
        except Exception as exc:
            return exc

    async def aclose(self) -> None:
        """Stop the collector; segments still queued fail with ``RuntimeError``."""
        tasks = [*self._calls, *([self._collector] if self._collector is not None else [])]
        for task in tasks:
            task.cancel()
        for task in tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await task
        pending = [*self._running, *self._waiting]
        while not self._queue.empty():
            pending.append(self._queue.get_nowait())
        for item in pending:
            if not item.future.done():
                item.future.set_exception(RuntimeError("translation engine closed"))
        self._inflight.clear()
        self._waiting = []
