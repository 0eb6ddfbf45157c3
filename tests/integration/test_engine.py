"""The engine on the real copy model: both backends, the shared batcher, long texts."""

from __future__ import annotations

import asyncio
import logging
from pathlib import Path

import pytest

from tests.integration.test_models import HELDOUT
from translator_app.engine import (
    ArticleText,
    ArticleTranslation,
    BatchInfo,
    EngineConfig,
    TranslationEngine,
    split_text,
)
from translator_app.engine.backend import TransformersBackend
from translator_app.engine.ct2_backend import CTranslate2Backend, converted_dir, ensure_converted, load_ctranslate2
from translator_app.engine.loading import load_marian


def ct2_backend(model: Path, precision: str, cache: Path) -> CTranslate2Backend:
    translator, tokenizer, beams = load_ctranslate2(
        str(model), device="cpu", precision=precision, threads=1, cache_dir=cache
    )
    return CTranslate2Backend(
        name=str(model),
        translator=translator,
        tokenizer=tokenizer,
        precision=precision,
        device="cpu",
        num_beams=beams,
        max_new_tokens=256,
        max_batch=16,
    )


@pytest.fixture(scope="module")
def torch_backend(copy_model: Path) -> TransformersBackend:
    return TransformersBackend(
        load_marian(str(copy_model), device="cpu"), num_beams=None, max_new_tokens=256, max_batch=16
    )


def test_ctranslate2_meets_the_same_contract_as_transformers(
    copy_model: Path, torch_backend: TransformersBackend, tmp_path: Path
) -> None:
    texts = [*HELDOUT[:20], "", "Sí."]
    exact = ct2_backend(copy_model, "float32", tmp_path)
    assert exact.translate(texts) == torch_backend.translate(texts) == texts
    assert exact.max_segment_tokens == torch_backend.max_segment_tokens
    assert exact.count_tokens(texts) == torch_backend.count_tokens(texts)
    # int8 rounds the tiny copy model's weights; it must still copy nearly everything.
    int8 = ct2_backend(copy_model, "int8", tmp_path).translate(HELDOUT)
    assert len(int8) == len(HELDOUT)
    assert sum(a == b for a, b in zip(int8, HELDOUT, strict=True)) >= 95


def test_conversion_is_cached_next_to_a_local_model(
    copy_model: Path, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    local = tmp_path / "model"
    local.symlink_to(copy_model, target_is_directory=True)
    with caplog.at_level(logging.WARNING):
        first = ensure_converted(str(local), precision="int8", cache_dir=tmp_path / "unused")
    assert first == converted_dir(str(local), precision="int8", cache_dir=tmp_path / "unused")
    assert first.parent == copy_model.resolve().parent and first.name == "copy-es-ct2-int8"
    stamp = (first / "model.bin").stat().st_mtime_ns
    caplog.clear()
    with caplog.at_level(logging.WARNING):
        assert ensure_converted(str(local), precision="int8", cache_dir=tmp_path / "unused") == first
    assert (first / "model.bin").stat().st_mtime_ns == stamp
    assert not any("converting" in r.message for r in caplog.records)


def test_hub_ids_convert_into_the_cache_dir(tmp_path: Path) -> None:
    target = converted_dir("Helsinki-NLP/opus-mt-es-en", precision="int8", cache_dir=tmp_path)
    assert target == tmp_path / "Helsinki-NLP--opus-mt-es-en-ct2-int8"


@pytest.mark.parametrize("backend", ["transformers", "ctranslate2"])
async def test_stream_and_on_demand_callers_share_batches_and_keep_their_text(copy_model: Path, backend: str) -> None:
    batches: list[BatchInfo] = []
    config = EngineConfig(
        models={"es": str(copy_model)},
        backend=backend,
        ct2_precision="float32",
        threads=1,
        # One call at a time: with two, the waiting segments are shared between
        # the replicas (test_batcher.py), and this test is about coalescing.
        replicas=1,
        max_batch=64,
        max_wait_s=0.05,
    )
    engine = TranslationEngine(config, on_batch=lambda _model, info: batches.append(info))
    engine.load()
    try:
        stream = [ArticleText(title=HELDOUT[i], summary=f"{HELDOUT[i + 1]} {HELDOUT[i + 2]}") for i in range(0, 30, 3)]
        on_demand = [[HELDOUT[40 + i]] for i in range(5)]
        outcomes, *answers = await asyncio.gather(
            engine.translate_articles(stream, language="es"),
            *(engine.translate_texts(texts, language="es") for texts in on_demand),
        )
    finally:
        await engine.aclose()
    assert [o.article if isinstance(o, ArticleTranslation) else o for o in outcomes] == stream
    assert answers == on_demand
    stream_segments = sum(len(split_text(a.title)) + len(split_text(a.summary)) for a in stream)
    # Six callers arrived together: fewer model calls than callers, and one call
    # carried more segments than the stream batch alone had.
    assert len(batches) < 6
    assert max(b.segments for b in batches) > stream_segments
    assert any(b.origins == {"stream", "api"} for b in batches)


async def test_text_far_beyond_the_model_limit_comes_back_whole(copy_model: Path) -> None:
    engine = TranslationEngine(EngineConfig(models={"es": str(copy_model)}, threads=1))
    engine.load()
    sentence = ", ".join(f"la cláusula número {i} del contrato" for i in range(150)) + "."
    summary = f"Primera frase. {sentence}\n\nÚltimo párrafo aparte."
    try:
        backend = engine.loaded_models()[0]
        assert backend.count_tokens([sentence])[0] > 2 * backend.max_source_tokens
        [outcome] = await engine.translate_articles([ArticleText("Título.", summary)], language="es")
    finally:
        await engine.aclose()
    assert isinstance(outcome, ArticleTranslation)
    assert outcome.article.summary == summary and outcome.segments > 3
