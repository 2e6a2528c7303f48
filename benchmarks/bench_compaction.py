"""Compaction rows/s: gzip NDJSON partitions -> zstd Parquet, against two baselines.

Measured in the same run, on the same files (200k log rows, 100k prediction rows, as
ingest writes them), best of three:
- the compactor as it runs (DuckDB's fast path, `store/columnar.py`);
- the reference path (`Compactor(..., reference=True)`): the previous implementation,
  record-by-record decoding into Arrow, which tests compare the fast path with; it writes
  the same columns (hot attributes included);
- the floor any Python reader pays: gunzip every file and `orjson.loads` every line.
Targets: at least 200,000 rows/s and 1.5x the reference path. On a shared machine wall
time swings with the load, so each figure is also given per CPU-second of this process
(DuckDB's threads included), which the load barely moves, next to the cores the machine has,
its load average and the cores compaction kept busy (CPU seconds / wall seconds; DuckDB runs
`DUCKDB_THREADS` threads). The run also checks that both paths wrote the same rows and
columns. Run: `python -m benchmarks compaction`.
"""

from __future__ import annotations

import argparse
import os
import random
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import orjson
import pyarrow.parquet as pq
from prometheus_client import CollectorRegistry

from observability.core.fields import FIELDS, JSON_TEXT_TYPES
from observability.core.metrics import Metrics
from observability.core.partitioning import Partition
from observability.core.schema import Kind
from observability.store.compaction import (
    CHUNK_LINES,
    DUCKDB_THREADS,
    MANIFEST_NAME,
    OUTPUT_NAME,
    Compactor,
)
from observability.store.files import decode_lines, encode_ndjson_gz, new_filename
from observability.store.local import LocalStore
from observability.transform.lines import transform_lines

TARGET_ROWS_PER_SECOND = 200_000
TARGET_SPEEDUP = 1.5
LOG_ROWS = 200_000
PREDICTION_ROWS = 100_000
FILES_PER_PARTITION = 4
INGESTED = "2026-11-23T14:00:00.000000Z"


def _log(rng: random.Random, i: int) -> bytes:
    record: dict[str, object] = {
        "timestamp": f"2026-11-23T13:{i % 60:02d}:{i % 59:02d}.{i % 999_999:06d}Z",
        "level": rng.choice(("info", "info", "info", "warning", "error")),
        "service": "checkout",
        "event": "request handled",
        "env": "prod",
        "logger": "checkout.http",
        "trace_id": f"{rng.getrandbits(128):032x}",
        "span_id": f"{rng.getrandbits(64):016x}",
        "request_id": f"req-{i}",
        "host": "checkout-7f9c",
        "version": "1.4.2",
        "attributes": {"path": "/cart", "status": 200, "latency_ms": round(rng.random() * 90, 2)},
    }
    return orjson.dumps(record)


def _prediction(rng: random.Random, i: int) -> bytes:
    fraud = round(rng.random(), 4)
    record = {
        "timestamp": f"2026-11-23T13:{i % 60:02d}:{i % 59:02d}.{i % 999_999:06d}Z",
        "model": "fraud-classifier",
        "model_version": "2026.11.1",
        "prediction_id": f"p-{i}",
        "features": {"amount": rng.random() * 500, "country": "DE", "card_present": True},
        "prediction": {"fraud": fraud, "legit": round(1 - fraud, 4)},
        "latency_ms": round(rng.random() * 10, 2),
    }
    return orjson.dumps(record)


def _fill(
    store: LocalStore, kind: Kind, make: Callable[[random.Random, int], bytes], n: int
) -> Partition:
    rng = random.Random(1)
    per_file = n // FILES_PER_PARTITION
    partition = None
    for part in range(FILES_PER_PARTITION):
        lines = [make(rng, part * per_file + i) for i in range(per_file)]
        processed = transform_lines(lines, kind, INGESTED)
        partition = processed.accepted[0].partition
        body = encode_ndjson_gz(a.line for a in processed.accepted)
        store.put(partition.object_key(new_filename()), body)
    assert partition is not None
    return partition


@dataclass(frozen=True)
class Timing:
    """Rows handled, in wall seconds and in CPU seconds of this process."""

    rows: int
    wall: float
    cpu: float

    @property
    def rate(self) -> float:
        """Rows per wall second."""
        return self.rows / self.wall

    @property
    def cpu_rate(self) -> float:
        """Rows per CPU second."""
        return self.rows / self.cpu


def _baseline(store: LocalStore, partitions: list[Partition]) -> Timing:
    started, cpu = time.perf_counter(), time.process_time()
    rows = 0
    for partition in partitions:
        for key in store.list(partition.prefix):
            lines = list(decode_lines(store.get(key)))
            for first in range(0, len(lines), CHUNK_LINES):
                chunk = [orjson.loads(line) for line in lines[first : first + CHUNK_LINES]]
                rows += len(chunk)
    return Timing(rows, time.perf_counter() - started, time.process_time() - cpu)


def _compact(
    store: LocalStore, partitions: list[Partition], *, reference: bool
) -> tuple[Timing, int]:
    """Compact every partition once (as a new compactor would); the timing and bytes."""
    compactor = Compactor(store, Metrics(CollectorRegistry()), reference=reference)
    rows = size = 0
    started, cpu = time.perf_counter(), time.process_time()
    for partition in partitions:
        store.delete(partition.compacted_key(MANIFEST_NAME))  # force a rewrite
        result = compactor.compact(partition)
        rows += result.rows
        size += len(store.get(result.key))
    timing = Timing(rows, time.perf_counter() - started, time.process_time() - cpu)
    compactor.close()
    return timing, size


def _same_files(store: LocalStore, partitions: list[Partition]) -> bool:
    """Whether the reference path writes the rows and columns the fast path wrote."""
    for partition in partitions:
        fast = pq.read_table(store.path(partition.compacted_key(OUTPUT_NAME)))
        _compact(store, [partition], reference=True)
        slow = pq.read_table(store.path(partition.compacted_key(OUTPUT_NAME)))
        if fast.schema.remove_metadata() != slow.schema.remove_metadata():
            return False
        json_text = {f.name for f in FIELDS[partition.kind] if f.type in JSON_TEXT_TYPES}
        for name in fast.column_names:
            left, right = fast[name].to_pylist(), slow[name].to_pylist()
            if name in json_text:  # equal as JSON: DuckDB renders the text its own way
                left = [None if v is None else orjson.loads(v) for v in left]
                right = [None if v is None else orjson.loads(v) for v in right]
            if left != right:
                return False
    return True


def main(argv: list[str] | None = None) -> int:
    """Print compaction rows/s next to its baselines and the targets; 1 if the paths differ."""
    argparse.ArgumentParser(prog="python -m benchmarks compaction").parse_args(argv or [])
    with tempfile.TemporaryDirectory() as tmp:
        store = LocalStore(Path(tmp), fsync=False)
        partitions = [
            _fill(store, Kind.LOG, _log, LOG_ROWS),
            _fill(store, Kind.PREDICTION, _prediction, PREDICTION_ROWS),
        ]
        source_bytes = sum(len(store.get(k)) for p in partitions for k in store.list(p.prefix))
        load_before = os.getloadavg()[0]
        runs: dict[str, list[Timing]] = {"parse": [], "reference": [], "compaction": []}
        for attempt in (1, 2, 3):
            runs["parse"].append(_baseline(store, partitions))
            runs["reference"].append(_compact(store, partitions, reference=True)[0])
            fast, size = _compact(store, partitions, reference=False)
            runs["compaction"].append(fast)
            assert len({r[-1].rows for r in runs.values()}) == 1, runs
            print(
                f"run {attempt}: gunzip+orjson.loads {runs['parse'][-1].rate:>9,.0f} rows/s | "
                f"reference {runs['reference'][-1].rate:>9,.0f} rows/s | "
                f"compaction {fast.rate:>9,.0f} rows/s ({fast.rows:,} rows, "
                f"{source_bytes / 1e6:.1f} MB gzip -> {size / 1e6:.1f} MB parquet)"
            )
        same = _same_files(store, partitions)
        wall = {name: max(t.rate for t in timings) for name, timings in runs.items()}
        cpu = {name: max(t.cpu_rate for t in timings) for name, timings in runs.items()}
        speedup = wall["compaction"] / wall["reference"]
        verdict = (
            "PASS"
            if wall["compaction"] >= TARGET_ROWS_PER_SECOND and speedup >= TARGET_SPEEDUP
            else "MISS"
        )
        print(
            f"best: compaction {wall['compaction']:,.0f} rows/s = {speedup:.2f}x the reference "
            f"path ({wall['reference']:,.0f} rows/s) and "
            f"{wall['compaction'] / wall['parse']:.2f}x gunzip+parse ({wall['parse']:,.0f} "
            f"rows/s); targets >= {TARGET_ROWS_PER_SECOND:,} rows/s and >= {TARGET_SPEEDUP}x: "
            f"{verdict}"
        )
        print(
            f"per CPU-second: compaction {cpu['compaction']:,.0f} rows = "
            f"{cpu['compaction'] / cpu['reference']:.2f}x the reference path "
            f"({cpu['reference']:,.0f}) and {cpu['compaction'] / cpu['parse']:.2f}x "
            f"gunzip+parse ({cpu['parse']:,.0f})"
        )
        best = max(runs["compaction"], key=lambda t: t.rate)
        print(
            f"cores: {os.cpu_count()} on the machine (load average {load_before:.1f} before the "
            f"runs, {os.getloadavg()[0]:.1f} after); compaction runs DuckDB on {DUCKDB_THREADS} "
            f"thread(s) and kept {best.cpu / best.wall:.2f} cores busy in its best run"
        )
        print(f"same rows and columns as the reference path: {'yes' if same else 'NO (FAIL)'}")
        return 0 if same else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
