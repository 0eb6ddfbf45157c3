"""``make bench-engine``: raw engine speed per backend, batch size and beam width, plus batcher overhead.

Runs on the random-weight opus-mt-es-en clone from ``make test-models`` (same
size and cost as the real model). Random weights never emit </s>, so every
output is pinned to 1.1 x its longest source in tokens (about an es->en
translation's length) and both backends do identical work.

Writes ``bench/results/engine.json``: a list of ``{"backend", "precision",
"batch", "beams", "tokens_per_s", "sentences_per_s"}`` rows, one
``{"ctranslate2_vs_transformers_bs32_greedy_interleaved": ratio}`` row,
``{"layout_backend", "threads_per_call", "calls_at_once", "batch",
"sentences_per_s", "tokens_per_s", "four_titles_s"}`` rows (every core on one
call against one single-threaded call per core) and one
``{"batcher_overhead": fraction}`` row.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import os
import platform
import statistics
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from translator_app.engine import EngineConfig, TranslationEngine  # noqa: E402
from translator_app.engine.backend import MarianBackend, TransformersBackend  # noqa: E402
from translator_app.engine.ct2_backend import CTranslate2Backend, load_ctranslate2  # noqa: E402
from translator_app.engine.loading import load_marian  # noqa: E402

__all__ = ("main",)

logger = logging.getLogger("bench.engine")
OUTPUT_RATIO = 1.1
BACKENDS = ("transformers", "ctranslate2")


def cpu_model() -> str:
    """The CPU's marketing name from /proc/cpuinfo, else the architecture."""
    try:
        for line in Path("/proc/cpuinfo").read_text(encoding="utf-8").splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.machine()


def sentences(n: int) -> list[str]:
    """``n`` news sentences of realistic length (15-60 tokens) from the repo's corpus."""
    lines = [line for line in (ROOT / "data" / "corpus_es.txt").read_text(encoding="utf-8").splitlines() if line]
    picked = [line for line in lines if 60 <= len(line) <= 220]
    return (picked * (n // max(1, len(picked)) + 1))[:n]


def build(
    kind: str, model: Path, *, beams: int, max_batch: int, threads: int, cache_dir: Path, replicas: int = 1
) -> MarianBackend:
    """One backend, in benchmark mode (fixed output length), able to run ``replicas`` calls at once."""
    if kind == "transformers":
        import torch

        if threads > 0:
            torch.set_num_threads(threads)
        return TransformersBackend(
            load_marian(str(model), device="cpu"),
            num_beams=beams,
            max_new_tokens=512,
            max_batch=max_batch,
            fixed_output_ratio=OUTPUT_RATIO,
        )
    translator, tokenizer, _ = load_ctranslate2(
        str(model), device="cpu", precision="int8", threads=threads, replicas=replicas, cache_dir=cache_dir
    )
    return CTranslate2Backend(
        name=str(model),
        translator=translator,
        tokenizer=tokenizer,
        precision="int8",
        device="cpu",
        num_beams=beams,
        max_new_tokens=512,
        max_batch=max_batch,
        fixed_output_ratio=OUTPUT_RATIO,
    )


def measure(backend: MarianBackend, texts: list[str], *, replicas: int = 1) -> dict[str, float]:
    """Translate ``texts`` once (after a warm-up call) and return the rates.

    With ``replicas`` > 1 the length-sorted list is cut into ``max_batch``
    chunks that ``replicas`` threads translate side by side, as the worker's
    micro-batcher does; with 1 it is one ``translate`` call, which sorts and
    chunks the same way.
    """
    backend.translate(texts[: backend.max_batch])  # warm-up: allocator, kernels, caches
    backend.generated_tokens = 0
    started = time.perf_counter()
    if replicas == 1:
        backend.translate(texts)
    else:
        lengths = backend.count_tokens(texts)
        ordered = [texts[i] for i in sorted(range(len(texts)), key=lambda i: lengths[i])]
        chunks = [ordered[i : i + backend.max_batch] for i in range(0, len(ordered), backend.max_batch)]
        with ThreadPoolExecutor(max_workers=replicas) as pool:
            list(pool.map(backend.translate, chunks))
    elapsed = time.perf_counter() - started
    return {"tokens_per_s": backend.generated_tokens / elapsed, "sentences_per_s": len(texts) / elapsed}


def thread_layouts(model: Path, *, cache_dir: Path, texts: list[str], rounds: int) -> list[dict[str, Any]]:
    """Each backend with every core on one call, against one single-threaded call per core.

    Per layout: sentences/s at batch 8 and 32, and the median time of one call
    of four short sentences (a few titles arriving together). Rounds alternate
    the layouts, so machine drift hits both alike; medians are reported.
    """
    cores = os.cpu_count() or 1
    layouts = ((cores, 1), (1, cores))
    titles = sorted(texts, key=len)[:4]
    rows = []
    for kind in BACKENDS:
        for batch in (8, 32):
            samples: dict[tuple[int, int], list[dict[str, float]]] = {layout: [] for layout in layouts}
            for _ in range(rounds):
                for threads, replicas in layouts:
                    backend = build(
                        kind, model, beams=1, max_batch=batch, threads=threads, cache_dir=cache_dir, replicas=replicas
                    )
                    rates = measure(backend, texts, replicas=replicas)
                    started = time.perf_counter()
                    backend.translate(titles)
                    samples[(threads, replicas)].append({**rates, "four_titles_s": time.perf_counter() - started})
            for (threads, replicas), runs in samples.items():
                row = {
                    "layout_backend": kind,
                    "threads_per_call": threads,
                    "calls_at_once": replicas,
                    "batch": batch,
                    **{key: statistics.median(run[key] for run in runs) for key in runs[0]},
                }
                rows.append(row)
                print(
                    f"  {kind:<13} {threads} thread(s) x {replicas} call(s), batch {batch:>2}: "
                    f"{row['sentences_per_s']:6.2f} sentences/s; four titles in one call {row['four_titles_s']:.2f} s",
                    flush=True,
                )
    return rows


def interleaved_ratio(model: Path, *, threads: int, cache_dir: Path, texts: list[str], rounds: int) -> float:
    """CTranslate2 int8 / transformers fp32 tokens/s at batch 32 greedy, alternating the two.

    The grid above measures each configuration once, minutes apart; on a
    shared machine the speed drifts between them. Alternating both backends
    in rounds and comparing medians cancels that drift.
    """
    pair = {kind: build(kind, model, beams=1, max_batch=32, threads=threads, cache_dir=cache_dir) for kind in BACKENDS}
    rates: dict[str, list[float]] = {kind: [] for kind in BACKENDS}
    for _ in range(rounds):
        for kind, backend in pair.items():
            rates[kind].append(measure(backend, texts)["tokens_per_s"])
    return statistics.median(rates["ctranslate2"]) / statistics.median(rates["transformers"])


async def _overhead(backend: MarianBackend, texts: list[str], rounds: int) -> float:
    engine = TranslationEngine(
        # One call at a time, like the direct path it is compared with.
        EngineConfig(models={"es": backend.model_name}, max_batch=backend.max_batch, detect_language=False, replicas=1)
    )
    engine.install(backend.model_name, backend)  # the already-loaded backend, no second load
    batcher = await engine.batcher_for("es")
    await batcher.translate(texts[: backend.max_batch])  # warm the inference thread, as measure() warms this one
    direct, batched = [], []
    try:
        for _ in range(rounds):  # interleaved, so machine noise hits both alike
            started = time.perf_counter()
            backend.translate(texts)
            direct.append(time.perf_counter() - started)
            started = time.perf_counter()
            await batcher.translate(texts)
            batched.append(time.perf_counter() - started)
    finally:
        await engine.aclose()
    return (statistics.median(batched) - statistics.median(direct)) / statistics.median(direct)


def batcher_overhead(backend: MarianBackend, texts: list[str], *, rounds: int) -> float:
    """(time through the batcher - time calling the backend) / time calling the backend, medians.

    The batcher runs with no cache, so both paths do the same model work.
    """
    return asyncio.run(_overhead(backend, texts, rounds))


def main(argv: list[str] | None = None) -> int:
    """Run the grid, print a table and write the JSON."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", type=Path, default=ROOT / ".cache" / "models" / "opus-mt-es-en-random")
    parser.add_argument("--sentences", type=int, default=64, help="sentences per batch-8/32 run (batch 1 uses 1/4)")
    parser.add_argument("--threads", type=int, default=os.cpu_count() or 1)
    parser.add_argument("--batches", default="1,8,32")
    parser.add_argument("--beams", default="1,4")
    parser.add_argument("--backends", default="transformers,ctranslate2")
    parser.add_argument("--overhead-rounds", type=int, default=5)
    parser.add_argument("--rounds", type=int, default=3, help="rounds of the interleaved backend comparison")
    parser.add_argument("--out", type=Path, default=ROOT / "bench" / "results" / "engine.json")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.WARNING, format="%(message)s")
    if not (args.model / "config.json").exists():
        sys.stderr.write(f"no model at {args.model}: run `make test-models` first\n")
        return 2
    rows: list[dict[str, Any]] = []
    cache_dir = ROOT / ".cache" / "ct2"
    print(f"machine: {cpu_model()}, {os.cpu_count()} cores, threads={args.threads}")
    print(f"{'backend':<13}{'precision':<10}{'batch':>6}{'beams':>6}{'tokens/s':>11}{'sentences/s':>13}")
    for kind in args.backends.split(","):
        for beams in (int(b) for b in args.beams.split(",")):
            for batch in (int(b) for b in args.batches.split(",")):
                backend = build(
                    kind, args.model, beams=beams, max_batch=batch, threads=args.threads, cache_dir=cache_dir
                )
                n = max(batch, args.sentences // 4 if batch == 1 else args.sentences)
                rates = measure(backend, sentences(n))
                row = {"backend": kind, "precision": backend.precision, "batch": batch, "beams": beams, **rates}
                rows.append(row)
                print(
                    f"{kind:<13}{backend.precision:<10}{batch:>6}{beams:>6}"
                    f"{rates['tokens_per_s']:>11.1f}{rates['sentences_per_s']:>13.2f}",
                    flush=True,
                )
    ratio = _ratio(rows, "ctranslate2", "transformers", batch=32, beams=1)
    if ratio is not None:
        print(f"ctranslate2 int8 / transformers fp32 at batch 32 greedy: {ratio:.2f}x")
    if set(BACKENDS) <= set(args.backends.split(",")):
        interleaved = interleaved_ratio(
            args.model, threads=args.threads, cache_dir=cache_dir, texts=sentences(args.sentences), rounds=args.rounds
        )
        print(f"same, interleaved over {args.rounds} rounds (median / median): {interleaved:.2f}x")
        rows.append({"ctranslate2_vs_transformers_bs32_greedy_interleaved": interleaved})
    if set(BACKENDS) <= set(args.backends.split(",")) and (os.cpu_count() or 1) > 1:
        print(f"thread layouts, medians of {args.rounds} interleaved rounds:")
        texts = sentences(args.sentences)
        rows.extend(thread_layouts(args.model, cache_dir=cache_dir, texts=texts, rounds=args.rounds))
    fastest = "ctranslate2" if "ctranslate2" in args.backends else args.backends.split(",")[0]
    backend = build(fastest, args.model, beams=1, max_batch=32, threads=args.threads, cache_dir=cache_dir)
    overhead = batcher_overhead(backend, sentences(args.sentences), rounds=args.overhead_rounds)
    print(f"batcher overhead vs calling the {fastest} backend directly (batch 32 greedy): {overhead:+.1%}")
    rows.append({"batcher_overhead": overhead})
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(rows, indent=2) + "\n", encoding="utf-8")
    print(f"wrote {args.out.relative_to(ROOT) if args.out.is_relative_to(ROOT) else args.out}")
    return 0


def _ratio(rows: list[dict[str, Any]], a: str, b: str, *, batch: int, beams: int) -> float | None:
    pick = {r["backend"]: r["tokens_per_s"] for r in rows if r.get("batch") == batch and r.get("beams") == beams}
    return pick[a] / pick[b] if a in pick and b in pick else None


if __name__ == "__main__":
    raise SystemExit(main())
