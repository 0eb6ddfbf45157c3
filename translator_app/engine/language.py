"""Offline language identification with py3langid, whose model ships inside its wheel."""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass
from typing import Any

__all__ = ("Detection", "LanguageDetector")

logger = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class Detection:
    """An ISO 639-1 code and the classifier's normalised probability for it."""

    language: str
    confidence: float


class LanguageDetector:
    """Classify text among py3langid's 97 languages.

    The model (about 1 s to load) is loaded on first use and shared.
    """

    def __init__(self) -> None:
        self._identifier: Any = None
        self._lock = threading.Lock()

    def _get(self) -> Any:
        with self._lock:
            if self._identifier is None:
                from py3langid.langid import MODEL_FILE, LanguageIdentifier

                self._identifier = LanguageIdentifier.from_model_file(MODEL_FILE, norm_probs=True)
            return self._identifier

    def load(self) -> None:
        """Load the model now rather than on the first article."""
        self._get()

    def detect(self, text: str) -> Detection:
        """Return the most likely language of ``text``; confidence is 0 for empty text."""
        return self.ranking(text)[0]

    def ranking(self, text: str) -> list[Detection]:
        """Return every language with its probability, most likely first."""
        if not text.strip():
            return [Detection(language="und", confidence=0.0)]
        return [Detection(language=str(lang), confidence=float(p)) for lang, p in self._get().rank(text)]
