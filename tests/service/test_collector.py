"""Collector buffering, flushing and journal replay, driven directly and through the app."""

from __future__ import annotations

import shutil
import threading
import time
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import orjson
import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from observability.core.errors import StoreError
from observability.core.metrics import Metrics
from observability.core.schema import Kind
from observability.core.settings import Settings
from observability.runtime import Runtime
from observability.service.app import create_app
from observability.service.collector import BufferPolicy, Collector, replay_journal
from observability.service.collector.journal import SEGMENT_SUFFIX
from observability.service.errors import JournalError
from observability.store.errors import ErrorWriter
from observability.store.local import LocalStore
from tests.service.conftest import COLLECTOR_AND_API
from tests.service.records import log_record, ndjson, stored_ids

NDJSON = {"content-type": "application/x-ndjson"}


class FlakyStore(LocalStore):
    """A real LocalStore whose data writes fail while `failing` is set."""

    failing = False

    def put(self, key: str, data: bytes) -> None:
        """Fail data-file writes on demand, like an unreachable bucket."""
        if self.failing and not key.startswith("errors/"):
            raise StoreError(f"store unavailable for {key}")
        super().put(key, data)


def _collector(tmp_path: Path, store: LocalStore, metrics: Metrics) -> Collector:
    policy = BufferPolicy(max_bytes=5 * 1024 * 1024, max_seconds=3600.0)
    return Collector(tmp_path / "journal", store, metrics, ErrorWriter(store, metrics), policy)


def _lines(start: int, count: int, service: str = "checkout") -> list[bytes]:
    return [orjson.dumps(log_record(i, service)) for i in range(start, start + count)]


def _wait_for(predicate: object, timeout: float = 5.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if callable(predicate) and predicate():
            return True
        time.sleep(0.02)
    return False


def _segments(directory: Path) -> list[Path]:
    return sorted(directory.glob(f"*{SEGMENT_SUFFIX}"))


@pytest.fixture
def collector(tmp_path: Path, store: LocalStore, metrics: Metrics) -> Iterator[Collector]:
    """A started collector over a fresh journal; closed (flushed) at the end."""
    instance = _collector(tmp_path, store, metrics)
    instance.start()
    yield instance
    instance.close()


def test_flush_by_size(settings: Settings, metrics: Metrics, store: LocalStore) -> None:
    """Once the buffered bytes reach buffer_max_bytes, the flusher writes them out."""
    runtime = Runtime(settings.replace(buffer_max_bytes=2_000), store=store, metrics=metrics)
    app = create_app(runtime, COLLECTOR_AND_API)
    with TestClient(app) as client:
        response = client.post(
            "/api/v1/ingest/logs",
            content=ndjson([log_record(i) for i in range(20)]),
            headers=NDJSON,
        )
        assert response.json()["accepted"] == 20
        assert _wait_for(lambda: len(stored_ids(store)) == 20)
        assert _segments(settings.journal_dir) == []


def test_flush_by_time(settings: Settings, metrics: Metrics, store: LocalStore) -> None:
    """A buffer older than buffer_max_seconds is written out though it is small."""
    runtime = Runtime(settings.replace(buffer_max_seconds=0.2), store=store, metrics=metrics)
    app = create_app(runtime, COLLECTOR_AND_API)
    with TestClient(app) as client:
        client.post("/api/v1/ingest/logs", content=ndjson([log_record(1)]), headers=NDJSON)
        assert stored_ids(store) == []
        assert _wait_for(lambda: stored_ids(store) == ["log-checkout-13-1"], timeout=3.0)


def test_shutdown_flushes_buffers(app: FastAPI, settings: Settings, store: LocalStore) -> None:
    """Records buffered at shutdown are written and the journal is left empty."""
    with TestClient(app) as client:
        client.post("/api/v1/ingest/logs", content=ndjson([log_record(7)]), headers=NDJSON)
        assert stored_ids(store) == []
        assert len(_segments(settings.journal_dir)) == 1
    assert stored_ids(store) == ["log-checkout-13-7"]
    assert _segments(settings.journal_dir) == []


def test_ingest_journals_before_returning(
    collector: Collector, tmp_path: Path, store: LocalStore, metrics: Metrics
) -> None:
    """After ingest returns, replaying the journal alone recovers every accepted line."""
    collector.ingest(Kind.LOG, _lines(0, 30, "a") + _lines(0, 20, "b"))
    [segment] = _segments(tmp_path / "journal")
    other = LocalStore(tmp_path / "other", fsync=False)
    copy_dir = tmp_path / "copy"
    copy_dir.mkdir()
    shutil.copy(segment, copy_dir)
    report = replay_journal(copy_dir, other, Metrics())
    assert (report.segments, report.lines, report.files) == (1, 50, 2)
    assert sorted(stored_ids(other)) == sorted(
        [f"log-a-13-{i}" for i in range(30)] + [f"log-b-13-{i}" for i in range(20)]
    )


def test_replay_after_store_write_is_idempotent(
    tmp_path: Path, store: LocalStore, metrics: Metrics
) -> None:
    """A segment replayed after its files were written rewrites the same keys, no duplicates."""
    collector = _collector(tmp_path, store, metrics)
    collector.start()
    collector.ingest(Kind.LOG, _lines(0, 10))
    [segment] = _segments(tmp_path / "journal")
    saved = segment.read_bytes()
    collector.close()
    keys_before = list(store.list("logs/"))
    segment.write_bytes(saved)  # as if the process died before deleting it
    again = _collector(tmp_path, store, metrics)
    report = again.start()
    again.close()
    assert report.lines == 10
    assert list(store.list("logs/")) == keys_before
    assert sorted(stored_ids(store)) == sorted(f"log-checkout-13-{i}" for i in range(10))
    assert _segments(tmp_path / "journal") == []


def test_replay_ignores_a_torn_tail(tmp_path: Path, store: LocalStore, metrics: Metrics) -> None:
    """Whole blocks are replayed; a cut-off final append (never acknowledged) is not."""
    collector = _collector(tmp_path, store, metrics)
    collector.start()
    collector.ingest(Kind.LOG, _lines(0, 5))
    collector.ingest(Kind.LOG, _lines(5, 5))
    [segment] = _segments(tmp_path / "journal")
    saved = segment.read_bytes()
    collector.close()
    for key in list(store.list("logs/")):
        store.delete(key)
    segment.write_bytes(saved[:-7])  # the second block lost its last bytes
    report = replay_journal(tmp_path / "journal", store, metrics)
    assert report.torn_bytes > 0
    assert sorted(stored_ids(store)) == sorted(f"log-checkout-13-{i}" for i in range(5))


def test_second_collector_cannot_share_the_journal(
    collector: Collector, tmp_path: Path, store: LocalStore, metrics: Metrics
) -> None:
    """A second collector on the same journal directory is refused with a message."""
    other = _collector(tmp_path, store, metrics)
    with pytest.raises(JournalError, match="another collector"):
        other.start()


def test_concurrent_ingest_and_flush_store_each_record_once(
    collector: Collector, store: LocalStore, metrics: Metrics
) -> None:
    """Many threads ingesting while another flushes: every record is stored exactly once."""
    stop = threading.Event()

    def flush_often() -> None:
        while not stop.is_set():
            collector.flush(force=True)

    def post(worker: int) -> None:
        for batch in range(25):
            start = (worker * 25 + batch) * 20
            collector.ingest(Kind.LOG, _lines(start, 20, f"svc{worker % 3}"))

    flusher = threading.Thread(target=flush_often)
    flusher.start()
    workers = [threading.Thread(target=post, args=(w,)) for w in range(6)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    stop.set()
    flusher.join()
    collector.flush(force=True)
    counts = Counter(stored_ids(store))
    assert len(counts) == 6 * 25 * 20
    assert set(counts.values()) == {1}
    assert (
        metrics.registry.get_sample_value(
            "observability_records_accepted_total", {"stage": "collector", "kind": "log"}
        )
        == 3000
    )


def test_store_outage_keeps_the_segment_and_retries(tmp_path: Path, metrics: Metrics) -> None:
    """A failed flush leaves the segment journaled; the next flush writes it and deletes it."""
    store = FlakyStore(tmp_path / "store", fsync=False)
    collector = _collector(tmp_path, store, metrics)
    collector.start()
    collector.ingest(Kind.LOG, _lines(0, 4))
    store.failing = True
    with pytest.raises(StoreError):
        collector.flush(force=True)
    assert len(_segments(tmp_path / "journal")) == 1
    assert collector.buffered_bytes() > 0
    assert collector.flush_due()
    store.failing = False
    assert collector.flush() == 1
    collector.close()
    assert sorted(stored_ids(store)) == [f"log-checkout-13-{i}" for i in range(4)]
    assert _segments(tmp_path / "journal") == []
