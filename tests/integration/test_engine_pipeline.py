"""The engine inside a real worker on the real broker: language routing, the cache across restarts, CTranslate2."""

from __future__ import annotations

import json
import re
import urllib.request
from pathlib import Path
from typing import Any

from tests.support import Broker, consume, produce

from .conftest import Pipeline, start_pipeline
from .test_models import HELDOUT

FRENCH = "Le gouvernement approuve la nouvelle loi sur le logement après des mois de négociations."
KOREAN = "정부가 수개월간의 협상 끝에 새로운 주택법을 승인했다."
ENGLISH = "The government approves the new housing law after months of negotiations with its partners."


def send(p: Pipeline, articles: list[dict[str, Any]]) -> None:
    produce(p.bootstrap, p.input, [(a["id"].encode(), json.dumps(a, ensure_ascii=False).encode()) for a in articles])


def collect(p: Pipeline, *, finals: int, errors: int = 0) -> dict[str, list[dict[str, Any]]]:
    return consume(
        p.bootstrap,
        [p.final, p.errors],
        until=lambda r: len(r[p.final]) >= finals and len(r[p.errors]) >= errors,
        timeout=180,
    )


def scrape(p: Pipeline) -> dict[str, float]:
    port = p.env["TRANSLATOR_WEB_PORT"]
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=10) as response:
        text = response.read().decode()
    samples: dict[str, float] = {}
    for line in text.splitlines():
        match = re.match(r"^([a-zA-Z_:][\w:]*(?:\{[^}]*\})?) (\S+)$", line)
        if match:
            samples[match.group(1)] = float(match.group(2))
    return samples


def spanish(prefix: str, n: int) -> list[dict[str, Any]]:
    return [{"id": f"{prefix}-{i}", "title": HELDOUT[i], "summary": HELDOUT[i + 50]} for i in range(n)]


def test_articles_are_routed_by_language_and_unsupported_ones_dead_lettered(
    kafka: Broker, copy_model: Path, tmp_path: Path
) -> None:
    # The copy model stands in for opus-mt-fr-en: French comes back as itself.
    p = start_pipeline(kafka, tmp_path, copy_model, "lang", TRANSLATOR_MODELS=json.dumps({"fr": str(copy_model)}))
    try:
        articles = [
            *spanish("es", 3),
            {"id": "fr-0", "title": FRENCH, "summary": FRENCH},
            {"id": "ko-0", "title": KOREAN, "summary": KOREAN},
            {"id": "en-0", "title": ENGLISH, "summary": ENGLISH},
            {"id": "de-declared", "title": HELDOUT[9], "summary": "", "language": "de"},
        ]
        send(p, articles)
        records = collect(p, finals=4, errors=3)
    finally:
        p.worker.stop()
    finals = {r["id"]: r for r in records[p.final]}
    assert sorted(finals) == ["es-0", "es-1", "es-2", "fr-0"]
    assert finals["fr-0"]["source_lang"] == "fr" and finals["fr-0"]["title"] == FRENCH
    assert {finals[f"es-{i}"]["source_lang"] for i in range(3)} == {"es"}
    errors = {e["key"]: e for e in records[p.errors]}
    assert sorted(errors) == ["de-declared", "en-0", "ko-0"]
    assert {e["reason"] for e in errors.values()} == {"unsupported_language"}
    assert "'ko'" in errors["ko-0"]["detail"] and json.loads(errors["ko-0"]["payload"])["title"] == KOREAN


def test_the_segment_cache_survives_a_worker_restart(kafka: Broker, copy_model: Path, tmp_path: Path) -> None:
    p = start_pipeline(kafka, tmp_path, copy_model, "cache")
    articles = spanish("first", 10)
    try:
        send(p, articles)
        collect(p, finals=10)
        assert scrape(p)["translator_cache_hits_total"] == 0
    finally:
        p.worker.stop()
    p.worker.start()  # same app id and topics: the cache table is restored from its changelog
    try:
        again = [{**a, "id": a["id"].replace("first", "again")} for a in articles]
        send(p, again)
        records = collect(p, finals=20)
        metrics = scrape(p)
    finally:
        p.worker.stop()
    second = [r for r in records[p.final] if r["id"].startswith("again")]
    assert len(second) == 10
    for record in second:
        assert record["timings"]["cached_segments"] == record["timings"]["segments"] > 0
        assert record["timings"]["model_ms"] == 0
        assert (record["title"], record["summary"]) == (record["original"]["title"], record["original"]["summary"])
    assert metrics["translator_cache_hits_total"] == sum(r["timings"]["segments"] for r in second)
    assert metrics["translator_cache_misses_total"] == 0


def test_ctranslate2_backend_runs_the_pipeline_with_intact_text(
    kafka: Broker, copy_model: Path, tmp_path: Path
) -> None:
    # float32: the int8 rounding of the tiny copy model is measured in test_engine.py;
    # here every character must survive.
    p = start_pipeline(
        kafka,
        tmp_path,
        copy_model,
        "ct2",
        TRANSLATOR_BACKEND="ctranslate2",
        TRANSLATOR_CT2_PRECISION="float32",
        TRANSLATOR_CACHE_SLOTS="0",
    )
    try:
        articles = spanish("ct2", 12)
        send(p, articles)
        records = collect(p, finals=12)
        metrics = scrape(p)
    finally:
        p.worker.stop()
    finals = {r["id"]: r for r in records[p.final]}
    assert sorted(finals) == sorted(a["id"] for a in articles)
    for article in articles:
        assert (finals[article["id"]]["title"], finals[article["id"]]["summary"]) == (
            article["title"],
            article["summary"],
        )
    assert metrics["translator_cache_hits_total"] == 0  # caching disabled: every segment hit the model
    assert any(k.startswith("translator_batch_size_count") for k in metrics)
