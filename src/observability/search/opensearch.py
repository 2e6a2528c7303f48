"""The OpenSearch backend: the query AST as a bool query over the daily indices of a kind
(`logs-*`, `predictions-*`).

Everything is a filter (hits sort by time, so scores are never computed): text terms are
`match` / `match_phrase` / `prefix` on the analysed `event`, exact values `term` /
`prefix` on keyword fields (and on `attributes.<key>` / `features.<name>` leaves of the
flat objects), the time range a `range` in epoch milliseconds. Hits sort on (timestamp,
record_id) and pages follow with `search_after`; from the second page on, a point in
time keeps the pages consistent while documents keep arriving, and the last page closes
it. The timestamp sorts as `date_nanos` (`numeric_type`): indices made before the
templates mapped it so (`date`, milliseconds) and after sort together, and the sort
value, which the cursor carries, keeps every digit a record has.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from typing import Any, Final

from opensearchpy import OpenSearch
from opensearchpy.exceptions import (
    ConnectionError as OpenSearchConnectionError,
)
from opensearchpy.exceptions import (
    NotFoundError,
    TransportError,
)

from observability.core.fields import Kind
from observability.index.templates import INDEX_PREFIX, INDEXED_KINDS
from observability.search.hits import KIND_HIT_FIELDS, to_hit
from observability.search.model import (
    And,
    Exact,
    MatchAll,
    Node,
    Not,
    Or,
    SearchBackendError,
    SearchError,
    Text,
)
from observability.search.request import (
    Aggregations,
    Bucket,
    Cursor,
    SearchRequest,
    SearchResult,
    epoch_ms,
    iso_ms,
)

BACKEND: Final = "opensearch"
#: The indices the index templates cover (`logs-YYYY.MM.DD`).
LOGS_PATTERN: Final = "logs-*"
#: The indices searched per kind.
PATTERNS: Final = {kind: f"{INDEX_PREFIX[kind]}-*" for kind in INDEXED_KINDS}
#: The field the `models` filter matches, per kind.
_MODEL_FIELD: Final = {Kind.LOG: "attributes.model", Kind.PREDICTION: "model"}
#: How long a point in time stays open between two page requests.
PIT_KEEP_ALIVE: Final = "2m"
#: Terms aggregation size: more than the levels or services a deployment has, so the
#: per-bucket counts are exact rather than a top-N.
MAX_TERMS: Final = 500


def _text(node: Text) -> dict[str, Any]:
    if node.prefix:
        return {"prefix": {"event": node.words[0]}}
    if len(node.words) == 1:
        return {"match": {"event": node.words[0]}}
    return {"match_phrase": {"event": " ".join(node.words)}}


def _exact(node: Exact) -> dict[str, Any]:
    return {"prefix" if node.prefix else "term": {node.field: node.value}}


def _and(node: And) -> dict[str, Any]:
    return {"bool": {"filter": [node_query(child) for child in node.children]}}


def _or(node: Or) -> dict[str, Any]:
    children = [node_query(child) for child in node.children]
    return {"bool": {"should": children, "minimum_should_match": 1}}


def _not(node: Not) -> dict[str, Any]:
    return {"bool": {"must_not": [node_query(node.child)]}}


def _match_all(_node: MatchAll) -> dict[str, Any]:
    return {"match_all": {}}


_TRANSLATE: Final[Mapping[type, Callable[[Any], dict[str, Any]]]] = {
    Text: _text,
    Exact: _exact,
    And: _and,
    Or: _or,
    Not: _not,
    MatchAll: _match_all,
}


def node_query(node: Node) -> dict[str, Any]:
    """The OpenSearch query for one AST node."""
    return _TRANSLATE[type(node)](node)


def request_query(request: SearchRequest) -> dict[str, Any]:
    """The whole query: the AST, the filters and the time range, all in filter context."""
    clauses = [node_query(request.query)]
    for name, values in (
        ("service", request.services),
        ("level", request.levels),
        ("env", request.envs),
        ("trace_id", request.trace_ids),
        (_MODEL_FIELD[request.kind], request.models),
    ):
        if values:
            clauses.append({"terms": {name: list(values)}})
    bounds: dict[str, Any] = {}
    if request.since is not None:
        bounds["gte"] = epoch_ms(request.since)
    if request.until is not None:
        bounds["lt"] = epoch_ms(request.until)
    if bounds:
        clauses.append({"range": {"timestamp": {**bounds, "format": "epoch_millis"}}})
    return {"bool": {"filter": clauses}}


def search_body(request: SearchRequest) -> dict[str, Any]:
    """The `_search` body of one page (one hit more than asked, to know if more exist)."""
    order = request.sort
    body: dict[str, Any] = {
        "query": request_query(request),
        "sort": [
            {"timestamp": {"order": order, "numeric_type": "date_nanos"}},
            {"record_id": {"order": order}},
        ],
        "size": request.size + 1,
        "track_total_hits": True,
        "_source": {"includes": list(KIND_HIT_FIELDS[request.kind])},
    }
    if request.after is not None:
        body["search_after"] = [request.after.timestamp_ns, request.after.record_id]
    if request.interval_ms is not None:
        per_key = {
            key: {"terms": {"field": key, "size": MAX_TERMS}} for key in ("level", "service")
        }
        body["aggs"] = {
            "over_time": {
                "date_histogram": {
                    "field": "timestamp",
                    "fixed_interval": f"{request.interval_ms}ms",
                    "min_doc_count": 1,
                },
                "aggs": per_key,
            }
        }
    return body


class OpenSearchSearch:
    """Search the daily indices of an OpenSearch cluster (client injected).

    `indices` overrides the index pattern searched per kind (default `PATTERNS`).
    """

    name = BACKEND

    def __init__(
        self,
        client: OpenSearch,
        *,
        indices: Mapping[Kind, str] | None = None,
        timeout_seconds: float = 30.0,
    ) -> None:
        self._client = client
        self._indices = {**PATTERNS, **(indices or {})}
        self._timeout = timeout_seconds

    def search(self, request: SearchRequest) -> SearchResult:
        """One page of hits, the exact total and, when asked, the aggregations."""
        started = time.perf_counter()
        body = search_body(request)
        index = self._indices[request.kind]
        pit = None
        if request.after is not None:
            pit = request.after.pit or self._open_pit(index)
            body["pit"] = {"id": pit, "keep_alive": PIT_KEEP_ALIVE}
        response = self._call(body, index=None if pit is not None else index)
        hits = response["hits"]["hits"]
        more = len(hits) > request.size
        hits = hits[: request.size]
        pit = response.get("pit_id", pit)
        cursor = None
        if more:
            sort_ns, record_id = hits[-1]["sort"]
            cursor = Cursor(int(sort_ns), str(record_id), pit).encode()
        elif pit is not None:
            self._close_pit(pit)
        return SearchResult(
            hits=[to_hit(hit["_source"], request.kind) for hit in hits],
            total=int(response["hits"]["total"]["value"]),
            next_cursor=cursor,
            backend=BACKEND,
            took_ms=(time.perf_counter() - started) * 1000,
            aggregations=_aggregations(request, response.get("aggregations")),
        )

    def _call(self, body: dict[str, Any], *, index: str | None) -> dict[str, Any]:
        """Search `index`, or, when None, the point in time the body names."""
        params = {"request_timeout": self._timeout}
        with_pit = index is None
        try:
            if with_pit:
                response: dict[str, Any] = self._client.search(body=body, params=params)
            else:
                response = self._client.search(index=index, body=body, params=params)
        except OpenSearchConnectionError as exc:  # a TransportError subclass: first
            raise SearchBackendError(f"OpenSearch is unreachable: {exc}") from None
        except NotFoundError as exc:
            if with_pit:
                raise SearchError("the cursor has expired: run the search again") from None
            raise _translate(exc) from None
        except TransportError as exc:
            raise _translate(exc) from None
        return response

    def _open_pit(self, index: str) -> str:
        try:
            response = self._client.create_pit(index=index, params={"keep_alive": PIT_KEEP_ALIVE})
        except OpenSearchConnectionError as exc:
            raise SearchBackendError(f"OpenSearch is unreachable: {exc}") from None
        except TransportError as exc:
            raise _translate(exc) from None
        pit: str = response["pit_id"]
        return pit

    def _close_pit(self, pit: str) -> None:
        # A PIT that cannot be closed expires after PIT_KEEP_ALIVE; the page is still good.
        try:
            self._client.delete_pit(body={"pit_id": [pit]})
        except (TransportError, OpenSearchConnectionError):
            return

    def close(self) -> None:
        """Close the client's connections."""
        self._client.close()


def _translate(exc: TransportError) -> Exception:
    status = exc.status_code if isinstance(exc.status_code, int) else 0
    reason = exc.error if isinstance(exc.error, str) else "error"
    if 400 <= status < 500 and status != 429:
        return SearchError(f"OpenSearch refused the search ({status} {reason}): {exc.info}")
    return SearchBackendError(f"OpenSearch failed ({status} {reason})")


def _aggregations(request: SearchRequest, raw: dict[str, Any] | None) -> Aggregations | None:
    if request.interval_ms is None:
        return None
    found: dict[str, list[Bucket]] = {"level": [], "service": []}
    for bucket in (raw or {}).get("over_time", {}).get("buckets", []):
        start = iso_ms(int(bucket["key"]))
        for key, entries in found.items():
            terms = sorted(bucket[key]["buckets"], key=lambda term: str(term["key"]))
            entries.extend(Bucket(start, str(t["key"]), int(t["doc_count"])) for t in terms)
    return Aggregations(request.interval_ms, found["level"], found["service"])
