"""Restart a worker onto a backlog, round after round, and count articles lost.

Each round starts a worker on fresh topics (copy model, takes and model
batches of 8), sends ``--n`` articles, sends SIGTERM once ``--stop-after`` are
final, restarts the worker, waits until every input offset is committed, and
then lists articles missing from ``final_translations`` (and whether they ever
reached ``translated_news_spanish_to_english``). This is the rate measurement
behind RELIABILITY.md's "A restart onto a backlog skipped a record" section: a one-round test cannot
tell a 50 % loss rate from a fixed bug. Writes ``bench/results/restart_rounds.json``.

Command: ``make restart-rounds`` (``RESTART_ARGS="--rounds 8"``).
"""

from __future__ import annotations

import argparse
import json
import signal
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.integration.conftest import start_pipeline  # noqa: E402
from tests.integration.test_reliability import articles, restart_during  # noqa: E402
from tests.support import consume, start_broker  # noqa: E402

__all__ = ("main", "one_round")


def one_round(broker: Any, workdir: Path, model: Path, prefix: str, *, n: int, stop_after: int) -> dict[str, Any]:
    """Run one stop-and-restart round; return what was lost and where."""
    started = time.monotonic()
    p = start_pipeline(broker, workdir, model, prefix, TRANSLATOR_MAX_BATCH="8", TRANSLATOR_STREAM_BATCH="8")
    sent = articles("t", n)
    records, _ = restart_during(p, sent, sig=signal.SIGTERM, after=[stop_after])
    final = {r["id"] for r in records}
    lost = [a["id"] for a in sent if a["id"] not in final]
    reached = consume(
        p.bootstrap,
        [p.translated, p.errors],
        until=lambda r: len({x["id"] for x in r[p.translated]}) + len(r[p.errors]) >= n,
        timeout=30,
    )
    translated = {r["id"] for r in reached[p.translated]}
    return {
        "lost": lost,
        "lost_before_translated": [i for i in lost if i not in translated],
        "dead_letters": len(reached[p.errors]),
        "seconds": round(time.monotonic() - started, 1),
    }


def main(argv: list[str] | None = None) -> int:
    """Run the rounds against one local broker; print each and write JSON. Exit 1 if any article was lost."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=8)
    parser.add_argument("--n", type=int, default=300)
    parser.add_argument("--stop-after", type=int, default=60)
    parser.add_argument("--model", type=Path, default=ROOT / ".cache" / "models" / "copy-es")
    parser.add_argument("--out", type=Path, default=ROOT / "bench" / "results" / "restart_rounds.json")
    args = parser.parse_args(argv)
    rounds: list[dict[str, Any]] = []
    with tempfile.TemporaryDirectory(prefix="restart-rounds-") as tmp:
        base = Path(tmp)
        broker = start_broker(base / "broker")
        try:
            for i in range(args.rounds):
                workdir = base / f"round{i}"
                workdir.mkdir()
                result = one_round(broker, workdir, args.model, f"rr{i}", n=args.n, stop_after=args.stop_after)
                rounds.append(result)
                print(f"round {i}: lost {result['lost']} ({result['seconds']} s)", flush=True)
        finally:
            broker.stop()
    summary = {
        "rounds": args.rounds,
        "articles_per_round": args.n,
        "rounds_with_loss": sum(1 for r in rounds if r["lost"]),
        "articles_lost": sum(len(r["lost"]) for r in rounds),
        "per_round": rounds,
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(summary, indent=2) + "\n")
    print(
        f"{summary['rounds_with_loss']} of {args.rounds} rounds lost articles "
        f"({summary['articles_lost']} of {args.rounds * args.n}) -> {args.out}"
    )
    return 1 if summary["articles_lost"] else 0


if __name__ == "__main__":
    sys.exit(main())
