"""The stream agents: translate input articles in batches, then enrich and publish them.

Both agents run with concurrency 1 and batch with ``take_events``, Faust's
``take`` that yields the events themselves: the dead-letter record needs each
message's topic, partition and offset. The finalize agent's body returns only
after Kafka has every output record, and ``take`` acknowledges the batch only
then. The translate agent lets its takes overlap and acknowledges each event
itself, in offset order, once its record is on Kafka (``inflight``). Either
way, no offset is committed past unpublished work.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import sys
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator, Sequence
from typing import Any, cast

import faust
from faust.types import EventT, StreamT

from .app import app, settings
from .engine import ArticleText, ArticleTranslation, ModelUnavailableError, UnsupportedLanguageError
from .inflight import BackgroundWork, InflightLimit, OrderedAcks
from .metrics import ARTICLES, END_TO_END_LATENCY, install_faust_sensor, register_ready
from .publishing import Outgoing, publish_all
from .records import Article, FinalTranslation, Original, Timings, TranslatedArticle
from .reporting import drift, interval
from .tables import final_table, recent_table
from .topics import errors_topic, final_topic, input_topic, output_topics, translated_topic
from .translation import engine
from .validation import InvalidMessage, Limits, dead_letter, parse_article

__all__ = (
    "EXIT_MODEL_UNAVAILABLE",
    "engine",
    "finalize",
    "finalize_record",
    "prepare_worker",
    "translate",
    "translate_batch",
    "unacknowledged_unless_done",
)

logger = logging.getLogger(__name__)

EXIT_MODEL_UNAVAILABLE = 3

install_faust_sensor(app)
register_ready(lambda: engine.ready)
_limits = Limits(max_message_bytes=settings.max_message_bytes, max_field_chars=settings.max_field_chars)


def _dead(event: EventT, reason: str, detail: str) -> Outgoing:
    message = event.message
    record = dead_letter(
        reason=reason,
        detail=detail,
        raw=message.value,
        topic=message.topic,
        partition=message.partition,
        offset=message.offset,
        key=message.key,
        max_payload_bytes=settings.dead_letter_payload_bytes,
    )
    logger.warning("dead-lettered %s[%d]@%d: %s", message.topic, message.partition, message.offset, reason)
    return Outgoing(errors_topic, record.key, record)


def _translated(
    event: EventT,
    article: Article,
    language: str,
    confidence: float,
    done: ArticleTranslation,
    *,
    started: float,
    batch_size: int,
) -> Outgoing:
    ingested_at = event.message.timestamp or started
    record = TranslatedArticle(
        id=article.id,
        title=done.article.title,
        summary=done.article.summary,
        original=Original(title=article.title, summary=article.summary),
        link=article.link,
        published=article.published,
        source=article.source,
        source_lang=language,
        target_lang=settings.target_lang,
        model=engine.config.models[language],
        ingested_at=ingested_at,
        translated_at=time.time(),
        timings=Timings(
            queued_ms=max(0.0, (started - ingested_at) * 1000),
            model_ms=done.model_seconds * 1000,
            batch_size=batch_size,
            segments=done.segments,
            cached_segments=done.cached_segments,
        ),
        language_confidence=confidence,
    )
    return Outgoing(translated_topic, article.id, record)


async def _translate_one(
    event: EventT, article: Article, language: str, confidence: float, *, started: float, batch_size: int
) -> Outgoing:
    """Translate one article: its translation record, or a dead letter."""
    try:
        [outcome] = await engine.translate_articles(
            [ArticleText(title=article.title, summary=article.summary)], language=language
        )
    except ModelUnavailableError as exc:
        return _dead(event, "model_unavailable", str(exc))
    if isinstance(outcome, BaseException):
        return _dead(event, "translation_failed", f"{type(outcome).__name__}: {outcome}")
    return _translated(event, article, language, confidence, outcome, started=started, batch_size=batch_size)


async def translate_batch(
    events: Sequence[EventT],
    *,
    publish: Callable[[Sequence[Outgoing]], Awaitable[None]] = publish_all,
    on_published: Callable[[EventT], Awaitable[None]] | None = None,
) -> list[Outgoing]:
    """Validate, translate and publish one batch; return once Kafka has every record.

    Every event yields exactly one record: a translation keyed by its article
    id, or a dead letter. Each article is its own submission to the engine, so
    its record is built from its own result, never matched up by position, and
    is published as soon as that result is ready rather than when the whole
    take is: a title does not wait for the take's longest article. The
    submissions all go in at once, so the micro-batcher still packs their
    sentences into shared model calls.

    Args:
        events: The take.
        publish: Sends records and returns once Kafka has them.
        on_published: Called with each event once its record is on Kafka
            (the agent acknowledges offsets from it).
    """
    started = time.time()
    rejected: list[tuple[EventT, Outgoing]] = []
    accepted: list[tuple[EventT, Article, str, float]] = []
    for event in events:
        try:
            article = parse_article(event.message.value, limits=_limits)
            detection = engine.choose_language(f"{article.title}\n{article.summary}", declared=article.language)
        except InvalidMessage as exc:
            rejected.append((event, _dead(event, exc.reason, exc.detail)))
            continue
        except UnsupportedLanguageError as exc:
            rejected.append((event, _dead(event, "unsupported_language", str(exc))))
            continue
        accepted.append((event, article, detection.language, detection.confidence))

    async def published(event: EventT) -> None:
        if on_published is not None:
            await on_published(event)

    async def translate_and_publish(event: EventT, article: Article, language: str, confidence: float) -> Outgoing:
        record = await _translate_one(event, article, language, confidence, started=started, batch_size=len(accepted))
        await publish([record])
        await published(event)
        return record

    async def publish_rejected() -> None:
        await publish([record for _, record in rejected])
        for event, _ in rejected:
            await published(event)

    translated, _ = await asyncio.gather(
        asyncio.gather(*(translate_and_publish(*item) for item in accepted)), publish_rejected()
    )
    outgoing = [record for _, record in rejected] + list(translated)
    for record in outgoing:
        if isinstance(record.value, TranslatedArticle):
            ARTICLES.labels("translated", "").inc()
        else:
            ARTICLES.labels("dead_lettered", record.value.reason).inc()
            interval.dead_letters += 1
    return outgoing


async def _drop_held_reference(event: EventT) -> None:
    """Drop :class:`OrderedAcks`' reference; the last one marks the offset safe to commit.

    Not ``stream.ack``: the take already reported the event out of the stream
    to the sensors, and a second report would count it twice.
    """
    if event.ack():
        message = event.message
        app.sensors.on_message_out(message.tp, message.offset, message)


async def _translate_held(events: Sequence[EventT], *, acks: OrderedAcks, limit: InflightLimit) -> None:
    """One take, in the background: each event acknowledged (in order) once its record is on Kafka."""
    try:
        await translate_batch(events, on_published=acks.done)
    finally:
        limit.release(len(events))


def _take(stream: faust.Stream[Any], size: int) -> AsyncIterator[Sequence[EventT]]:
    """``take_events`` with the stream's own acknowledgements off, for good.

    ``take_events`` turns them off while it runs and back on in a ``finally``;
    if that runs at shutdown while the stream's background drainer still
    iterates, the stream would acknowledge events no batch contained (read in
    faust 0.15.3's source, not reproduced). Off for good, only
    ``take_events``' explicit acknowledgement after a loop body counts.
    """
    stream.enable_acks = False
    return stream.take_events(size, within=settings.max_wait_s)


@contextlib.contextmanager
def unacknowledged_unless_done(events: Sequence[EventT]) -> Iterator[None]:
    """Keep a batch's offsets uncommitted if the loop body does not finish.

    Faust's ``take_events`` acknowledges the yielded events in a ``finally``
    block, which also runs when the agent was cancelled mid-batch and the
    suspended generator is closed; the shutdown commit would then cover
    articles never published (read in faust 0.15.3's source). Marking the
    messages as acknowledged here makes faust's ``ack`` a no-op, so their
    offsets are never committed and the next owner processes them again.
    """
    try:
        yield
    except BaseException:
        for event in events:
            event.message.acked = True
        raise


def prepare_worker() -> None:
    """Load the model as a worker starts, before it connects to Kafka.

    Blocking on purpose: nothing else runs yet. A missing model then stops the
    worker with one clear message and exit status 3, not a crashed agent and a
    traceback, and the translate agent never waits for the model.
    """
    try:
        engine.load()
    except ModelUnavailableError as exc:
        sys.stderr.write(f"translator_app: {exc}\n")
        sys.stderr.flush()
        # Raising here would be wrapped in a crash report; no connection exists
        # yet and nothing was consumed, so leaving at once loses nothing.
        os._exit(EXIT_MODEL_UNAVAILABLE)


@app.agent(input_topic, concurrency=1)
async def translate(stream: StreamT[bytes]) -> None:
    """Translate input articles in takes of up to ``stream_batch`` within ``max_wait_s``; takes overlap.

    Each take is translated in the background while the agent goes back for
    the next one (up to ``max_inflight_articles`` articles in flight), so an
    article arriving while the model is busy reaches an idle replica at once.
    Offsets are acknowledged per partition in order, each once its record is
    on Kafka (``inflight.OrderedAcks``), never by the take itself.
    """
    if not engine.ready:  # the worker loads it at start; other hosts must too
        raise RuntimeError("the model must be loaded before the translate agent starts")
    for topic in output_topics:
        await topic.maybe_declare()
    acks = OrderedAcks(_drop_held_reference)
    limit = InflightLimit(settings.max_inflight_articles)
    work = BackgroundWork()
    batches = _take(cast(faust.Stream[bytes], stream), settings.stream_batch)
    try:
        async for events in batches:
            acks.hold(events)  # before any await: the take's own ack now only drops a reference
            work.raise_failure()
            await limit.acquire(len(events))
            work.start(_translate_held(events, acks=acks, limit=limit), name=f"take-{events[0].message.offset}")
    finally:
        # Unfinished takes stay unacknowledged: the partition's next owner reads them again.
        await work.cancel()


def finalize_record(record: TranslatedArticle, *, now: float) -> FinalTranslation:
    """Enrich a model output into the record served on ``final_translations``."""
    end_to_end_ms = max(0.0, (now - record.ingested_at) * 1000)
    return FinalTranslation(
        **{**record.asdict(), "timings": record.timings.derive(end_to_end_ms=end_to_end_ms)}, published_at=now
    )


@app.agent(translated_topic, concurrency=1)
async def finalize(stream: StreamT[TranslatedArticle]) -> None:
    """Publish enriched translations and keep the latest per id in the table."""
    batches = _take(cast(faust.Stream[TranslatedArticle], stream), settings.max_batch)
    async for events in batches:
        with unacknowledged_unless_done(events):
            await _finalize_batch(events)


async def _finalize_batch(events: Sequence[EventT]) -> None:
    """Enrich, store and publish one batch of translations; return once Kafka has them all."""
    now = time.time()
    outgoing = []
    for event in events:
        final = finalize_record(cast(TranslatedArticle, event.value), now=now)
        final_table[final.id.encode()] = final
        END_TO_END_LATENCY.observe((final.timings.end_to_end_ms or 0.0) / 1000)
        source_chars = len(final.original.title) + len(final.original.summary)
        interval.e2e_s.append((final.timings.end_to_end_ms or 0.0) / 1000)
        interval.model_s.append(final.timings.model_ms / 1000)
        interval.translated += 1
        drift.observe(
            source_chars=source_chars,
            unk_rate=engine.unk_rate(f"{final.original.title}\n{final.original.summary}", language=final.source_lang),
            language_confidence=final.language_confidence,
            length_ratio=(len(final.title) + len(final.summary)) / max(1, source_chars),
        )
        message = event.message
        recent_table[b"%d:%d" % (message.partition, message.offset % settings.recent_per_partition)] = final
        outgoing.append(Outgoing(final_topic, final.id, final))
    await publish_all(outgoing)
