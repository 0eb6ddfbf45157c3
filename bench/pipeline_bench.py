"""``make bench``: engine, pipeline, prototype baseline, latency and cache, in one run, as ratios.

Uses the random-weight opus-mt-es-en clone from ``make test-models`` (the real
model's size and cost) with every output pinned to 1.1 x its source length, a
KRaft broker started from the Maven jars, and a real worker process. Prints a
table and ratios and writes ``bench/results/bench.json``.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import re
import sys
import tempfile
import urllib.request
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "bench")]

from engine_bench import OUTPUT_RATIO, build, cpu_model, measure  # noqa: E402
from harness import FinalCollector, make_articles, percentile, produce_paced  # noqa: E402
from prototype_baseline import run_baseline  # noqa: E402

from tests.support import Worker, create_topics, free_port, start_broker, worker_env  # noqa: E402
from translator_app.engine import EngineConfig  # noqa: E402
from translator_app.engine.articles import segment_text  # noqa: E402
from translator_app.engine.service import cpu_replicas  # noqa: E402

__all__ = ("add_layout_arguments", "main", "resolve_layout")


def article_segments(backend: Any, articles: list[dict[str, Any]]) -> list[str]:
    """Every sentence the engine would send to the model for ``articles``."""
    return [
        s.text
        for a in articles
        for field in (a["title"], a["summary"])
        for s in segment_text(field, count_tokens=backend.count_tokens, limit=backend.max_segment_tokens)
    ]


def engine_figures(args: argparse.Namespace, articles: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """(a) Each backend at batch 1, 8, 32: tokens/s and articles/s on the benchmark articles.

    With the worker's thread layout (``--threads`` per call, ``--replicas``
    calls at once), so the pipeline is compared with the same engine.
    """
    rows = []
    for kind in ("transformers", "ctranslate2"):
        for batch in (1, 8, 32):
            backend = build(
                kind,
                args.model,
                beams=1,
                max_batch=batch,
                threads=args.threads,
                cache_dir=args.ct2_cache,
                replicas=args.replicas,
            )
            subset = articles[: max(4, len(articles) // 16)] if batch == 1 else articles  # batch 1 is slow
            segments = article_segments(backend, subset)
            rates = measure(backend, segments, replicas=args.replicas)
            rows.append(
                {
                    "backend": kind,
                    "batch": batch,
                    "tokens_per_s": rates["tokens_per_s"],
                    "articles_per_s": rates["sentences_per_s"] * len(subset) / len(segments),
                }
            )
            print(f"  engine {kind:<13} batch {batch:>2}: {rows[-1]['articles_per_s']:6.2f} articles/s", flush=True)
    return rows


def add_layout_arguments(parser: argparse.ArgumentParser) -> None:
    """``--threads`` and ``--replicas``: the worker's thread layout, with the worker's defaults."""
    parser.add_argument("--threads", type=int, default=1, help="intra-op threads per model call (worker default)")
    parser.add_argument(
        "--replicas", type=int, default=0, help="model calls at once; 0 = one per --threads cores (worker default)"
    )


def resolve_layout(args: argparse.Namespace) -> None:
    """Replace ``args.replicas`` = 0 by the count the worker would use, as the engine computes it."""
    args.replicas = cpu_replicas(EngineConfig(models={"es": "-"}, threads=args.threads, replicas=args.replicas))


def start_worker(
    broker: Any, workdir: Path, prefix: str, args: argparse.Namespace, **extra: str
) -> tuple[Worker, dict[str, str]]:
    env = worker_env(
        bootstrap=broker.bootstrap,
        prefix=prefix,
        workdir=workdir,
        model=args.model,
        TRANSLATOR_BACKEND=args.backend,
        TRANSLATOR_MAX_BATCH=str(args.max_batch),
        TRANSLATOR_STREAM_BATCH=str(args.stream_batch),
        TRANSLATOR_INFERENCE_THREADS=str(args.threads),
        TRANSLATOR_INFERENCE_REPLICAS=str(args.replicas),
        TRANSLATOR_BENCHMARK_OUTPUT_RATIO=str(OUTPUT_RATIO),
        # Greedy, as in (a): the model's generation config says beam 4, which would
        # compare a beam-4 pipeline with a greedy engine.
        TRANSLATOR_NUM_BEAMS="1",
        TRANSLATOR_CT2_CACHE_DIR=str(args.ct2_cache),
        **extra,
    )
    create_topics(broker.bootstrap, [env[k] for k in env if k.startswith("TRANSLATOR_TOPIC_")])
    return Worker(env=env, log=workdir / f"{prefix}.log").start(timeout=300), env


def model_seconds(env: dict[str, str]) -> float:
    """Total model-call seconds so far, from the worker's translator_model_latency_seconds_sum."""
    with urllib.request.urlopen(f"http://127.0.0.1:{env['TRANSLATOR_WEB_PORT']}/metrics", timeout=10) as response:
        text = response.read().decode()
    return sum(
        float(m.group(1)) for m in re.finditer(r"^translator_model_latency_seconds_sum\{[^}]*\} (\S+)$", text, re.M)
    )


def throughput(env: dict[str, str], collector: FinalCollector, articles: list[dict[str, Any]]) -> float:
    """(b) Articles/s from the first send until the last article is on final_translations."""
    started = produce_paced(env["TRANSLATOR_BROKER"].split("://", 1)[1], env["TRANSLATOR_TOPIC_INPUT"], articles)
    ids = [a["id"] for a in articles]
    collector.wait_for(ids, timeout=3600)
    return len(articles) / (collector.last_arrival(ids) - started)


def latency(
    env: dict[str, str], collector: FinalCollector, articles: list[dict[str, Any]], rate: float
) -> dict[str, float]:
    """(d) End-to-end latency percentiles (produced -> published on final_translations) at ``rate``/s."""
    produce_paced(env["TRANSLATOR_BROKER"].split("://", 1)[1], env["TRANSLATOR_TOPIC_INPUT"], articles, rate=rate)
    records = collector.wait_for([a["id"] for a in articles], timeout=3600)
    values = [r["published_at"] - r["ingested_at"] for r in records]
    # Where the time goes: the model seconds of each article's own call(s).
    model = [r["timings"]["model_ms"] / 1000 for r in records]
    return (
        {f"p{p}": percentile(values, p) for p in (50, 95, 99)}
        | {f"model_s_p{p}": percentile(model, p) for p in (50, 99)}
        | {"rate": rate, "n": len(values)}
    )


# CTranslate2 3.6.0 README benchmark, OPUS-MT: float16 on an NVIDIA A10G,
# 9296.7 tokens/s. A published figure, not measured here: the GPU projection
# is labelled as such. (The same table's CPU row, int8 on 4 threads of a Xeon
# 8275CL, 696.1 tokens/s, is not used: scaling it to this worker's cores fitted
# the AMD host and overstated the GPU 2.7x on the Xeon, whose 2 cores measured
# more than the published 4 threads.)
CT2_PUBLISHED_A10G_FP16_TOKENS_S = 9296.7
PEAK_TO_MEAN = 3.0  # news arrives in bursts; size for three times the daily mean


def projection(pipeline_rate: float, *, engine_tokens_per_s: float) -> dict[str, float]:
    """Articles/day per worker, and workers (and partitions) for a million articles a day.

    Args:
        pipeline_rate: The pipeline's measured articles/s.
        engine_tokens_per_s: This worker's measured engine tokens/s with the
            pipeline's backend and batch: the GPU ratio's denominator.
    """
    per_day = pipeline_rate * 86_400
    mean_rate = 1_000_000 / 86_400
    # Published GPU tokens/s over this machine's measured tokens/s, same model
    # shape and backend; assumes the pipeline keeps its engine ratio on a GPU.
    gpu_factor = CT2_PUBLISHED_A10G_FP16_TOKENS_S / engine_tokens_per_s
    workers = math.ceil(PEAK_TO_MEAN * mean_rate / pipeline_rate)
    return {
        "articles_per_day_per_worker": per_day,
        "workers_for_1m_per_day_at_3x_peak": workers,
        # One partition per worker is the most a group can use; twice that
        # lets the group grow without repartitioning.
        "partitions_for_1m_per_day": 2 * workers,
        "gpu_published_vs_this_worker_measured_ratio": gpu_factor,
        "gpu_articles_per_day_per_worker_projected": per_day * gpu_factor,
        "gpu_workers_for_1m_per_day_at_3x_peak": math.ceil(PEAK_TO_MEAN * mean_rate / (pipeline_rate * gpu_factor)),
    }


def main(argv: list[str] | None = None) -> int:
    """Run (a)-(e), print the table and ratios, and write the JSON."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", type=Path, default=ROOT / ".cache" / "models" / "opus-mt-es-en-random")
    parser.add_argument("--backend", default="ctranslate2", help="backend of the pipeline, baseline and latency runs")
    parser.add_argument("--max-batch", type=int, default=32, help="segments per model call, as in (a)")
    parser.add_argument("--stream-batch", type=int, default=128, help="articles per stream take (the worker default)")
    add_layout_arguments(parser)
    # 384, not 96: a 96-article burst lasts ~7 s, and its ramp-up and tail
    # understated the sustained rate by ~40 % (make overload's steady state).
    parser.add_argument("--n", type=int, default=384, help="articles for the engine and pipeline throughput runs")
    parser.add_argument("--baseline-n", type=int, default=24)
    parser.add_argument(
        "--baseline-backend",
        default="transformers",
        help="the prototype's backend: its FastAPI service ran opus-mt in transformers",
    )
    parser.add_argument("--latency-samples", type=int, default=30, help="articles per latency run (at least)")
    parser.add_argument("--latency-min-s", type=float, default=20.0, help="shortest latency run, in seconds")
    parser.add_argument("--ct2-cache", type=Path, default=ROOT / ".cache" / "ct2")
    parser.add_argument("--out", type=Path, default=ROOT / "bench" / "results" / "bench.json")
    args = parser.parse_args(argv)
    resolve_layout(args)
    if not (args.model / "config.json").exists():
        sys.stderr.write(f"no model at {args.model}: run `make test-models` first\n")
        return 2
    print(
        f"machine: {cpu_model()}, {os.cpu_count()} cores; backend {args.backend}, max batch {args.max_batch}, "
        f"{args.replicas} call(s) at once on {args.threads} thread(s) each"
    )
    # Numbered sentences: a run longer than the corpus deck must not repeat any.
    full = make_articles(args.n, prefix="full", unique=True)
    print("(a) raw engine", flush=True)
    engine_rows = engine_figures(args, full)
    engine_row = next(r for r in engine_rows if (r["backend"], r["batch"]) == (args.backend, args.max_batch))
    engine_rate = engine_row["articles_per_s"]
    print("(c) prototype architecture baseline", flush=True)
    proto_articles = make_articles(args.baseline_n, prefix="proto", seed=2)
    baselines = {}
    for kind in dict.fromkeys((args.baseline_backend, args.backend)):
        # One call at a time, so each on the layout that makes one call fastest
        # here (``make bench-engine``, thread layouts): torch on every core,
        # CTranslate2 on one thread.
        threads = 1 if kind == "ctranslate2" else os.cpu_count() or 1
        backend = build(kind, args.model, beams=1, max_batch=1, threads=threads, cache_dir=args.ct2_cache)
        baselines[kind] = run_baseline(backend, proto_articles, port=free_port())
        print(f"  one HTTP request per article, {kind}: {baselines[kind]:.2f} articles/s", flush=True)
        del backend
    baseline = baselines[args.baseline_backend]
    results: dict[str, Any] = {}
    with tempfile.TemporaryDirectory(prefix="bench-") as tmp:
        broker = start_broker(Path(tmp) / "kafka")
        try:
            worker, env = start_worker(broker, Path(tmp), "bench", args, TRANSLATOR_CACHE_SLOTS="0")
            collector = FinalCollector(broker.bootstrap, env["TRANSLATOR_TOPIC_FINAL"]).start()
            try:
                print("(b) pipeline", flush=True)
                throughput(env, collector, make_articles(8, prefix="warm"))
                pipeline_rate = throughput(env, collector, full)
                title_rate = throughput(
                    env, collector, make_articles(args.n, prefix="titles", titles_only=True, seed=3, unique=True)
                )
                print("(d) latency at 25/50/75% of capacity", flush=True)
                lat: dict[str, dict[str, Any]] = {}
                for kind, capacity in (("title", title_rate), ("article", pipeline_rate)):
                    for share in (25, 50, 75):
                        rate = capacity * share / 100
                        n = max(args.latency_samples, int(rate * args.latency_min_s))
                        batch = make_articles(
                            n, prefix=f"lat-{kind}-{share}", titles_only=kind == "title", seed=share, unique=True
                        )
                        lat[f"{kind}_{share}"] = latency(env, collector, batch, rate)
                        print(f"  {kind:<7} {share}%: {lat[f'{kind}_{share}']}", flush=True)
            finally:
                collector.stop()
                worker.stop()
            print("(e) cache: the same articles twice", flush=True)
            worker, env = start_worker(broker, Path(tmp), "cache", args)
            collector = FinalCollector(broker.bootstrap, env["TRANSLATOR_TOPIC_FINAL"]).start()
            try:
                first = make_articles(max(2, args.n // 8), prefix="c1", seed=9)
                second = [{**a, "id": a["id"].replace("c1", "c2")} for a in first]
                before = model_seconds(env)
                throughput(env, collector, first)
                middle = model_seconds(env)
                throughput(env, collector, second)
                after = model_seconds(env)
                done = collector.wait_for([a["id"] for a in second], timeout=600)
            finally:
                collector.stop()
                worker.stop()
        finally:
            broker.stop()
    results = {
        "machine": {"cpu": cpu_model(), "cores": os.cpu_count()},
        "backend": args.backend,
        "max_batch": args.max_batch,
        "stream_batch": args.stream_batch,
        "threads_per_call": args.threads,
        "calls_at_once": args.replicas,
        "engine": engine_rows,
        "engine_articles_per_s": engine_rate,
        "pipeline_articles_per_s": pipeline_rate,
        "pipeline_titles_per_s": title_rate,
        "prototype_baseline_articles_per_s": baseline,
        "prototype_baseline_backend": args.baseline_backend,
        # The same per-message architecture on the pipeline's own backend:
        # isolates what batching and the pipeline add, without the backend swap.
        "prototype_architecture_same_backend_articles_per_s": baselines[args.backend],
        "pipeline_vs_prototype_same_backend": pipeline_rate / baselines[args.backend],
        "pipeline_vs_engine": pipeline_rate / engine_rate,
        "pipeline_vs_prototype": pipeline_rate / baseline,
        "latency": lat,
        "projection": projection(pipeline_rate, engine_tokens_per_s=engine_row["tokens_per_s"]),
        "p99_title_50pct_s": lat["title_50"]["p99"],
        "p99_article_50pct_s": lat["article_50"]["p99"],
        "cache_first_pass_model_s": middle - before,
        "cache_second_pass_model_s": after - middle,
        "cache_second_pass_record_model_ms": sum(r["timings"]["model_ms"] for r in done),
        "cache_second_pass_cached_segments": sum(r["timings"]["cached_segments"] for r in done),
        "cache_second_pass_segments": sum(r["timings"]["segments"] for r in done),
    }
    print_table(results)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(results, indent=2) + "\n", encoding="utf-8")
    print(f"wrote {args.out}")
    return 0


def print_table(r: dict[str, Any]) -> None:
    """The run's figures and the target ratios."""
    print(f"\n{'figure':<44}{'value':>12}")
    for key in (
        "engine_articles_per_s",
        "pipeline_articles_per_s",
        "pipeline_titles_per_s",
        "prototype_baseline_articles_per_s",
        "p99_title_50pct_s",
        "p99_article_50pct_s",
        "cache_second_pass_model_s",
    ):
        print(f"{key:<44}{r[key]:>12.3f}")
    print(f"{'pipeline / engine (target >= 0.9)':<44}{r['pipeline_vs_engine']:>12.2f}")
    print(f"{'pipeline / prototype baseline (target >= 5)':<44}{r['pipeline_vs_prototype']:>12.2f}")
    print(f"{'pipeline / same architecture on ' + r['backend']:<44}{r['pipeline_vs_prototype_same_backend']:>12.2f}")
    for key, value in r["projection"].items():
        print(f"{key:<44}{value:>12,.0f}" if value >= 100 else f"{key:<44}{value:>12.1f}")


if __name__ == "__main__":
    raise SystemExit(main())
