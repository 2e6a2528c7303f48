"""A trace id that is not W3C-shaped (X-Ray's) is kept as given, and found again."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator

import pytest

import observability
from observability.core.partitioning import Partition
from observability.emit.memory import MemoryLineSink
from observability.query.duckdb import DuckDBEngine
from observability.query.library import NAMED
from observability.search.embedded import EmbeddedSearch
from observability.search.request import SearchRequest
from observability.store.files import encode_ndjson_gz, new_filename
from observability.store.local import LocalStore
from observability.transform.lines import transform_lines

XRAY = "1-5759e988-bd862e3fe1be46a994272793"


@pytest.fixture
def engine(sink: MemoryLineSink, store: LocalStore) -> Iterator[DuckDBEngine]:
    """Two logs and a prediction of the X-Ray trace plus an unrelated log, stored."""
    log = observability.get_logger("app")
    with observability.bound_context(trace_id=XRAY, span_id="53995c3f42cd8ad8"):
        log.info("order received")
        observability.log_prediction(model="fraud", features={"amount": 3.0}, prediction=0.1)
        log.warning("order slow")
    log.info("unrelated")
    processed = transform_lines([line for _, _, line in sink.lines], None, "2026-12-03T00:00:00Z")
    assert processed.rejected == []
    grouped: dict[Partition, list[bytes]] = defaultdict(list)
    for accepted in processed.accepted:
        grouped[accepted.partition].append(accepted.line)
    for partition, lines in grouped.items():
        store.put(partition.object_key(new_filename()), encode_ndjson_gz(lines))
    engine = DuckDBEngine(store)
    yield engine
    engine.close()


def test_xray_trace_id_is_stored_as_given(sink: MemoryLineSink) -> None:
    """The SDK writes the id exactly as bound: no reshaping to 32 hex digits."""
    with observability.bound_context(trace_id=XRAY):
        observability.get_logger().info("x")
    assert sink.records()[0]["trace_id"] == XRAY


def test_trace_named_query_follows_it(engine: DuckDBEngine) -> None:
    """The `trace` named query returns the trace's logs and prediction, in time order."""
    rows = NAMED["trace"].run(engine, {"trace_id": XRAY, "since": "30d"}).to_dicts()
    assert [(row["kind"], row["event"]) for row in rows][0::2] == [
        ("log", "order received"),
        ("log", "order slow"),
    ]
    assert [row["kind"] for row in rows] == ["log", "prediction", "log"]


def test_search_finds_it_by_filter_and_by_field(engine: DuckDBEngine) -> None:
    """The trace filter and a quoted `trace_id:` clause both find exactly its two logs."""
    search = EmbeddedSearch(engine)
    by_filter = search.search(SearchRequest.build(trace_ids=(XRAY,), sort="asc"))
    by_field = search.search(SearchRequest.build(f'trace_id:"{XRAY}"', sort="asc"))
    for result in (by_filter, by_field):
        assert [hit["event"] for hit in result.hits] == ["order received", "order slow"]
