"""A stand-in backend that records its calls; tags each segment so its origin is visible."""

from __future__ import annotations

import threading
import time
from collections.abc import Sequence


class TaggingBackend:
    """Meets the engine's Backend contract; ``translate`` returns ``<text>``.

    Args:
        delay_s: Sleep per call, to let concurrent callers pile up.
        fail_on: Any segment containing this substring makes the call raise.
    """

    backend_name = "fake"
    precision = "none"
    device = "cpu"
    num_beams = 1

    def __init__(self, *, name: str = "fake-model", delay_s: float = 0.0, fail_on: str | None = None) -> None:
        self.model_name = name
        self.max_source_tokens = 511
        self.max_segment_tokens = 50
        self.delay_s = delay_s
        self.fail_on = fail_on
        self.calls: list[list[str]] = []
        self.threads: set[str] = set()
        self.most_at_once = 0  # the most calls seen running at the same time
        self._running = 0
        self._lock = threading.Lock()

    @property
    def generation_key(self) -> str:
        return "fake/greedy"

    def count_tokens(self, texts: Sequence[str]) -> list[int]:
        return [len(t.split()) for t in texts]

    def unk_rate(self, text: str) -> float:
        return 0.0

    def translate(self, texts: Sequence[str]) -> list[str]:
        with self._lock:
            self.threads.add(threading.current_thread().name)
            self.calls.append(list(texts))
            self._running += 1
            self.most_at_once = max(self.most_at_once, self._running)
        try:
            if self.delay_s:
                time.sleep(self.delay_s)
        finally:
            with self._lock:
                self._running -= 1
        if self.fail_on is not None and any(self.fail_on in t for t in texts):
            raise RuntimeError(f"cannot translate {self.fail_on!r}")
        return [f"<{t}>" for t in texts]
