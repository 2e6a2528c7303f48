"""Backfills go through the shared transform into the partition layout; refusals to errors/."""

from __future__ import annotations

import gzip
import io
from pathlib import Path

import orjson
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from observability.core.errors import Reason, RecordError
from observability.core.metrics import Metrics
from observability.core.schema import MAX_RECORD_BYTES, Kind
from observability.ingest import (
    OVERSIZE_HEAD_BYTES,
    Backfill,
    LineReader,
    input_files,
    replay_line,
)
from observability.store.files import decode_lines
from observability.store.local import LocalStore


def log(i: int, service: str = "checkout", **extra: object) -> bytes:
    """A producer's log line."""
    record = {
        "timestamp": f"2026-11-23T13:{i % 60:02d}:00Z",
        "level": "info",
        "service": service,
        "event": f"event {i}",
        **extra,
    }
    return orjson.dumps(record)


def records(store: LocalStore, prefix: str) -> list[dict[str, object]]:
    """Every record stored under a prefix."""
    return [
        orjson.loads(line) for key in store.list(prefix) for line in decode_lines(store.get(key))
    ]


def test_backfill_writes_one_file_per_partition_and_refuses_bad_lines(
    tmp_path: Path, store: LocalStore, metrics: Metrics
) -> None:
    """Plain and gzip inputs land as one file per partition; bad lines go to errors/ingest/."""
    plain = tmp_path / "a.ndjson"
    plain.write_bytes(b"\n".join([log(1), b"{broken", b"", log(2, service="search")]) + b"\n")
    packed = tmp_path / "b.json.gz"
    bad_level = log(4, level="loud")
    packed.write_bytes(gzip.compress(b"\n".join([log(3), bad_level, log(5, "search")])))
    seen: list[int] = []
    summary = Backfill(store, metrics, Kind.LOG).run([plain, packed], seen.append)
    assert (summary.lines, summary.accepted, summary.rejected_total) == (6, 4, 2)
    assert dict(summary.rejected) == {"malformed_json": 1, "invalid_value": 1}
    assert sorted(k.rsplit("/", 1)[0] for k in summary.files) == [
        "logs/service=checkout/dt=2026-11-23/hour=13",
        "logs/service=search/dt=2026-11-23/hour=13",
    ]
    events = sorted(str(r["event"]) for r in records(store, "logs/"))
    assert events == ["event 1", "event 2", "event 3", "event 5"]
    assert all(r["ingested_at"] for r in records(store, "logs/"))
    errors = records(store, "errors/ingest/")
    assert {(e["reason"], e["raw"]) for e in errors} == {
        ("malformed_json", "{broken"),
        ("invalid_value", bad_level.decode()),
    }
    assert any(str(e["error"]).startswith("a.ndjson:2:") for e in errors)
    assert sum(seen) == plain.stat().st_size + packed.stat().st_size == summary.bytes_read
    assert (
        metrics.registry.get_sample_value(
            "observability_records_accepted_total", {"stage": "ingest", "kind": "log"}
        )
        == 4
    )
    assert (
        metrics.registry.get_sample_value(
            "observability_records_rejected_total",
            {"stage": "ingest", "reason": "malformed_json"},
        )
        == 1
    )


def test_refused_records_can_be_replayed_from_errors(
    tmp_path: Path, store: LocalStore, metrics: Metrics
) -> None:
    """Lines refused for lacking `kind` are accepted when errors/ is replayed with --kind."""
    source = tmp_path / "kindless.ndjson"
    source.write_bytes(b"\n".join([log(1), log(2)]))
    first = Backfill(store, metrics, None).run([source])
    assert (first.accepted, dict(first.rejected)) == (0, {"missing_field": 2})
    exported = tmp_path / "errors"
    for key in store.list("errors/"):
        target = exported / key
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(store.get(key))
    replay = Backfill(store, metrics, Kind.LOG, from_errors=True).run(input_files([exported]))
    assert (replay.accepted, replay.rejected_total) == (2, 0)
    assert sorted(str(r["event"]) for r in records(store, "logs/")) == ["event 1", "event 2"]


def test_replay_decodes_base64_raw_and_refuses_other_lines() -> None:
    """An errors/ line gives back its raw bytes, even invalid UTF-8; anything else is refused."""
    entry = orjson.dumps({"raw": "/w==", "raw_encoding": "base64"})
    assert replay_line(entry) == b"\xff"
    assert replay_line(orjson.dumps({"raw": "{}"})) == b"{}"
    with pytest.raises(RecordError, match="no raw record") as refused:
        replay_line(b'{"level": "info"}')
    assert refused.value.reason is Reason.MISSING_FIELD


def test_large_partitions_are_split_across_files(
    tmp_path: Path, store: LocalStore, metrics: Metrics
) -> None:
    """Past the buffer bound a partition gets another file; no record is lost or repeated."""
    source = tmp_path / "many.ndjson"
    source.write_bytes(b"\n".join(log(i) for i in range(1000)))
    summary = Backfill(store, metrics, Kind.LOG, max_buffer_bytes=20_000).run([source])
    assert len(summary.files) > 5
    stored = records(store, "logs/")
    assert sorted(str(r["event"]) for r in stored) == sorted(f"event {i}" for i in range(1000))


def test_buffers_stay_bounded_across_many_partitions(
    tmp_path: Path, store: LocalStore, metrics: Metrics
) -> None:
    """Lines spread over 60 partitions: the largest are written as the bound is reached,
    every file stays under it, and every record is stored exactly once."""
    source = tmp_path / "spread.ndjson"
    lines = (log(i, service=f"svc-{i % 60}", request_id=f"r{i}") for i in range(3000))
    source.write_bytes(b"\n".join(lines))
    bound = 40_000
    summary = Backfill(store, metrics, Kind.LOG, max_buffer_bytes=bound).run([source])
    assert summary.accepted == 3000
    assert len(summary.files) > 60
    assert all(len(decompressed(store.get(key))) < bound for key in summary.files)
    stored = sorted(str(r["request_id"]) for r in records(store, "logs/"))
    assert stored == sorted(f"r{i}" for i in range(3000))


def decompressed(data: bytes) -> bytes:
    """A data file's NDJSON."""
    return gzip.decompress(data)


def test_a_line_over_the_limit_is_refused_with_its_head(
    tmp_path: Path, store: LocalStore, metrics: Metrics
) -> None:
    """A 3 MB line is too_large: errors/ keeps its first bytes and length; neighbours go on."""
    huge = log(2, note="x" * 3_000_000)
    source = tmp_path / "huge.ndjson"
    source.write_bytes(b"\n".join([log(1), huge, log(3)]) + b"\n")
    summary = Backfill(store, metrics, Kind.LOG).run([source])
    assert (summary.lines, summary.accepted, dict(summary.rejected)) == (3, 2, {"too_large": 1})
    (error,) = records(store, "errors/ingest/too_large/")
    assert error["raw"] == huge[:OVERSIZE_HEAD_BYTES].decode()
    assert str(error["error"]).startswith(f"huge.ndjson:2: line is {len(huge)} bytes")
    assert sorted(str(r["event"]) for r in records(store, "logs/")) == ["event 1", "event 3"]


def test_a_damaged_gzip_keeps_the_lines_before_it(
    tmp_path: Path, store: LocalStore, metrics: Metrics
) -> None:
    """A gzip file cut short: the lines read are stored, the rest is bad_encoding, and the
    next file is ingested whole."""
    packed = gzip.compress(b"\n".join(log(i, request_id=f"r{i}") for i in range(20_000)))
    damaged = tmp_path / "a-damaged.json.gz"
    damaged.write_bytes(packed[: len(packed) // 2])
    after = tmp_path / "b-after.ndjson"
    after.write_bytes(log(7, service="after"))
    summary = Backfill(store, metrics, Kind.LOG).run([damaged, after])
    assert dict(summary.rejected) == {"bad_encoding": 1}
    stored = records(store, "logs/")
    before = [r for r in stored if r["service"] == "checkout"]
    assert 0 < len(before) < 20_000
    assert [r["request_id"] for r in before] == [f"r{i}" for i in range(len(before))]
    assert [r["event"] for r in stored if r["service"] == "after"] == ["event 7"]
    (error,) = records(store, "errors/ingest/bad_encoding/")
    assert str(error["error"]).startswith(f"a-damaged.json.gz:{len(before) + 1}: not readable")


def test_replay_of_an_escaped_record_longer_than_the_limit(
    tmp_path: Path, store: LocalStore, metrics: Metrics
) -> None:
    """A refused record near 1,000 KiB whose errors/ line is twice as long replays."""
    record = log(1, note='"' * (MAX_RECORD_BYTES // 2 - 200))  # `\"`, then `\\\"` in errors/
    assert len(record) <= MAX_RECORD_BYTES
    source = tmp_path / "kindless.ndjson"
    source.write_bytes(record)
    assert dict(Backfill(store, metrics, None).run([source]).rejected) == {"missing_field": 1}
    exported = tmp_path / "errors"
    for key in store.list("errors/"):
        target = exported / key
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(store.get(key))
        assert len(decompressed(target.read_bytes())) > MAX_RECORD_BYTES
    replay = Backfill(store, metrics, Kind.LOG, from_errors=True).run(input_files([exported]))
    assert (replay.accepted, replay.rejected_total) == (1, 0)


def _pieces() -> st.SearchStrategy[bytes]:
    """Bytes built from short and long runs with newlines and carriage returns between."""
    run = st.one_of(st.binary(max_size=9), st.integers(10, 60).map(lambda n: b"y" * n))
    parts = st.lists(st.tuples(run, st.sampled_from([b"\n", b"\r\n", b""])), max_size=12)
    return parts.map(lambda items: b"".join(a + b for a, b in items))


@settings(max_examples=300, deadline=None)
@given(data=_pieces(), limit=st.integers(1, 40), read_bytes=st.integers(1, 17))
def test_line_reader_matches_split(data: bytes, limit: int, read_bytes: int) -> None:
    """Any read size: the same lines as bytes.split, and over the limit only a head."""
    expected = data.split(b"\n")
    if expected[-1] == b"":
        expected.pop()
    reader = LineReader(io.BytesIO(data), limit, read_bytes)
    got = list(reader)
    assert [number for number, _, _ in got] == list(range(1, len(expected) + 1))
    assert [length for _, _, length in got] == [len(line) for line in expected]
    for (_, text, length), line in zip(got, expected, strict=True):
        assert text == (line if length <= limit else line[:OVERSIZE_HEAD_BYTES])
    assert reader.error is None
