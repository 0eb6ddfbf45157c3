"""`make bench-engine` still runs and writes its documented JSON (tiny sizes; no timing is asserted)."""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

from tests.support import ROOT

sys.path.insert(0, str(ROOT / "bench"))

import engine_bench


def test_engine_bench_writes_every_row(copy_model: Path, tmp_path: Path) -> None:
    out = tmp_path / "engine.json"
    args = ["--model", str(copy_model), "--sentences", "4", "--batches", "1,2", "--beams", "1,2"]
    assert (
        engine_bench.main([*args, "--threads", "1", "--overhead-rounds", "1", "--rounds", "1", "--out", str(out)]) == 0
    )
    rows = json.loads(out.read_text(encoding="utf-8"))
    grid = [r for r in rows if "backend" in r]
    assert {(r["backend"], r["batch"], r["beams"]) for r in grid} == {
        (backend, batch, beams) for backend in ("transformers", "ctranslate2") for batch in (1, 2) for beams in (1, 2)
    }
    for row in grid:
        assert set(row) == {"backend", "precision", "batch", "beams", "tokens_per_s", "sentences_per_s"}
        assert row["tokens_per_s"] > 0 and row["sentences_per_s"] > 0
    assert {r["precision"] for r in grid if r["backend"] == "ctranslate2"} == {"int8"}
    [interleaved] = [r for r in rows if "ctranslate2_vs_transformers_bs32_greedy_interleaved" in r]
    assert interleaved["ctranslate2_vs_transformers_bs32_greedy_interleaved"] > 0
    [overhead] = [r for r in rows if "batcher_overhead" in r]
    assert isinstance(overhead["batcher_overhead"], float)
    layouts = [r for r in rows if "layout_backend" in r]
    cores = os.cpu_count() or 1
    shapes = ((cores, 1), (1, cores))
    expected = {(b, t, c, n) for b in ("transformers", "ctranslate2") for t, c in shapes for n in (8, 32)}
    assert {(r["layout_backend"], r["threads_per_call"], r["calls_at_once"], r["batch"]) for r in layouts} == (
        expected if cores > 1 else set()
    )
    assert all(r["sentences_per_s"] > 0 and r["four_titles_s"] > 0 for r in layouts)


def test_pipeline_bench_writes_the_documented_keys(copy_model: Path, tmp_path: Path) -> None:
    import pipeline_bench

    out = tmp_path / "bench.json"
    args = ["--model", str(copy_model), "--n", "8", "--baseline-n", "2", "--latency-samples", "3"]
    assert pipeline_bench.main([*args, "--latency-min-s", "1", "--threads", "1", "--out", str(out)]) == 0
    result = json.loads(out.read_text(encoding="utf-8"))
    for key in (
        "pipeline_articles_per_s",
        "engine_articles_per_s",
        "prototype_baseline_articles_per_s",
        "pipeline_vs_engine",
        "pipeline_vs_prototype",
        "p99_title_50pct_s",
        "p99_article_50pct_s",
        "cache_second_pass_model_s",
        "prototype_architecture_same_backend_articles_per_s",
        "pipeline_vs_prototype_same_backend",
    ):
        assert isinstance(result[key], float) and result[key] >= 0, key
    # The baseline is the prototype as built: per-message requests to opus-mt in transformers.
    assert result["prototype_baseline_backend"] == "transformers"
    assert set(result["latency"]) == {f"{kind}_{share}" for kind in ("title", "article") for share in (25, 50, 75)}
    for figures in result["latency"].values():
        assert figures["p50"] <= figures["p99"] and figures["model_s_p50"] <= figures["model_s_p99"]
    # The worker's thread layout: one single-threaded call per core, the same for the engine figures.
    assert (result["threads_per_call"], result["calls_at_once"]) == (1, os.cpu_count() or 1)
    # The second pass of the same articles is answered by the cache: no model time at all.
    assert result["cache_second_pass_model_s"] == 0
    assert result["cache_second_pass_cached_segments"] == result["cache_second_pass_segments"] > 0


def test_profile_splits_the_cpu_of_a_pipeline_run(copy_model: Path, tmp_path: Path) -> None:
    import profile_pipeline

    out = tmp_path / "profile.json"
    # Enough articles that the run outlasts py-spy's attach by a few seconds on a
    # fast host: with 8 the whole run took 0.7 s and py-spy caught one sample.
    args = ["--model", str(copy_model), "--n", "96", "--threads", "1", "--out", str(out)]
    assert profile_pipeline.main([*args, "--env", "TRANSLATOR_MAX_WAIT_S=0.02"]) == 0
    result = json.loads(out.read_text(encoding="utf-8"))
    assert result["settings"]["TRANSLATOR_MAX_WAIT_S"] == "0.02"
    cpu = result["cpu_s"]
    assert {"worker MainThread", "broker (JVM)", "bench producer + reader"} <= set(cpu)
    assert cpu["worker MainThread"] > 0 and result["model_busy_s"] > 0
    # py-spy attached and saw the event loop running our code.
    assert result["main_thread_samples"] > 0
    assert any("translator_app" in frame for frame, _ in result["main_thread_top_inclusive"])
