"""Search fidelity on the real node: order within a millisecond (new `date_nanos` indices and
old `date` ones together), and predictions found by model, version, id and feature value,
the same way by OpenSearch and by the embedded backend."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import orjson
import pytest
from click.testing import CliRunner
from fastapi.testclient import TestClient
from opensearchpy import OpenSearch

from observability.cli import main
from observability.core.fields import Kind
from observability.core.metrics import Metrics
from observability.core.partitioning import Partition
from observability.core.settings import Settings
from observability.index.indexer import Indexer
from observability.index.templates import mappings
from observability.query.duckdb import DuckDBEngine
from observability.runtime import Runtime
from observability.search.embedded import EmbeddedSearch
from observability.search.opensearch import OpenSearchSearch
from observability.search.request import Cursor, SearchRequest
from observability.service.app import create_app
from observability.service.roles import Role
from observability.store.files import decode_lines, encode_ndjson_gz, new_filename
from observability.store.local import LocalStore
from observability.transform.lines import transform_lines

INGESTED_AT = "2026-11-23T23:59:00.000000Z"
MS = "2026-11-23T10:00:00.123"


def store_and_index(
    store: LocalStore, indexer: Indexer, client: OpenSearch, records: list[dict[str, Any]]
) -> None:
    """Write `records` through the real transform to the store and index the stored lines."""
    processed = transform_lines([orjson.dumps(r) for r in records], None, INGESTED_AT)
    assert processed.rejected == []
    grouped: dict[Partition, list[bytes]] = defaultdict(list)
    for accepted in processed.accepted:
        grouped[accepted.partition].append(accepted.line)
    lines: list[bytes] = []
    for partition, part in grouped.items():
        key = partition.object_key(new_filename())
        store.put(key, encode_ndjson_gz(part))
        lines += decode_lines(store.get(key))
    result = indexer.index_lines(lines)
    assert (result.indexed, result.failed) == (len(records), 0)
    client.indices.refresh(index="logs-*,predictions-*")


def page_ids(backend: Any, size: int, **build: Any) -> tuple[list[str], list[Cursor]]:
    """Every hit's record_id, paging by `size`, and the cursors that led there."""
    ids: list[str] = []
    cursors: list[Cursor] = []
    token: str | None = None
    while True:
        page = backend.search(SearchRequest.build(size=size, search_after=token, **build))
        ids += [hit["record_id"] for hit in page.hits]
        token = page.next_cursor
        if token is None:
            return ids, cursors
        cursors.append(Cursor.decode(token))


def epoch_ns(timestamp: str) -> int:
    """Nanoseconds since the epoch of a canonical record timestamp."""
    moment = datetime.fromisoformat(timestamp.replace("Z", "+00:00"))
    delta = moment - datetime(1970, 1, 1, tzinfo=UTC)
    return (delta.days * 86_400 + delta.seconds) * 10**9 + delta.microseconds * 1000


def log(record_id: str, timestamp: str, **fields: Any) -> dict[str, Any]:
    """A log record of the `checkout` service."""
    return {
        "kind": "log",
        "record_id": record_id,
        "timestamp": timestamp,
        "level": "info",
        "service": "checkout",
        "event": "tick",
        **fields,
    }


@pytest.fixture
def embedded(store: LocalStore) -> Iterator[EmbeddedSearch]:
    """The embedded search over the test's store."""
    search = EmbeddedSearch(DuckDBEngine(store))
    yield search
    search.close()


def test_a_thousand_records_of_one_millisecond_come_back_in_order(
    os_client: OpenSearch, indexer: Indexer, store: LocalStore, embedded: EmbeddedSearch
) -> None:
    """1,000 records one microsecond apart, with ids in another order, page back in time
    order on both backends; each cursor holds its hit's timestamp to the microsecond."""
    records = [log(f"r{(997 * us) % 1000:04d}", f"{MS}{us:03d}Z") for us in range(1000)]
    store_and_index(store, indexer, os_client, records)
    mapping = os_client.indices.get_mapping(index="logs-2026.11.23")
    assert mapping["logs-2026.11.23"]["mappings"]["properties"]["timestamp"]["type"] == "date_nanos"
    in_time = [r["record_id"] for r in records]
    assert in_time != sorted(in_time)  # the ids alone would give another order
    by_time = {r["record_id"]: r["timestamp"] for r in records}
    for backend in (OpenSearchSearch(os_client), embedded):
        for sort, expected in (("asc", in_time), ("desc", in_time[::-1])):
            ids, cursors = page_ids(backend, 128, sort=sort)
            assert ids == expected, (backend.name, sort)
            last_of_page = [ids[128 * n - 1] for n in range(1, len(cursors) + 1)]
            assert [c.timestamp_ns for c in cursors] == [
                epoch_ns(by_time[rid]) for rid in last_of_page
            ]
            assert [c.record_id for c in cursors] == last_of_page


def test_old_date_indices_and_new_date_nanos_indices_sort_together(
    os_client: OpenSearch, indexer: Indexer, store: LocalStore
) -> None:
    """An index made before the templates mapped date_nanos (milliseconds only) and a new one
    are searched and paged together: old records tie within their millisecond and fall back
    to record_id, new ones keep microsecond order."""
    old_mapping = mappings(Kind.LOG)
    for name in ("timestamp", "ingested_at"):
        old_mapping["properties"][name] = {"type": "date"}
    os_client.indices.create(
        index="logs-2026.11.20",
        body={"settings": {"number_of_replicas": 0}, "mappings": old_mapping},
    )
    old_ms, new_ms = "2026-11-20T08:00:00.500", MS
    records = [
        log("b-old", f"{old_ms}100Z"),
        log("a-old", f"{old_ms}900Z"),  # later, but in an index that keeps milliseconds
        log("z-new", f"{new_ms}100Z"),
        log("y-new", f"{new_ms}200Z"),
        log("x-new", f"{new_ms}300Z"),
    ]
    store_and_index(store, indexer, os_client, records)
    search = OpenSearchSearch(os_client)
    asc = ["a-old", "b-old", "z-new", "y-new", "x-new"]
    assert page_ids(search, 2, sort="asc")[0] == asc
    assert page_ids(search, 2, sort="desc")[0] == asc[::-1]
    counted = search.search(SearchRequest.build(interval="1d", since="2026-11-19", size=1))
    assert counted.total == 5 and counted.aggregations is not None
    assert [(b.start[:10], b.count) for b in counted.aggregations.services] == [
        ("2026-11-20", 2),
        ("2026-11-23", 3),
    ]


PREDICTIONS = [
    {
        "kind": "prediction",
        "record_id": f"p{n}",
        "timestamp": f"2026-11-23T11:00:0{n}.000001Z",
        "model": "fraud" if n < 4 else "churn",
        "model_version": "3" if n % 2 else "4",
        "prediction_id": f"pred-{n}",
        "features": features,
        "prediction": {"fraud": 0.1 * n, "ok": 1 - 0.1 * n} if n < 4 else "stay",
        "service": "checkout",
    }
    for n, features in enumerate(
        [
            {"country": "DE", "amount": 12.5, "returning": True, "segment": None},
            {"country": "FR", "amount": 12.5, "returning": False, "items": 3},
            {"country": "DE", "amount": 99, "returning": False, "items": 3},
            {"country": "de", "amount": 0.1, "ratio": 1e-07},
            {"country": "DE", "amount": 100.0, "plan": "pro"},
        ]
    )
]

#: Query -> record ids it must find (ascending time), on both backends.
PREDICTION_QUERIES = {
    "features.country:DE": ["p0", "p2", "p4"],
    "features.amount:12.5": ["p0", "p1"],
    "features.amount:99": ["p2"],
    "features.amount:100.0": ["p4"],
    "features.amount:0.1": ["p3"],
    "features.returning:true": ["p0"],
    "features.returning:false": ["p1", "p2"],
    "features.items:3": ["p1", "p2"],
    "features.ratio:1e-7": ["p3"],  # as JSON (orjson) writes 1e-07
    "features.plan:pro": ["p4"],
    'model:fraud AND model_version:"3"': ["p1", "p3"],
    "prediction_id:pred-2": ["p2"],
    "features.country:DE AND NOT features.amount:12.5": ["p2", "p4"],
    "model:churn OR features.country:FR": ["p1", "p4"],
    "model_version:4 AND features.items:3": ["p2"],
}


def test_a_prediction_is_found_by_a_feature_value_on_both_backends(
    os_client: OpenSearch, indexer: Indexer, store: LocalStore, embedded: EmbeddedSearch
) -> None:
    """Model, version, prediction id and exact feature values (strings, numbers as JSON
    writes them, booleans) find the same predictions on OpenSearch and embedded."""
    store_and_index(store, indexer, os_client, PREDICTIONS)
    search = OpenSearchSearch(os_client)
    for query, expected in PREDICTION_QUERIES.items():
        request = SearchRequest.build(query, kind="prediction", sort="asc")
        found = search.search(request)
        assert [hit["record_id"] for hit in found.hits] == expected, query
        assert embedded.search(request).to_dict() | {"took_ms": 0, "backend": ""} == (
            found.to_dict() | {"took_ms": 0, "backend": ""}
        ), query
    hit = search.search(SearchRequest.build("prediction_id:pred-0", kind="prediction")).hits[0]
    assert hit["features"] == PREDICTIONS[0]["features"]
    assert hit["prediction"] == {"fraud": 0.0, "ok": 1.0}
    models = search.search(SearchRequest.build(kind="prediction", models=("churn",)))
    assert [h["record_id"] for h in models.hits] == ["p4"]


def test_predictions_through_the_cli_and_the_http_route(  # noqa: PLR0917 - fixtures
    os_client: OpenSearch,
    opensearch_url: str,
    indexer: Indexer,
    store: LocalStore,
    tmp_path: Path,
    metrics: Metrics,
) -> None:
    """`observability search --kind prediction` and `GET /api/v1/search?kind=prediction`
    find a prediction by a feature value."""
    store_and_index(store, indexer, os_client, PREDICTIONS)
    env = {"OBSERVABILITY_OPENSEARCH_URL": opensearch_url, "OBSERVABILITY_CONFIG": None}
    ran = CliRunner(env=env).invoke(
        main,
        [
            *("--store-url", store.url, "search", "features.country:FR"),
            *("--kind", "prediction", "--format", "json"),
        ],
    )
    assert ran.exit_code == 0, ran.output
    body = orjson.loads(ran.output)
    assert (body["backend"], [h["prediction_id"] for h in body["hits"]]) == (
        "opensearch",
        ["pred-1"],
    )
    table = CliRunner(env=env).invoke(
        main, ["--store-url", store.url, "search", "model:churn", "--kind", "prediction"]
    )
    assert table.exit_code == 0 and "pred-4" in table.output, table.output

    settings = Settings.from_env({}, store_url=store.url, state_dir=tmp_path / "state")
    runtime = Runtime(settings, store=store, metrics=metrics, opensearch=os_client)
    with TestClient(create_app(runtime, frozenset({Role.API}))) as client:
        answer = client.get(
            "/api/v1/search", params={"kind": "prediction", "q": "features.amount:12.5"}
        )
        assert answer.status_code == 200, answer.text
        assert [h["prediction_id"] for h in answer.json()["hits"]] == ["pred-1", "pred-0"]
        refused = client.get("/api/v1/search", params={"kind": "prediction", "q": "timeout"})
        assert refused.status_code == 400
        assert "no free text" in refused.json()["detail"]
