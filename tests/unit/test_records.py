"""Output records are plain JSON with the documented fields, and enrichment adds timing."""

from __future__ import annotations

import json

from translator_app.agents import finalize_record
from translator_app.records import FinalTranslation, Original, Timings, TranslatedArticle


def translated() -> TranslatedArticle:
    return TranslatedArticle(
        id="a1",
        title="The title",
        summary="The summary",
        original=Original(title="El título", summary="El resumen"),
        link="https://ex.org/1",
        published="2024-12-13",
        source="Noticias",
        source_lang="es",
        target_lang="en",
        model="Helsinki-NLP/opus-mt-es-en",
        ingested_at=100.0,
        translated_at=100.4,
        timings=Timings(queued_ms=50.0, model_ms=300.0, batch_size=8),
    )


def test_final_record_adds_publication_time_and_end_to_end_latency() -> None:
    final = finalize_record(translated(), now=100.75)
    assert isinstance(final, FinalTranslation)
    assert final.published_at == 100.75
    assert final.timings.end_to_end_ms == 750.0
    assert (final.timings.queued_ms, final.timings.model_ms, final.timings.batch_size) == (50.0, 300.0, 8)
    assert (final.title, final.original.title, final.model) == ("The title", "El título", "Helsinki-NLP/opus-mt-es-en")


def test_final_record_json_has_the_documented_fields_and_no_faust_metadata() -> None:
    body = json.loads(finalize_record(translated(), now=101.0).dumps())
    required = {
        "id",
        "link",
        "published",
        "title",
        "summary",
        "original",
        "source_lang",
        "target_lang",
        "model",
        "timings",
    }
    assert required <= body.keys()
    assert body["original"] == {"title": "El título", "summary": "El resumen"}
    assert "__faust" not in body and "__faust" not in body["original"]


def test_record_json_round_trips_non_ascii_text() -> None:
    record = translated()
    again = TranslatedArticle.loads(record.dumps())
    assert again.original.title == "El título"
    assert again == record
