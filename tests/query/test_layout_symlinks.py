"""The query layer's listing of a local store never follows a symbolic link."""

from __future__ import annotations

import gzip
from pathlib import Path

import orjson
import pyarrow.fs as pafs

from observability.query.duckdb import DuckDBEngine
from observability.query.layout import StoreLayout
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


def test_the_local_listing_says_what_pyarrow_says_of_each_entry(tmp_path: Path) -> None:
    """Apart from links, the walk reports each entry as pyarrow's own listing does: path,
    name, type, and a file's size and modification time (the manifest cache's key)."""
    root = tmp_path / "store"
    _write(root / "logs/service=a/dt=2026-12-01/hour=10/a.json.gz", "a")
    _write(root / "logs/service=b/dt=2026-12-01/hour=11/b.json.gz", "b")
    (root / "logs/service=a/dt=2026-12-01/empty").mkdir()
    (root / "logs/service=a/link").symlink_to(root / "logs/service=b")
    filesystem = pafs.LocalFileSystem()
    layout = StoreLayout(filesystem, root.as_posix(), root.as_posix())
    ours = [tuple(info) for info in layout._list_local((root / "logs").as_posix(), True)]
    selector = pafs.FileSelector((root / "logs").as_posix(), recursive=True)
    theirs = [
        (
            i.path,
            i.base_name,
            i.type,
            i.size if i.is_file else None,
            i.mtime_ns if i.is_file else None,
        )
        for i in sorted(filesystem.get_file_info(selector), key=lambda i: i.path)
        if not i.path.endswith("/link") and "/link/" not in i.path
    ]
    assert ours == theirs
    assert len(ours) == 9  # 2 services, 2 days, 2 hours (and one empty), 2 files
