"""The Glue compaction job runs the package's compaction over a store from its arguments."""

from __future__ import annotations

import importlib.util
import json
import sys
from datetime import UTC, datetime
from pathlib import Path
from types import ModuleType

import orjson
import pyarrow.parquet as pq
import pytest

from observability.core.schema import Kind
from observability.store.compaction import read_manifest
from observability.store.files import encode_ndjson_gz
from observability.store.local import LocalStore

JOB = Path(__file__).resolve().parents[2] / "glue" / "jobs" / "compact.py"


def _load_job() -> ModuleType:
    spec = importlib.util.spec_from_file_location("glue_compact_job", JOB)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up while decorating
    spec.loader.exec_module(module)
    return module


job = _load_job()


def _logs(service: str, hour: int, count: int) -> bytes:
    return encode_ndjson_gz(
        orjson.dumps(
            {
                "schema_version": 1,
                "kind": "log",
                "record_id": f"{service}-{hour}-{i}",
                "timestamp": f"2026-11-23T{hour:02d}:{i % 60:02d}:00.000000Z",
                "level": "info",
                "service": service,
                "event": f"event {i}",
                "attributes": {"i": i},
            }
        )
        for i in range(count)
    )


@pytest.fixture
def filled(store: LocalStore) -> LocalStore:
    """Two services' hour 13 in two files each, and hour 14 of one service."""
    for service in ("checkout", "search"):
        prefix = f"logs/service={service}/dt=2026-11-23/hour=13/"
        store.put(prefix + "a.json.gz", _logs(service, 13, 30))
        store.put(prefix + "b.json.gz", _logs(service, 13, 20))
    store.put("logs/service=checkout/dt=2026-11-23/hour=14/a.json.gz", _logs("checkout", 14, 5))
    return store


def test_job_compacts_one_hour(filled: LocalStore, capsys: pytest.CaptureFixture[str]) -> None:
    """--hour compacts that hour's partitions only, with manifests naming their sources."""
    url = filled.root.as_uri()
    argv = ["compact.py", "--store_url", url, "--kind", "logs", "--hour", "2026-11-23T13"]
    assert job.main(argv, environ={}) == 0
    summary = json.loads(capsys.readouterr().out)
    assert summary == {"partitions": 2, "written": 2, "rows": 100, "rejected": 0}
    key = "compacted/logs/service=search/dt=2026-11-23/hour=13/part-0000.parquet"
    data = filled.get(key)
    assert pq.read_table(filled.root / key).num_rows == 50
    assert read_manifest(data)["sources"] == [
        "logs/service=search/dt=2026-11-23/hour=13/a.json.gz",
        "logs/service=search/dt=2026-11-23/hour=13/b.json.gz",
    ]
    assert not filled.exists(
        "compacted/logs/service=checkout/dt=2026-11-23/hour=14/part-0000.parquet"
    )


def test_job_rerun_is_up_to_date(filled: LocalStore, capsys: pytest.CaptureFixture[str]) -> None:
    """A second run with --since over the same data writes nothing new."""
    now = datetime(2026, 11, 23, 15, 30, tzinfo=UTC)
    args = job.parse_args(["compact.py", "--store_url", filled.root.as_uri(), "--since", "3h"], now)
    assert args.kinds == tuple(Kind)
    assert args.start == datetime(2026, 11, 23, 12, tzinfo=UTC)
    first = job.run(args, {})
    assert first == {"partitions": 3, "written": 3, "rows": 105, "rejected": 0}
    second = job.run(args, {})
    assert second == {"partitions": 3, "written": 0, "rows": 0, "rejected": 0}


def test_job_ignores_glue_arguments_and_refuses_bad_ranges(
    filled: LocalStore, capsys: pytest.CaptureFixture[str]
) -> None:
    """Glue's own arguments pass through; neither or both of --hour/--since is an error."""
    url = filled.root.as_uri()
    glue_args = ["--job-bookmark-option", "job-bookmark-disable", "--JOB_NAME", "compact"]
    args = job.parse_args(["compact.py", *glue_args, "--store_url", url, "--hour", "2026-11-23T14"])
    assert args.start == args.end == datetime(2026, 11, 23, 14, tzinfo=UTC)
    assert job.main(["compact.py", "--store_url", url], environ={}) == 2
    assert "exactly one of --hour or --since" in capsys.readouterr().err
    both = ["compact.py", "--store_url", url, "--hour", "2026-11-23T14", "--since", "2h"]
    assert job.main(both, environ={}) == 2
