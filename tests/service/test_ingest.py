"""The ingest route: batches in, per-record results out, records in the partition layout."""

from __future__ import annotations

import gzip

import orjson
import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from observability.core.metrics import Metrics
from observability.store.local import LocalStore
from tests.service.records import (
    error_lines,
    label_record,
    log_record,
    ndjson,
    prediction_record,
    stored_ids,
    stored_records,
)

NDJSON = {"content-type": "application/x-ndjson"}


def _accepted(metrics: Metrics, kind: str) -> float:
    value = metrics.registry.get_sample_value(
        "observability_records_accepted_total", {"stage": "collector", "kind": kind}
    )
    return value or 0.0


def _rejected(metrics: Metrics, reason: str) -> float:
    value = metrics.registry.get_sample_value(
        "observability_records_rejected_total", {"stage": "collector", "reason": reason}
    )
    return value or 0.0


def test_good_batch_lands_in_its_partitions_as_gzip_ndjson(
    app: FastAPI, store: LocalStore, metrics: Metrics
) -> None:
    """A valid batch is acknowledged and, after the shutdown flush, stored per partition."""
    records = [log_record(i, "checkout", 13) for i in range(5)]
    records += [log_record(i, "search", 14) for i in range(3)]
    with TestClient(app) as client:
        response = client.post("/api/v1/ingest/logs", content=ndjson(records), headers=NDJSON)
        assert response.status_code == 200
        assert response.json() == {"accepted": 8, "rejected": [], "rejected_count": 0}
    keys = list(store.list("logs/"))
    assert [k.rsplit("/", 1)[0] for k in keys] == [
        "logs/service=checkout/dt=2026-11-23/hour=13",
        "logs/service=search/dt=2026-11-23/hour=14",
    ]
    assert all(k.endswith(".json.gz") and store.get(k)[:2] == b"\x1f\x8b" for k in keys)
    stored = dict(stored_records(store, "logs/service=checkout/"))
    assert len(list(stored_records(store, "logs/service=checkout/"))) == 5
    sample = next(iter(stored.values()))
    assert sample["kind"] == "log" and sample["ingested_at"].endswith("Z")
    assert sorted(stored_ids(store)) == sorted(r["record_id"] for r in records)
    assert _accepted(metrics, "log") == 8
    assert (
        metrics.registry.get_sample_value(
            "observability_store_files_written_total", {"kind": "log"}
        )
        == 2
    )
    assert metrics.registry.get_sample_value("observability_collector_buffered_bytes") == 0


def test_predictions_and_labels_use_their_own_layouts(app: FastAPI, store: LocalStore) -> None:
    """Predictions are normalised to UTC and partitioned by model and hour; labels by day."""
    with TestClient(app) as client:
        preds = client.post(
            "/api/v1/ingest/predictions",
            content=ndjson([prediction_record(i) for i in range(3)]),
            headers=NDJSON,
        )
        labels = client.post(
            "/api/v1/ingest/labels",
            content=ndjson([label_record(i) for i in range(2)]),
            headers=NDJSON,
        )
        assert preds.json()["accepted"] == 3 and labels.json()["accepted"] == 2
    pred_keys = list(store.list("predictions/"))
    assert pred_keys[0].startswith("predictions/model=churn/dt=2026-11-23/hour=08/")
    assert next(iter(store.list("labels/"))).startswith("labels/model=churn/dt=2026-11-24/")
    _, first = next(stored_records(store, "predictions/"))
    assert first["timestamp"] == "2026-11-23T08:00:00.000000Z"


def test_partly_bad_batch_stores_good_and_reports_bad(
    app: FastAPI, store: LocalStore, metrics: Metrics
) -> None:
    """Bad lines are reported by index and reason, kept in errors/, and the rest stored."""
    missing = log_record(1)
    del missing["event"]
    lines = [
        orjson.dumps(log_record(0)),
        orjson.dumps(missing),
        b'{"timestamp": "2026-11-23T13:00:00Z", "level": ',
        orjson.dumps(log_record(3)),
    ]
    with TestClient(app) as client:
        response = client.post("/api/v1/ingest/logs", content=b"\n".join(lines), headers=NDJSON)
    body = response.json()
    assert response.status_code == 200
    assert body["accepted"] == 2
    assert [(r["index"], r["reason"]) for r in body["rejected"]] == [
        (1, "missing_field"),
        (2, "malformed_json"),
    ]
    assert body["rejected"][0]["field"] == "event" and "event" in body["rejected"][0]["error"]
    assert sorted(stored_ids(store)) == ["log-checkout-13-0", "log-checkout-13-3"]
    kept = error_lines(store, "missing_field")
    assert [(e["index"], e["stage"], orjson.loads(e["raw"])) for e in kept] == [
        (1, "collector", missing)
    ]
    assert error_lines(store, "malformed_json")[0]["raw"] == lines[2].decode()
    assert _rejected(metrics, "missing_field") == 1
    assert _rejected(metrics, "malformed_json") == 1


BAD_LINES = [
    pytest.param(b'{"event": "x", ', "malformed_json", id="malformed-json"),
    pytest.param(orjson.dumps({**log_record(0), "level": 5}), "wrong_type", id="wrong-type"),
    pytest.param(
        orjson.dumps({k: v for k, v in log_record(0).items() if k != "service"}),
        "missing_field",
        id="missing-field",
    ),
    pytest.param(b'{"event": "caf\xe9", "level": "info"}', "invalid_utf8", id="invalid-utf8"),
    pytest.param(
        orjson.dumps({**log_record(0), "attributes": {"blob": "x" * (1_000 * 1024)}}),
        "too_large",
        id="over-1000-kib",
    ),
    pytest.param(
        orjson.dumps(log_record(0))[:-1] + b', "latency": NaN}',
        "non_finite_number",
        id="nan",
    ),
    pytest.param(
        orjson.dumps({**log_record(0), "timestamp": "2026-11-23T13:00:00"}),
        "naive_timestamp",
        id="naive-timestamp",
    ),
    pytest.param(b"[1, 2]", "not_an_object", id="not-an-object"),
    pytest.param(
        orjson.dumps({**prediction_record(0), "kind": "prediction"}),
        "wrong_kind",
        id="wrong-kind",
    ),
]


@pytest.mark.parametrize(("bad", "reason"), BAD_LINES)
def test_every_bad_input_is_refused_counted_and_kept(
    app: FastAPI, store: LocalStore, metrics: Metrics, bad: bytes, reason: str
) -> None:
    """Each kind of bad line gets its reason, a counter and an errors/ file; neighbours land."""
    body = orjson.dumps(log_record(0)) + b"\n" + bad + b"\n" + orjson.dumps(log_record(2))
    with TestClient(app) as client:
        response = client.post("/api/v1/ingest/logs", content=body, headers=NDJSON)
        assert client.get("/healthz").status_code == 200
    assert response.status_code == 200
    assert response.json()["accepted"] == 2
    assert [(r["index"], r["reason"]) for r in response.json()["rejected"]] == [(1, reason)]
    assert _rejected(metrics, reason) == 1
    kept = error_lines(store, reason)
    assert len(kept) == 1 and kept[0]["index"] == 1
    assert sorted(stored_ids(store)) == ["log-checkout-13-0", "log-checkout-13-2"]


def test_json_array_body_keeps_element_indexes(app: FastAPI, store: LocalStore) -> None:
    """A JSON array is split into elements; bad elements are reported at their position."""
    records: list[object] = [log_record(0), {"level": "info"}, log_record(2), "text"]
    with TestClient(app) as client:
        response = client.post(
            "/api/v1/ingest/logs",
            content=orjson.dumps(records),
            headers={"content-type": "application/json"},
        )
    assert response.json()["accepted"] == 2
    assert [(r["index"], r["reason"]) for r in response.json()["rejected"]] == [
        (1, "missing_field"),
        (3, "not_an_object"),
    ]
    assert sorted(stored_ids(store)) == ["log-checkout-13-0", "log-checkout-13-2"]


def test_json_array_with_nan_refuses_only_that_element(
    app: FastAPI, store: LocalStore, metrics: Metrics
) -> None:
    """NaN inside a JSON array costs only its element, which lands in errors/ as non-finite."""
    body = b"[" + orjson.dumps(log_record(0)) + b', {"level": NaN}]'
    with TestClient(app) as client:
        response = client.post(
            "/api/v1/ingest/logs", content=body, headers={"content-type": "application/json"}
        )
    assert response.json()["accepted"] == 1
    assert response.json()["rejected"][0]["reason"] == "non_finite_number"
    assert _rejected(metrics, "non_finite_number") == 1
    assert stored_ids(store) == ["log-checkout-13-0"]


def test_unparseable_json_body_is_one_refused_record(
    app: FastAPI, store: LocalStore, metrics: Metrics
) -> None:
    """A body that is no JSON at all is refused as a whole, kept in errors/ and counted."""
    with TestClient(app) as client:
        response = client.post(
            "/api/v1/ingest/logs",
            content=b'[{"a": 1},',
            headers={"content-type": "application/json"},
        )
    assert response.status_code == 200
    assert response.json()["rejected"][0]["reason"] == "malformed_json"
    assert error_lines(store, "malformed_json")[0]["raw"] == '[{"a": 1},'
    assert _rejected(metrics, "malformed_json") == 1


def test_gzip_body_is_decompressed(app: FastAPI, store: LocalStore) -> None:
    """A gzip-encoded NDJSON body is read like a plain one."""
    records = [log_record(i) for i in range(10)]
    with TestClient(app) as client:
        response = client.post(
            "/api/v1/ingest/logs",
            content=gzip.compress(ndjson(records)),
            headers={**NDJSON, "content-encoding": "gzip"},
        )
    assert response.json() == {"accepted": 10, "rejected": [], "rejected_count": 0}
    assert len(stored_ids(store)) == 10


def test_body_over_the_limit_is_413(client: TestClient, store: LocalStore) -> None:
    """A body larger than max_request_bytes is refused with 413 and a message."""
    body = ndjson([log_record(i) for i in range(40_000)])
    assert len(body) > 4 * 1024 * 1024
    response = client.post("/api/v1/ingest/logs", content=body, headers=NDJSON)
    assert response.status_code == 413
    assert "limit" in response.json()["detail"]
    assert list(store.list("logs/")) == []


def test_gzip_bomb_is_413(client: TestClient) -> None:
    """A small gzip body that inflates past the limit is refused with 413."""
    bomb = gzip.compress(b"\n" * (64 * 1024 * 1024))
    assert len(bomb) < 1024 * 1024
    response = client.post(
        "/api/v1/ingest/logs", content=bomb, headers={**NDJSON, "content-encoding": "gzip"}
    )
    assert response.status_code == 413
    assert "decompressed" in response.json()["detail"]


def test_bad_gzip_is_400(client: TestClient) -> None:
    """A body that claims gzip but is not gzip is refused with 400 and a message."""
    response = client.post(
        "/api/v1/ingest/logs",
        content=b"not gzip at all",
        headers={**NDJSON, "content-encoding": "gzip"},
    )
    assert response.status_code == 400
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json() == {
        "type": "urn:observability:problem:bad-body",
        "title": "Bad Request",
        "status": 400,
        "detail": response.json()["detail"],
    }
    assert "gzip" in response.json()["detail"]


def test_unknown_kind_is_404(client: TestClient) -> None:
    """A route segment that names no kind gets 404 with a message listing the kinds."""
    response = client.post("/api/v1/ingest/traces", content=b"{}", headers=NDJSON)
    assert response.status_code == 404
    assert "logs, predictions or labels" in response.json()["detail"]


def test_unsupported_content_type_is_415(client: TestClient) -> None:
    """A Content-Type the collector cannot read is refused with 415."""
    response = client.post(
        "/api/v1/ingest/logs", content=b"a,b", headers={"content-type": "text/csv"}
    )
    assert response.status_code == 415
    assert "application/x-ndjson" in response.json()["detail"]
