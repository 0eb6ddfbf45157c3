"""The transformers (torch) backend: a list of segments in, their translations out."""

from __future__ import annotations

import logging
from collections.abc import Sequence

from .loading import LoadedModel

__all__ = ("TransformersBackend",)

logger = logging.getLogger(__name__)


class TransformersBackend:
    """Greedy or beam-search generation with a MarianMT model.

    Blocking and CPU-heavy: call it from a worker thread, never the event loop.

    Args:
        loaded: The model and tokenizer.
        num_beams: Beam width; ``None`` follows the model's generation config.
        max_new_tokens: Upper bound on generated tokens per segment.
        max_batch: Segments per ``generate`` call.
    """

    def __init__(self, loaded: LoadedModel, *, num_beams: int | None, max_new_tokens: int, max_batch: int) -> None:
        self.loaded = loaded
        self.num_beams = num_beams or int(getattr(loaded.model.generation_config, "num_beams", 1) or 1)
        self.max_new_tokens = max_new_tokens
        self.max_batch = max_batch
        # Leave room for </s>; opus-mt models are trained on 512 positions.
        self.max_source_tokens = min(int(loaded.tokenizer.model_max_length), 512) - 1

    @property
    def model_name(self) -> str:
        """The model id or directory this backend was loaded from."""
        return self.loaded.name

    def count_tokens(self, texts: Sequence[str]) -> list[int]:
        """Return each text's source length in tokens, without special tokens."""
        if not texts:
            return []
        encoded = self.loaded.tokenizer(list(texts), add_special_tokens=False)["input_ids"]
        return [len(ids) for ids in encoded]

    def translate(self, texts: Sequence[str]) -> list[str]:
        """Translate ``texts`` and return the results in the same order.

        Inputs are sorted by length before batching, to cut padding, and put back
        in order afterwards. Empty strings translate to empty strings.

        Raises:
            ValueError: if a text is longer than the model's source limit; split it first.
        """
        import torch

        lengths = self.count_tokens(texts)
        too_long = [n for n in lengths if n > self.max_source_tokens]
        if too_long:
            raise ValueError(f"segment of {max(too_long)} tokens exceeds the model limit of {self.max_source_tokens}")
        results = [""] * len(texts)
        order = sorted((i for i, text in enumerate(texts) if text.strip()), key=lambda i: lengths[i])
        tokenizer, model = self.loaded.tokenizer, self.loaded.model
        for start in range(0, len(order), self.max_batch):
            chunk = order[start : start + self.max_batch]
            batch = tokenizer([texts[i] for i in chunk], return_tensors="pt", padding=True).to(self.loaded.device)
            # Enough room for any real translation, without letting a model that
            # never emits </s> run to the 512-token cap on every call.
            budget = min(self.max_new_tokens, 2 * max(lengths[i] for i in chunk) + 16)
            with torch.inference_mode():
                generated = model.generate(**batch, num_beams=self.num_beams, max_new_tokens=budget)
            decoded = tokenizer.batch_decode(generated, skip_special_tokens=True)
            if len(decoded) != len(chunk):
                raise RuntimeError(f"model returned {len(decoded)} outputs for {len(chunk)} inputs")
            for i, text in zip(chunk, decoded, strict=True):
                results[i] = text
        return results
