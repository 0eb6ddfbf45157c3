"""The engine routes each text to its language's model, loads models lazily and keeps a bounded number."""

from __future__ import annotations

import os
from collections.abc import AsyncIterator

import pytest

from translator_app.engine import ArticleText, EngineConfig, TranslationEngine, UnsupportedLanguageError
from translator_app.engine.backend import Backend
from translator_app.engine.cache import LruSegmentCache
from translator_app.engine.service import cpu_replicas

from .fakes import TaggingBackend

SPANISH = "El Gobierno aprueba la nueva ley de vivienda tras meses de negociación con los socios."
FRENCH = "Le gouvernement approuve la nouvelle loi sur le logement après des mois de négociations."
KOREAN = "정부가 수개월간의 협상 끝에 새로운 주택법을 승인했다."
ENGLISH = "The government approves the new housing law after months of negotiations with its partners."


class FakeEngine(TranslationEngine):
    """The real engine with model loading replaced by tagging backends named after the model."""

    built: list[str]

    def _build_backend(self, model: str) -> Backend:
        self.built.append(model)
        return TaggingBackend(name=model)


@pytest.fixture
async def engine() -> AsyncIterator[FakeEngine]:
    config = EngineConfig(models={"es": "es-model", "fr": "fr-model", "ko": "ko-model"}, max_loaded_models=2)
    made = FakeEngine(config, store=LruSegmentCache(capacity=100))
    made.built = []
    made.load()
    yield made
    await made.aclose()


def test_language_detection_routes_supported_languages(engine: FakeEngine) -> None:
    assert engine.choose_language(SPANISH).language == "es"
    assert engine.choose_language(FRENCH).language == "fr"
    assert engine.choose_language(KOREAN).language == "ko"
    assert engine.choose_language(SPANISH).confidence > 0.5


def test_confidently_unsupported_language_is_rejected(engine: FakeEngine) -> None:
    with pytest.raises(UnsupportedLanguageError, match="'en'") as caught:
        engine.choose_language(ENGLISH)
    assert caught.value.language == "en" and caught.value.confidence >= 0.9


def test_declared_language_wins_and_is_normalised(engine: FakeEngine) -> None:
    assert engine.choose_language(ENGLISH, declared="fr-FR").language == "fr"
    with pytest.raises(UnsupportedLanguageError, match="'de'"):
        engine.choose_language(SPANISH, declared="de")


def test_short_ambiguous_text_falls_back_to_a_supported_language(engine: FakeEngine) -> None:
    # "Sube el gas." scores higher as Venetian than Spanish, but not confidently.
    assert engine.choose_language("Sube el gas.").language == "es"


def test_spanish_news_corpus_is_never_rejected() -> None:
    from tests.support import ROOT

    lines = [line for line in (ROOT / "data" / "corpus_es.txt").read_text(encoding="utf-8").splitlines() if line]
    engine = TranslationEngine(EngineConfig(models={"es": "m"}))
    assert [line for line in lines if engine.choose_language(line).language != "es"] == []


async def test_models_load_lazily_and_at_most_the_limit_stay_loaded(engine: FakeEngine) -> None:
    assert engine.built == ["es-model"]  # the default, at start
    french = await engine.translate_texts(["Bonjour."], language="fr")
    assert french == ["<Bonjour.>"] and engine.built == ["es-model", "fr-model"]
    await engine.translate_texts(["안녕."], language="ko")
    # The default stays; the least recently used other model made room.
    assert [b.model_name for b in engine.loaded_models()] == ["es-model", "ko-model"]
    await engine.translate_texts(["Salut."], language="fr")
    assert engine.built == ["es-model", "fr-model", "ko-model", "fr-model"]


async def test_cache_is_shared_and_keyed_by_model(engine: FakeEngine) -> None:
    await engine.translate_texts(["Hola."], language="es")
    await engine.translate_articles([ArticleText("Hola.", "")], language="es")
    await engine.translate_texts(["Hola."], language="fr")  # same text, other model: a miss
    assert (engine.stats.hits, engine.stats.misses) == (1, 2)


async def test_unknown_language_has_no_batcher(engine: FakeEngine) -> None:
    with pytest.raises(UnsupportedLanguageError):
        await engine.batcher_for("de")


def test_default_language_needs_a_model() -> None:
    with pytest.raises(ValueError, match="default language 'es'"):
        TranslationEngine(EngineConfig(models={"fr": "m"}))


@pytest.mark.parametrize(
    ("threads", "replicas", "expected"),
    [(1, 0, 8), (2, 0, 4), (0, 0, 1), (3, 0, 2), (1, 3, 3), (16, 0, 1)],
)
def test_cpu_replicas_default_to_one_call_per_threads_cores(
    monkeypatch: pytest.MonkeyPatch, threads: int, replicas: int, expected: int
) -> None:
    monkeypatch.setattr(os, "cpu_count", lambda: 8)
    config = EngineConfig(models={"es": "m"}, threads=threads, replicas=replicas)
    assert cpu_replicas(config) == expected


async def test_the_engine_serves_a_cpu_model_with_every_replica_and_a_gpu_model_with_one() -> None:
    config = EngineConfig(models={"es": "es-model", "fr": "fr-model"}, replicas=3)
    engine = FakeEngine(config)
    engine.built = []
    try:
        cpu = engine.install("es-model", TaggingBackend(name="es-model"))
        gpu_backend = TaggingBackend(name="fr-model")
        gpu_backend.device = "cuda"
        gpu = engine.install("fr-model", gpu_backend)
        assert (cpu.replicas, gpu.replicas) == (3, 1)
    finally:
        await engine.aclose()
