"""Error-rate alerts carry the top error events with sample traces and a search that finds
them; a failing explanation is named, never fatal."""

from __future__ import annotations

from datetime import timedelta
from typing import Any
from urllib.parse import parse_qs, urlsplit

import orjson

from observability.alerting.explain import Explainer, log_query_for_model
from observability.alerting.model import AlertState
from observability.core.links import Links
from observability.core.schema import Kind
from observability.query.base import QueryError, QueryResult
from observability.query.duckdb import DuckDBEngine
from observability.search.embedded import EmbeddedSearch
from observability.search.model import parse_query
from observability.search.request import SearchRequest
from observability.store.local import LocalStore
from tests.alerting.conftest import PUBLIC_URL, harness, log, minute, write

RULES = {
    "groups": [
        {
            "name": "services",
            "interval": "5m",
            "rules": [
                {
                    "name": "error-rate",
                    "source": {
                        "sql": {
                            "named": "error-rate",
                            "value": "error_rate",
                            "window": "1h",
                            "reduce": "max",
                        }
                    },
                    "condition": {"op": ">", "threshold": 0.2},
                    "annotations": {
                        "summary": "{{ $labels.service }} errors {{ $value | percent }}"
                    },
                }
            ],
        }
    ],
    "route": {"receiver": "team", "group_by": ["service"]},
    "receivers": [{"name": "team", "memory": {}}],
}


def test_an_error_rate_alert_carries_the_top_errors_and_their_search(
    local_store: LocalStore, engine: DuckDBEngine
) -> None:
    """Per service over the window; the firing one lists its top events with sample trace
    ids, and its search link finds exactly its error logs."""
    errors = [
        log("checkout", minute(m), level="error", event="card declined", trace_id=f"t{m:02d}")
        for m in range(6)
    ] + [
        log("checkout", minute(m), level="critical", event="db timeout", trace_id=f"t{m:02d}")
        for m in (10, 11)
    ]
    fine = [log("checkout", minute(m)) for m in range(20, 30)]
    fine += [log("payments", minute(m)) for m in range(5)]
    write(local_store, [*errors, *fine], Kind.LOG)
    h = harness(local_store, engine, orjson.dumps(RULES).decode())
    result = h.tick(60)
    (fired,) = result.transitions
    record = fired.record
    assert fired.after is AlertState.FIRING
    assert record.labels == {
        "alertname": "error-rate",
        "severity": "warning",
        "service": "checkout",
    }
    assert record.annotations["summary"] == "checkout errors 44.44%"
    top = record.context["top_errors"]
    assert [(e["event"], e["count"]) for e in top] == [("card declined", 6), ("db timeout", 2)]
    assert top[0]["sample_trace_ids"] == ["t03", "t04", "t05"]
    assert top[1]["sample_trace_ids"] == ["t10", "t11"]
    assert record.links["trace"].endswith("/traces/t03")

    query = parse_qs(urlsplit(record.links["logs"]).query)
    request = SearchRequest.build(
        query["q"][0], since=query["since"][0], until=query["until"][0], size=50
    )
    hits = EmbeddedSearch(engine).search(request).hits
    assert sorted(hit["record_id"] for hit in hits) == sorted(r["record_id"] for r in errors)


def test_a_model_log_query_is_valid_search_syntax() -> None:
    """The model/version query parses in the search language, one version or several."""
    assert log_query_for_model("fraud", []) == 'attributes.model:"fraud"'
    several = log_query_for_model("fraud", ["1.0", "2.0"])
    assert several == (
        'attributes.model:"fraud" AND '
        '(attributes.model_version:"1.0" OR attributes.model_version:"2.0")'
    )
    parse_query(several)


def test_a_failing_explanation_is_named_and_the_alert_still_fires(
    local_store: LocalStore, engine: DuckDBEngine
) -> None:
    """An explanation whose queries fail is recorded as such, and the alert fires."""
    write(
        local_store,
        [log("checkout", minute(1) + timedelta(seconds=m), level="error") for m in range(3)],
        Kind.LOG,
    )
    h = harness(local_store, engine, orjson.dumps(RULES).decode())

    class Refusing:
        """The real engine, refusing every query the explanation makes."""

        name = "refusing"

        def execute(self, sql: str, params: Any = None, **options: Any) -> QueryResult:
            raise QueryError(f"refused by the test: {sql[:20]}")

        def close(self) -> None:
            engine.close()

    assert h.evaluator is not None
    h.evaluator.explainer = Explainer(Refusing, Links(PUBLIC_URL))
    (fired,) = h.tick(10).transitions
    assert fired.after is AlertState.FIRING
    assert fired.record.context["explanation_error"].startswith("QueryError: refused by the test")
