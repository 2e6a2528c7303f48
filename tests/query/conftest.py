"""A day of logs, predictions and labels whose answers are known in advance.

2026-11-23. Service `checkout`: 100 requests with `latency_ms` 1..100, request j in hour
j % 24; every tenth is an error (6 `upstream timeout`, then 4 `card declined`). Service
`search`: 100 requests with latency 10, 20, ... 1000. Model `fraud`: 10 predictions in
hour 10 (all labelled, all right) and 10 in hour 11 (8 labelled, 4 right). Model `price`:
4 regression predictions in hour 12, off by 1, 2, 3 and 4. Trace `t-1`: two checkout logs
and one fraud prediction. Hours 00-11 of checkout, hour 10 of fraud and the fraud labels'
day are compacted; then one more checkout record lands in compacted hour 05 as NDJSON.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pytest
from prometheus_client import CollectorRegistry

from observability.core.metrics import Metrics
from observability.core.schema import Kind
from observability.store.compaction import Compactor
from observability.store.local import LocalStore
from tests.query.data import label, log, prediction, write

DAY = "2026-11-23"


def at(hour: int, minute: int = 0) -> str:
    """A timestamp on the data set's day."""
    return f"{DAY}T{hour:02d}:{minute:02d}:00Z"


def checkout_logs() -> list[dict[str, Any]]:
    """The checkout requests, latency 1..100, every tenth an error."""
    records = []
    for j in range(100):
        level, event = "info", "request handled"
        if j % 10 == 0:
            level, event = "error", "upstream timeout" if j < 60 else "card declined"
        extra: dict[str, Any] = {"latency_ms": j + 1}
        if j in (3, 4):
            extra["trace_id"] = "t-1"
        records.append(log("checkout", at(j % 24, j // 24), level, event, **extra))
    return records


def fraud_predictions() -> list[dict[str, Any]]:
    """Even ones predict fraud (0.9), odd ones ok (fraud 0.2); amounts 0..19."""
    records = []
    for i in range(20):
        p = 0.9 if i % 2 == 0 else 0.2
        features = {"amount": float(i), "country": "de" if i < 15 else "fr", "note": None}
        record = prediction(
            "fraud",
            at(10 + i // 10, i % 10),
            f"f{i}",
            {"fraud": p, "ok": round(1 - p, 2)},
            **features,
        )
        if i == 0:
            record["trace_id"] = "t-1"
        records.append(record)
    return records


def fraud_labels() -> list[dict[str, Any]]:
    """Hour 10: all right; hour 11: f10..f17 labelled, four right, four wrong."""
    records = []
    for i in range(18):
        predicted = "fraud" if i % 2 == 0 else "ok"
        wrong = i >= 10 and i % 4 in (0, 1)
        truth = ("ok" if predicted == "fraud" else "fraud") if wrong else predicted
        records.append(label("fraud", at(20, i), f"f{i}", truth))
    return records


@dataclass
class Dataset:
    """The store and what was written to it."""

    store: LocalStore
    late_key: str


def build(store: LocalStore, metrics: Metrics) -> Dataset:
    """The day above, partly compacted, with a file that arrived after compaction."""
    write(store, Kind.LOG, checkout_logs())
    write(
        store,
        Kind.LOG,
        [log("search", at(k % 24, k // 24), latency_ms=10 * (k + 1)) for k in range(100)],
    )
    write(store, Kind.PREDICTION, fraud_predictions())
    price = [prediction("price", at(12, n), f"p{n}", 10.0 + n, size=n) for n in range(4)]
    write(store, Kind.PREDICTION, price)
    write(store, Kind.LABEL, fraud_labels())
    write(
        store,
        Kind.LABEL,
        [label("price", at(13, n), f"p{n}", 10.0 + n + (n + 1) * (-1) ** n) for n in range(4)],
    )
    compactor = Compactor(store, metrics)
    for partition in compactor.find([Kind.LOG, Kind.PREDICTION, Kind.LABEL]):
        compacted_hours = partition.key == "checkout" and int(partition.hour or 99) < 12
        if compacted_hours or (partition.key == "fraud" and partition.hour in ("10", None)):
            assert compactor.compact(partition).rows > 0
    (late_key,) = write(store, Kind.LOG, [log("checkout", at(5, 59), event="late arrival")])
    return Dataset(store, late_key)


@pytest.fixture(scope="module")
def dataset(tmp_path_factory: pytest.TempPathFactory) -> Dataset:
    """The day above, shared by a module's tests: they only read it."""
    store = LocalStore(tmp_path_factory.mktemp("dataset"), fsync=False)
    return build(store, Metrics(CollectorRegistry()))


@pytest.fixture
def fresh_dataset(store: LocalStore, metrics: Metrics) -> Dataset:
    """The day above in this test's own store, for tests that add records."""
    return build(store, metrics)
