"""The app's commands against the real broker: ingest, and a clean stop without a model."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import feedparser
import pytest

from tests.support import ROOT, Broker, consume, faust_command, worker_env
from translator_app.ingest import entry_to_message

from .conftest import Pipeline, start_pipeline

FEED = ROOT / "data" / "sample_feed_es.xml"


@pytest.fixture(scope="module")
def ingest_pipeline(kafka: Broker, copy_model: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Pipeline]:
    running = start_pipeline(kafka, tmp_path_factory.mktemp("ingest"), copy_model, "ingest")
    yield running
    running.worker.stop()


def test_ingest_sends_the_sample_feed_once_and_it_is_translated(ingest_pipeline: Pipeline) -> None:
    pipeline = ingest_pipeline
    first = faust_command(pipeline.env, "ingest", "--feed", str(FEED))
    assert first.returncode == 0, first.stderr
    assert "15 entries, 15 sent, 0 already sent" in first.stdout
    again = faust_command(pipeline.env, "ingest", "--feed", str(FEED))
    assert "15 entries, 0 sent, 15 already sent" in again.stdout

    expected = {entry_to_message(e, source="")[0]: e for e in feedparser.parse(str(FEED)).entries}
    records = consume(
        pipeline.bootstrap,
        [pipeline.final],
        until=lambda r: expected.keys() <= {x["id"] for x in r[pipeline.final]},
        timeout=180,
    )
    finals = {r["id"]: r for r in records[pipeline.final] if r["id"] in expected}
    assert finals.keys() == expected.keys()
    for ident, entry in expected.items():
        assert finals[ident]["title"] == entry.title
        assert "<" not in finals[ident]["summary"]
        assert finals[ident]["source"] == "Noticias de ejemplo (portada)"


@pytest.mark.parametrize("where", ["hub", "missing-dir"])
def test_worker_without_a_reachable_model_stops_with_a_clear_message(tmp_path: Path, where: str) -> None:
    env = worker_env(bootstrap="127.0.0.1:1", prefix="nomodel", workdir=tmp_path, model=tmp_path / "no-such-model")
    if where == "hub":
        # The default Hub model with the Hub unreachable (offline mode makes that certain).
        del env["TRANSLATOR_MODEL"]
        env["HF_HUB_OFFLINE"] = "1"
    result = faust_command(env, "worker", "-l", "info", timeout=120)
    assert result.returncode == 3
    assert "Traceback" not in result.stderr
    assert "Hugging Face Hub" in result.stderr and "TRANSLATOR_MODEL" in result.stderr
