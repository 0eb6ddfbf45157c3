"""The stream agents: translate input articles in batches, then enrich and publish them.

Both agents run with concurrency 1 and batch with ``take_events``, Faust's
``take`` that yields the events themselves: the dead-letter record needs each
message's topic, partition and offset. ``take`` acknowledges a batch's offsets
only after the loop body returns, and the body returns only after Kafka has
every output record, so no offset is committed past unpublished work.
"""

from __future__ import annotations

import logging
import os
import sys
import time
from collections.abc import Sequence
from typing import cast

import faust
from faust.types import EventT, StreamT

from .app import app, settings
from .engine import ArticleText, BatchResult, ModelRunner, ModelUnavailableError
from .publishing import Outgoing, publish_all
from .records import Article, FinalTranslation, Original, Timings, TranslatedArticle
from .tables import final_table
from .topics import errors_topic, final_topic, input_topic, output_topics, translated_topic
from .validation import InvalidMessage, Limits, dead_letter, parse_article

__all__ = (
    "EXIT_MODEL_UNAVAILABLE",
    "finalize",
    "finalize_record",
    "prepare_worker",
    "runner",
    "translate",
    "translate_batch",
)

logger = logging.getLogger(__name__)

EXIT_MODEL_UNAVAILABLE = 3

runner = ModelRunner(
    model=settings.model,
    device=settings.device,
    num_beams=settings.num_beams,
    max_new_tokens=settings.max_new_tokens,
    max_batch=settings.max_batch,
    torch_threads=settings.torch_threads,
)
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


async def _translate_isolating_failures(
    articles: Sequence[ArticleText],
) -> list[tuple[ArticleText, float] | Exception]:
    """Translate a batch; if the batch fails, retry one by one to find the bad article."""
    try:
        result: BatchResult = await runner.translate_articles(articles)
        return [(text, result.model_seconds) for text in result.articles]
    except Exception:
        logger.exception("batch of %d failed; translating its articles one at a time", len(articles))
    outcomes: list[tuple[ArticleText, float] | Exception] = []
    for article in articles:
        try:
            single = await runner.translate_articles([article])
            outcomes.append((single.articles[0], single.model_seconds))
        except Exception as exc:
            outcomes.append(exc)
    return outcomes


async def translate_batch(events: Sequence[EventT]) -> list[Outgoing]:
    """Validate, translate and build the output records for one batch of input events.

    Every event yields exactly one record: a translation keyed by its article
    id, or a dead letter. Translations are matched to articles by position in
    the lists built here, never by arrival order of results.
    """
    started = time.time()
    outgoing: list[Outgoing] = []
    valid: list[tuple[EventT, Article]] = []
    for event in events:
        try:
            valid.append((event, parse_article(event.message.value, limits=_limits)))
        except InvalidMessage as exc:
            outgoing.append(_dead(event, exc.reason, exc.detail))
    if not valid:
        return outgoing
    texts = [ArticleText(title=a.title, summary=a.summary) for _, a in valid]
    outcomes = await _translate_isolating_failures(texts)
    translated_at = time.time()
    for (event, article), outcome in zip(valid, outcomes, strict=True):
        if isinstance(outcome, Exception):
            outgoing.append(_dead(event, "translation_failed", f"{type(outcome).__name__}: {outcome}"))
            continue
        english, model_seconds = outcome
        ingested_at = event.message.timestamp or started
        record = TranslatedArticle(
            id=article.id,
            title=english.title,
            summary=english.summary,
            original=Original(title=article.title, summary=article.summary),
            link=article.link,
            published=article.published,
            source=article.source,
            source_lang=settings.source_lang,
            target_lang=settings.target_lang,
            model=settings.model,
            ingested_at=ingested_at,
            translated_at=translated_at,
            timings=Timings(
                queued_ms=max(0.0, (started - ingested_at) * 1000),
                model_ms=model_seconds * 1000,
                batch_size=len(valid),
            ),
        )
        outgoing.append(Outgoing(translated_topic, article.id, record))
    return outgoing


def prepare_worker() -> None:
    """Load the model as a worker starts, before it connects to Kafka.

    Blocking on purpose: nothing else runs yet. A missing model then stops the
    worker with one clear message and exit status 3, not a crashed agent and a
    traceback, and the translate agent never waits for the model.
    """
    try:
        runner.load()
    except ModelUnavailableError as exc:
        sys.stderr.write(f"translator_app: {exc}\n")
        sys.stderr.flush()
        # Raising here would be wrapped in a crash report; no connection exists
        # yet and nothing was consumed, so leaving at once loses nothing.
        os._exit(EXIT_MODEL_UNAVAILABLE)


@app.agent(input_topic, concurrency=1)
async def translate(stream: StreamT[bytes]) -> None:
    """Translate input articles in batches of up to ``max_batch`` within ``max_wait_s``."""
    if not runner.ready:  # the worker loads it at start; other hosts must too
        raise RuntimeError("the model must be loaded before the translate agent starts")
    for topic in output_topics:
        await topic.maybe_declare()
    batches = cast(faust.Stream[bytes], stream).take_events(settings.max_batch, within=settings.max_wait_s)
    async for events in batches:
        await publish_all(await translate_batch(events))


def finalize_record(record: TranslatedArticle, *, now: float) -> FinalTranslation:
    """Enrich a model output into the record served on ``final_translations``."""
    end_to_end_ms = max(0.0, (now - record.ingested_at) * 1000)
    return FinalTranslation(
        **{**record.asdict(), "timings": record.timings.derive(end_to_end_ms=end_to_end_ms)}, published_at=now
    )


@app.agent(translated_topic, concurrency=1)
async def finalize(stream: StreamT[TranslatedArticle]) -> None:
    """Publish enriched translations and keep the latest per id in the table."""
    batches = cast(faust.Stream[TranslatedArticle], stream).take_events(settings.max_batch, within=settings.max_wait_s)
    async for events in batches:
        now = time.time()
        outgoing = []
        for event in events:
            final = finalize_record(cast(TranslatedArticle, event.value), now=now)
            final_table[final.id.encode()] = final
            outgoing.append(Outgoing(final_topic, final.id, final))
        await publish_all(outgoing)
