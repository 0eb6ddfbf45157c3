"""W&B offline runs, from the worker and from `translator_app eval`, have exactly the fixed schema's keys."""

from __future__ import annotations

import json
import time
from pathlib import Path

from tests.support import Broker, consume, faust_command, produce, worker_env
from translator_app.tracking import KEYS

from .conftest import start_pipeline
from .test_models import HELDOUT
from .wandb_files import offline_runs, run_keys


def test_eval_prints_bleu_and_chrf_and_logs_the_schema(copy_model: Path, tmp_path: Path) -> None:
    refs = tmp_path / "refs.tsv"
    pairs = [(line, line) for line in HELDOUT[:20]]  # the copy model's perfect references
    refs.write_text("# source\treference\n" + "".join(f"{s}\t{r}\n" for s, r in pairs), encoding="utf-8")
    env = worker_env(
        bootstrap="127.0.0.1:1",  # eval never talks to Kafka
        prefix="eval",
        workdir=tmp_path,
        model=copy_model,
        TRANSLATOR_WANDB_ENABLED="true",
        TRANSLATOR_WANDB_DIR=str(tmp_path / "wb"),
    )
    result = faust_command(env, "eval", "--refs", str(refs), timeout=300)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "sentences: 20" in result.stdout
    assert "BLEU: 100.00" in result.stdout and "chrF: 100.00" in result.stdout
    [run] = offline_runs(tmp_path / "wb")
    history, summary = run_keys(run)
    assert history and all(keys == set(KEYS) for keys in history)
    assert summary == set(KEYS)


def test_eval_scores_drop_with_wrong_references_and_bad_files_fail_clearly(copy_model: Path, tmp_path: Path) -> None:
    env = worker_env(bootstrap="127.0.0.1:1", prefix="eval2", workdir=tmp_path, model=copy_model)
    refs = tmp_path / "refs.tsv"
    refs.write_text("".join(f"{HELDOUT[i]}\t{HELDOUT[i + 1]}\n" for i in range(10)), encoding="utf-8")
    result = faust_command(env, "eval", "--refs", str(refs), timeout=300)
    assert result.returncode == 0, result.stderr
    bleu = float(result.stdout.split("BLEU: ")[1].split()[0])
    assert bleu < 20
    broken = tmp_path / "broken.tsv"
    broken.write_text("sin tabulador\n", encoding="utf-8")
    failed = faust_command(env, "eval", "--refs", str(broken), timeout=300)
    assert failed.returncode != 0 and "broken.tsv:1: expected 'source<TAB>reference'" in failed.stdout + failed.stderr


def test_worker_logs_interval_rows_with_the_fixed_schema_offline(
    kafka: Broker, copy_model: Path, tmp_path: Path
) -> None:
    p = start_pipeline(
        kafka,
        tmp_path,
        copy_model,
        "wandb",
        TRANSLATOR_WANDB_ENABLED="true",
        TRANSLATOR_WANDB_DIR=str(tmp_path / "wb"),
        TRANSLATOR_WANDB_INTERVAL_S="2",
    )
    try:
        articles = [{"id": f"wb-{i}", "title": HELDOUT[i], "summary": HELDOUT[i + 40]} for i in range(10)]
        produce(p.bootstrap, p.input, [(a["id"].encode(), json.dumps(a).encode()) for a in articles])
        produce(p.bootstrap, p.input, [(b"bad", b"{oops")])
        consume(p.bootstrap, [p.final], until=lambda r: len(r[p.final]) >= 10)
        time.sleep(5)  # at least two intervals
    finally:
        p.worker.stop()
    [run] = offline_runs(tmp_path / "wb")
    history, summary = run_keys(run)
    assert len(history) >= 2 and all(keys == set(KEYS) for keys in history)
    assert summary == set(KEYS)
