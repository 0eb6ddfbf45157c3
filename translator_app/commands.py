"""Extra ``faust -A translator_app.app`` commands: ``ingest`` feeds, ``tail`` a topic, ``eval`` the model."""

from __future__ import annotations

import asyncio
import json
import logging
from pathlib import Path
from typing import Any

from aiokafka import AIOKafkaConsumer
from faust.cli import AppCommand, option

from .app import app, settings
from .ingest import IngestState, ingest_feed
from .topics import input_topic, output_topics

__all__ = ("bootstrap_servers", "create_topics", "evaluate", "ingest", "tail")

logger = logging.getLogger(__name__)


def bootstrap_servers(broker: str) -> list[str]:
    """Turn Faust's ``kafka://h1:9092;h2:9092`` into aiokafka's host list."""
    return [part.split("://", 1)[-1] for part in broker.replace(",", ";").split(";") if part]


@app.command(
    option("--feed", "feeds", multiple=True, required=True, help="Feed URL or file path (repeatable)."),
    option("--interval", type=float, default=0.0, help="Seconds between polls; 0 polls once and exits."),
)
async def ingest(self: AppCommand, feeds: tuple[str, ...], interval: float) -> None:
    """Publish new feed entries to the input topic, each article once."""
    producer = await self.app.maybe_start_producer()
    state = IngestState(settings.ingest_state)

    async def send(ident: str, payload: bytes) -> None:
        await (await input_topic.send(key=ident.encode("utf-8"), value=payload))

    try:
        while True:
            for url in feeds:
                try:
                    stats = await ingest_feed(url, state=state, send=send)
                except Exception as exc:  # one broken feed must not stop the others
                    self.say(f"feed {url}: error: {exc}")
                    continue
                status = "not modified" if stats.not_modified else f"{stats.sent} sent, {stats.skipped} already sent"
                self.say(f"feed {url}: {stats.entries} entries, {status}")
            if interval <= 0:
                break
            await asyncio.sleep(interval)
    finally:
        state.close()
        await producer.flush()
        await producer.stop()


@app.command()
async def create_topics(self: AppCommand) -> None:
    """Create the pipeline's topics with the configured partitions and replication."""
    await self.app.maybe_start_producer()
    try:
        for topic in (input_topic, *output_topics):
            await topic.maybe_declare()
            self.say(f"topic {topic.get_topic_name()}: {settings.topic_partitions} partitions")
    finally:
        await self.app.producer.stop()


def _format(record: dict[str, Any]) -> str:
    original = record.get("original") or {}
    timings = record.get("timings") or {}
    return (
        f"[{record.get('id')}] {timings.get('end_to_end_ms', 0):.0f} ms end to end\n"
        f"  {record.get('source_lang', '?')}: {original.get('title', '')}\n"
        f"  {record.get('target_lang', '?')}: {record.get('title', '')}\n"
    )


@app.command(
    option("--topic", default=settings.topic_final, help="Topic to read."),
    option("--count", type=int, default=10, help="Stop after this many records."),
    option("--timeout", type=float, default=60.0, help="Give up after this many seconds."),
    option("--json", "as_json", is_flag=True, default=False, help="Print raw JSON lines."),
)
async def tail(self: AppCommand, topic: str, count: int, timeout: float, as_json: bool) -> None:
    """Print records from a topic (from the beginning) until ``--count`` are seen."""
    consumer = AIOKafkaConsumer(
        topic, bootstrap_servers=bootstrap_servers(settings.broker), auto_offset_reset="earliest"
    )
    await consumer.start()
    seen = 0
    try:
        async with asyncio.timeout(timeout):
            async for message in consumer:
                record = json.loads(message.value)
                self.say(json.dumps(record, ensure_ascii=False) if as_json else _format(record))
                seen += 1
                if seen >= count:
                    break
    except TimeoutError:
        self.say(f"timed out after {timeout:.0f}s with {seen} of {count} records")
        raise SystemExit(1) from None
    finally:
        await consumer.stop()


async def _evaluate(self: AppCommand, refs: str, source: str) -> None:
    """Translate the sources with the configured model and print BLEU and chrF (also to W&B when enabled)."""
    from .engine import ModelUnavailableError, TranslationEngine
    from .evaluation import read_references, score
    from .tracking import WandbReporter, row
    from .translation import engine as worker_engine

    try:
        sources, references = read_references(Path(refs))
    except (OSError, ValueError) as exc:
        raise SystemExit(f"translator_app: {exc}") from None
    # The worker's configuration without its Kafka-backed cache: no worker runs here,
    # and a score must come from the model, not from earlier translations.
    engine = TranslationEngine(worker_engine.config)
    try:
        await asyncio.get_running_loop().run_in_executor(None, engine.load)
        hypotheses = await engine.translate_texts(sources, language=source or settings.source_lang, origin="eval")
    except ModelUnavailableError as exc:
        raise SystemExit(f"translator_app: {exc}") from None
    finally:
        await engine.aclose()
    result = score(hypotheses, references)
    self.say(f"model: {settings.model} ({settings.backend})")
    self.say(f"sentences: {result.sentences}")
    self.say(f"BLEU: {result.bleu:.2f}")
    self.say(f"chrF: {result.chrf:.2f}")
    if settings.wandb_enabled:
        reporter = WandbReporter(
            project=settings.wandb_project,
            directory=settings.wandb_dir,
            api_key=settings.wandb_api_key.get_secret_value() if settings.wandb_api_key else None,
            config={"model": settings.model, "backend": settings.backend, "refs": refs},
            job_type="eval",
        )
        reporter.log(row(eval__bleu=result.bleu, eval__chrf=result.chrf, eval__sentences=float(result.sentences)))
        reporter.finish()


# Faust names a command after its function; "eval" is a builtin, so rename before registering.
_evaluate.__name__ = _evaluate.__qualname__ = "eval"
evaluate = app.command(
    option("--refs", type=str, required=True, help="TSV file of source<TAB>reference lines."),
    option("--source", type=str, default="", help="Source language; default TRANSLATOR_SOURCE_LANG."),
)(_evaluate)
