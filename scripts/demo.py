"""``make demo``: translate the sample feed end to end on the local broker and print it.

Starts a worker, ingests ``data/sample_feed_es.xml``, waits for every article on
``final_translations`` and prints original and translation side by side. Without
Hub access (and no ``TRANSLATOR_MODEL``) it says so and uses the offline copy model.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import textwrap
import time
from pathlib import Path

from aiokafka import AIOKafkaConsumer

ROOT = Path(__file__).resolve().parent.parent
FEED = ROOT / "data" / "sample_feed_es.xml"
COPY_MODEL = ROOT / ".cache" / "models" / "copy-es"
BIN = Path(sys.executable).parent


def say(text: str = "") -> None:
    sys.stdout.write(text + "\n")
    sys.stdout.flush()


def hub_reachable() -> bool:
    try:
        socket.getaddrinfo("huggingface.co", 443)
    except OSError:
        return False
    return True


def choose_model() -> str:
    if os.environ.get("TRANSLATOR_MODEL"):
        return os.environ["TRANSLATOR_MODEL"]
    if hub_reachable():
        return "Helsinki-NLP/opus-mt-es-en"
    say("No Hugging Face Hub access from this machine, and TRANSLATOR_MODEL is not set.")
    say(f"Using the OFFLINE TEST MODEL {COPY_MODEL.relative_to(ROOT)}: it copies its input, so the")
    say("'English' column below repeats the Spanish. Set TRANSLATOR_MODEL to a real model for English.")
    say()
    subprocess.run([sys.executable, str(ROOT / "scripts" / "build_test_models.py"), "--only", "copy-es"], check=True)
    return str(COPY_MODEL)


async def read_new(bootstrap: str, topic: str, *, since: float, count: int, timeout: float) -> list[dict]:
    """Collect records published after ``since`` (one per id) from ``topic``."""
    consumer = AIOKafkaConsumer(topic, bootstrap_servers=bootstrap, auto_offset_reset="earliest")
    await consumer.start()
    records: dict[str, dict] = {}
    try:
        deadline = time.monotonic() + timeout
        while len(records) < count and time.monotonic() < deadline:
            for messages in (await consumer.getmany(timeout_ms=500)).values():
                for message in messages:
                    record = json.loads(message.value)
                    if record.get("published_at", 0) >= since:
                        records[record["id"]] = record
    finally:
        await consumer.stop()
    return list(records.values())


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--web-port", type=int, default=6066)
    args = parser.parse_args()
    model = choose_model()
    workdir = ROOT / ".cache" / "demo"
    shutil.rmtree(workdir, ignore_errors=True)
    workdir.mkdir(parents=True)
    env = {
        **os.environ,
        "TRANSLATOR_MODEL": model,
        "TRANSLATOR_APP_ID": "translator_demo",
        "TRANSLATOR_DATA_DIR": str(workdir / "data"),
        "TRANSLATOR_INGEST_STATE": str(workdir / "ingest.sqlite3"),
        "TRANSLATOR_WEB_PORT": str(args.web_port),
    }
    bootstrap = env.get("TRANSLATOR_BROKER", "kafka://127.0.0.1:9092").split("://", 1)[-1]
    faust = [str(BIN / "faust"), "-A", "translator_app.app"]
    subprocess.run([*faust, "create-topics"], env=env, check=True, capture_output=True)
    topic = env.get("TRANSLATOR_TOPIC_FINAL", "final_translations")
    since = time.time()
    log = workdir / "worker.log"
    say(f"starting worker (model {model}); log: {log.relative_to(ROOT)}")
    worker = subprocess.Popen(
        [*faust, "worker", "-l", "info"], env=env, stdout=log.open("wb"), stderr=subprocess.STDOUT
    )
    try:
        deadline = time.monotonic() + 180
        while "[^Worker]: Ready" not in log.read_text(errors="replace"):
            if worker.poll() is not None or time.monotonic() > deadline:
                say(log.read_text(errors="replace")[-3000:])
                return 1
            time.sleep(0.5)
        subprocess.run([*faust, "ingest", "--feed", str(FEED)], env=env, check=True)
        records = asyncio.run(read_new(bootstrap, topic, since=since, count=15, timeout=300))
        if worker.poll() is not None:
            say(log.read_text(errors="replace")[-3000:])
            return 1
        say()
        for record in sorted(records, key=lambda r: r["ingested_at"]):
            say(f"── {record['published']}  ({record['timings']['end_to_end_ms']:.0f} ms end to end)")
            say(textwrap.fill(f"ES  {record['original']['title']}", 100, subsequent_indent="    "))
            say(textwrap.fill(f"EN  {record['title']}", 100, subsequent_indent="    "))
        say(f"\n{len(records)} of 15 articles translated by {model} and published on {topic!r}.")
        return 0 if len(records) == 15 else 1
    finally:
        worker.send_signal(signal.SIGTERM)
        try:
            worker.wait(timeout=60)
        except subprocess.TimeoutExpired:
            worker.kill()


if __name__ == "__main__":
    raise SystemExit(main())
