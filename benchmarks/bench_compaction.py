"""Compaction rows/s: gzip NDJSON partitions -> zstd Parquet, against a parse-only baseline.

The baseline is the floor any Python reader pays: gunzip every file and `orjson.loads`
every line, keeping each chunk's dicts alive as compaction must. The ratio says how much
the columnar conversion and the Parquet write add on top. Target (the issue's
compaction goal): at least 200,000 rows/s.
"""

from __future__ import annotations

import random
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import orjson

from observability.core.metrics import Metrics
from observability.core.partitioning import Partition
from observability.core.schema import Kind
from observability.store.compaction import CHUNK_LINES, MANIFEST_NAME, Compactor
from observability.store.files import decode_lines, encode_ndjson_gz, new_filename
from observability.store.local import LocalStore
from observability.transform.lines import transform_lines

TARGET_ROWS_PER_SECOND = 200_000
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


def _baseline(store: LocalStore, partitions: list[Partition]) -> tuple[int, float]:
    started = time.perf_counter()
    rows = 0
    for partition in partitions:
        for key in store.list(partition.prefix):
            lines = list(decode_lines(store.get(key)))
            for first in range(0, len(lines), CHUNK_LINES):
                chunk = [orjson.loads(line) for line in lines[first : first + CHUNK_LINES]]
                rows += len(chunk)
    return rows, time.perf_counter() - started


def _compact(store: LocalStore, partitions: list[Partition]) -> tuple[int, float, int]:
    compactor = Compactor(store, Metrics())
    rows = size = 0
    started = time.perf_counter()
    for partition in partitions:
        store.delete(partition.compacted_key(MANIFEST_NAME))  # force a rewrite
        result = compactor.compact(partition)
        rows += result.rows
        size += len(store.get(result.key))
    return rows, time.perf_counter() - started, size


def main() -> None:
    """Print compaction rows/s next to the parse-only baseline and the target."""
    with tempfile.TemporaryDirectory() as tmp:
        store = LocalStore(Path(tmp), fsync=False)
        partitions = [
            _fill(store, Kind.LOG, _log, LOG_ROWS),
            _fill(store, Kind.PREDICTION, _prediction, PREDICTION_ROWS),
        ]
        source_bytes = sum(len(store.get(k)) for p in partitions for k in store.list(p.prefix))
        best_base = best_compact = 0.0
        for attempt in (1, 2, 3):
            base_rows, base_s = _baseline(store, partitions)
            rows, seconds, size = _compact(store, partitions)
            base_rate, rate = base_rows / base_s, rows / seconds
            best_base, best_compact = max(best_base, base_rate), max(best_compact, rate)
            print(
                f"run {attempt}: baseline gunzip+orjson.loads {base_rate:>10,.0f} rows/s | "
                f"compaction {rate:>10,.0f} rows/s ({rows:,} rows, "
                f"{source_bytes / 1e6:.1f} MB gzip -> {size / 1e6:.1f} MB parquet)"
            )
        verdict = "PASS" if best_compact >= TARGET_ROWS_PER_SECOND else "MISS"
        print(
            f"best: compaction {best_compact:,.0f} rows/s = {best_compact / best_base:.2f}x "
            f"the parse-only baseline ({best_base:,.0f} rows/s); "
            f"target >= {TARGET_ROWS_PER_SECOND:,} rows/s: {verdict}"
        )


if __name__ == "__main__":
    main()
