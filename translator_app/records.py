"""The records that flow through the pipeline's topics, as JSON without Faust metadata."""

from __future__ import annotations

import faust

__all__ = (
    "Article",
    "CachedSegment",
    "DeadLetter",
    "FinalTranslation",
    "Original",
    "Timings",
    "TranslatedArticle",
)


class _JsonRecord(faust.Record, serializer="json", include_metadata=False):
    """Base for records other teams consume: plain JSON, no ``__faust`` key."""


class Article(_JsonRecord):
    """A validated, cleaned input article (``processed_news_spanish``)."""

    id: str
    title: str
    summary: str
    link: str = ""
    published: str = ""
    source: str = ""
    # The feed's declared language (ISO 639-1, e.g. "es"); empty means "detect it".
    language: str = ""


class Original(_JsonRecord):
    """The source-language text an output record was translated from."""

    title: str
    summary: str


class Timings(_JsonRecord):
    """Where an article's time went, in milliseconds.

    ``queued_ms``: ingestion (the input message's timestamp) to batch start.
    ``model_ms``: inference time of the batch the article was translated in.
    ``end_to_end_ms``: ingestion to publication on ``final_translations``.
    ``segments`` / ``cached_segments``: sentences translated, and how many the cache answered.
    """

    queued_ms: float
    model_ms: float
    batch_size: int
    end_to_end_ms: float | None = None
    segments: int = 0
    cached_segments: int = 0


class TranslatedArticle(_JsonRecord):
    """Model output for one article (``translated_news_spanish_to_english``)."""

    id: str
    title: str
    summary: str
    original: Original
    link: str
    published: str
    source: str
    source_lang: str
    target_lang: str
    model: str
    ingested_at: float
    translated_at: float
    timings: Timings
    # How sure language identification was of ``source_lang`` (1.0 when declared).
    language_confidence: float = 1.0


class FinalTranslation(TranslatedArticle):
    """An enriched translation, ready to serve (``final_translations``)."""

    published_at: float


class DeadLetter(_JsonRecord):
    """A message that could not be translated (``translation_errors``).

    ``payload`` holds the raw bytes as text, or base64 when they are not UTF-8
    (``payload_encoding`` says which); payloads over the dead-letter limit are
    cut and flagged, with ``payload_bytes`` and ``payload_sha256`` of the whole.
    """

    reason: str
    detail: str
    payload: str
    payload_encoding: str
    payload_bytes: int
    payload_sha256: str
    payload_truncated: bool
    topic: str
    partition: int
    offset: int
    key: str | None
    failed_at: float


class CachedSegment(_JsonRecord):
    """One entry of the segment cache table: the full cache key and its translation."""

    key: str
    translation: str
