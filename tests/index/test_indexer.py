"""The bulk indexer against a real OpenSearch node."""

from __future__ import annotations

from typing import Any

import orjson
import pytest
from opensearchpy import OpenSearch

from observability.core.metrics import Metrics
from observability.index.indexer import Indexer, IndexMetrics
from observability.store.errors import ErrorWriter
from observability.store.local import LocalStore
from observability.transport.retry import RetryPolicy
from tests.index.helpers import count, counter, error_lines
from tests.index.records import log_record, log_records


def test_reindexing_counts_duplicates_not_documents(
    indexer: Indexer, os_client: OpenSearch, metrics: Metrics
) -> None:
    """The same records twice: the second pass is all 409s, counted as duplicates."""
    records = log_records(500)
    assert indexer.index_records(records).indexed == 500
    again = indexer.index_records(records)
    assert (again.indexed, again.duplicate, again.failed) == (0, 500, 0)
    assert count(os_client) == 500
    assert counter(metrics, "duplicate") == 500
    assert counter(metrics, "failed") == 0


def test_attributes_of_two_types_do_not_reject(indexer: Indexer, os_client: OpenSearch) -> None:
    """`attributes.code` as a number in one record and an object in another: both indexed."""
    first, second = log_record(1), log_record(2)
    first["attributes"] = {"code": 500, "user": "ann"}
    second["attributes"] = {"code": {"http": "five hundred"}, "user": ["bob", 7, True]}
    result = indexer.index_records([first, second])
    assert (result.indexed, result.failed) == (2, 0)
    assert count(os_client, term={"attributes.user": "ann"}) == 1
    assert count(os_client) == 2


def test_refused_documents_land_in_errors_with_the_reason(
    indexer: Indexer, os_client: OpenSearch, store: LocalStore, metrics: Metrics
) -> None:
    """A time OpenSearch cannot parse and an id too long to index land in errors/index/."""
    good = log_records(3)
    bad_time = log_record(10) | {"timestamp": "2026-01-10Tnot-a-time"}
    immense = {
        "kind": "prediction",
        "record_id": "p-immense",
        "timestamp": "2026-01-10T00:00:00.000000Z",
        "model": "churn",
        "prediction_id": "x" * 40_000,
        "features": {"age": 40},
        "prediction": 0.5,
    }
    result = indexer.index_records([*good, bad_time, immense])
    assert (result.indexed, result.failed) == (3, 2)
    assert count(os_client) == 3
    mapping = error_lines(store, "errors/index/wrong_type/")
    assert [orjson.loads(e["raw"])["record_id"] for e in mapping] == [bad_time["record_id"]]
    assert "mapper_parsing_exception" in mapping[0]["error"]
    assert "timestamp" in mapping[0]["error"]
    invalid = error_lines(store, "errors/index/invalid_value/")
    assert [orjson.loads(e["raw"])["record_id"] for e in invalid] == [immense["record_id"]]
    assert "immense term" in invalid[0]["error"]
    assert counter(metrics, "failed") == 2
    assert (
        metrics.registry.get_sample_value(
            "observability_records_rejected_total", {"stage": "index", "reason": "wrong_type"}
        )
        == 1
    )


class _RejectingTransport:
    """Forwards bulk requests to the real node, except chosen ids, answered with 429."""

    def __init__(self, real: Any, failures: dict[str, int]) -> None:
        self.real = real
        self.failures = dict(failures)
        self.rejected = 0

    def perform_request(self, method: str, url: str, **kwargs: Any) -> Any:
        lines = kwargs["body"].splitlines(keepends=True)
        pairs = list(zip(lines[0::2], lines[1::2], strict=True))
        sent, slots = [], []
        for header, source in pairs:
            doc_id = orjson.loads(header)["create"]["_id"]
            if self.failures.get(doc_id, 0) > 0:
                self.failures[doc_id] -= 1
                self.rejected += 1
                slots.append(None)
            else:
                slots.append(len(sent))
                sent.append(header + source)
        items: list[Any] = []
        if sent:
            response = self.real.perform_request(method, url, **{**kwargs, "body": b"".join(sent)})
            items = response.get("items") or [{"create": {"status": 201}}] * len(sent)
        rejected = {"status": 429, "error": {"type": "es_rejected_execution_exception"}}
        merged = [{"create": rejected} if s is None else items[s] for s in slots]
        return {"errors": True, "items": merged}


class _RejectingClient:
    def __init__(self, real: OpenSearch, failures: dict[str, int]) -> None:
        self.transport = _RejectingTransport(real.transport, failures)


def test_forced_429s_are_retried_and_nothing_is_lost(
    os_client: OpenSearch, store: LocalStore, metrics: Metrics, fast_retry: RetryPolicy
) -> None:
    """Items answered 429 (some twice) are retried until indexed; the counters add up."""
    records = log_records(300)
    failures = {f"r{i:07d}": 1 for i in range(0, 300, 10)} | {"r0000005": 2, "r0000007": 2}
    client = _RejectingClient(os_client, failures)
    index_metrics = IndexMetrics(metrics.registry)
    indexer = Indexer(
        client,  # type: ignore[arg-type]
        ErrorWriter(store, metrics),
        index_metrics,
        retry=fast_retry,
        max_docs=100,
    )
    result = indexer.index_records(records)
    assert client.transport.rejected == 34
    assert (result.indexed, result.retried, result.failed) == (300, 34, 0)
    assert count(os_client) == 300
    assert counter(metrics, "indexed") == 300
    assert counter(metrics, "retried") == 34
    assert list(store.list("errors/")) == []


def test_items_still_refused_after_retries_go_to_errors(
    os_client: OpenSearch, store: LocalStore, metrics: Metrics
) -> None:
    """An item refused on every attempt ends in errors/index/delivery_failed/, not lost."""
    client = _RejectingClient(os_client, {"r0000001": 99})
    retry = RetryPolicy(base_delay=0.001, max_delay=0.001, max_attempts=3)
    indexer = Indexer(
        client,  # type: ignore[arg-type]
        ErrorWriter(store, metrics),
        IndexMetrics(metrics.registry),
        retry=retry,
    )
    result = indexer.index_records(log_records(5))
    assert (result.indexed, result.retried, result.failed) == (4, 2, 1)
    lines = error_lines(store, "errors/index/delivery_failed/")
    assert [orjson.loads(e["raw"])["record_id"] for e in lines] == ["r0000001"]
    assert "429" in lines[0]["error"]


def test_chunks_by_bytes(
    os_client: OpenSearch, store: LocalStore, metrics: Metrics, fast_retry: RetryPolicy
) -> None:
    """A small byte budget splits one call into several bulk requests, all documents in."""
    indexer = Indexer(
        os_client,
        ErrorWriter(store, metrics),
        IndexMetrics(metrics.registry),
        retry=fast_retry,
        max_bytes=20_000,
    )
    result = indexer.index_records(log_records(400))
    requests = metrics.registry.get_sample_value(
        "observability_index_requests_total", {"outcome": "ok"}
    )
    assert result.indexed == 400
    assert requests is not None and requests >= 5
    assert count(os_client) == 400


def test_labels_are_skipped_and_unparseable_lines_go_to_errors(
    indexer: Indexer, os_client: OpenSearch, store: LocalStore
) -> None:
    """Label lines are not indexed; a line that is not JSON is kept in errors/index/."""
    label = orjson.dumps({"kind": "label", "record_id": "l1", "timestamp": "2026-01-10T00:00:00Z"})
    log = orjson.dumps(log_record(0))
    result = indexer.index_lines([label, b"{not json", log])
    assert (result.indexed, result.skipped, result.failed) == (1, 1, 1)
    assert error_lines(store, "errors/index/malformed_json/")[0]["raw"] == "{not json"
    assert count(os_client) == 1


# Last in the module: the node's JIT is warm by then, which halves its time.
@pytest.mark.slow
def test_50k_records_searchable_by_text_filters_and_time(
    indexer: Indexer, os_client: OpenSearch, metrics: Metrics
) -> None:
    """50,000 records in; text, filter and time-range searches return exactly the expected hits."""
    records = log_records(50_000)
    result = indexer.index_records(records)
    assert (result.indexed, result.duplicate, result.failed) == (50_000, 0, 0)
    assert counter(metrics, "indexed") == 50_000
    assert count(os_client) == 50_000
    assert count(os_client, "logs-2026.01.10") == sum(
        r["timestamp"].startswith("2026-01-10") for r in records
    )

    def expected(pred: Any) -> set[str]:
        return {r["record_id"] for r in records if pred(r)}

    text = {"match": {"event": "timeout"}}
    assert count(os_client, **text) == len(expected(lambda r: "timeout" in r["event"]))
    filters = {
        "bool": {"filter": [{"term": {"service": "checkout"}}, {"term": {"level": "error"}}]}
    }
    assert count(os_client, **filters) == len(
        expected(lambda r: r["service"] == "checkout" and r["level"] == "error")
    )
    start, end = "2026-01-11T00:00:00.000000Z", "2026-01-11T06:00:00.000000Z"
    window = {"range": {"timestamp": {"gte": start, "lt": end}}}
    assert count(os_client, **window) == len(expected(lambda r: start <= r["timestamp"] < end))

    combined = {
        "bool": {
            "must": [{"match": {"event": "refused"}}],
            "filter": [
                {"term": {"service": "payments"}},
                {"term": {"env": "staging"}},
                window,
            ],
        }
    }
    hits = os_client.search(
        index="logs-*",
        body={"query": combined, "size": 10_000, "_source": False, "track_total_hits": True},
    )["hits"]
    want = expected(
        lambda r: (
            "refused" in r["event"]
            and r["service"] == "payments"
            and r["env"] == "staging"
            and start <= r["timestamp"] < end
        )
    )
    assert want
    assert hits["total"]["value"] == len(want)
    assert {h["_id"] for h in hits["hits"]} == want
