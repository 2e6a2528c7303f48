"""Rejections reach errors/ or their records go back to Firehose; outcomes are counted."""

from __future__ import annotations

import base64
import json
from pathlib import Path
from typing import Any

import orjson

from observability.core.errors import StoreError
from observability.core.metrics import Metrics
from observability.core.schema import Kind
from observability.core.settings import Settings
from observability.store.errors import ErrorWriter
from observability.store.files import decode_lines
from observability.store.local import LocalStore
from observability.transform.firehose import OK, PROCESSING_FAILED
from observability.transform.firehose_app import FirehoseTransformer, stream_kinds

EVENTS = Path(__file__).parent.parent / "events"


class FailingStore(LocalStore):
    """A real local store whose writes under chosen `errors/` reasons (None: all) fail."""

    def __init__(self, root: Path, failing_reasons: set[str] | None) -> None:
        super().__init__(root, fsync=False)
        self.failing = failing_reasons

    def put(self, key: str, data: bytes) -> None:
        """Refuse writes for the failing reasons, like a denied PutObject."""
        reason = key.split("/")[2] if key.startswith("errors/") else None
        if reason is not None and (self.failing is None or reason in self.failing):
            raise StoreError(f"access denied: {key}")
        super().put(key, data)


def transformer(store: LocalStore, metrics: Metrics) -> FirehoseTransformer:
    """The transformer with the default stream names."""
    return FirehoseTransformer(
        ErrorWriter(store, metrics), metrics, stream_kinds(Settings.from_env({})), store=store
    )


def mixed_event() -> dict[str, Any]:
    """The fixture with good, bad, undecodable and blank records."""
    event: dict[str, Any] = json.loads((EVENTS / "kinesisFirehoseMixedEvent.json").read_text())
    return event


def rows(store: LocalStore, prefix: str) -> list[dict[str, Any]]:
    """Every errors/ row under a prefix."""
    return [
        orjson.loads(line) for key in store.list(prefix) for line in decode_lines(store.get(key))
    ]


def test_rejections_written_by_reason_and_counted(store: LocalStore, metrics: Metrics) -> None:
    """Each reason gets its errors/transform/<reason>/dt=... file; counters agree."""
    response = transformer(store, metrics).handle(mixed_event())
    assert [e["result"] for e in response["records"]][:2] == [OK, PROCESSING_FAILED]
    # The line of another service is stored in its own partition, not refused.
    [rerouted] = store.list("logs/service=payments/")
    assert [json.loads(line)["event"] for line in decode_lines(store.get(rerouted))] == ["ok 7"]
    invalid = rows(store, "errors/transform/invalid_utf8/")
    assert invalid[0]["raw_encoding"] == "base64"
    keys = list(store.list("errors/transform/"))
    assert all("/dt=" in key for key in keys)
    assert len(keys) == 9  # one file per reason
    sample = metrics.registry.get_sample_value
    assert (
        sample("observability_records_accepted_total", {"stage": "transform", "kind": "log"}) == 4
    )
    for reason in ("malformed_json", "naive_timestamp", "bad_encoding", "wrong_kind"):
        labels = {"stage": "transform", "reason": reason}
        assert sample("observability_records_rejected_total", labels) == 1


def test_unwritable_errors_fail_their_records(tmp_path: Path, metrics: Metrics) -> None:
    """When errors/ refuses a reason, its records become ProcessingFailed, none stays Ok."""
    store = FailingStore(tmp_path / "store", {"wrong_type"})
    response = transformer(store, metrics).handle(mixed_event())
    results = [e["result"] for e in response["records"]]
    # Record 0 held the wrong_type line: it goes back to Firehose whole, good lines too.
    assert results == [PROCESSING_FAILED, PROCESSING_FAILED, PROCESSING_FAILED, "Dropped", OK]
    assert response["records"][0] == {
        "recordId": "49546986683135544286507457936321625675700192471156785150",
        "result": PROCESSING_FAILED,
        "data": "",
    }
    assert not list(store.list("errors/transform/wrong_type/"))
    assert rows(store, "errors/transform/malformed_json/")  # the other reasons are kept
    sample = metrics.registry.get_sample_value
    accepted = {"stage": "transform", "kind": "log"}
    assert sample("observability_records_accepted_total", accepted) == 1
    unwritable = {"stage": "transform", "reason": "delivery_failed"}
    assert sample("observability_records_rejected_total", unwritable) == 1


def test_everything_unwritable_leaves_only_clean_records_ok(
    tmp_path: Path, metrics: Metrics
) -> None:
    """With errors/ down entirely, only records without rejections stay Ok."""
    store = FailingStore(tmp_path / "store", None)
    response = transformer(store, metrics).handle(mixed_event())
    assert [e["result"] for e in response["records"]] == [
        PROCESSING_FAILED,
        PROCESSING_FAILED,
        PROCESSING_FAILED,
        "Dropped",
        OK,
    ]
    assert not list(store.list("errors/"))


def test_stream_arn_sets_the_expected_kind(store: LocalStore, metrics: Metrics) -> None:
    """A log line sent to the predictions stream is refused wrong_kind."""
    line = (
        b'{"kind":"log","timestamp":"2026-11-23T13:00:00Z",'
        b'"level":"info","service":"a","event":"e"}'
    )
    event = {
        "invocationId": "i",
        "deliveryStreamArn": "arn:aws:firehose:eu-west-1:123456789012:deliverystream/"
        "observability-predictions",
        "region": "eu-west-1",
        "records": [{"recordId": "r1", "data": base64.b64encode(line).decode()}],
    }
    app = transformer(store, metrics)
    assert app.expected_kind(event["deliveryStreamArn"]) is Kind.PREDICTION
    assert app.expected_kind("arn:aws:firehose:eu-west-1:1:deliverystream/other") is None
    response = app.handle(event)
    assert response["records"][0]["result"] == PROCESSING_FAILED
    assert rows(store, "errors/transform/wrong_kind/")[0]["field"] == "kind"


def test_response_limit_is_counted(store: LocalStore, metrics: Metrics) -> None:
    """Records past the response budget are counted under response_limit."""
    line = (
        b'{"kind":"log","timestamp":"2026-11-23T13:00:00Z","level":"info","service":"a","event":"'
    )
    data = base64.b64encode(line + b"z" * 30_000 + b'"}').decode()
    event = {
        "invocationId": "i",
        "deliveryStreamArn": "arn:aws:firehose:us-east-1:1:deliverystream/observability-logs",
        "region": "us-east-1",
        "records": [{"recordId": f"r{i}", "data": data} for i in range(250)],
    }
    response = transformer(store, metrics).handle(event)
    failed = sum(e["result"] == PROCESSING_FAILED for e in response["records"])
    assert failed > 0
    labels = {"stage": "transform", "reason": "response_limit"}
    assert (
        metrics.registry.get_sample_value("observability_records_rejected_total", labels) == failed
    )
    assert not list(store.list("errors/"))  # Firehose keeps those originals, not us
