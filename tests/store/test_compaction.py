"""Compaction rewrites a partition into one zstd Parquet file, idempotently, on both stores."""

from __future__ import annotations

import base64
from collections.abc import Iterable
from datetime import UTC, datetime
from pathlib import Path

import orjson
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from observability.core.aws import AwsClients
from observability.core.metrics import Metrics
from observability.core.partitioning import Partition
from observability.core.schema import Kind
from observability.core.times import parse_absolute
from observability.store.base import ObjectStore
from observability.store.compaction import (
    MANIFEST_NAME,
    OUTPUT_NAME,
    Compactor,
    arrow_schema,
    read_manifest,
)
from observability.store.files import decode_lines, encode_ndjson_gz, new_filename
from observability.store.local import LocalStore
from observability.store.s3 import S3Store
from observability.transform.lines import transform_lines

INGESTED = "2026-11-23T14:00:00.000000Z"
LOGS = Partition(Kind.LOG, "checkout", "2026-11-23", "13")


def log_line(i: int, service: str = "checkout", hour: str = "13", **extra: object) -> bytes:
    """A log record as a producer sends it."""
    record = {
        "timestamp": f"2026-11-23T{hour}:{i % 60:02d}:07.{i:06d}Z",
        "level": ("info", "warning", "error")[i % 3],
        "service": service,
        "event": "request handled",
        "trace_id": f"{i:032x}",
        "attributes": {"path": "/cart", "status": 200, "latency_ms": i % 300},
        **extra,
    }
    return orjson.dumps(record)


def put_valid(store: ObjectStore, kind: Kind, lines: Iterable[bytes]) -> list[str]:
    """Write lines the way the collector does: transformed, one gzip file per partition."""
    processed = transform_lines(list(lines), kind, INGESTED)
    assert not processed.rejected, processed.rejected
    groups: dict[Partition, list[bytes]] = {}
    for accepted in processed.accepted:
        groups.setdefault(accepted.partition, []).append(accepted.line)
    keys = []
    for partition, group in groups.items():
        key = partition.object_key(new_filename())
        store.put(key, encode_ndjson_gz(group))
        keys.append(key)
    return keys


def read_table(store: ObjectStore, partition: Partition) -> pa.Table:
    """The compacted file of a partition, as a table."""
    return pq.read_table(pa.BufferReader(store.get(partition.compacted_key(OUTPUT_NAME))))


def test_compacts_an_hour_into_one_parquet_file(store: LocalStore, metrics: Metrics) -> None:
    """Two source files become one zstd file with typed columns and no partition columns."""
    first = put_valid(store, Kind.LOG, (log_line(i) for i in range(300)))
    second = put_valid(store, Kind.LOG, (log_line(i) for i in range(300, 500)))
    result = Compactor(store, metrics).compact(LOGS)
    assert (result.rows, result.rejected, result.sources, result.skipped) == (500, 0, 2, False)
    table = read_table(store, LOGS)
    assert table.num_rows == 500
    assert table.schema.remove_metadata() == arrow_schema(Kind.LOG)
    assert "service" not in table.column_names
    assert table.schema.field("timestamp").type == pa.timestamp("us", tz="UTC")
    row = table.slice(0, 1).to_pylist()[0]
    assert orjson.loads(row["attributes"]) == {"path": "/cart", "status": 200, "latency_ms": 0}
    assert row["timestamp"] == datetime(2026, 11, 23, 13, 0, 7, tzinfo=UTC)
    metadata = pq.read_metadata(pa.BufferReader(store.get(result.key)))
    assert metadata.row_group(0).column(0).compression == "ZSTD"
    data = store.get(result.key)
    assert read_manifest(data)["sources"] == sorted(first + second)
    sidecar = orjson.loads(store.get(LOGS.compacted_key(MANIFEST_NAME)))
    assert (sidecar["rows"], sidecar["sources"]) == (500, sorted(first + second))
    accepted = metrics.registry.get_sample_value(
        "observability_records_accepted_total", {"stage": "compaction", "kind": "log"}
    )
    assert accepted == 500


def test_rerun_is_a_noop_and_new_files_trigger_a_rewrite(
    store: LocalStore, metrics: Metrics
) -> None:
    """Same inputs: nothing is written; a file that arrived later is folded in, once."""
    put_valid(store, Kind.LOG, (log_line(i) for i in range(100)))
    compactor = Compactor(store, metrics)
    compactor.compact(LOGS)
    before = store.get(LOGS.compacted_key(OUTPUT_NAME))
    again = compactor.compact(LOGS)
    assert again.skipped
    assert store.get(LOGS.compacted_key(OUTPUT_NAME)) == before
    put_valid(store, Kind.LOG, (log_line(i) for i in range(100, 150)))
    third = compactor.compact(LOGS)
    assert (third.skipped, third.rows, third.sources) == (False, 150, 2)
    assert read_table(store, LOGS).num_rows == 150
    assert len(list(store.list(LOGS.prefix))) == 2  # sources are kept
    assert list(store.list(f"compacted/{LOGS.prefix}")) == [
        LOGS.compacted_key(MANIFEST_NAME),
        LOGS.compacted_key(OUTPUT_NAME),
    ]


def test_foreign_lines_go_to_errors_and_good_ones_are_kept(
    store: LocalStore, metrics: Metrics
) -> None:
    """Malformed, misfiled and incomplete lines land in errors/compaction/ with reasons."""
    put_valid(store, Kind.LOG, (log_line(i) for i in range(10)))
    foreign = [
        b'{"timestamp": "2026-11-23T13:00:00Z", "level": "info", "event": "cut',
        log_line(1, service="search"),  # another partition's record
        log_line(2, hour="14"),  # another hour's record
        orjson.dumps({"timestamp": "2026-11-23T13:05:00Z", "service": "checkout"}),
        # a foreign producer's valid record: zone offset and an unknown field
        log_line(3, custom="kept")
        .replace(b"Z", b"+00:00", 1)
        .replace(b'"service"', b'"kind":"log","service"'),
    ]
    store.put(LOGS.object_key("foreign.json"), b"\n".join(foreign))
    result = Compactor(store, metrics).compact(LOGS)
    assert (result.rows, result.rejected) == (11, 4)
    table = read_table(store, LOGS)
    kept = [orjson.loads(a) for a in table.column("attributes").to_pylist()]
    assert sum(1 for attributes in kept if attributes.get("custom") == "kept") == 1
    reasons = {key.split("/")[2] for key in store.list("errors/compaction/")}
    assert reasons == {"malformed_json", "partition_mismatch", "missing_field"}
    lines = [
        orjson.loads(line) for key in store.list("errors/") for line in decode_lines(store.get(key))
    ]
    assert {line["raw"].encode() for line in lines} == set(foreign[:4])
    assert all("foreign.json line" in line["error"] for line in lines)
    mismatched = metrics.registry.get_sample_value(
        "observability_records_rejected_total",
        {"stage": "compaction", "reason": "partition_mismatch"},
    )
    assert mismatched == 2
    put_valid(store, Kind.LOG, [log_line(59)])
    rewrite = Compactor(store, metrics).compact(LOGS)
    assert (rewrite.rows, rewrite.rejected) == (12, 4)
    assert len(list(store.list("errors/"))) == 3  # one file per reason, not reported twice


def test_a_damaged_gzip_source_goes_to_errors_whole_and_the_rest_is_compacted(
    store: LocalStore, metrics: Metrics
) -> None:
    """A truncated gzip file is kept whole in errors/ with its reason and counted; the
    partition's other files are compacted, and a re-run does not report it twice."""
    put_valid(store, Kind.LOG, (log_line(i) for i in range(20)))
    damaged = encode_ndjson_gz([log_line(i) for i in range(20, 40)])[:-12]
    store.put(LOGS.object_key("damaged.json.gz"), damaged)
    result = Compactor(store, metrics).compact(LOGS)
    assert (result.rows, result.rejected, result.sources) == (20, 1, 2)
    (key,) = store.list("errors/")
    assert key.startswith("errors/compaction/bad_encoding/")
    (line,) = [orjson.loads(x) for x in decode_lines(store.get(key))]
    assert line["raw_encoding"] == "base64"
    assert base64.b64decode(line["raw"]) == damaged
    assert "damaged.json.gz: not readable gzip" in line["error"]
    put_valid(store, Kind.LOG, [log_line(59)])
    again = Compactor(store, metrics).compact(LOGS)
    assert (again.rows, again.rejected) == (21, 1)
    assert len(list(store.list("errors/"))) == 1


def test_prediction_values_of_any_shape_share_one_column(
    store: LocalStore, metrics: Metrics
) -> None:
    """A number, a class and a class->probability map are all JSON text in one string column."""
    base = {
        "model": "m",
        "features": {"a": 1, "b": "x", "c": None},
        "timestamp": "2026-11-23T13:00:00Z",
    }
    shapes: list[object] = [0.25, "fraud", {"fraud": 0.9, "legit": 0.1}]
    for i, shape in enumerate(shapes):
        line = orjson.dumps({**base, "prediction_id": f"p{i}", "prediction": shape})
        put_valid(store, Kind.PREDICTION, [line])
    partition = Partition(Kind.PREDICTION, "m", "2026-11-23", "13")
    result = Compactor(store, metrics).compact(partition)
    table = read_table(store, partition)
    assert (result.rows, table.schema.field("prediction").type) == (3, pa.string())
    values = sorted(table.column("prediction").to_pylist())
    assert [orjson.loads(v) for v in values] == ["fraud", 0.25, {"fraud": 0.9, "legit": 0.1}]
    assert orjson.loads(table.column("features")[0].as_py()) == {"a": 1, "b": "x", "c": None}
    assert "model" not in table.column_names


def test_finds_partitions_by_hour_and_labels_by_day(store: LocalStore, metrics: Metrics) -> None:
    """--hour selects one hour of every service; labels are selected by their day."""
    put_valid(store, Kind.LOG, [log_line(1), log_line(2, hour="14"), log_line(3, service="search")])
    label = {"model": "m", "prediction_id": "p", "label": 1, "timestamp": "2026-11-23T02:00:00Z"}
    put_valid(store, Kind.LABEL, [orjson.dumps(label)])
    store.put("logs/service=checkout/dt=2026-11-23/hour=13/_ignored", b"")
    compactor = Compactor(store, metrics)
    hour = parse_absolute("2026-11-23T13")
    found = compactor.find(list(Kind), hour, hour)
    assert [p.prefix for p in found] == [
        "labels/model=m/dt=2026-11-23/",
        "logs/service=checkout/dt=2026-11-23/hour=13/",
        "logs/service=search/dt=2026-11-23/hour=13/",
    ]
    since = compactor.find([Kind.LOG], parse_absolute("2026-11-23T14"))
    assert [p.hour for p in since] == ["14"]


def test_crlf_blank_lines_and_explicit_nulls_are_not_errors(
    store: LocalStore, metrics: Metrics
) -> None:
    """CRLF endings, blank lines and explicit nulls compact cleanly; a wrong type is refused."""
    good = [log_line(i, env=None) for i in range(3)]
    wrong = log_line(9, logger=17)
    body = b"\r\n".join([good[0], b"", good[1], b"   ", good[2], wrong]) + b"\r\n"
    store.put(LOGS.object_key("crlf.json"), body)
    result = Compactor(store, metrics).compact(LOGS)
    assert (result.rows, result.rejected) == (3, 1)
    assert read_table(store, LOGS).column("env").null_count == 3
    (key,) = store.list("errors/")
    assert key.startswith("errors/compaction/wrong_type/")


@pytest.mark.aws
def test_compacts_on_s3(aws: AwsClients, metrics: Metrics) -> None:
    """On S3 (moto) the file lands under the store prefix and a re-run writes nothing."""
    aws.s3().create_bucket(Bucket="compaction")
    s3 = S3Store(aws.s3(), "compaction", "prod")
    put_valid(s3, Kind.LOG, (log_line(i) for i in range(200)))
    compactor = Compactor(s3, metrics)
    assert compactor.compact(LOGS).rows == 200
    listing = aws.s3().list_objects_v2(Bucket="compaction", Prefix="prod/compacted/")
    keys = sorted(item["Key"] for item in listing["Contents"])
    assert keys == [
        f"prod/{LOGS.compacted_key(MANIFEST_NAME)}",
        f"prod/{LOGS.compacted_key(OUTPUT_NAME)}",
    ]
    body = aws.s3().get_object(Bucket="compaction", Key=keys[1])["Body"].read()
    assert pq.read_table(pa.BufferReader(body)).num_rows == 200
    assert compactor.compact(LOGS).skipped


def test_slow_path_stores_the_same_rows_as_the_fast_path(tmp_path: Path, metrics: Metrics) -> None:
    """A chunk sent to per-record validation by one bad line stores its good rows unchanged."""
    lines = [log_line(i, exception={"type": "E", "message": "m", "frames": []}) for i in range(50)]
    clean, dirty = (LocalStore(tmp_path / name, fsync=False) for name in ("clean", "dirty"))
    keys = put_valid(clean, Kind.LOG, lines)
    good = b"\n".join(decode_lines(clean.get(keys[0])))
    dirty.put(keys[0], encode_ndjson_gz([b"[1, 2]", good]))  # the bad line leads the chunk
    Compactor(clean, metrics).compact(LOGS)
    assert Compactor(dirty, metrics).compact(LOGS).rejected == 1
    assert read_table(clean, LOGS).equals(read_table(dirty, LOGS))


def test_hot_attributes_become_typed_columns_and_stay_in_attributes(
    store: LocalStore, metrics: Metrics
) -> None:
    """A number `latency_ms` is a double column too; any other value is null there, and
    `attributes` keeps every value as it was."""
    values: list[object] = [0, 2.5, -1e300, "12", True, None, {"p": 1}, [1]]
    lines = [log_line(i, attributes={"latency_ms": v}) for i, v in enumerate(values)]
    lines.append(log_line(9, attributes={"path": "/"}))  # absent
    lines.append(log_line(10, latency_ms=7.5, attributes={}))  # top level: moved to attributes
    put_valid(store, Kind.LOG, lines)
    Compactor(store, metrics).compact(LOGS)
    table = read_table(store, LOGS)
    assert table.schema.field("latency_ms").type == pa.float64()
    typed = table.column("latency_ms").to_pylist()
    assert typed == [0.0, 2.5, -1e300, None, None, None, None, None, None, 7.5]
    kept = [orjson.loads(a).get("latency_ms") for a in table.column("attributes").to_pylist()]
    assert kept == [*values, None, 7.5]


def test_a_file_of_other_columns_is_rewritten(store: LocalStore, metrics: Metrics) -> None:
    """A compacted file written before the hot columns (its sidecar lists none) is not current:
    the next run rewrites it with them."""
    put_valid(store, Kind.LOG, (log_line(i) for i in range(10)))
    compactor = Compactor(store, metrics)
    compactor.compact(LOGS)
    sidecar = orjson.loads(store.get(LOGS.compacted_key(MANIFEST_NAME)))
    assert sidecar["columns"] == arrow_schema(Kind.LOG).names
    del sidecar["columns"]
    store.put(LOGS.compacted_key(MANIFEST_NAME), orjson.dumps(sidecar))
    assert not compactor.is_current(LOGS, compactor.sources(LOGS))
    again = compactor.compact(LOGS)
    assert (again.skipped, again.rows) == (False, 10)
    assert compactor.compact(LOGS).skipped


def test_the_hook_sees_the_rows_the_fast_path_wrote(store: LocalStore, metrics: Metrics) -> None:
    """`on_compacted` gets the table of the file just written, on the fast path too."""
    seen: list[pa.Table] = []
    put_valid(store, Kind.LOG, (log_line(i) for i in range(40)))
    Compactor(store, metrics, on_compacted=lambda _p, table: seen.append(table)).compact(LOGS)
    (table,) = seen
    assert table.equals(read_table(store, LOGS))


def test_reference_and_fast_paths_write_the_same_file(tmp_path: Path, metrics: Metrics) -> None:
    """On ingest's files the two paths store the same rows and columns, manifest included."""
    fast, slow = (LocalStore(tmp_path / name, fsync=False) for name in ("fast", "slow"))
    lines = [log_line(i, exception={"type": "E", "message": "m", "frames": []}) for i in range(50)]
    keys = put_valid(fast, Kind.LOG, lines)
    for key in keys:
        slow.put(key, fast.get(key))
    Compactor(fast, metrics).compact(LOGS)
    Compactor(slow, metrics, reference=True).compact(LOGS)
    left, right = read_table(fast, LOGS), read_table(slow, LOGS)
    assert left.equals(right)
    assert (
        left.schema.metadata[b"observability.manifest"]
        == right.schema.metadata[b"observability.manifest"]
    )
