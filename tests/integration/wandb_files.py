"""Read an offline W&B run's history and summary keys from its ``.wandb`` file (a LevelDB-style log of protobufs).

The protobufs are decoded in a child interpreter: importing wandb builds pydantic models, whose docstring
extraction calls ``ast.parse``, and CPython 3.11.7's AST converter keeps its recursion counter per interpreter
rather than per thread (gh-106905). Imported inside the pytest process, next to the suite's other threads, it
failed one CI run with "AST constructor recursion depth mismatch". A fresh single-threaded process is immune.
"""

from __future__ import annotations

import json
import struct
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path


def _chunks(data: bytes) -> Iterator[bytes]:
    if data[:4] != b":W&B":
        raise ValueError("not a W&B transaction log")
    position, block, pending = 7, 32768, b""
    while position + 7 <= len(data):
        space = block - position % block
        if space < 7:  # block trailer padding
            position += space
            continue
        _crc, length, kind = struct.unpack("<IHB", data[position : position + 7])
        if kind == 0:
            position += space
            continue
        chunk = data[position + 7 : position + 7 + length]
        position += 7 + length
        if kind == 1:
            yield chunk
        elif kind == 2:
            pending = chunk
        elif kind == 3:
            pending += chunk
        elif kind == 4:
            yield pending + chunk
            pending = b""


def run_keys(run_file: Path) -> tuple[list[set[str]], set[str]]:
    """Return (keys of each history row, summary keys), without W&B's own ``_``-prefixed keys."""
    done = subprocess.run(
        [sys.executable, __file__, str(run_file)], capture_output=True, text=True, timeout=120, check=False
    )
    if done.returncode != 0:
        raise RuntimeError(f"decoding {run_file} failed:\n{done.stderr}")
    decoded = json.loads(done.stdout)
    return [set(keys) for keys in decoded["history"]], set(decoded["summary"])


def _decode(run_file: Path) -> tuple[list[set[str]], set[str]]:
    from wandb.proto import wandb_internal_pb2

    history: list[set[str]] = []
    summary: set[str] = set()
    for raw in _chunks(run_file.read_bytes()):
        record = wandb_internal_pb2.Record()
        record.ParseFromString(raw)
        kind = record.WhichOneof("record_type")
        if kind == "history":
            keys = {item.key or "/".join(item.nested_key) for item in record.history.item}
            history.append({k for k in keys if not k.startswith("_")})
        elif kind == "summary":
            keys = {item.key or "/".join(item.nested_key) for item in record.summary.update}
            summary |= {k for k in keys if not k.startswith("_")}
    return history, summary


def offline_runs(directory: Path) -> list[Path]:
    """The ``.wandb`` files of the offline runs under ``directory``."""
    return sorted(directory.glob("wandb/offline-run-*/run-*.wandb"))


if __name__ == "__main__":
    rows, summary_keys = _decode(Path(sys.argv[1]))
    json.dump({"history": [sorted(keys) for keys in rows], "summary": sorted(summary_keys)}, sys.stdout)
