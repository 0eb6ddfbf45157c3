"""Run Apache Kafka (KRaft) on loopback from the Maven jars: one node, or a 3-node cluster.

``make kafka-jars`` fetches the jars; this script formats storage and starts or
stops the brokers. The test suite imports :func:`start_broker` and
:func:`start_cluster` to run its own on free ports.

Usage: ``python scripts/kafka_local.py up|down|status [--port 9092] [--nodes 1|3] [--dir ...]``.
With ``--nodes 3`` node i listens on ``port + 2i`` (controller ``port + 2i + 1``);
topics default to replication factor 3 with ``min.insync.replicas=2``.
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
from dataclasses import dataclass, field
from pathlib import Path

__all__ = ("Broker", "Cluster", "free_port", "start_broker", "start_cluster")

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
    command: list[str] = field(default_factory=list)

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

    def kill(self) -> None:
        """SIGKILL the broker: a crash, no controlled shutdown."""
        if self.process.poll() is None:
            self.process.kill()
            self.process.wait()

    def restart(self, *, timeout: float = 90.0) -> None:
        """Start the stopped broker again on the same storage and wait until it serves."""
        self.process = _spawn(self.command, self.workdir)
        _await_started(self, timeout=timeout)


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


def _properties(*, node_id: int, port: int, controller_port: int, voters: str, data: Path, replication: int) -> str:
    return "\n".join(
        [
            "process.roles=broker,controller",
            f"node.id={node_id}",
            f"controller.quorum.voters={voters}",
            f"listeners=PLAINTEXT://127.0.0.1:{port},CONTROLLER://127.0.0.1:{controller_port}",
            f"advertised.listeners=PLAINTEXT://127.0.0.1:{port}",
            "controller.listener.names=CONTROLLER",
            "inter.broker.listener.name=PLAINTEXT",
            "listener.security.protocol.map=CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT",
            f"log.dirs={data}",
            "num.partitions=4",
            f"default.replication.factor={replication}",
            f"min.insync.replicas={min(2, replication)}",
            f"offsets.topic.replication.factor={replication}",
            "offsets.topic.num.partitions=8",
            f"transaction.state.log.replication.factor={replication}",
            f"transaction.state.log.min.isr={min(2, replication)}",
            "group.initial.rebalance.delay.ms=0",
            "auto.create.topics.enable=true",
            # Room for the 10 MB bad-input message; the worker dead-letters it as oversize.
            "message.max.bytes=16777216",
            "replica.fetch.max.bytes=16777216",
            "",
        ]
    )


def _java_base(workdir: Path) -> list[str]:
    if not any(LIB.glob("kafka_2.13-*.jar")):
        raise RuntimeError(f"Kafka jars not found in {LIB}; run `make kafka-jars`")
    java = shutil.which("java")
    if java is None:
        raise RuntimeError("java not found; Kafka needs Java 17")
    return [
        java,
        "-Xms256m",
        "-Xmx768m",
        f"-Dlog4j.configuration=file:{workdir / 'log4j.properties'}",
        "-cp",
        f"{LIB}/*",
    ]


def _prepare(workdir: Path, properties: str, cluster_id: str, *, fresh: bool) -> list[str]:
    """Write the node's config, format its storage if new, and return its start command."""
    if fresh:
        shutil.rmtree(workdir, ignore_errors=True)
    workdir.mkdir(parents=True, exist_ok=True)
    config = workdir / "server.properties"
    config.write_text(properties)
    (workdir / "log4j.properties").write_text(LOG4J.format(log=workdir / "server.log"))
    base = _java_base(workdir)
    if not (workdir / "data" / "meta.properties").exists():
        subprocess.run(
            [*base, "kafka.tools.StorageTool", "format", "-t", cluster_id, "-c", str(config)],
            check=True,
            capture_output=True,
        )
    return [*base, "kafka.Kafka", str(config)]


def _spawn(command: list[str], workdir: Path) -> subprocess.Popen[bytes]:
    log = workdir / "server.log"
    # Remember where this start's log begins, so readiness is judged on it alone.
    (workdir / "log.offset").write_text(str(log.stat().st_size if log.exists() else 0))
    out = (workdir / "stdout.log").open("ab")
    return subprocess.Popen(command, stdout=out, stderr=subprocess.STDOUT, start_new_session=True)


def _await_started(broker: Broker, *, timeout: float) -> None:
    log = broker.workdir / "server.log"
    offset = int((broker.workdir / "log.offset").read_text())
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if broker.process.poll() is not None:
            break
        if log.exists() and "Kafka Server started" in log.read_text(errors="replace")[offset:]:
            return
        time.sleep(0.3)
    broker.stop()
    tail = log.read_text(errors="replace")[-3000:] if log.exists() else "(no log)"
    raise RuntimeError(f"Kafka did not start on 127.0.0.1:{broker.port} within {timeout:.0f}s:\n{tail}")


def start_broker(
    workdir: Path,
    *,
    port: int | None = None,
    controller_port: int | None = None,
    fresh: bool = True,
    timeout: float = 90.0,
) -> Broker:
    """Start a single-node broker on ``workdir``, formatting KRaft storage first if ``fresh`` or new.

    Raises:
        RuntimeError: if the jars are missing or the broker does not come up in
            time (with the tail of its log), so a test run fails loudly.
    """
    port = port or free_port()
    controller_port = controller_port or free_port()
    properties = _properties(
        node_id=1,
        port=port,
        controller_port=controller_port,
        voters=f"1@127.0.0.1:{controller_port}",
        data=workdir / "data",
        replication=1,
    )
    command = _prepare(workdir, properties, _cluster_id(), fresh=fresh)
    broker = Broker(process=_spawn(command, workdir), port=port, workdir=workdir, command=command)
    _await_started(broker, timeout=timeout)
    return broker


@dataclass
class Cluster:
    """Three (or more) KRaft nodes, each broker and controller."""

    brokers: list[Broker]

    @property
    def bootstrap(self) -> str:
        """Every node, comma-separated, for Kafka clients."""
        return ",".join(b.bootstrap for b in self.brokers)

    def stop(self) -> None:
        """Stop every node."""
        for broker in self.brokers:
            broker.stop()


def start_cluster(
    workdir: Path,
    *,
    nodes: int = 3,
    ports: list[tuple[int, int]] | None = None,
    fresh: bool = True,
    timeout: float = 120.0,
) -> Cluster:
    """Start ``nodes`` combined broker/controller nodes that form one KRaft quorum.

    Topics default to replication factor ``nodes`` (capped at 3) and
    ``min.insync.replicas=2``, so one node can be lost without losing writes.
    """
    pairs = ports or [(free_port(), free_port()) for _ in range(nodes)]
    voters = ",".join(f"{i + 1}@127.0.0.1:{controller}" for i, (_, controller) in enumerate(pairs))
    cluster_id = _cluster_id()
    brokers = []
    for i, (port, controller) in enumerate(pairs):
        node_dir = workdir / f"node{i + 1}"
        properties = _properties(
            node_id=i + 1,
            port=port,
            controller_port=controller,
            voters=voters,
            data=node_dir / "data",
            replication=min(3, nodes),
        )
        command = _prepare(node_dir, properties, cluster_id, fresh=fresh)
        # All nodes start before any is awaited: a quorum needs a majority up.
        brokers.append(Broker(process=_spawn(command, node_dir), port=port, workdir=node_dir, command=command))
    try:
        for broker in brokers:
            _await_started(broker, timeout=timeout)
    except RuntimeError:
        Cluster(brokers).stop()
        raise
    return Cluster(brokers)


def main(argv: list[str] | None = None) -> int:
    """``up`` starts detached node(s), ``down`` stops them, ``status`` reports."""
    parser = argparse.ArgumentParser(description="KRaft broker(s) on loopback")
    parser.add_argument("action", choices=("up", "down", "status"))
    parser.add_argument("--port", type=int, default=9092)
    parser.add_argument("--nodes", type=int, default=1, choices=(1, 3))
    parser.add_argument("--dir", type=Path, default=None)
    args = parser.parse_args(argv)
    root = args.dir or ROOT / ".cache" / "kafka" / ("broker" if args.nodes == 1 else "cluster")
    pairs = [(args.port + 2 * i, args.port + 2 * i + 1) for i in range(args.nodes)]
    pidfiles = [root.parent / f"broker-{port}.pid" for port, _ in pairs]

    def alive(pidfile: Path) -> bool:
        return pidfile.exists() and Path(f"/proc/{pidfile.read_text().strip()}").exists()

    bootstrap = ",".join(f"127.0.0.1:{port}" for port, _ in pairs)
    if args.action == "status":
        running = all(alive(p) for p in pidfiles)
        sys.stdout.write(f"kafka on {bootstrap}: {'running' if running else 'stopped'}\n")
        return 0 if running else 1
    if args.action == "down":
        for pidfile in pidfiles:
            if alive(pidfile):
                pid = int(pidfile.read_text())
                os.kill(pid, signal.SIGTERM)
                for _ in range(150):
                    if not Path(f"/proc/{pid}").exists():
                        break
                    time.sleep(0.2)
            pidfile.unlink(missing_ok=True)
        sys.stdout.write(f"kafka on {bootstrap} stopped\n")
        return 0
    if all(alive(p) for p in pidfiles):
        sys.stdout.write(f"kafka already running on {bootstrap}\n")
        return 0
    if args.nodes == 1:
        brokers = [start_broker(root, port=pairs[0][0], controller_port=pairs[0][1], fresh=False)]
    else:
        brokers = start_cluster(root, nodes=args.nodes, ports=pairs, fresh=False).brokers
    for pidfile, broker in zip(pidfiles, brokers, strict=True):
        pidfile.write_text(str(broker.process.pid))
    sys.stdout.write(f"kafka up on {bootstrap} (data and logs in {root})\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
