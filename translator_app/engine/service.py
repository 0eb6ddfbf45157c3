"""The translation engine: model registry, language routing, one batcher per model.

The stream agents and the HTTP views both call this object, so their segments
meet in the same batchers and the same cache. It owns the inference threads:
``replicas`` model calls at once, each on ``threads`` intra-op threads, so the
event loop stays free for heartbeats, commits and web requests. On CPU the
default is one replica per core with one thread each: on the 2-core Xeon that
runs the benchmarks, two single-threaded CTranslate2 calls translate 1.8x the
sentences per second of one call on two threads (torch: 1.36x), and a call of
four titles takes 0.27 s on one thread against 0.63 s on two
(``make bench-engine``, BENCHMARKS.md). A GPU gets one replica: it
parallelises inside the call.
"""

from __future__ import annotations

import asyncio
import logging
import os
from collections import OrderedDict
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

from .articles import ArticleText, ArticleTranslation, translate_articles
from .backend import Backend, TransformersBackend
from .batcher import BatchInfo, MicroBatcher
from .cache import CacheStats, SegmentStore
from .language import Detection, LanguageDetector
from .loading import load_marian

__all__ = ("EngineConfig", "TranslationEngine", "UnsupportedLanguageError", "cpu_replicas")

logger = logging.getLogger(__name__)


class UnsupportedLanguageError(ValueError):
    """The text is (confidently) in a language no configured model translates."""

    def __init__(self, language: str, confidence: float, supported: Sequence[str]) -> None:
        super().__init__(
            f"language {language!r} (confidence {confidence:.2f}) is not supported; supported: {', '.join(supported)}"
        )
        self.language = language
        self.confidence = confidence


@dataclass(frozen=True, slots=True)
class EngineConfig:
    """Everything the engine needs; built from the app settings by the caller.

    ``models`` maps a source language (ISO 639-1) to a model id or directory;
    ``default_language`` must be one of its keys. ``threads`` is each model
    call's intra-op threads (0 = every core); ``replicas`` is how many calls
    run at once on CPU (0 = one per ``threads`` cores).
    ``fixed_output_ratio`` is for benchmarks with random-weight models only.
    """

    models: Mapping[str, str]
    default_language: str = "es"
    target_language: str = "en"
    backend: str = "transformers"
    device: str = "auto"
    ct2_precision: str = "int8"
    ct2_cache_dir: Path = Path(".cache/ct2")
    num_beams: int | None = None
    max_new_tokens: int = 256
    max_batch: int = 32
    max_wait_s: float = 0.01
    max_batch_tokens: int = 8192
    max_pending_segments: int = 4096
    threads: int = 1
    replicas: int = 0
    max_loaded_models: int = 2
    detect_language: bool = True
    min_language_confidence: float = 0.9
    fixed_output_ratio: float | None = None


def cpu_replicas(config: EngineConfig) -> int:
    """Concurrent model calls on CPU: ``config.replicas``, or as many as the cores hold at ``threads`` each."""
    if config.replicas:
        return config.replicas
    cores = os.cpu_count() or 1
    return max(1, cores // (config.threads or cores))


class TranslationEngine:
    """Route texts to models, coalesce them into batches, and cache segments.

    Args:
        config: Models and batching knobs.
        store: Segment cache shared by all models (keys include the model).
        on_batch: Called after every model call, with the model's id.
        on_load: Called with each backend once it is loaded.
    """

    def __init__(
        self,
        config: EngineConfig,
        *,
        store: SegmentStore | None = None,
        on_batch: Callable[[str, BatchInfo], None] | None = None,
        on_load: Callable[[Backend], None] | None = None,
    ) -> None:
        if config.default_language not in config.models:
            raise ValueError(f"no model configured for the default language {config.default_language!r}")
        self.config = config
        self.stats = CacheStats()
        self.detector = LanguageDetector()
        self._store = store
        self._on_batch = on_batch
        self._on_load = on_load
        self._executor = ThreadPoolExecutor(max_workers=cpu_replicas(config), thread_name_prefix="inference")
        self._batchers: OrderedDict[str, MicroBatcher] = OrderedDict()
        self._loading: dict[str, asyncio.Future[Backend]] = {}

    @property
    def languages(self) -> list[str]:
        """Source languages with a configured model."""
        return sorted(self.config.models)

    @property
    def ready(self) -> bool:
        """True once the default language's model is loaded."""
        return self.config.models[self.config.default_language] in self._batchers

    def loaded_models(self) -> list[Backend]:
        """Backends loaded now, least recently used first."""
        return [b.backend for b in self._batchers.values()]

    def unk_rate(self, text: str, *, language: str) -> float:
        """Unknown-token share of ``text`` for ``language``'s model; NaN when it is not loaded."""
        batcher = self._batchers.get(self.config.models.get(language, ""))
        return batcher.backend.unk_rate(text) if batcher is not None else float("nan")

    def queue_depth(self) -> int:
        """Segments waiting in every batcher."""
        return sum(b.queue_depth for b in self._batchers.values())

    def _build_backend(self, model: str) -> Backend:
        cfg = self.config
        if cfg.backend == "ctranslate2":
            from .ct2_backend import CTranslate2Backend, load_ctranslate2

            translator, tokenizer, default_beams = load_ctranslate2(
                model,
                device=cfg.device,
                precision=cfg.ct2_precision,
                threads=cfg.threads,
                replicas=cpu_replicas(cfg),
                cache_dir=cfg.ct2_cache_dir,
            )
            return CTranslate2Backend(
                name=model,
                translator=translator,
                tokenizer=tokenizer,
                precision=cfg.ct2_precision,
                device=str(translator.device),
                num_beams=cfg.num_beams or default_beams,
                max_new_tokens=cfg.max_new_tokens,
                max_batch=cfg.max_batch,
                fixed_output_ratio=cfg.fixed_output_ratio,
            )
        if cfg.backend != "transformers":
            raise ValueError(f"unknown backend {cfg.backend!r}; use transformers or ctranslate2")
        import torch

        if cfg.threads:
            torch.set_num_threads(cfg.threads)
        return TransformersBackend(
            load_marian(model, device=cfg.device),
            num_beams=cfg.num_beams,
            max_new_tokens=cfg.max_new_tokens,
            max_batch=cfg.max_batch,
            fixed_output_ratio=cfg.fixed_output_ratio,
        )

    def install(self, model: str, backend: Backend) -> MicroBatcher:
        """Serve ``model`` with an already-built backend (benchmarks and tests reuse loaded models)."""
        cfg = self.config
        hook = self._on_batch
        replicas = cpu_replicas(cfg) if backend.device == "cpu" else 1
        batcher = MicroBatcher(
            backend,
            executor=self._executor,
            max_batch=cfg.max_batch,
            max_wait_s=cfg.max_wait_s,
            max_tokens=cfg.max_batch_tokens,
            max_pending=cfg.max_pending_segments,
            store=self._store,
            stats=self.stats,
            on_batch=(lambda info: hook(model, info)) if hook is not None else None,
            replicas=replicas,
        )
        self._batchers[model] = batcher
        if self._on_load is not None:
            self._on_load(backend)
        return batcher

    def load(self) -> None:
        """Load the default model and the language detector now, blocking.

        For a worker's start, before the event loop serves anything.

        Raises:
            ModelUnavailableError: when the default model cannot be loaded.
        """
        model = self.config.models[self.config.default_language]
        if model not in self._batchers:
            self.install(model, self._build_backend(model))
        if self.config.detect_language and len(self.config.models) > 1:
            self.detector.load()

    async def batcher_for(self, language: str) -> MicroBatcher:
        """Return the batcher of ``language``'s model, loading it (lazily) if needed.

        Raises:
            UnsupportedLanguageError: when no model is configured for ``language``.
            ModelUnavailableError: when the model cannot be loaded.
        """
        model = self.config.models.get(language)
        if model is None:
            raise UnsupportedLanguageError(language, 1.0, self.languages)
        batcher = self._batchers.get(model)
        if batcher is not None:
            self._batchers.move_to_end(model)
            return batcher
        loading = self._loading.get(model)
        if loading is None:
            logger.info("loading model %s for %s on first use", model, language)
            loading = asyncio.get_running_loop().run_in_executor(self._executor, self._build_backend, model)
            self._loading[model] = loading
        try:
            backend = await asyncio.shield(loading)
        finally:
            self._loading.pop(model, None)
        if model not in self._batchers:
            await self._evict_for_one_more()
            self.install(model, backend)
        return self._batchers[model]

    async def _evict_for_one_more(self) -> None:
        """Unload idle models, least recently used first, to stay within ``max_loaded_models``."""
        default = self.config.models[self.config.default_language]
        for model in list(self._batchers):
            if len(self._batchers) < self.config.max_loaded_models:
                return
            batcher = self._batchers[model]
            if model == default or not batcher.idle:
                continue
            del self._batchers[model]
            await batcher.aclose()
            logger.info("unloaded model %s (limit %d loaded)", model, self.config.max_loaded_models)
        if len(self._batchers) >= self.config.max_loaded_models:
            logger.warning("every loaded model is busy; loading one more than the limit of %d", len(self._batchers))

    def choose_language(self, text: str, *, declared: str = "") -> Detection:
        """Pick the source language of ``text``.

        A declared language (e.g. the feed's ``language`` field) wins. Otherwise
        the detector's most likely supported language is used, unless it is
        confident (``min_language_confidence``) that the text is in another one.
        Spanish dialect labels such as Extremaduran make a low bar reject real
        Spanish news; 0.9 rejected none of ``data/corpus_es.txt``.

        Raises:
            UnsupportedLanguageError: for a declared or confidently detected unsupported language.
        """
        cfg = self.config
        if declared:
            language = declared.strip().lower().replace("_", "-").split("-")[0]
            if language not in cfg.models:
                raise UnsupportedLanguageError(language, 1.0, self.languages)
            return Detection(language=language, confidence=1.0)
        if not cfg.detect_language:
            return Detection(language=cfg.default_language, confidence=1.0)
        ranking = self.detector.ranking(text)
        top = ranking[0]
        if top.language in cfg.models:
            return top
        if top.confidence >= cfg.min_language_confidence:
            raise UnsupportedLanguageError(top.language, top.confidence, self.languages)
        supported = [d for d in ranking if d.language in cfg.models]
        best = max(supported, key=lambda d: d.confidence, default=None)
        return best or Detection(language=cfg.default_language, confidence=0.0)

    async def translate_articles(
        self, articles: Sequence[ArticleText], *, language: str, origin: str = "stream"
    ) -> list[ArticleTranslation | BaseException]:
        """Translate articles already known to be in ``language``, one result or error each."""
        batcher = await self.batcher_for(language)
        return await translate_articles(articles, batcher=batcher, origin=origin)

    async def translate_texts(self, texts: Sequence[str], *, language: str, origin: str = "api") -> list[str]:
        """Translate free texts (split into sentences as needed), in order.

        Raises:
            Exception: the first failure of any text.
        """
        outcomes = await self.translate_articles(
            [ArticleText(title=t, summary="") for t in texts], language=language, origin=origin
        )
        results: list[str] = []
        for outcome in outcomes:
            if isinstance(outcome, BaseException):
                raise outcome
            results.append(outcome.article.title)
        return results

    async def aclose(self) -> None:
        """Stop every batcher and the inference threads."""
        for batcher in self._batchers.values():
            await batcher.aclose()
        self._batchers.clear()
        self._executor.shutdown(wait=True, cancel_futures=True)
