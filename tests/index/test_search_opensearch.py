"""The OpenSearch search backend on the real node, and its agreement with the embedded one.

The fixture is written to a LocalStore through the real transform, and the stored lines
are indexed by the real indexer: both backends see the same records.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from opensearchpy import OpenSearch

from observability.index.client import opensearch_client
from observability.index.indexer import Indexer
from observability.query.duckdb import DuckDBEngine
from observability.search.embedded import EmbeddedSearch
from observability.search.model import SearchBackendError, SearchError
from observability.search.opensearch import OpenSearchSearch
from observability.search.request import Cursor, SearchRequest, SearchResult
from observability.search.text import tokens
from observability.store.files import decode_lines
from observability.store.local import LocalStore
from tests.search.data import EVENTS, records, write
from tests.search.oracle import expected_ids
from tests.search.queries import QUERIES, VARIANTS

#: Strings whose tokens exercise every joiner rule, beyond the fixture's events.
TRICKY = (
    "foo_bar.baz 1.2.3 a:b:c 3:4 x,y 5;6 it's O'Neil 'quoted' a.b. ..x",
    "naïve_1.5x 2a.b3 __init__ e-mail foo@bar.com http://x.y/z?q=1 1.a a.1 a,b 1:2",
)


@pytest.fixture
def fixture_records() -> list[dict[str, Any]]:
    """The search fixture's records."""
    return records()


@pytest.fixture
def indexed(
    os_client: OpenSearch,
    indexer: Indexer,
    store: LocalStore,
    fixture_records: list[dict[str, Any]],
) -> LocalStore:
    """The fixture in the store and, through the indexer, in OpenSearch (refreshed)."""
    keys = write(store, fixture_records)
    result = indexer.index_lines(line for key in keys for line in decode_lines(store.get(key)))
    assert (result.indexed, result.failed) == (len(fixture_records), 0)
    os_client.indices.refresh(index="logs-*")
    return store


@pytest.fixture
def backends(indexed: LocalStore, os_client: OpenSearch) -> Iterator[tuple[Any, Any]]:
    """(embedded, opensearch) over the same records."""
    embedded = EmbeddedSearch(DuckDBEngine(indexed))
    yield embedded, OpenSearchSearch(os_client)
    embedded.close()


def _comparable(result: SearchResult) -> dict[str, Any]:
    body = result.to_dict()
    del body["took_ms"], body["backend"]
    return body


def test_standard_analyzer_yields_our_tokens(os_client: OpenSearch) -> None:
    """The node's standard analyzer tokenizes the fixture and tricky strings as `tokens()`."""
    for text in (*EVENTS, *TRICKY):
        analyzed = os_client.indices.analyze(body={"analyzer": "standard", "text": text})
        assert [t["token"] for t in analyzed["tokens"]] == tokens(text), text


@pytest.mark.slow
@pytest.mark.parametrize("variant", VARIANTS, ids=lambda v: ",".join(sorted(v)))
def test_embedded_returns_the_same_hits_as_opensearch(
    backends: tuple[EmbeddedSearch, OpenSearchSearch],
    fixture_records: list[dict[str, Any]],
    variant: dict[str, Any],
) -> None:
    """Same query, same data: identical hits, order, totals, cursors and aggregations."""
    embedded, opensearch = backends
    for query in QUERIES:
        request = SearchRequest.build(query, interval="1h", **variant)
        found = opensearch.search(request)
        assert found.backend == "opensearch"
        expected = expected_ids(request, fixture_records)
        assert [hit["record_id"] for hit in found.hits] == expected[: request.size], query
        assert found.total == len(expected), query
        assert _comparable(found) == _comparable(embedded.search(request)), query


def test_deep_pages_use_a_point_in_time_and_close_it(
    backends: tuple[EmbeddedSearch, OpenSearchSearch],
    os_client: OpenSearch,
    fixture_records: list[dict[str, Any]],
) -> None:
    """Paging by 7 visits every hit once; later cursors carry a PIT, closed on the last page."""
    _, opensearch = backends
    seen: list[str] = []
    cursors: list[Cursor] = []
    token: str | None = None
    while True:
        page = opensearch.search(SearchRequest.build("", size=7, search_after=token))
        seen += [hit["record_id"] for hit in page.hits]
        token = page.next_cursor
        if token is None:
            break
        cursors.append(Cursor.decode(token))
    assert seen == expected_ids(SearchRequest.build(""), fixture_records)
    assert cursors[0].pit is None
    assert all(cursor.pit for cursor in cursors[1:])
    assert os_client.get_all_pits().get("pits", []) == []


def test_a_cursor_with_an_unknown_point_in_time_is_refused(
    backends: tuple[EmbeddedSearch, OpenSearchSearch],
) -> None:
    """A cursor whose PIT is gone is a SearchError telling the caller to search again."""
    _, opensearch = backends
    stale = Cursor(1_795_431_425_123, "r019", "bm90LWEtcGl0").encode()
    with pytest.raises(SearchError):
        opensearch.search(SearchRequest.build("", search_after=stale))


def test_an_unreachable_node_is_a_backend_error() -> None:
    """No node listening: SearchBackendError (503 in the API), not a crash."""
    client = opensearch_client("http://127.0.0.1:9", timeout=2)
    with pytest.raises(SearchBackendError, match="unreachable"):
        OpenSearchSearch(client).search(SearchRequest.build("timeout"))
