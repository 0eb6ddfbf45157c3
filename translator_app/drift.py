"""Input drift: compare recent articles with a frozen reference window, signal by signal."""

from __future__ import annotations

import math
import statistics
from collections import deque
from dataclasses import dataclass, field

__all__ = ("SIGNALS", "DriftMonitor")

#: What is compared: source length in characters, the rate of unknown tokens in
#: the source (new vocabulary, another script), language-ID confidence, and the
#: output/input length ratio (a model that starts truncating or babbling moves it).
SIGNALS = ("source_chars", "unk_rate", "language_confidence", "length_ratio")


@dataclass
class DriftMonitor:
    """Standardised mean shift of each signal: |mean(recent) - mean(reference)| / std(reference).

    The first ``reference_size`` articles after a start form the reference; the
    last ``window_size`` articles form the recent window. Scores are 0 until
    both windows hold at least ``min_samples`` articles. A score of 3 means the
    recent mean sits three reference standard deviations away.
    """

    reference_size: int = 500
    window_size: int = 200
    min_samples: int = 30
    _reference: dict[str, list[float]] = field(default_factory=lambda: {s: [] for s in SIGNALS})
    _recent: dict[str, deque[float]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self._recent = {s: deque(maxlen=self.window_size) for s in SIGNALS}

    def observe(self, *, source_chars: float, unk_rate: float, language_confidence: float, length_ratio: float) -> None:
        """Record one article (NaN values are skipped)."""
        values = {
            "source_chars": source_chars,
            "unk_rate": unk_rate,
            "language_confidence": language_confidence,
            "length_ratio": length_ratio,
        }
        for signal, value in values.items():
            if math.isnan(value):  # e.g. no tokenizer loaded for the article's language
                continue
            if len(self._reference[signal]) < self.reference_size:
                self._reference[signal].append(value)
            else:
                self._recent[signal].append(value)

    def scores(self) -> dict[str, float]:
        """The current score of every signal (0 while the windows are too small)."""
        out: dict[str, float] = {}
        for signal in SIGNALS:
            reference, recent = self._reference[signal], self._recent[signal]
            if len(reference) < self.min_samples or len(recent) < self.min_samples:
                out[signal] = 0.0
                continue
            spread = statistics.pstdev(reference) or 1e-9
            out[signal] = abs(statistics.fmean(recent) - statistics.fmean(reference)) / spread
        return out

    def window(self, signal: str) -> list[float]:
        """The recent values of ``signal``."""
        return list(self._recent[signal])

    def reference(self, signal: str) -> list[float]:
        """The reference values of ``signal``."""
        return list(self._reference[signal])
