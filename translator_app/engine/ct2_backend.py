"""The CTranslate2 backend: the same Marian model, converted once, run int8 on CPU.

The conversion uses CTranslate2's own ``TransformersConverter`` and is cached
next to the model: ``<dir>-ct2-<precision>`` beside a local model directory, or
``<cache_dir>/<org>--<name>-ct2-<precision>`` for a Hub id. A half-written
conversion never looks finished: it is written to a temporary directory and
renamed into place.
"""

from __future__ import annotations

import logging
import os
import shutil
import tempfile
from pathlib import Path
from typing import Any

from .backend import MarianBackend
from .loading import ModelUnavailableError, model_source, unavailable

__all__ = ("CTranslate2Backend", "converted_dir", "ensure_converted", "load_ctranslate2")

logger = logging.getLogger(__name__)

_DONE_MARKER = "model.bin"


def converted_dir(name_or_dir: str, *, precision: str, cache_dir: Path) -> Path:
    """Where the converted copy of a model lives."""
    local = Path(name_or_dir).expanduser()
    if local.is_dir():
        return local.resolve().with_name(f"{local.resolve().name}-ct2-{precision}")
    return cache_dir / f"{name_or_dir.replace('/', '--')}-ct2-{precision}"


def ensure_converted(name_or_dir: str, *, precision: str, cache_dir: Path) -> Path:
    """Convert the model with CTranslate2's converter unless a finished copy exists.

    Raises:
        ModelUnavailableError: when the source model cannot be read or converted.
    """
    target = converted_dir(name_or_dir, precision=precision, cache_dir=cache_dir)
    if (target / _DONE_MARKER).is_file():
        return target
    from ctranslate2.converters import TransformersConverter

    logger.warning(
        "converting %s to CTranslate2 (%s) in %s; this happens once per model and takes about a minute",
        name_or_dir,
        precision,
        target,
    )
    target.parent.mkdir(parents=True, exist_ok=True)
    scratch = Path(tempfile.mkdtemp(prefix=f".{target.name}.", dir=target.parent))
    try:
        converter = TransformersConverter(model_source(name_or_dir))
        converter.convert(str(scratch / "model"), quantization=precision, force=True)
        os.replace(scratch / "model", target)
    except Exception as exc:
        raise unavailable(name_or_dir, exc) from exc
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    logger.warning("converted %s to %s", name_or_dir, target)
    return target


def load_ctranslate2(
    name_or_dir: str,
    *,
    device: str,
    precision: str,
    threads: int,
    replicas: int = 1,
    cache_dir: Path,
) -> tuple[Any, Any, int]:
    """Return ``(translator, tokenizer, default_beams)`` for a Marian model.

    Raises:
        ModelUnavailableError: when the model is missing or cannot be converted.
    """
    import ctranslate2
    from transformers import GenerationConfig, MarianTokenizer

    source = model_source(name_or_dir)
    try:
        tokenizer = MarianTokenizer.from_pretrained(source)
    except Exception as exc:
        raise unavailable(name_or_dir, exc) from exc
    try:
        default_beams = int(GenerationConfig.from_pretrained(source).num_beams or 1)
    except OSError:  # a model saved without generation_config.json
        default_beams = 1
    path = ensure_converted(name_or_dir, precision=precision, cache_dir=cache_dir)
    if device == "auto":
        device = "cuda" if ctranslate2.get_cuda_device_count() > 0 else "cpu"
    try:
        translator = ctranslate2.Translator(
            str(path),
            device=device,
            compute_type=precision,
            # ``replicas`` batches at once on CPU, sharing one copy of the
            # weights; a GPU parallelises inside one batch.
            inter_threads=replicas if device == "cpu" else 1,
            intra_threads=threads or (os.cpu_count() or 1),
        )
    except (RuntimeError, ValueError) as exc:
        raise ModelUnavailableError(f"CTranslate2 cannot load {path}: {exc}") from exc
    logger.info("loaded CTranslate2 model %s (%s) on %s", name_or_dir, precision, device)
    return translator, tokenizer, default_beams


class CTranslate2Backend(MarianBackend):
    """Greedy or beam search with a CTranslate2 ``Translator``.

    Args:
        name: The model id or directory it was converted from.
        translator: A ``ctranslate2.Translator``.
        tokenizer: The original model's ``MarianTokenizer``.
        precision: CTranslate2 compute type, e.g. ``int8``.
        device: ``cpu`` or ``cuda``.
        num_beams: Beam width (1 = greedy).
        max_new_tokens: Upper bound on generated tokens per segment.
        max_batch: Segments per call.
        fixed_output_ratio: Benchmarks only; see :class:`MarianBackend`.
    """

    backend_name = "ctranslate2"

    def __init__(
        self,
        *,
        name: str,
        translator: Any,
        tokenizer: Any,
        precision: str,
        device: str,
        num_beams: int,
        max_new_tokens: int,
        max_batch: int,
        fixed_output_ratio: float | None = None,
    ) -> None:
        super().__init__(
            name=name,
            tokenizer=tokenizer,
            num_beams=num_beams,
            max_new_tokens=max_new_tokens,
            max_batch=max_batch,
            fixed_output_ratio=fixed_output_ratio,
        )
        self.translator = translator
        self.precision = precision
        self.device = device

    def generate(self, texts: list[str], *, budget: int) -> list[str]:
        """Translate one chunk with ``translate_batch`` on SentencePiece tokens."""
        tokenizer = self.tokenizer
        sources = [tokenizer.convert_ids_to_tokens(ids) for ids in tokenizer(texts)["input_ids"]]
        results = self.translator.translate_batch(
            sources,
            beam_size=self.num_beams,
            max_decoding_length=budget,
            min_decoding_length=budget if self.fixed_output_ratio is not None else 1,
            max_batch_size=self.max_batch,
        )
        self.add_generated(sum(len(result.hypotheses[0]) for result in results))
        return [
            tokenizer.decode(tokenizer.convert_tokens_to_ids(result.hypotheses[0]), skip_special_tokens=True)
            for result in results
        ]
