"""Translation engine: models, language routing, batching, cache. Knows nothing of Kafka or HTTP."""

from __future__ import annotations

from .articles import ArticleText, ArticleTranslation, translate_articles
from .backend import Backend, TransformersBackend
from .batcher import BatchInfo, MicroBatcher, SegmentResult
from .cache import CacheStats, LruSegmentCache, SegmentStore, cache_key
from .language import Detection, LanguageDetector
from .loading import LoadedModel, ModelUnavailableError, load_marian
from .segmentation import Segment, join_segments, split_text
from .service import EngineConfig, TranslationEngine, UnsupportedLanguageError

__all__ = (
    "ArticleText",
    "ArticleTranslation",
    "Backend",
    "BatchInfo",
    "CacheStats",
    "Detection",
    "EngineConfig",
    "LanguageDetector",
    "LoadedModel",
    "LruSegmentCache",
    "MicroBatcher",
    "ModelUnavailableError",
    "Segment",
    "SegmentResult",
    "SegmentStore",
    "TransformersBackend",
    "TranslationEngine",
    "UnsupportedLanguageError",
    "cache_key",
    "join_segments",
    "load_marian",
    "split_text",
    "translate_articles",
)
