"""The W&B schema is fixed: every row has exactly the documented keys."""

from __future__ import annotations

import math

import pytest

from translator_app.drift import DriftMonitor
from translator_app.tracking import KEYS, SCHEMA_VERSION, IntervalStats, row


def test_row_fills_every_key_and_rejects_unknown_ones() -> None:
    values = row(eval__bleu=31.5)
    assert tuple(values) == KEYS
    assert values["eval/bleu"] == 31.5 and values["schema_version"] == SCHEMA_VERSION
    assert math.isnan(values["latency/e2e_p99_s"])
    with pytest.raises(KeyError, match="not in the W&B schema"):
        row(latency__p42=1.0)


def test_interval_report_is_a_schema_row_and_resets() -> None:
    stats = IntervalStats(e2e_s=[0.2, 0.4, 0.9], model_s=[0.1], batch_sizes=[4, 8], translated=3, dead_letters=1)
    values = stats.report(seconds=2.0, drift=DriftMonitor())
    assert set(values) == set(KEYS)
    assert values["throughput/articles_per_s"] == 1.5 and values["throughput/dead_letters_per_s"] == 0.5
    assert values["batch/size_mean"] == 6 and values["latency/e2e_p99_s"] == 0.9
    assert stats.translated == 0 and stats.e2e_s == []
