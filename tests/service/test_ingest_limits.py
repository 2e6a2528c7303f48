"""The ingest route's limits and failure answers: bounded answers, 413, 503, no partial write."""

from __future__ import annotations

import shutil

import orjson
import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from observability.core.errors import SettingsError
from observability.core.fields import MAX_RECORD_BYTES
from observability.core.metrics import Metrics
from observability.core.settings import Settings
from observability.runtime import Runtime
from observability.service.app import create_app
from observability.service.roles import Role
from observability.service.routes.ingest import IngestLimits
from observability.store.local import LocalStore
from tests.service.records import error_lines, log_record, ndjson, stored_ids

NDJSON = {"content-type": "application/x-ndjson"}


def _app(settings: Settings, store: LocalStore, metrics: Metrics, **limits: object) -> FastAPI:
    runtime = Runtime(settings.replace(**limits), store=store, metrics=metrics)
    return create_app(runtime, frozenset({Role.COLLECTOR}))


def test_the_answer_lists_a_bounded_number_of_refusals(
    settings: Settings, store: LocalStore, metrics: Metrics
) -> None:
    """500 bad lines: the answer lists the first 100 and counts 500; errors/ keeps all 500."""
    body = b"".join(b'{"n": %d}\n' % i for i in range(500)) + ndjson([log_record(0)])
    with TestClient(_app(settings, store, metrics)) as client:
        response = client.post("/api/v1/ingest/logs", content=body, headers=NDJSON)
    answer = response.json()
    assert response.status_code == 200
    assert answer["accepted"] == 1 and answer["rejected_count"] == 500
    assert [r["index"] for r in answer["rejected"]] == list(range(100))
    assert len(error_lines(store, "missing_field")) == 500
    assert len(response.content) < 20_000


def test_a_request_over_the_line_limit_is_413_and_stores_nothing(
    settings: Settings, store: LocalStore, metrics: Metrics
) -> None:
    """One record more than `max_request_lines` refuses the request whole, before any write."""
    body = ndjson([log_record(i) for i in range(11)])
    with TestClient(_app(settings, store, metrics, max_request_lines=10)) as client:
        response = client.post("/api/v1/ingest/logs", content=body, headers=NDJSON)
        assert response.status_code == 413
        assert "more than 10 records" in response.json()["detail"]
        fits = client.post("/api/v1/ingest/logs", content=body[: body.index(b"\n") + 1])
        assert fits.json()["accepted"] == 1
    assert stored_ids(store) == ["log-checkout-13-0"]
    assert list(store.list("errors/")) == []


def test_an_overlong_line_goes_to_errors_and_its_neighbours_are_stored(
    settings: Settings, store: LocalStore, metrics: Metrics
) -> None:
    """A 3 MB line is refused as too_large with its real length; the lines around it land."""
    long_line = b'{"event":"' + b"a" * 3_000_000 + b'"}'
    body = ndjson([log_record(0)]) + long_line + b"\n" + ndjson([log_record(1)])
    with TestClient(_app(settings, store, metrics)) as client:
        response = client.post("/api/v1/ingest/logs", content=body, headers=NDJSON)
    assert response.json()["accepted"] == 2
    (refused,) = error_lines(store, "too_large")
    assert refused["index"] == 1
    assert refused["error"].startswith(f"record is {len(long_line)} bytes")
    assert len(refused["raw"]) == MAX_RECORD_BYTES + 1
    assert sorted(stored_ids(store)) == ["log-checkout-13-0", "log-checkout-13-1"]


def test_a_deep_array_element_is_refused_alone(
    settings: Settings, store: LocalStore, metrics: Metrics
) -> None:
    """Issue 9.4: a JSON array with one element nested 300 deep stores its 3 neighbours."""
    deep = dict(log_record(9))
    deep["attributes"] = {"x": 1}
    text = orjson.dumps(deep).decode()
    nested = text.replace('{"x":1}', '{"x":' * 300 + "1" + "}" * 300)
    good = [orjson.dumps(log_record(i)).decode() for i in range(3)]
    body = ("[" + ",".join([good[0], nested, good[1], good[2]]) + "]").encode()
    with TestClient(_app(settings, store, metrics)) as client:
        response = client.post(
            "/api/v1/ingest/logs", content=body, headers={"content-type": "application/json"}
        )
    assert response.status_code == 200
    assert response.json()["accepted"] == 3
    assert [r["index"] for r in response.json()["rejected"]] == [1]
    assert len(stored_ids(store)) == 3
    assert response.json()["rejected"][0]["reason"] == "too_deep"
    assert len(error_lines(store, "too_deep")) == 1


def test_bodies_over_the_inflight_budget_are_503_with_retry_after(
    settings: Settings, store: LocalStore, metrics: Metrics
) -> None:
    """A body that would pass the bytes held in flight is refused 503; the budget comes back."""
    with TestClient(_app(settings, store, metrics, max_inflight_bytes=2_000)) as client:
        big = client.post("/api/v1/ingest/logs", content=b"{}\n" * 1_000, headers=NDJSON)
        assert big.status_code == 503 and big.headers["retry-after"] == "1"
        for _ in range(3):
            small = client.post("/api/v1/ingest/logs", content=ndjson([log_record(0)]))
            assert small.status_code == 200
    assert list(store.list("errors/")) == []


def test_a_journal_failure_takes_the_batch_errors_back(
    settings: Settings, store: LocalStore, metrics: Metrics
) -> None:
    """When the journal refuses a batch (503), the errors/ files it wrote are deleted too."""
    body = ndjson([log_record(0)]) + b"not json\n"
    journal = settings.journal_dir
    with TestClient(_app(settings, store, metrics)) as client:
        shutil.rmtree(journal)
        journal.write_bytes(b"")  # a file where the journal's directory was: appends fail
        try:
            response = client.post("/api/v1/ingest/logs", content=body, headers=NDJSON)
        finally:
            journal.unlink()
            journal.mkdir()
        assert response.status_code == 503 and response.headers["retry-after"] == "1"
        assert list(store.list("errors/")) == []
        retry = client.post("/api/v1/ingest/logs", content=body, headers=NDJSON)
        assert retry.json()["accepted"] == 1
    assert len(error_lines(store, "malformed_json")) == 1
    assert stored_ids(store) == ["log-checkout-13-0"]


def test_an_errors_write_failure_journals_nothing(
    settings: Settings, store: LocalStore, metrics: Metrics
) -> None:
    """When errors/ cannot be written, the good lines are not journaled either (503)."""
    body = ndjson([log_record(0)]) + b"not json\n"
    blocker = store.root / "errors"
    with TestClient(_app(settings, store, metrics)) as client:
        blocker.write_bytes(b"")  # errors/ cannot become a directory
        response = client.post("/api/v1/ingest/logs", content=body, headers=NDJSON)
        blocker.unlink()
    assert response.status_code == 503 and response.headers["retry-after"] == "1"
    assert stored_ids(store) == []


def test_ingest_limits_must_be_in_range(settings: Settings) -> None:
    """A non-positive limit is a settings error naming its variable."""
    for name, variable in (
        ("max_request_lines", "OBSERVABILITY_MAX_REQUEST_LINES"),
        ("max_inflight_bytes", "OBSERVABILITY_MAX_INFLIGHT_BYTES"),
        ("max_response_rejections", "OBSERVABILITY_MAX_RESPONSE_REJECTIONS"),
    ):
        with pytest.raises(SettingsError, match=variable):
            IngestLimits.from_settings(settings.replace(**{name: -1}))
