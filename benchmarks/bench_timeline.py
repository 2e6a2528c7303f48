"""A 90-day drift timeline from hourly sketches vs recomputing it from the raw rows.

Data: one model, 90 days x 24 hours x ROWS_PER_HOUR predictions (~1.1M rows), 15 numeric
and 5 categorical features, written as compacted Parquet hours (the layout and manifest
`store/compaction.py` writes; the `features` column is JSON text). Half-way, five features
drift. Sketches are built per hour by the compaction hook (`SketchWriter`), timed per hour;
the hook also keeps each day's roll-up, so a daily timeline reads 90 roll-ups, not 2,160 hours.

Baseline, in the same run: the same timeline recomputed from raw rows - read every hour's
predictions from the store (`sketch_hour`: Parquet read, JSON decode, binning) and score
them. Both paths must agree (max |difference| printed). A real compaction of one day of
gzip NDJSON, with and without the hook, shows what sketching adds to compaction.
Targets (issue 5): timeline from sketches < 200 ms and >= 100x faster than from raw rows.
"""

from __future__ import annotations

import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Final

import numpy as np
import orjson
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from observability.analyze.sketch_store import SketchWriter, save_bins, sketch_hour
from observability.analyze.sketches import (
    BinSpec,
    Sketch,
)
from observability.analyze.timeline import (
    TimelineRow,
    load_hourly,
    timeline,
    timeline_from_sketches,
)
from observability.core.metrics import Metrics
from observability.core.partitioning import Partition
from observability.core.schema import Kind
from observability.store.compaction import (
    MANIFEST_METADATA_KEY,
    MANIFEST_NAME,
    OUTPUT_NAME,
    Compactor,
    arrow_schema,
)
from observability.store.files import encode_ndjson_gz, new_filename
from observability.store.local import LocalStore
from observability.transform.lines import transform_lines

MODEL: Final = "bench-model"
DAYS: Final = 90
ROWS_PER_HOUR: Final = 500
NUMERIC: Final = tuple(f"num_{i:02d}" for i in range(15))
CATEGORICAL: Final = tuple(f"cat_{i}" for i in range(5))
CATEGORIES: Final = ("alpha", "beta", "gamma", "delta", "epsilon", "zeta")
START: Final = datetime(2026, 8, 1, tzinfo=UTC)
TARGET_MS: Final = 200.0
TARGET_RATIO: Final = 100.0


def _columns(rng: np.random.Generator, n: int, drift: bool) -> dict[str, np.ndarray]:
    columns: dict[str, np.ndarray] = {}
    for i, name in enumerate(NUMERIC):
        shift = 0.5 if drift and i < 3 else 0.0
        columns[name] = rng.normal(i + shift, 1.0 + i / 10, n)
    for i, name in enumerate(CATEGORICAL):
        p = np.array([0.3, 0.25, 0.2, 0.15, 0.1, 0.0])
        if drift and i < 2:
            p = np.array([0.15, 0.15, 0.2, 0.15, 0.15, 0.2])
        columns[name] = rng.choice(CATEGORIES, n, p=p)
    return columns


def _features_json(columns: dict[str, np.ndarray]) -> pa.Array:
    """`{"num_00": 0.12, ..., "cat_4": "beta"}` per row, built column-wise by Arrow."""
    parts: list[object] = []
    for i, name in enumerate((*NUMERIC, *CATEGORICAL)):
        opener = "{" if i == 0 else ","
        if name in NUMERIC:
            parts += [f'{opener}"{name}":', pc.cast(pa.array(columns[name]), pa.string())]
        else:
            parts += [f'{opener}"{name}":"', pa.array(columns[name]), '"']
    parts.append("}")
    return pc.binary_join_element_wise(*parts, "")


def _hour_table(partition: Partition, hour: datetime, features: pa.Array) -> pa.Table:
    """A compacted prediction hour as `Compactor` writes it (manifest in the footer)."""
    schema = arrow_schema(Kind.PREDICTION)
    n = len(features)
    manifest = {"version": 1, "partition": partition.prefix, "sources": []}
    stamps = pa.repeat(pa.scalar(hour, pa.timestamp("us", tz="UTC")), n)
    ids = pc.binary_join_element_wise(
        f"{hour:%Y%m%d%H}-", pc.cast(pa.array(np.arange(n)), pa.string()), ""
    )
    values = {
        "schema_version": pa.array(np.ones(n, dtype=np.int64)),
        "kind": pa.repeat("prediction", n),
        "record_id": ids,
        "timestamp": stamps,
        "prediction_id": ids,
        "features": features,
        "prediction": pa.array(["0.5"] * n),
        "ingested_at": stamps,
    }
    arrays = [values.get(f.name, pa.nulls(n, f.type)) for f in schema]
    table = pa.Table.from_arrays(arrays, schema=schema)
    return table.replace_schema_metadata({MANIFEST_METADATA_KEY: orjson.dumps(manifest)})


def _partition(hour: datetime) -> Partition:
    return Partition(Kind.PREDICTION, MODEL, f"{hour:%Y-%m-%d}", f"{hour:%H}")


def _fill(store: LocalStore, rng: np.random.Generator) -> tuple[BinSpec, list[float]]:
    """Reference bins, then every hour's compacted file and its sketch (hook timed)."""
    reference = _columns(rng, 20_000, drift=False)
    spec = BinSpec.from_reference(MODEL, reference, categorical=CATEGORICAL, bins=20)
    save_bins(store, spec)
    writer = SketchWriter(store, lambda model: spec)
    sketch_seconds = []
    for h in range(DAYS * 24):
        hour = START + timedelta(hours=h)
        partition = _partition(hour)
        features = _features_json(_columns(rng, ROWS_PER_HOUR, drift=h >= DAYS * 12))
        table = _hour_table(partition, hour, features)
        sink = pa.BufferOutputStream()
        pq.write_table(table, sink, compression="zstd", compression_level=1)
        store.put(partition.compacted_key(OUTPUT_NAME), sink.getvalue().to_pybytes())
        started = time.perf_counter()
        writer(partition, table)
        sketch_seconds.append(time.perf_counter() - started)
    return spec, sketch_seconds


def _raw_timeline(store: LocalStore, spec: BinSpec, end: datetime) -> list[TimelineRow]:
    """The baseline: every hour's raw rows read from the store and binned, then scored."""
    hourly: dict[datetime, Sketch] = {}
    for h in range(DAYS * 24):
        hour = START + timedelta(hours=h)
        sketch = sketch_hour(store, spec, _partition(hour))
        if sketch is not None:
            hourly[hour] = sketch
    return timeline_from_sketches(spec, hourly, START, end)


def _compaction_share(store: LocalStore, spec: BinSpec, rng: np.random.Generator) -> str:
    """One day of gzip NDJSON compacted without, then with, the sketch hook."""
    day = datetime(2026, 12, 1, tzinfo=UTC)
    ingested = "2026-12-02T00:00:00.000000Z"
    partitions = []
    for h in range(24):
        hour = day + timedelta(hours=h)
        texts = _features_json(_columns(rng, ROWS_PER_HOUR, drift=False)).to_pylist()
        stamp = f"{hour:%Y-%m-%dT%H}:00:00Z"
        lines = [
            b'{"timestamp":"%s","model":"%s","prediction_id":"p%d","prediction":0.5,'
            b'"features":%s}' % (stamp.encode(), MODEL.encode(), i, text.encode())
            for i, text in enumerate(texts)
        ]
        processed = transform_lines(lines, Kind.PREDICTION, ingested)
        key = _partition(hour).object_key(new_filename())
        store.put(key, encode_ndjson_gz(a.line for a in processed.accepted))
        partitions.append(_partition(hour))
    timings = []
    for hook in (None, SketchWriter(store, lambda model: spec)):
        compactor = Compactor(store, Metrics(), on_compacted=hook)
        started = time.perf_counter()
        for partition in partitions:
            store.delete(partition.compacted_key(MANIFEST_NAME))
            compactor.compact(partition)
        timings.append(time.perf_counter() - started)
    plain, hooked = timings
    return (
        f"compaction of 24 h x {ROWS_PER_HOUR:,} rows: {plain:.2f} s without the hook, "
        f"{hooked:.2f} s with it (+{(hooked - plain) / plain:.0%})"
    )


def main() -> None:
    """Print sketch build time per hour, both timelines' times, their ratio and verdicts."""
    rng = np.random.default_rng(5)
    end = START + timedelta(days=DAYS)
    with tempfile.TemporaryDirectory() as tmp:
        store = LocalStore(Path(tmp), fsync=False)
        started = time.perf_counter()
        spec, sketch_seconds = _fill(store, rng)
        rows = DAYS * 24 * ROWS_PER_HOUR
        per_hour = np.array(sketch_seconds) * 1000
        print(
            f"data: {DAYS} days x 24 h x {ROWS_PER_HOUR:,} rows = {rows:,} rows, "
            f"{len(NUMERIC)} numeric + {len(CATEGORICAL)} categorical features "
            f"(generated in {time.perf_counter() - started:.1f} s)"
        )
        print(
            f"sketch per hour (hook on a {ROWS_PER_HOUR:,}-row table): median "
            f"{np.median(per_hour):.1f} ms, p95 {np.percentile(per_hour, 95):.1f} ms "
            f"({rows / sum(sketch_seconds):,.0f} rows/s)"
        )
        fast_ms = []
        for _ in range(5):
            started = time.perf_counter()
            fast = timeline(store, spec, START, end)
            fast_ms.append((time.perf_counter() - started) * 1000)
        started = time.perf_counter()
        hourly = timeline_from_sketches(spec, load_hourly(store, spec, START, end), START, end)
        hourly_ms = (time.perf_counter() - started) * 1000
        assert hourly == fast, "roll-ups and hour sketches disagree"
        started = time.perf_counter()
        raw = _raw_timeline(store, spec, end)
        raw_ms = (time.perf_counter() - started) * 1000
        diff = max(abs((a.score or 0.0) - (b.score or 0.0)) for a, b in zip(fast, raw, strict=True))
        best = min(fast_ms)
        ratio = raw_ms / best
        print(
            f"timeline ({DAYS} days x {len(spec.features)} features x 2 methods = "
            f"{len(fast):,} rows): from daily roll-ups best {best:.0f} ms "
            f"(median {np.median(fast_ms):.0f} ms of 5) | from {DAYS * 24:,} hour sketches "
            f"{hourly_ms:.0f} ms (identical) | from raw rows {raw_ms / 1000:.1f} s "
            f"| max |difference| {diff:.1e}"
        )
        print(_compaction_share(store, spec, rng))
        print(
            f"from sketches (roll-ups) {best:.0f} ms, target < {TARGET_MS:.0f} ms: "
            f"{'PASS' if best < TARGET_MS else 'MISS'}"
        )
        print(
            f"speed-up {ratio:,.0f}x over raw rows, target >= {TARGET_RATIO:.0f}x: "
            f"{'PASS' if ratio >= TARGET_RATIO else 'MISS'}"
        )


if __name__ == "__main__":
    main()
