"""The collector indexes what it writes when OpenSearch is configured, and never loses it."""

from __future__ import annotations

from pathlib import Path

from fastapi.testclient import TestClient
from opensearchpy import OpenSearch

from observability.core.metrics import Metrics
from observability.core.settings import Settings
from observability.index.client import opensearch_client
from observability.index.indexer import Indexer, IndexMetrics
from observability.runtime import Runtime
from observability.service.app import create_app
from observability.service.collector.indexing import IndexOnWrite
from observability.service.roles import Role
from observability.store.errors import ErrorWriter
from observability.store.local import LocalStore
from observability.transport.retry import RetryPolicy
from tests.servers import free_port
from tests.service.records import log_record, ndjson, prediction_record, stored_records


def _app(tmp_path: Path, store: LocalStore, metrics: Metrics, indexer: Indexer) -> TestClient:
    errors = ErrorWriter(store, metrics)
    settings = Settings.from_env({}, state_dir=tmp_path / "state", buffer_max_seconds=3600.0)
    runtime = Runtime(
        settings, store=store, metrics=metrics, on_written=IndexOnWrite(indexer, errors)
    )
    return TestClient(create_app(runtime, frozenset({Role.COLLECTOR})))


def test_flushed_records_are_searchable(
    tmp_path: Path, store: LocalStore, metrics: Metrics, indexer: Indexer, os_client: OpenSearch
) -> None:
    """Logs and predictions flushed by the collector are indexed once; labels are not."""
    logs = [log_record(i) for i in range(40)]
    predictions = [prediction_record(i) for i in range(10)]
    with _app(tmp_path, store, metrics, indexer) as client:
        assert client.post("/api/v1/ingest/logs", content=ndjson(logs)).status_code == 200
        answer = client.post("/api/v1/ingest/predictions", content=ndjson(predictions))
        assert answer.status_code == 200
    os_client.indices.refresh(index="logs-*,predictions-*")
    assert os_client.count(index="logs-*")["count"] == 40
    assert os_client.count(index="predictions-*")["count"] == 10


def test_unreachable_node_keeps_lines_under_errors(
    tmp_path: Path, store: LocalStore, metrics: Metrics, fast_retry: RetryPolicy
) -> None:
    """With OpenSearch down, ingest still succeeds and the lines wait in errors/index/."""
    dead = opensearch_client(f"http://127.0.0.1:{free_port()}", timeout=2)
    writer = ErrorWriter(store, metrics)
    indexer = Indexer(dead, writer, IndexMetrics(metrics.registry), retry=fast_retry)
    with _app(tmp_path, store, metrics, indexer) as client:
        answer = client.post("/api/v1/ingest/logs", content=ndjson([log_record(1)]))
        assert answer.status_code == 200
    assert len(list(store.list("logs/"))) == 1
    kept = [row for _, row in stored_records(store, "errors/index/delivery_failed/")]
    assert len(kept) == 1
    assert kept[0]["stage"] == "index"
