"""Backfills go through the shared transform into the partition layout; refusals to errors/."""

from __future__ import annotations

import gzip
from pathlib import Path

import orjson
import pytest

from observability.core.errors import Reason, RecordError
from observability.core.metrics import Metrics
from observability.core.schema import Kind
from observability.ingest import Backfill, input_files, replay_line
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
    """Past the size bound a partition gets another file; no record is lost or repeated."""
    source = tmp_path / "many.ndjson"
    source.write_bytes(b"\n".join(log(i) for i in range(1000)))
    summary = Backfill(store, metrics, Kind.LOG, max_file_bytes=20_000).run([source])
    assert len(summary.files) > 5
    stored = records(store, "logs/")
    assert sorted(str(r["event"]) for r in stored) == sorted(f"event {i}" for i in range(1000))
