"""The worker's one translation engine, shared by the stream agents and the HTTP views."""

from __future__ import annotations

from .app import settings
from .engine import EngineConfig, TranslationEngine
from .metrics import observe_model, register_cache_stats
from .reporting import on_batch
from .segment_cache import TableSegmentStore
from .tables import segment_cache_table

__all__ = ("engine",)

engine = TranslationEngine(
    EngineConfig(
        models=settings.model_registry(),
        default_language=settings.source_lang,
        target_language=settings.target_lang,
        backend=settings.backend,
        device=settings.device,
        ct2_precision=settings.ct2_precision,
        ct2_cache_dir=settings.ct2_cache_dir,
        num_beams=settings.num_beams,
        max_new_tokens=settings.max_new_tokens,
        max_batch=settings.max_batch,
        max_wait_s=settings.batch_max_wait_ms / 1000,
        max_batch_tokens=settings.max_batch_tokens,
        max_pending_segments=settings.max_pending_segments,
        threads=settings.inference_threads,
        replicas=settings.inference_replicas,
        max_loaded_models=settings.max_loaded_models,
        detect_language=settings.detect_language,
        min_language_confidence=settings.min_language_confidence,
        fixed_output_ratio=settings.benchmark_output_ratio,
    ),
    store=TableSegmentStore(segment_cache_table, slots=settings.cache_slots),
    on_batch=on_batch,
    on_load=observe_model,
)
register_cache_stats(engine.stats, engine.queue_depth)
