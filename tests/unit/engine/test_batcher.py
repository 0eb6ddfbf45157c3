"""The micro-batcher: concurrent callers share model calls and always get their own results."""

from __future__ import annotations

import asyncio
import random
from collections.abc import AsyncIterator, Callable
from concurrent.futures import ThreadPoolExecutor

import pytest

from translator_app.engine.batcher import BatchInfo, MicroBatcher
from translator_app.engine.cache import LruSegmentCache

from .fakes import TaggingBackend

MakeBatcher = Callable[..., MicroBatcher]


@pytest.fixture
async def make_batcher() -> AsyncIterator[MakeBatcher]:
    executor = ThreadPoolExecutor(max_workers=4, thread_name_prefix="inference")
    made: list[MicroBatcher] = []

    def make(backend: TaggingBackend, **overrides: object) -> MicroBatcher:
        options: dict[str, object] = {
            "executor": executor,
            "max_batch": 32,
            "max_wait_s": 0.02,
            "max_tokens": 10_000,
            "max_pending": 1000,
        }
        options.update(overrides)
        batcher = MicroBatcher(backend, **options)  # type: ignore[arg-type]
        made.append(batcher)
        return batcher

    yield make
    for batcher in made:
        await batcher.aclose()
    executor.shutdown(wait=True)


async def test_concurrent_callers_are_coalesced_into_one_model_call(make_batcher: MakeBatcher) -> None:
    backend = TaggingBackend()
    batcher = make_batcher(backend, max_wait_s=0.05)
    results = await asyncio.gather(*(batcher.translate([f"frase {i}"]) for i in range(10)))
    assert results == [[f"<frase {i}>"] for i in range(10)]
    assert len(backend.calls) == 1 and len(backend.calls[0]) == 10


async def test_model_runs_in_the_inference_thread_not_the_event_loop(make_batcher: MakeBatcher) -> None:
    backend = TaggingBackend()
    await make_batcher(backend).translate(["hola"])
    assert backend.threads and all(name.startswith("inference") for name in backend.threads)


async def test_every_caller_gets_its_own_results_in_its_own_order(make_batcher: MakeBatcher) -> None:
    """The prototype's mix-up, under heavy interleaving: 40 callers, random sizes and delays."""
    backend = TaggingBackend(delay_s=0.002)
    batcher = make_batcher(backend, max_batch=7, max_wait_s=0.001)
    rng = random.Random(7)

    async def caller(n: int) -> tuple[list[str], list[str]]:
        await asyncio.sleep(rng.random() / 100)
        texts = [f"c{n} s{i} " + "x " * rng.randint(0, 5) for i in range(rng.randint(1, 9))]
        return texts, await batcher.translate(texts)

    for texts, result in await asyncio.gather(*(caller(n) for n in range(40))):
        assert result == [f"<{t}>" for t in texts]
    assert max(len(call) for call in backend.calls) <= 7


async def test_batches_respect_the_token_budget(make_batcher: MakeBatcher) -> None:
    backend = TaggingBackend()
    batcher = make_batcher(backend, max_tokens=10)
    texts = [f"a b c {i}" for i in range(9)]  # 4 tokens each
    assert await batcher.translate(texts) == [f"<{t}>" for t in texts]
    assert all(sum(len(t.split()) for t in call) <= 10 for call in backend.calls)
    assert sorted(t for call in backend.calls for t in call) == sorted(texts)


async def test_identical_segments_are_translated_once(make_batcher: MakeBatcher) -> None:
    backend = TaggingBackend()
    batcher = make_batcher(backend)
    first, second = await asyncio.gather(batcher.translate(["hola", "hola", "adiós"]), batcher.translate(["hola"]))
    assert first == ["<hola>", "<hola>", "<adiós>"] and second == ["<hola>"]
    assert sorted(t for call in backend.calls for t in call) == ["adiós", "hola"]


async def test_cache_answers_repeats_without_a_model_call(make_batcher: MakeBatcher) -> None:
    backend = TaggingBackend()
    batcher = make_batcher(backend, store=LruSegmentCache(capacity=100))
    await batcher.translate(["uno", "dos"])
    results = await batcher.translate_detailed(["dos", "uno", "tres"])
    assert [getattr(r, "text", None) for r in results] == ["<dos>", "<uno>", "<tres>"]
    assert [getattr(r, "cached", None) for r in results] == [True, True, False]
    assert backend.calls[-1] == ["tres"]
    assert (batcher.stats.hits, batcher.stats.misses) == (2, 3)


async def test_a_failing_segment_fails_alone(make_batcher: MakeBatcher) -> None:
    backend = TaggingBackend(fail_on="veneno")
    batcher = make_batcher(backend)
    good, bad = await asyncio.gather(
        batcher.translate_detailed(["bien", "también"]),
        batcher.translate_detailed(["veneno aquí"]),
        return_exceptions=False,
    )
    assert [getattr(r, "text", None) for r in good] == ["<bien>", "<también>"]
    assert isinstance(bad[0], RuntimeError)
    with pytest.raises(RuntimeError, match="veneno"):
        await batcher.translate(["veneno otra vez"])


async def test_over_long_and_empty_segments_never_reach_the_model(make_batcher: MakeBatcher) -> None:
    backend = TaggingBackend()
    batcher = make_batcher(backend)
    results = await batcher.translate_detailed(["", "palabra " * 60, "ok"])
    assert getattr(results[0], "text", None) == ""
    assert isinstance(results[1], ValueError) and "exceeds the model limit" in str(results[1])
    assert backend.calls == [["ok"]]


async def test_backpressure_bounds_the_queue(make_batcher: MakeBatcher) -> None:
    backend = TaggingBackend(delay_s=0.01)
    depths: list[int] = []
    batcher = make_batcher(backend, max_batch=4, max_pending=8, on_batch=lambda info: depths.append(info.queue_depth))
    texts = [f"s {i}" for i in range(100)]
    assert await batcher.translate(texts) == [f"<{t}>" for t in texts]
    assert max(depths) <= 8
    assert len(backend.calls) >= 25


async def test_batch_reports_size_tokens_and_time(make_batcher: MakeBatcher) -> None:
    infos: list[BatchInfo] = []
    batcher = make_batcher(TaggingBackend(), on_batch=infos.append)
    await batcher.translate(["a b", "c"])
    assert [(i.segments, i.tokens) for i in infos] == [(2, 3)]
    assert infos[0].seconds >= 0


async def test_a_cancelled_caller_does_not_break_a_caller_sharing_its_segments(make_batcher: MakeBatcher) -> None:
    batcher = make_batcher(TaggingBackend(delay_s=0.05))
    impatient = asyncio.ensure_future(batcher.translate(["compartida"]))
    patient = asyncio.ensure_future(batcher.translate(["compartida", "propia"]))
    await asyncio.sleep(0.01)
    impatient.cancel()
    assert await patient == ["<compartida>", "<propia>"]


async def test_close_fails_queued_work_instead_of_hanging(make_batcher: MakeBatcher) -> None:
    batcher = make_batcher(TaggingBackend(delay_s=0.05), max_batch=1)
    pending = asyncio.ensure_future(batcher.translate_detailed([f"s {i}" for i in range(5)]))
    await asyncio.sleep(0.01)
    await batcher.aclose()
    results = await asyncio.wait_for(pending, 2)
    assert any(isinstance(r, RuntimeError) for r in results)


async def test_batches_group_similar_lengths_like_one_sorted_list(make_batcher: MakeBatcher) -> None:
    backend = TaggingBackend()
    batcher = make_batcher(backend, max_batch=4)
    texts = [" ".join(["w"] * n) for n in (1, 9, 2, 8, 3, 7, 4, 6)]
    assert await batcher.translate(texts) == [f"<{t}>" for t in texts]
    lengths = [sorted(len(t.split()) for t in call) for call in backend.calls]
    assert sorted(lengths) == [[1, 2, 3, 4], [6, 7, 8, 9]]


async def test_a_long_segment_is_not_starved_by_short_ones(make_batcher: MakeBatcher) -> None:
    backend = TaggingBackend(delay_s=0.01)
    batcher = make_batcher(backend, max_batch=2)
    long_text = " ".join(["largo"] * 30)
    first = asyncio.ensure_future(batcher.translate([long_text]))
    shorts = [asyncio.ensure_future(batcher.translate([f"corto {i}"])) for i in range(20)]
    assert await first == [f"<{long_text}>"]
    position = next(i for i, call in enumerate(backend.calls) if long_text in call)
    assert position <= 1
    await asyncio.gather(*shorts)


async def test_one_replica_runs_one_model_call_at_a_time(make_batcher: MakeBatcher) -> None:
    backend = TaggingBackend(delay_s=0.05)
    batcher = make_batcher(backend, max_batch=2, max_wait_s=0.001)
    texts = [f"frase {i}" for i in range(8)]
    assert await batcher.translate(texts) == [f"<{t}>" for t in texts]
    assert len(backend.calls) == 4 and backend.most_at_once == 1


async def test_replicas_run_model_calls_side_by_side_and_results_stay_with_their_callers(
    make_batcher: MakeBatcher,
) -> None:
    backend = TaggingBackend(delay_s=0.05)
    batcher = make_batcher(backend, max_batch=2, max_wait_s=0.001, replicas=2)
    calls = [batcher.translate([f"c{n} a", f"c{n} b"]) for n in range(6)]
    results = await asyncio.gather(*calls)
    assert results == [[f"<c{n} a>", f"<c{n} b>"] for n in range(6)]
    assert backend.most_at_once == 2  # never more than the replicas


async def test_a_title_arriving_during_a_call_runs_on_the_free_replica(make_batcher: MakeBatcher) -> None:
    backend = TaggingBackend(delay_s=0.3)
    batcher = make_batcher(backend, max_batch=32, max_wait_s=0.001, replicas=2)
    body = asyncio.ensure_future(batcher.translate(["un cuerpo largo"]))
    await asyncio.sleep(0.05)  # the body's call is running
    assert await batcher.translate(["un titular"]) == ["<un titular>"]
    assert backend.calls == [["un cuerpo largo"], ["un titular"]]
    assert backend.most_at_once == 2  # it did not wait for the body's call to end
    assert await body == ["<un cuerpo largo>"]


async def test_close_fails_the_work_of_every_running_replica(make_batcher: MakeBatcher) -> None:
    backend = TaggingBackend(delay_s=0.3)
    batcher = make_batcher(backend, max_batch=1, max_wait_s=0.001, replicas=2)
    first = asyncio.ensure_future(batcher.translate(["uno"]))
    second = asyncio.ensure_future(batcher.translate(["dos"]))
    await asyncio.sleep(0.05)
    await batcher.aclose()
    for caller in (first, second):
        with pytest.raises(RuntimeError, match="closed"):
            await caller


async def test_waiting_segments_are_shared_among_idle_replicas(make_batcher: MakeBatcher) -> None:
    backend = TaggingBackend(delay_s=0.05)
    batcher = make_batcher(backend, max_batch=32, max_wait_s=0.02, replicas=2)
    texts = [f"titular {i}" for i in range(12)]
    assert await batcher.translate(texts) == [f"<{t}>" for t in texts]
    assert sorted(len(call) for call in backend.calls) == [6, 6] and backend.most_at_once == 2
