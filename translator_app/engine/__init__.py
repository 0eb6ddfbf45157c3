"""Translation engine: model loading, segmentation, batching. Knows nothing of Kafka or HTTP."""

from __future__ import annotations

from .articles import ArticleText, BatchResult, translate_articles
from .loading import LoadedModel, ModelUnavailableError, load_marian
from .runner import ModelRunner
from .segmentation import Segment, join_segments, split_text

__all__ = (
    "ArticleText",
    "BatchResult",
    "LoadedModel",
    "ModelRunner",
    "ModelUnavailableError",
    "Segment",
    "join_segments",
    "load_marian",
    "split_text",
    "translate_articles",
)
