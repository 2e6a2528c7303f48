"""The demo runs the whole local pipeline and every record it emits is found in the store."""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import orjson
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
import structlog
from click.testing import CliRunner

from observability.cli import main
from observability.core.settings import Settings
from observability.demo import FRAUD_MODEL, PRICE_MODEL, SERVICES, run_demo
from observability.runtime import Runtime
from observability.store.files import decode_lines
from observability.store.local import LocalStore


@pytest.fixture(autouse=True)
def _restore_structlog() -> Iterator[None]:
    """The demo configures the process-wide SDK; later tests get structlog's defaults back."""
    yield
    structlog.reset_defaults()


def stored(store: LocalStore, prefix: str) -> list[dict[str, object]]:
    """Every record in the gzip NDJSON files under a prefix."""
    return [
        orjson.loads(line) for key in store.list(prefix) for line in decode_lines(store.get(key))
    ]


def test_demo_lands_every_emitted_record(tmp_path: Path) -> None:
    """Logs of three services, predictions of two models and labels are stored and compacted."""
    store = LocalStore(tmp_path / "store", fsync=False)
    settings = Settings.from_env({}, state_dir=tmp_path / "state")
    steps: list[str] = []
    report = run_demo(Runtime(settings, store=store), minutes=3, seed=11, on_step=steps.append)
    assert report.complete
    assert len(steps) >= 4
    logs, predictions, labels = (stored(store, f"{k}/") for k in ("logs", "predictions", "labels"))
    assert (len(logs), len(predictions), len(labels)) == (
        report.emitted["logs"],
        report.emitted["predictions"],
        report.emitted["labels"],
    )
    assert min(report.emitted.values()) > 100
    assert {r["service"] for r in logs} == set(SERVICES)
    levels = Counter(r["level"] for r in logs)
    assert levels["info"] > levels["warning"] > 0 and levels["error"] > 0
    assert any(isinstance(r.get("exception"), dict) for r in logs)
    assert all(r.get("trace_id") for r in logs)
    assert {r["model"] for r in predictions} == {FRAUD_MODEL, PRICE_MODEL}
    ids = {r["prediction_id"] for r in predictions}
    assert {r["prediction_id"] for r in labels} <= ids
    compacted = [key for key in store.list("compacted/") if key.endswith(".parquet")]
    rows = sum(pq.read_table(pa.BufferReader(store.get(key))).num_rows for key in compacted)
    assert rows == sum(report.emitted.values())
    errors = stored(store, "errors/")
    assert len(errors) == report.errors == 2
    assert {e["reason"] for e in errors} == {"malformed_json", "naive_timestamp"}


def test_demo_command_prints_where_records_landed(tmp_path: Path) -> None:
    """`observability demo --store-url DIR` prints the table, succeeds, and fills DIR."""
    store_url = (tmp_path / "store").as_uri()
    result = CliRunner().invoke(main, ["--store-url", store_url, "demo", "--minutes", "1"])
    assert result.exit_code == 0, result.output + result.stderr
    assert "every record accounted for" in result.output
    assert "logs/service=checkout/" in result.output
    store = LocalStore(tmp_path / "store")
    for prefix in ("logs/", "predictions/", "labels/", "compacted/", "errors/collector/"):
        assert list(store.list(prefix)), prefix
    # Then it answers an SRE's first questions on that data: SQL, then a search.
    assert "error_rate" in result.output
    assert "row(s) in" in result.output
    hits = re.search(r"(\d+) of (\d+) hits on embedded", result.output)
    assert hits is not None
    assert int(hits.group(2)) > 0
