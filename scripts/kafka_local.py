"""Run a single-node Apache Kafka (KRaft) on loopback from the Maven jars.

``make kafka-jars`` fetches the jars; this script formats storage and starts or
stops the broker. The test suite imports :func:`start_broker` to run its own
broker on free ports.

Usage: ``python scripts/kafka_local.py up|down|status [--port 9092] [--dir .cache/kafka/broker]``
"""

from __future__ import annotations

import argparse
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import uuid
from base64 import urlsafe_b64encode
from dataclasses import dataclass
from pathlib import Path

__all__ = ("Broker", "free_port", "start_broker")

ROOT = Path(__file__).resolve().parent.parent
LIB = ROOT / ".cache" / "kafka" / "lib"

LOG4J = """log4j.rootLogger=INFO, file
log4j.appender.file=org.apache.log4j.FileAppender
log4j.appender.file.File={log}
log4j.appender.file.layout=org.apache.log4j.PatternLayout
log4j.appender.file.layout.ConversionPattern=[%d] %p %m (%c)%n
log4j.logger.kafka=INFO
log4j.logger.org.apache.kafka=WARN
"""


@dataclass
class Broker:
    """A running broker process and where it listens."""

    process: subprocess.Popen[bytes]
    port: int
    workdir: Path

    @property
    def bootstrap(self) -> str:
        """``host:port`` for Kafka clients."""
        return f"127.0.0.1:{self.port}"

    def stop(self, *, timeout: float = 30.0) -> None:
        """SIGTERM the broker and wait; SIGKILL if it will not stop."""
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


def free_port() -> int:
    """Return a TCP port that is free on 127.0.0.1 right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _cluster_id() -> str:
    """A random KRaft cluster id, as Kafka's ``Uuid.randomUuid`` makes them.

    Like Kafka, never start with "-": the storage tool would read the id as an
    option and fail (about 1 start in 64 did before this).
    """
    while True:
        candidate = urlsafe_b64encode(uuid.uuid4().bytes).decode().rstrip("=")
        if not candidate.startswith("-"):
            return candidate


def _properties(*, port: int, controller_port: int, data: Path) -> str:
    return "\n".join(
        [
            "process.roles=broker,controller",
            "node.id=1",
            f"controller.quorum.voters=1@127.0.0.1:{controller_port}",
            f"listeners=PLAINTEXT://127.0.0.1:{port},CONTROLLER://127.0.0.1:{controller_port}",
            f"advertised.listeners=PLAINTEXT://127.0.0.1:{port}",
            "controller.listener.names=CONTROLLER",
            "inter.broker.listener.name=PLAINTEXT",
            "listener.security.protocol.map=CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT",
            f"log.dirs={data}",
            "num.partitions=4",
            "offsets.topic.replication.factor=1",
            "offsets.topic.num.partitions=8",
            "transaction.state.log.replication.factor=1",
            "transaction.state.log.min.isr=1",
            "group.initial.rebalance.delay.ms=0",
            "auto.create.topics.enable=true",
            "",
        ]
    )


def start_broker(
    workdir: Path,
    *,
    port: int | None = None,
    controller_port: int | None = None,
    fresh: bool = True,
    timeout: float = 90.0,
) -> Broker:
    """Start a broker on ``workdir``, formatting KRaft storage first if ``fresh`` or new.

    Raises:
        RuntimeError: if the jars are missing or the broker does not come up in
            time (with the tail of its log), so a test run fails loudly.
    """
    if not any(LIB.glob("kafka_2.13-*.jar")):
        raise RuntimeError(f"Kafka jars not found in {LIB}; run `make kafka-jars`")
    java = shutil.which("java")
    if java is None:
        raise RuntimeError("java not found; Kafka needs Java 17")
    port = port or free_port()
    controller_port = controller_port or free_port()
    if fresh:
        shutil.rmtree(workdir, ignore_errors=True)
    workdir.mkdir(parents=True, exist_ok=True)
    config = workdir / "server.properties"
    config.write_text(_properties(port=port, controller_port=controller_port, data=workdir / "data"))
    log = workdir / "server.log"
    (workdir / "log4j.properties").write_text(LOG4J.format(log=log))
    base = [
        java,
        "-Xms256m",
        "-Xmx768m",
        f"-Dlog4j.configuration=file:{workdir / 'log4j.properties'}",
        "-cp",
        f"{LIB}/*",
    ]
    cluster_id = _cluster_id()
    if not (workdir / "data" / "meta.properties").exists():
        subprocess.run(
            [*base, "kafka.tools.StorageTool", "format", "-t", cluster_id, "-c", str(config)],
            check=True,
            capture_output=True,
        )
    offset = log.stat().st_size if log.exists() else 0
    out = (workdir / "stdout.log").open("wb")
    process = subprocess.Popen(
        [*base, "kafka.Kafka", str(config)], stdout=out, stderr=subprocess.STDOUT, start_new_session=True
    )
    broker = Broker(process=process, port=port, workdir=workdir)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            break
        if (
            log.exists()
            and log.stat().st_size > offset
            and "Kafka Server started" in log.read_text(errors="replace")[offset:]
        ):
            return broker
        time.sleep(0.3)
    broker.stop()
    tail = log.read_text(errors="replace")[-3000:] if log.exists() else "(no log)"
    raise RuntimeError(f"Kafka did not start on 127.0.0.1:{port} within {timeout:.0f}s:\n{tail}")


def main(argv: list[str] | None = None) -> int:
    """``up`` starts a detached broker, ``down`` stops it, ``status`` reports."""
    parser = argparse.ArgumentParser(description="single-node KRaft broker on loopback")
    parser.add_argument("action", choices=("up", "down", "status"))
    parser.add_argument("--port", type=int, default=9092)
    parser.add_argument("--dir", type=Path, default=ROOT / ".cache" / "kafka" / "broker")
    args = parser.parse_args(argv)
    pidfile = args.dir.parent / f"broker-{args.port}.pid"
    running = pidfile.exists() and Path(f"/proc/{pidfile.read_text().strip()}").exists()
    if args.action == "status":
        sys.stdout.write(f"kafka on 127.0.0.1:{args.port}: {'running' if running else 'stopped'}\n")
        return 0 if running else 1
    if args.action == "down":
        if running:
            pid = int(pidfile.read_text())
            os.kill(pid, signal.SIGTERM)
            for _ in range(150):
                if not Path(f"/proc/{pid}").exists():
                    break
                time.sleep(0.2)
        pidfile.unlink(missing_ok=True)
        sys.stdout.write(f"kafka on 127.0.0.1:{args.port} stopped\n")
        return 0
    if running:
        sys.stdout.write(f"kafka already running on 127.0.0.1:{args.port}\n")
        return 0
    broker = start_broker(args.dir, port=args.port, controller_port=args.port + 1, fresh=False)
    pidfile.write_text(str(broker.process.pid))
    sys.stdout.write(f"kafka up on {broker.bootstrap} (data and logs in {args.dir})\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
