"""Load a MarianMT model and tokenizer through ``from_pretrained(name_or_dir)``."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path
from typing import Any

__all__ = ("LoadedModel", "ModelUnavailableError", "load_marian", "model_source", "resolve_device", "unavailable")

logger = logging.getLogger(__name__)


class ModelUnavailableError(RuntimeError):
    """The model could be neither found locally nor fetched from the Hub."""


@dataclass(frozen=True, slots=True)
class LoadedModel:
    """A ready model: tokenizer, network, and where it runs."""

    name: str
    tokenizer: Any
    model: Any
    device: str


def resolve_device(device: str) -> str:
    """Map ``auto`` to ``cuda`` when a GPU is present, else ``cpu``."""
    import torch

    if device == "auto":
        return "cuda" if torch.cuda.is_available() else "cpu"
    if device == "cuda" and not torch.cuda.is_available():
        raise ModelUnavailableError("TRANSLATOR_DEVICE=cuda but torch sees no GPU")
    return device


def unavailable(name_or_dir: str, exc: Exception) -> ModelUnavailableError:
    """Build the error that names both ways out: Hub access or a local model directory."""
    first_line = (str(exc).splitlines() or [""])[0][:300]
    return ModelUnavailableError(
        f"cannot load translation model {name_or_dir!r} ({type(exc).__name__}: {first_line}). "
        "Either give this machine access to the Hugging Face Hub, or set TRANSLATOR_MODEL to a local "
        "model directory, e.g. TRANSLATOR_MODEL=.cache/models/copy-es after `make test-models` "
        "(an offline test model that copies its input)."
    )


def model_source(name_or_dir: str) -> str:
    """Return the local directory when ``name_or_dir`` is one, else the Hub id unchanged."""
    local = Path(name_or_dir).expanduser()
    return str(local) if local.is_dir() else name_or_dir


def load_marian(name_or_dir: str, *, device: str = "auto") -> LoadedModel:
    """Load a Marian model by Hub name or local directory.

    Args:
        name_or_dir: A Hugging Face model id or a directory written by ``save_pretrained``.
        device: ``auto``, ``cpu`` or ``cuda``. CUDA runs fp16, CPU fp32.

    Raises:
        ModelUnavailableError: with a message naming both ways out when the model
            is neither a local directory nor reachable on the Hub.
    """
    import torch
    from transformers import MarianMTModel, MarianTokenizer

    target = resolve_device(device)
    source = model_source(name_or_dir)
    try:
        tokenizer = MarianTokenizer.from_pretrained(source)
        model = MarianMTModel.from_pretrained(source, dtype=torch.float16 if target == "cuda" else torch.float32)
    except Exception as exc:  # transformers wraps Hub/network failures in several types
        raise unavailable(name_or_dir, exc) from exc
    model.to(target)  # type: ignore[arg-type]  # transformers types .to as a decorator wrapper
    model.eval()
    logger.info("loaded model %s on %s", name_or_dir, target)
    return LoadedModel(name=name_or_dir, tokenizer=tokenizer, model=model, device=target)
