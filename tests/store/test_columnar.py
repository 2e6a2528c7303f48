"""Compaction's fast path writes what the reference path writes, and only takes ingest's files."""

from __future__ import annotations

import gzip
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import duckdb
import orjson
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from prometheus_client import CollectorRegistry

from observability.core.fields import FIELDS, JSON_TEXT_TYPES
from observability.core.metrics import Metrics
from observability.core.partitioning import Partition
from observability.core.schema import Kind
from observability.store.columnar import ColumnarWriter, UnfitError
from observability.store.compaction import (
    MANIFEST_METADATA_KEY,
    OUTPUT_NAME,
    ROW_GROUP_ROWS,
    ZSTD_LEVEL,
    Compactor,
    arrow_schema,
)
from observability.store.files import encode_ndjson_gz
from observability.store.local import LocalStore
from observability.transform.lines import transform_lines
from tests.transform.records import json_values, valid_logs, valid_predictions

INGESTED = "2026-11-23T14:00:00.000000Z"
HOUR = datetime(2026, 11, 23, 13, tzinfo=UTC)
PARTITIONS = {
    Kind.LOG: Partition(Kind.LOG, "checkout", "2026-11-23", "13"),
    Kind.PREDICTION: Partition(Kind.PREDICTION, "fraud", "2026-11-23", "13"),
    Kind.LABEL: Partition(Kind.LABEL, "fraud", "2026-11-23", None),
}


@pytest.fixture(scope="module")
def writer() -> Iterator[ColumnarWriter]:
    """One fast-path writer for the module, as a compactor keeps one."""
    columnar = ColumnarWriter(row_group_rows=ROW_GROUP_ROWS, zstd_level=ZSTD_LEVEL)
    yield columnar
    columnar.close()


def _in_hour() -> st.SearchStrategy[str]:
    """A time in the partition's hour, written in one of several zones and precisions."""
    zones = st.sampled_from([UTC, timezone(timedelta(hours=2)), timezone(timedelta(hours=-5))])
    offsets = st.integers(0, 3_600_000_000 - 1).map(lambda us: timedelta(microseconds=us))
    spec = st.sampled_from(["seconds", "milliseconds", "microseconds"])
    return st.builds(
        lambda offset, zone, timespec: (
            (HOUR + offset).astimezone(zone).isoformat(timespec=timespec)
        ),
        offsets,
        zones,
        spec,
    )


_LATENCIES = st.one_of(
    st.integers(-(2**63), 2**63 - 1),
    st.floats(allow_nan=False, allow_infinity=False),
    st.text(max_size=6),
    st.booleans(),
    st.none(),
    json_values(),
)


def _log(record: dict[str, Any], timestamp: str, latency: Any, has_latency: bool) -> Any:
    attributes = dict(record.get("attributes") or {})
    if has_latency:
        attributes["latency_ms"] = latency
    return {**record, "service": "checkout", "timestamp": timestamp, "attributes": attributes}


_RECORDS: dict[Kind, st.SearchStrategy[dict[str, Any]]] = {
    Kind.LOG: st.builds(_log, valid_logs(), _in_hour(), _LATENCIES, st.booleans()),
    Kind.PREDICTION: st.builds(
        lambda record, timestamp: {**record, "model": "fraud", "timestamp": timestamp},
        valid_predictions(),
        _in_hour(),
    ),
    Kind.LABEL: st.fixed_dictionaries(
        {
            "kind": st.just("label"),
            "model": st.just("fraud"),
            "timestamp": _in_hour(),
            "prediction_id": st.text(min_size=1, max_size=20),
            "label": st.one_of(
                st.booleans(), st.integers(-(2**63), 2**63 - 1), st.text(max_size=8)
            ),
        },
        optional={"attributes": st.dictionaries(st.text(max_size=6), json_values(), max_size=3)},
    ),
}


def _ingested(kind: Kind, records: list[dict[str, Any]], files: int) -> list[bytes]:
    """The records as ingest stores them: transformed, then gzip NDJSON files."""
    processed = transform_lines([orjson.dumps(r) for r in records], kind, INGESTED)
    assert not processed.rejected, processed.rejected
    lines = [accepted.line for accepted in processed.accepted]
    assert {a.partition for a in processed.accepted} == {PARTITIONS[kind]}
    size = -(-len(lines) // files)
    return [encode_ndjson_gz(lines[i : i + size]) for i in range(0, len(lines), size)]


def _reference(tmp: Path, kind: Kind, sources: list[bytes]) -> pa.Table:
    """The reference path's file for the same sources."""
    store = LocalStore(tmp, fsync=False)
    partition = PARTITIONS[kind]
    for number, data in enumerate(sources):
        store.put(partition.object_key(f"{number:04d}.json.gz"), data)
    compactor = Compactor(store, Metrics(CollectorRegistry()), reference=True)
    assert compactor.compact(partition).rejected == 0
    return pq.read_table(pa.BufferReader(store.get(partition.compacted_key(OUTPUT_NAME))))


def _values(table: pa.Table, kind: Kind) -> dict[str, list[Any]]:
    """Columns as Python values; JSON-text columns parsed (equal as JSON is the contract)."""
    json_text = {f.name for f in FIELDS[kind] if f.type in JSON_TEXT_TYPES}
    return {
        name: [
            orjson.loads(v) if name in json_text and v is not None else v
            for v in table[name].to_pylist()
        ]
        for name in table.column_names
    }


@pytest.mark.parametrize("kind", list(Kind))
@settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(data=st.data())
def test_fast_path_writes_the_reference_rows_and_columns(
    kind: Kind,
    data: st.DataObject,
    writer: ColumnarWriter,
    tmp_path_factory: pytest.TempPathFactory,
) -> None:
    """Whatever ingest stored, the fast path takes it and writes the reference's columns and
    values (hot attributes included), row for row, with the same footer manifest."""
    records = data.draw(st.lists(_RECORDS[kind], min_size=1, max_size=25))
    sources = _ingested(kind, records, data.draw(st.integers(1, 3)))
    expected = _reference(tmp_path_factory.mktemp("reference"), kind, sources)
    written = writer.write(PARTITIONS[kind], expected.schema, sources)
    table = pq.read_table(pa.BufferReader(written.data))
    assert written.rows == table.num_rows == len(records)
    assert table.schema.remove_metadata() == arrow_schema(kind)
    assert (
        table.schema.metadata[MANIFEST_METADATA_KEY]
        == expected.schema.metadata[MANIFEST_METADATA_KEY]
    )
    assert _values(table, kind) == _values(expected, kind)


def _log_line(i: int, hour: str = "13", **extra: Any) -> bytes:
    record = {
        "timestamp": f"2026-11-23T{hour}:00:{i % 60:02d}Z",
        "level": "info",
        "service": "checkout",
        "event": "request handled",
        "attributes": {"latency_ms": i},
        **extra,
    }
    return orjson.dumps(record)


def _schema(kind: Kind) -> pa.Schema:
    return arrow_schema(kind).with_metadata({MANIFEST_METADATA_KEY: b"{}"})


@pytest.mark.parametrize(
    ("bad", "why"),
    [
        (_log_line(1), "ingested_at"),  # a producer's line, not ingest's
        (_log_line(1, ingested_at=INGESTED, kind="log", hour="14"), "timestamp"),
        (_log_line(1, ingested_at=INGESTED, kind="log", service="search"), "service"),
        (b'{"timestamp": "2026-11-23T13:00:00Z", "level": "info", "event": "cut', "JSON"),
        (b"[1, 2]", "ARRAY"),
    ],
    ids=["no-ingested-at", "other-hour", "other-service", "malformed", "not-an-object"],
)
def test_lines_ingest_did_not_write_here_are_refused(
    writer: ColumnarWriter, bad: bytes, why: str
) -> None:
    """A line ingest did not write, or not for this partition, stops the fast path with why."""
    good = _ingested(Kind.LOG, [orjson.loads(_log_line(i)) for i in range(5)], 1)
    with pytest.raises(UnfitError, match=why):
        writer.write(PARTITIONS[Kind.LOG], _schema(Kind.LOG), [*good, encode_ndjson_gz([bad])])


def test_plain_and_multi_member_gzip_sources_are_taken_as_ingest_wrote_them(
    writer: ColumnarWriter, tmp_path: Path
) -> None:
    """A plain NDJSON file and a gzip file of several members (concatenated gzip streams)
    compact on the fast path to the reference's rows."""
    records = [orjson.loads(_log_line(i)) for i in range(30)]
    whole = _ingested(Kind.LOG, records, 3)
    sources = [gzip.decompress(whole[0]), whole[1] + whole[2]]
    expected = _reference(tmp_path, Kind.LOG, sources)
    written = writer.write(PARTITIONS[Kind.LOG], expected.schema, sources)
    table = pq.read_table(pa.BufferReader(written.data))
    assert written.rows == 30
    assert _values(table, Kind.LOG) == _values(expected, Kind.LOG)


@pytest.mark.parametrize(
    "damage",
    [
        lambda data: data[: len(data) // 2],  # truncated
        lambda data: data[:-8] + bytes(8),  # CRC and length wrong
        lambda data: data[:2] + b"\x00" + data[3:],  # not deflate
    ],
    ids=["truncated", "bad-trailer", "bad-method"],
)
def test_a_damaged_gzip_source_is_unfit_and_leaves_no_staging(
    writer: ColumnarWriter, damage: Callable[[bytes], bytes]
) -> None:
    """A gzip file that does not inflate stops the fast path with a reason (the reference path
    decides), and the call's staged files are removed."""
    root, _ = writer.open()
    good = _ingested(Kind.LOG, [orjson.loads(_log_line(i)) for i in range(5)], 1)
    with pytest.raises(UnfitError, match="not readable gzip"):
        writer.write(PARTITIONS[Kind.LOG], _schema(Kind.LOG), [*good, damage(good[0])])
    assert list(root.iterdir()) == []


def test_no_sources_is_unfit(writer: ColumnarWriter) -> None:
    """With no files there is nothing for DuckDB to read: the reference path decides."""
    with pytest.raises(UnfitError, match="no source files"):
        writer.write(PARTITIONS[Kind.LOG], _schema(Kind.LOG), [])


def test_the_connection_reads_only_its_staging_directory(tmp_path: Path) -> None:
    """The fast path's DuckDB opens files under its staging directory and nothing else."""
    columnar = ColumnarWriter(row_group_rows=ROW_GROUP_ROWS, zstd_level=ZSTD_LEVEL)
    root, connection = columnar.open()
    outside = tmp_path / "outside.csv"
    outside.write_text("a\n1\n")
    inside = root / "inside.csv"
    inside.write_text("a\n2\n")
    assert connection.execute("SELECT a FROM read_csv(?)", [str(inside)]).fetchall() == [(2,)]
    with pytest.raises(duckdb.PermissionException):
        connection.execute("SELECT a FROM read_csv(?)", [str(outside)]).fetchall()
    with pytest.raises(duckdb.Error):
        connection.execute("SET enable_external_access = true")
    columnar.close()
    assert not root.exists()
