"""``make profile``: where a pipeline run's CPU goes, per process and per worker thread, with py-spy stacks.

Starts the same broker and worker as ``make bench`` (random-weight clone,
outputs pinned to 1.1 x the source), sends ``--n`` articles at once, and while
they flow records:

- CPU seconds of the worker's main thread (the event loop), its inference
  thread, its native threads (CTranslate2 / torch workers), its other Python
  threads, the broker JVM and this process (producer and reader), from
  ``/proc``;
- the model-call seconds, summed over replicas running side by side (``translator_model_latency_seconds_sum``);
- py-spy samples of the worker, summarised as the functions the event loop
  spends its time in.

``--env KEY=VALUE`` (repeatable) changes the worker's settings, e.g.
``--env TRANSLATOR_INFERENCE_THREADS=1``. Writes ``bench/results/profile.json``.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import signal
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "bench")]

from harness import FinalCollector, make_articles  # noqa: E402
from pipeline_bench import add_layout_arguments, model_seconds, resolve_layout, start_worker, throughput  # noqa: E402

from tests.support import start_broker  # noqa: E402

__all__ = ("main",)

PY_SPY = str(ROOT / ".venv" / "bin" / "py-spy")
TICKS = os.sysconf("SC_CLK_TCK")


def thread_cpu(pid: int) -> dict[int, float]:
    """CPU seconds (user + system) of each thread of ``pid``."""
    seconds = {}
    for task in Path(f"/proc/{pid}/task").iterdir():
        try:
            fields = (task / "stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue  # the thread ended meanwhile
        seconds[int(task.name)] = (int(fields[11]) + int(fields[12])) / TICKS
    return seconds


def process_cpu(pid: int) -> float:
    """CPU seconds (user + system) of the whole process ``pid``."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / TICKS


def parse_samples(raw: str) -> tuple[dict[int, str], dict[str, Counter[str]], Counter[str]]:
    """py-spy raw lines -> (thread id -> Python thread name, per-thread leaf counts, main-thread inclusive counts)."""
    names: dict[int, str] = {}
    leaves: dict[str, Counter[str]] = {}
    inclusive: Counter[str] = Counter()
    for line in raw.splitlines():
        match = re.match(r"thread \((\d+)\): ([^;]*);(.*) (\d+)$", line)
        if not match:
            continue
        tid, name, stack, count = int(match[1]), match[2], match[3].split(";"), int(match[4])
        names[tid] = name
        leaves.setdefault(name, Counter())[stack[-1]] += count
        if name == "MainThread":
            # Count each of our own functions once per sample, wherever it is on the stack.
            for frame in {f.split(" (")[0] + " (" + f.split(" (")[1].split(":")[0] + ")" for f in stack if " (" in f}:
                inclusive[frame] += count
    return names, leaves, inclusive


def main(argv: list[str] | None = None) -> int:
    """Profile one pipeline run and write the breakdown."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", type=Path, default=ROOT / ".cache" / "models" / "opus-mt-es-en-random")
    parser.add_argument("--backend", default="ctranslate2")
    parser.add_argument("--max-batch", type=int, default=32)
    parser.add_argument("--stream-batch", type=int, default=128)
    add_layout_arguments(parser)
    parser.add_argument("--n", type=int, default=96)
    parser.add_argument("--ct2-cache", type=Path, default=ROOT / ".cache" / "ct2")
    parser.add_argument("--env", action="append", default=[], metavar="KEY=VALUE", help="extra worker setting")
    parser.add_argument("--out", type=Path, default=ROOT / "bench" / "results" / "profile.json")
    args = parser.parse_args(argv)
    resolve_layout(args)
    extra = dict(item.split("=", 1) for item in args.env)
    articles = make_articles(args.n, prefix="prof", seed=5)
    with tempfile.TemporaryDirectory(prefix="profile-") as tmp:
        broker = start_broker(Path(tmp) / "kafka")
        try:
            worker, env = start_worker(broker, Path(tmp), "prof", args, TRANSLATOR_CACHE_SLOTS="0", **extra)
            assert worker.process is not None
            pid = worker.process.pid
            collector = FinalCollector(broker.bootstrap, env["TRANSLATOR_TOPIC_FINAL"]).start()
            try:
                throughput(env, collector, make_articles(8, prefix="warm"))
                before = (thread_cpu(pid), process_cpu(broker.process.pid), time.process_time(), model_seconds(env))
                spy_out = Path(tmp) / "spy.txt"
                spy_args = ["--threads", "--nonblocking", "-r", "100", "--format", "raw", "-o", str(spy_out)]
                spy = subprocess.Popen(
                    [PY_SPY, "record", "-p", str(pid), *spy_args],
                    stdout=subprocess.DEVNULL,
                    stderr=subprocess.DEVNULL,
                )
                started = time.monotonic()
                rate = throughput(env, collector, articles)
                wall = time.monotonic() - started
                after = (thread_cpu(pid), process_cpu(broker.process.pid), time.process_time(), model_seconds(env))
                spy.send_signal(signal.SIGINT)
                spy.wait(timeout=60)
                raw = spy_out.read_text() if spy_out.exists() else ""
            finally:
                collector.stop()
                worker.stop()
        finally:
            broker.stop()
    names, leaves, inclusive = parse_samples(raw)
    delta = {tid: cpu - before[0].get(tid, 0.0) for tid, cpu in after[0].items()}
    by_name: dict[str, float] = {}
    for tid, cpu in delta.items():
        name = "MainThread" if tid == pid else names.get(tid, "native (model / torch / OpenMP)")
        label = name if name in ("MainThread", "native (model / torch / OpenMP)") else f"python: {name}"
        by_name[label] = by_name.get(label, 0.0) + cpu
    result: dict[str, Any] = {
        "settings": {
            "backend": args.backend,
            "max_batch": args.max_batch,
            "stream_batch": args.stream_batch,
            "threads": args.threads,
            "replicas": args.replicas,
            **extra,
        },
        "articles": args.n,
        "articles_per_s": rate,
        "wall_s": wall,
        "model_busy_s": after[3] - before[3],
        "cpu_s": {
            **{f"worker {name}": round(cpu, 2) for name, cpu in sorted(by_name.items(), key=lambda kv: -kv[1])},
            "broker (JVM)": round(after[1] - before[1], 2),
            "bench producer + reader": round(after[2] - before[2], 2),
        },
        "main_thread_top_leaf_functions": leaves.get("MainThread", Counter()).most_common(25),
        "main_thread_top_inclusive": [(f, c) for f, c in inclusive.most_common(60) if "translator_app" in f][:25],
        "main_thread_samples": sum(leaves.get("MainThread", Counter()).values()),
    }
    print(json.dumps(result, indent=2))
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
