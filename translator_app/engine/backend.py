"""The backend contract and the transformers (torch) backend.

Every backend takes a list of segments and returns their translations in the
same order; the shared part (length checks, sorting to cut padding, chunking,
putting results back in order) lives in :class:`MarianBackend`, so the backends
differ only in how one sorted chunk is generated.
"""

from __future__ import annotations

import logging
import threading
from abc import ABC, abstractmethod
from collections.abc import Sequence
from typing import Any, Protocol

from .loading import LoadedModel

__all__ = ("Backend", "MarianBackend", "TransformersBackend")

logger = logging.getLogger(__name__)


class Backend(Protocol):
    """What the batcher needs from a model. Blocking: call from a worker thread."""

    model_name: str
    backend_name: str
    precision: str
    device: str
    num_beams: int
    max_source_tokens: int
    max_segment_tokens: int

    @property
    def generation_key(self) -> str:
        """Everything besides the model and the text that changes an output (cache key part)."""
        ...

    def count_tokens(self, texts: Sequence[str]) -> list[int]:
        """Return each text's source length in tokens, without special tokens."""
        ...

    def unk_rate(self, text: str) -> float:
        """The share of ``text``'s source tokens that are the unknown token."""
        ...

    def translate(self, texts: Sequence[str]) -> list[str]:
        """Translate ``texts``; same length, same order."""
        ...


class MarianBackend(ABC):
    """Shared batching logic over a Marian tokenizer.

    Args:
        name: The model id or directory.
        tokenizer: The model's ``MarianTokenizer``.
        num_beams: Beam width (1 = greedy).
        max_new_tokens: Upper bound on generated tokens per segment.
        max_batch: Segments per generation call.
    """

    backend_name = "abstract"

    def __init__(
        self,
        *,
        name: str,
        tokenizer: Any,
        num_beams: int,
        max_new_tokens: int,
        max_batch: int,
        fixed_output_ratio: float | None = None,
    ) -> None:
        self.model_name = name
        self.tokenizer = tokenizer
        self.num_beams = num_beams
        self.max_new_tokens = max_new_tokens
        self.max_batch = max_batch
        # Leave room for </s>; opus-mt models are trained on 512 positions.
        self.max_source_tokens = min(int(tokenizer.model_max_length), 512) - 1
        # Longer segments are split before they reach the model, so that the
        # output budget (``budget``) can never cut a translation short.
        self.max_segment_tokens = max(1, min(self.max_source_tokens, (max_new_tokens - 16) // 2))
        self.precision = "fp32"
        self.device = "cpu"
        # Benchmarks only: random-weight models never emit </s>, so pin every
        # output to ratio x the longest source and every backend does equal work.
        self.fixed_output_ratio = fixed_output_ratio
        self.generated_tokens = 0
        self._count_lock = threading.Lock()  # replicas finish calls concurrently

    @property
    def generation_key(self) -> str:
        """Backend, precision, beams and token budget: what makes outputs differ."""
        return f"{self.backend_name}/{self.precision}/beams={self.num_beams}/max_new={self.max_new_tokens}"

    def add_generated(self, tokens: int) -> None:
        """Add to ``generated_tokens``; safe from concurrent model calls."""
        with self._count_lock:
            self.generated_tokens += tokens

    def count_tokens(self, texts: Sequence[str]) -> list[int]:
        """Return each text's source length in tokens, without special tokens."""
        if not texts:
            return []
        # verbose=False: over-long texts are expected here (they get split), not worth a warning.
        encoded = self.tokenizer(list(texts), add_special_tokens=False, verbose=False)["input_ids"]
        return [len(ids) for ids in encoded]

    def unk_rate(self, text: str) -> float:
        """The share of ``text``'s source tokens that are the unknown token (0 for empty text)."""
        ids = self.tokenizer(text, add_special_tokens=False, verbose=False)["input_ids"]
        unk = self.tokenizer.unk_token_id
        return sum(1 for i in ids if i == unk) / len(ids) if ids else 0.0

    def budget(self, longest: int) -> int:
        """New-token budget for a chunk whose longest source has ``longest`` tokens.

        Enough room for any real translation, without letting a model that never
        emits </s> run to the 512-token cap on every call.
        """
        if self.fixed_output_ratio is not None:
            return max(1, round(longest * self.fixed_output_ratio))
        return min(self.max_new_tokens, 2 * longest + 16)

    def translate(self, texts: Sequence[str]) -> list[str]:
        """Translate ``texts`` and return the results in the same order.

        Inputs are sorted by length before batching, to cut padding, and put back
        in order afterwards. Empty strings translate to empty strings.

        Raises:
            ValueError: if a text is longer than the model's source limit; split it first.
        """
        lengths = self.count_tokens(texts)
        too_long = [n for n in lengths if n > self.max_segment_tokens]
        if too_long:
            raise ValueError(f"segment of {max(too_long)} tokens exceeds the limit of {self.max_segment_tokens}")
        results = [""] * len(texts)
        order = sorted((i for i, text in enumerate(texts) if text.strip()), key=lambda i: lengths[i])
        for start in range(0, len(order), self.max_batch):
            chunk = order[start : start + self.max_batch]
            decoded = self.generate([texts[i] for i in chunk], budget=self.budget(max(lengths[i] for i in chunk)))
            if len(decoded) != len(chunk):
                raise RuntimeError(f"model returned {len(decoded)} outputs for {len(chunk)} inputs")
            for i, text in zip(chunk, decoded, strict=True):
                results[i] = text
        return results

    @abstractmethod
    def generate(self, texts: list[str], *, budget: int) -> list[str]:
        """Translate one chunk of similar-length, non-empty texts.

        Generate at most ``budget`` new tokens (exactly, with ``fixed_output_ratio``)
        and add the tokens generated to ``generated_tokens``.
        """


class TransformersBackend(MarianBackend):
    """Generation with a MarianMT model in torch: fp32 on CPU, fp16 on CUDA.

    Args:
        loaded: The model and tokenizer.
        num_beams: Beam width; ``None`` follows the model's generation config.
        max_new_tokens: Upper bound on generated tokens per segment.
        max_batch: Segments per ``generate`` call.
    """

    backend_name = "transformers"

    def __init__(
        self,
        loaded: LoadedModel,
        *,
        num_beams: int | None,
        max_new_tokens: int,
        max_batch: int,
        fixed_output_ratio: float | None = None,
    ) -> None:
        default_beams = int(getattr(loaded.model.generation_config, "num_beams", 1) or 1)
        super().__init__(
            name=loaded.name,
            tokenizer=loaded.tokenizer,
            num_beams=num_beams or default_beams,
            max_new_tokens=max_new_tokens,
            max_batch=max_batch,
            fixed_output_ratio=fixed_output_ratio,
        )
        self.loaded = loaded
        self.device = loaded.device
        self.precision = "fp16" if loaded.device == "cuda" else "fp32"

    def generate(self, texts: list[str], *, budget: int) -> list[str]:
        """Run ``model.generate`` on one chunk."""
        import torch

        batch = self.tokenizer(texts, return_tensors="pt", padding=True).to(self.loaded.device)
        exact = budget if self.fixed_output_ratio is not None else 0
        with torch.inference_mode():
            generated = self.loaded.model.generate(
                **batch, num_beams=self.num_beams, max_new_tokens=budget, min_new_tokens=exact
            )
        # Marian starts decoding from <pad>, so counting non-pad ids skips both
        # the start token and the padding after an early </s>.
        self.add_generated(int((generated != self.tokenizer.pad_token_id).sum()))
        return list(self.tokenizer.batch_decode(generated, skip_special_tokens=True))
