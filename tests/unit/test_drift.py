"""Drift scores stay near 0 for the same input distribution and rise when it moves."""

from __future__ import annotations

import random

from translator_app.drift import SIGNALS, DriftMonitor


def feed(monitor: DriftMonitor, n: int, *, chars: float, confidence: float = 0.95, ratio: float = 1.1) -> None:
    rng = random.Random(n)
    for _ in range(n):
        monitor.observe(
            source_chars=rng.gauss(chars, 30),
            unk_rate=abs(rng.gauss(0.01, 0.005)),
            language_confidence=rng.gauss(confidence, 0.02),
            length_ratio=rng.gauss(ratio, 0.05),
        )


def test_scores_are_zero_until_both_windows_fill() -> None:
    monitor = DriftMonitor(reference_size=100, window_size=50, min_samples=30)
    feed(monitor, 110, chars=200)
    assert monitor.scores() == dict.fromkeys(SIGNALS, 0.0)


def test_same_distribution_scores_low_and_a_shift_scores_high() -> None:
    monitor = DriftMonitor(reference_size=300, window_size=100)
    feed(monitor, 300, chars=200)
    feed(monitor, 100, chars=200)
    assert max(monitor.scores().values()) < 1
    feed(monitor, 100, chars=600, ratio=0.4)  # longer inputs, truncated outputs
    scores = monitor.scores()
    assert scores["source_chars"] > 3 and scores["length_ratio"] > 3
    assert scores["language_confidence"] < 1 and scores["unk_rate"] < 1


def test_nan_observations_are_skipped() -> None:
    monitor = DriftMonitor(reference_size=2, window_size=2, min_samples=1)
    for _ in range(4):
        monitor.observe(source_chars=100, unk_rate=float("nan"), language_confidence=0.9, length_ratio=1.0)
    assert monitor.reference("unk_rate") == [] and monitor.reference("source_chars") == [100, 100]
