"""Run the blocking model off the event loop, one batch at a time, in its own thread."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor

from .articles import ArticleText, BatchResult, translate_articles
from .backend import TransformersBackend
from .loading import load_marian

__all__ = ("ModelRunner",)

logger = logging.getLogger(__name__)


class ModelRunner:
    """Owns the model and the single inference thread.

    One thread, because torch already spreads a ``generate`` call over all
    intra-op threads; two concurrent calls would only contend for the same cores.
    The event loop stays free for heartbeats, commits and web requests.

    Args:
        model: Hub id or local directory.
        device: ``auto``, ``cpu`` or ``cuda``.
        num_beams: ``None`` follows the model's generation config.
        max_new_tokens: Cap on generated tokens per segment.
        max_batch: Segments per ``generate`` call.
        torch_threads: Intra-op threads; 0 keeps torch's default (all cores).
    """

    def __init__(
        self,
        *,
        model: str,
        device: str = "auto",
        num_beams: int | None = None,
        max_new_tokens: int = 256,
        max_batch: int = 32,
        torch_threads: int = 0,
    ) -> None:
        self.model = model
        self.device = device
        self.num_beams = num_beams
        self.max_new_tokens = max_new_tokens
        self.max_batch = max_batch
        self.torch_threads = torch_threads
        self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="inference")
        self._backend: TransformersBackend | None = None
        self._loading: asyncio.Future[TransformersBackend] | None = None

    @property
    def ready(self) -> bool:
        """True once the model is loaded."""
        return self._backend is not None

    def _load(self) -> TransformersBackend:
        import torch

        if self.torch_threads:
            torch.set_num_threads(self.torch_threads)
        loaded = load_marian(self.model, device=self.device)
        return TransformersBackend(
            loaded, num_beams=self.num_beams, max_new_tokens=self.max_new_tokens, max_batch=self.max_batch
        )

    def load(self) -> TransformersBackend:
        """Load the model now, blocking; for use before the event loop runs.

        Raises:
            ModelUnavailableError: when the model cannot be loaded.
        """
        if self._backend is None:
            self._backend = self._load()
        return self._backend

    async def start(self) -> TransformersBackend:
        """Load the model in the inference thread (once; concurrent callers share it).

        Raises:
            ModelUnavailableError: when the model cannot be loaded.
        """
        if self._backend is not None:
            return self._backend
        if self._loading is None:
            self._loading = asyncio.get_running_loop().run_in_executor(self._executor, self._load)
        try:
            self._backend = await asyncio.shield(self._loading)
        except BaseException:
            self._loading = None
            raise
        return self._backend

    async def translate_articles(self, articles: Sequence[ArticleText]) -> BatchResult:
        """Translate a batch of articles in the inference thread."""
        backend = await self.start()
        return await asyncio.get_running_loop().run_in_executor(
            self._executor,
            lambda: translate_articles(
                articles,
                translate=backend.translate,
                count_tokens=backend.count_tokens,
                limit=backend.max_source_tokens,
            ),
        )

    def close(self) -> None:
        """Stop the inference thread after the batch in flight."""
        self._executor.shutdown(wait=True, cancel_futures=True)
