"""``make overload``: offer twice the measured capacity for 5 minutes; record memory and lag; check nothing is lost.

Starts its own KRaft broker and one worker (by default the random-weight
opus-mt clone on CTranslate2, the real model's cost), measures capacity with a
burst, then produces at 2x that rate for ``--minutes``, sampling every
``--every`` seconds: the worker's resident memory, the input topic's lag
(end offsets - the group's committed offsets) and the batcher's queue depth.
After the load stops it keeps sampling until the lag is 0, then checks that
every article reached ``final_translations``. Writes ``bench/results/overload.json``.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import re
import sys
import tempfile
import threading
import time
import urllib.request
from pathlib import Path
from typing import Any

from aiokafka import AIOKafkaConsumer
from aiokafka.structs import TopicPartition

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "bench")]

from harness import FinalCollector, make_articles, produce_paced  # noqa: E402

from tests.support import Worker, admin, create_topics, start_broker, worker_env  # noqa: E402


async def _lag(bootstrap: str, group: str, topic: str) -> int:
    consumer = AIOKafkaConsumer(bootstrap_servers=bootstrap)
    async with admin(bootstrap) as client:
        await consumer.start()
        try:
            committed = {
                tp: meta.offset
                for tp, meta in (await client.list_consumer_group_offsets(group)).items()
                if tp.topic == topic
            }
            # The admin client, not the consumer: a consumer with no assignment
            # answers partitions_for_topic with None even after fetching metadata,
            # which made earlier runs record a lag of 0 throughout.
            [description] = await client.describe_topics([topic])
            partitions = [TopicPartition(topic, p["partition"]) for p in description["partitions"]]
            ends = await consumer.end_offsets(partitions)
            return sum(end - max(0, committed.get(tp, 0)) for tp, end in ends.items())
        finally:
            await consumer.stop()


def rss_mb(pid: int) -> float:
    """Resident memory of ``pid`` in MiB."""
    text = Path(f"/proc/{pid}/status").read_text()
    return int(re.search(r"VmRSS:\s+(\d+) kB", text).group(1)) / 1024  # type: ignore[union-attr]


def queue_depth(port: str) -> float:
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=10) as response:
        match = re.search(r"^translator_batcher_queue_depth (\S+)$", response.read().decode(), re.M)
    return float(match.group(1)) if match else 0.0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", type=Path, default=ROOT / ".cache" / "models" / "opus-mt-es-en-random")
    parser.add_argument("--backend", default="ctranslate2")
    parser.add_argument("--minutes", type=float, default=5.0)
    parser.add_argument("--factor", type=float, default=2.0, help="offered load / measured capacity")
    parser.add_argument("--every", type=float, default=10.0, help="seconds between samples")
    parser.add_argument("--burst", type=int, default=96, help="articles in the capacity measurement")
    parser.add_argument("--out", type=Path, default=ROOT / "bench" / "results" / "overload.json")
    args = parser.parse_args(argv)
    samples: list[dict[str, Any]] = []
    with tempfile.TemporaryDirectory(prefix="overload-") as tmp:
        broker = start_broker(Path(tmp) / "kafka")
        env = worker_env(
            bootstrap=broker.bootstrap,
            prefix="overload",
            workdir=Path(tmp),
            model=args.model,
            TRANSLATOR_BACKEND=args.backend,
            TRANSLATOR_BENCHMARK_OUTPUT_RATIO="1.1",
            TRANSLATOR_NUM_BEAMS="1",
            TRANSLATOR_CACHE_SLOTS="0",
        )
        create_topics(
            broker.bootstrap, [env[f"TRANSLATOR_TOPIC_{n}"] for n in ("INPUT", "TRANSLATED", "FINAL", "ERRORS")]
        )
        worker = Worker(env=env, log=Path(tmp) / "worker.log").start(timeout=300)
        collector = FinalCollector(broker.bootstrap, env["TRANSLATOR_TOPIC_FINAL"]).start()
        try:
            assert worker.process is not None
            # Warm the model and the backend's first calls, so the capacity burst is not a cold start.
            warm = make_articles(16, prefix="warm", seed=4, unique=True)
            produce_paced(broker.bootstrap, env["TRANSLATOR_TOPIC_INPUT"], warm)
            collector.wait_for([a["id"] for a in warm], timeout=1800)
            burst = make_articles(args.burst, prefix="cap", seed=5, unique=True)
            started = produce_paced(broker.bootstrap, env["TRANSLATOR_TOPIC_INPUT"], burst)
            collector.wait_for([a["id"] for a in burst], timeout=1800)
            capacity = len(burst) / (collector.last_arrival([a["id"] for a in burst]) - started)
            rate = capacity * args.factor
            load = make_articles(int(rate * args.minutes * 60), prefix="load", seed=6, unique=True)
            print(
                f"capacity {capacity:.2f} articles/s; offering {rate:.2f}/s"
                f" for {args.minutes:g} min ({len(load)} articles)"
            )
            producer = threading.Thread(
                target=produce_paced,
                args=(broker.bootstrap, env["TRANSLATOR_TOPIC_INPUT"], load),
                kwargs={"rate": rate},
            )
            t0 = time.time()
            producer.start()
            while True:
                time.sleep(args.every)
                lag = asyncio.run(_lag(broker.bootstrap, env["TRANSLATOR_APP_ID"], env["TRANSLATOR_TOPIC_INPUT"]))
                sample = {
                    "t_s": round(time.time() - t0, 1),
                    "loading": producer.is_alive(),
                    "rss_mib": round(rss_mb(worker.process.pid), 1),
                    "input_lag": lag,
                    "queue_depth": queue_depth(env["TRANSLATOR_WEB_PORT"]),
                    "finals": len(collector.records),
                }
                samples.append(sample)
                print(sample, flush=True)
                if not producer.is_alive() and lag == 0:
                    break
            ids = [a["id"] for a in load]
            collector.wait_for(ids, timeout=600)
            lost = 0
        except TimeoutError as exc:
            print(f"LOST: {exc}")
            lost = -1
        finally:
            collector.stop()
            worker.stop()
            broker.stop()
    loaded = [s for s in samples if s["loading"]]
    result = {
        "capacity_articles_per_s": capacity,
        "offered_articles_per_s": rate,
        "minutes": args.minutes,
        "articles": len(load),
        "lost": lost,
        "max_rss_mib": max(s["rss_mib"] for s in samples),
        "rss_first_mib": samples[0]["rss_mib"],
        "rss_last_loaded_mib": loaded[-1]["rss_mib"] if loaded else None,
        "max_input_lag": max(s["input_lag"] for s in samples),
        "max_queue_depth": max(s["queue_depth"] for s in samples),
        "drained_after_s": samples[-1]["t_s"],
        "samples": samples,
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
    print({k: v for k, v in result.items() if k != "samples"})
    return 0 if lost == 0 else 1


if __name__ == "__main__":
    raise SystemExit(main())
