"""Why the stream takes wide batches, and the floor under a title's latency, on the raw engine.

Translates the same ``--n`` benchmark articles (outputs pinned to 1.1 x the
longest source of each call, as in ``make bench``) with the CTranslate2 backend
at max batch 32, in one sorted list and in groups of 32, 16 and 8 articles:
articles/s and tokens generated. Then times single titles alone (batch 1),
the least any title can take end to end. Writes ``bench/results/packing.json``.

Command: ``.venv/bin/python bench/packing.py``.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "bench")]

from engine_bench import build  # noqa: E402
from harness import make_articles  # noqa: E402
from pipeline_bench import article_segments  # noqa: E402

__all__ = ("main",)


def main(argv: list[str] | None = None) -> int:
    """Measure grouping cost and the single-title floor; print and write JSON."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", type=Path, default=ROOT / ".cache" / "models" / "opus-mt-es-en-random")
    parser.add_argument("--n", type=int, default=48)
    parser.add_argument("--threads", type=int, default=os.cpu_count() or 1)
    parser.add_argument("--ct2-cache", type=Path, default=ROOT / ".cache" / "ct2")
    parser.add_argument("--out", type=Path, default=ROOT / "bench" / "results" / "packing.json")
    args = parser.parse_args(argv)
    backend = build("ctranslate2", args.model, beams=1, max_batch=32, threads=args.threads, cache_dir=args.ct2_cache)
    articles = make_articles(args.n, prefix="full")
    backend.translate(article_segments(backend, articles)[:32])  # warm-up
    rows: list[dict[str, Any]] = []
    for group in (args.n, 32, 16, 8):
        backend.generated_tokens = 0
        started = time.perf_counter()
        for i in range(0, args.n, group):
            backend.translate(article_segments(backend, articles[i : i + group]))
        elapsed = time.perf_counter() - started
        rows.append({"group": group, "articles_per_s": args.n / elapsed, "generated_tokens": backend.generated_tokens})
        rate = rows[-1]["articles_per_s"]
        print(f"groups of {group:>3} articles: {rate:.2f} articles/s, {backend.generated_tokens} tokens")
    titles = [a["title"] for a in make_articles(12, prefix="t", titles_only=True, seed=50)]
    times = []
    for title in titles:
        started = time.perf_counter()
        backend.translate([title])
        times.append(time.perf_counter() - started)
    single = {"median_s": statistics.median(times), "max_s": max(times), "titles": len(times)}
    print(f"one title alone: median {single['median_s']:.2f} s, max {single['max_s']:.2f} s")
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps({"grouping": rows, "single_title": single}, indent=2) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
