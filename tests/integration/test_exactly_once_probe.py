"""Probe (this commit only): what processing_guarantee=exactly_once gives after a kill -9, measured.

RELIABILITY.md quotes it; the next commit refuses exactly_once again.
"""

from __future__ import annotations

import signal
from pathlib import Path
from typing import Any

import pytest

from tests.support import Broker

from .conftest import start_pipeline
from .test_reliability import articles, crash_and_restart

pytestmark = pytest.mark.timeout(1800)


@pytest.mark.parametrize("run", range(2))
def test_exactly_once_after_kill_9(
    kafka: Broker, copy_model: Path, tmp_path: Path, run: int, record_property: Any
) -> None:
    p = start_pipeline(
        kafka,
        tmp_path,
        copy_model,
        f"eos{run}",
        TRANSLATOR_MAX_BATCH="8",
        TRANSLATOR_STREAM_BATCH="8",
        TRANSLATOR_PROCESSING_GUARANTEE="exactly_once",
    )
    lost, duplicates, _ = crash_and_restart(
        p, articles("e", 500), sig=signal.SIGKILL, after=[100], isolation="read_committed"
    )
    print(f"exactly_once run {run}: 500 sent, {lost} lost, {duplicates} duplicates (read_committed)")
    assert lost == 0
