"""The query layer's listing of a local store never follows a symbolic link."""

from __future__ import annotations

import gzip
from pathlib import Path

import orjson

from observability.query.duckdb import DuckDBEngine
from observability.store.local import LocalStore


def _write(path: Path, service: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    record = {
        "schema_version": 1,
        "kind": "log",
        "record_id": f"r-{service}",
        "timestamp": "2026-12-01T10:00:00.000000Z",
        "level": "info",
        "service": service,
        "env": "test",
        "event": "hello",
    }
    path.write_bytes(gzip.compress(orjson.dumps(record) + b"\n"))


def test_symlinked_partitions_and_loops_are_not_read(tmp_path: Path) -> None:
    """A link to a directory outside the store, and a link loop, add no rows and no hang."""
    root = tmp_path / "store"
    _write(root / "logs/service=good/dt=2026-12-01/hour=10/a.json.gz", "good")
    outside = tmp_path / "outside"
    _write(outside / "dt=2026-12-01/hour=10/b.json.gz", "evil")
    (root / "logs/service=evil").symlink_to(outside, target_is_directory=True)
    (root / "logs/service=good/dt=2026-12-01/loop").symlink_to(root / "logs")
    engine = DuckDBEngine(LocalStore(root, fsync=False))
    try:
        result = engine.execute("SELECT service, count(*) AS n FROM logs GROUP BY service")
    finally:
        engine.close()
    assert result.rows == [("good", 1)]
