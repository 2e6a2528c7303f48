"""Every named query parses as Trino and answers a known data set correctly in DuckDB."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from datetime import datetime

import pytest
import sqlglot

from observability.query.base import QueryError
from observability.query.duckdb import DuckDBEngine
from observability.query.library import NAMED
from observability.query.named import window
from tests.query.conftest import Dataset, checkout_logs

WINDOW = {"start": "2026-11-23T00:00:00Z", "end": "2026-11-24T00:00:00Z"}


@pytest.fixture
def engine(dataset: Dataset) -> Iterator[DuckDBEngine]:
    """A DuckDB engine over the data set."""
    engine = DuckDBEngine(dataset.store)
    yield engine
    engine.close()


@pytest.mark.parametrize("name", sorted(NAMED))
def test_named_query_parses_as_trino(name: str) -> None:
    """Each named query's SQL is valid Trino (a syntax error would raise here)."""
    tree = sqlglot.parse_one(NAMED[name].sql, read="trino")
    assert tree.find(sqlglot.exp.Select) is not None


def test_error_rate_per_service_per_hour(engine: DuckDBEngine) -> None:
    """Errors and records per checkout hour match the generator, late record included."""
    result = NAMED["error-rate"].run(engine, {**WINDOW, "service": "checkout"})
    rows = {row["hour"]: row for row in result.to_dicts()}
    records = Counter(j % 24 for j in range(100))
    errors = Counter(j % 24 for j in range(0, 100, 10))
    records[5] += 1  # the file that arrived after hour 05 was compacted
    assert {int(h): r["records"] for h, r in rows.items()} == dict(records)
    assert {int(h): r["errors"] for h, r in rows.items() if r["errors"]} == dict(errors)
    assert rows["00"]["error_rate"] == pytest.approx(errors[0] / records[0])
    assert {row["service"] for row in result.to_dicts()} == {"checkout"}


def test_error_rate_without_service_covers_every_service(engine: DuckDBEngine) -> None:
    """Leaving the optional service empty reports every service."""
    result = NAMED["error-rate"].run(engine, WINDOW)
    totals = Counter[str]()
    for row in result.to_dicts():
        totals[row["service"]] += row["records"]
    assert totals == {"checkout": 101, "search": 100}


def test_latency_percentiles_per_service(engine: DuckDBEngine) -> None:
    """p50/p95/p99 of latency 1..100 and 10..1000 are the known order statistics."""
    rows = NAMED["latency-percentiles"].run(engine, WINDOW).to_dicts()
    assert rows == [
        {"service": "checkout", "requests": 100, "p50": 50.0, "p95": 95.0, "p99": 99.0},
        {"service": "search", "requests": 100, "p50": 500.0, "p95": 950.0, "p99": 990.0},
    ]


def test_top_errors_ranks_events(engine: DuckDBEngine) -> None:
    """The six timeouts rank above the four declines; limit=1 keeps only the first."""
    rows = NAMED["top-errors"].run(engine, WINDOW).to_dicts()
    assert [(r["event"], r["occurrences"]) for r in rows] == [
        ("upstream timeout", 6),
        ("card declined", 4),
    ]
    top = NAMED["top-errors"].run(engine, {**WINDOW, "limit": "1"}).to_dicts()
    assert [r["event"] for r in top] == ["upstream timeout"]


def test_trace_joins_logs_and_predictions(engine: DuckDBEngine) -> None:
    """All records of trace t-1 come back in time order from both tables."""
    rows = NAMED["trace"].run(engine, {**WINDOW, "trace_id": "t-1"}).to_dicts()
    assert [(r["kind"], r["source"]) for r in rows] == [
        ("log", "checkout"),
        ("log", "checkout"),
        ("prediction", "fraud"),
    ]
    assert [r["timestamp"] for r in rows] == [
        datetime(2026, 11, 23, 3, 0),
        datetime(2026, 11, 23, 4, 0),
        datetime(2026, 11, 23, 10, 0),
    ]


def test_predictions_per_hour(engine: DuckDBEngine) -> None:
    """Counts per model per hour across compacted and NDJSON hours."""
    rows = NAMED["predictions-per-hour"].run(engine, WINDOW).rows
    assert [(r[0], r[2], r[3]) for r in rows] == [
        ("fraud", "10", 10),
        ("fraud", "11", 10),
        ("price", "12", 4),
    ]


def test_accuracy_per_window_classification(engine: DuckDBEngine) -> None:
    """Argmax of the probability map against labels: hour 10 all right, hour 11 half."""
    rows = NAMED["accuracy"].run(engine, {**WINDOW, "model": "fraud"}).to_dicts()
    assert [(r["predictions"], r["labelled"], r["accuracy"], r["mae"]) for r in rows] == [
        (10, 10, 1.0, None),
        (10, 8, 0.5, None),
    ]
    daily = NAMED["accuracy"].run(engine, {**WINDOW, "model": "fraud", "window_hours": 24})
    assert [(r["window_start"], r["accuracy"]) for r in daily.to_dicts()] == [
        (datetime(2026, 11, 23), pytest.approx(14 / 18))
    ]


def test_accuracy_regression_reports_mae(engine: DuckDBEngine) -> None:
    """Numeric predictions and labels give the mean absolute error (1+2+3+4)/4."""
    (row,) = NAMED["accuracy"].run(engine, {**WINDOW, "model": "price"}).to_dicts()
    assert row["mae"] == pytest.approx(2.5)
    assert row["accuracy"] is None


def test_feature_summary(engine: DuckDBEngine) -> None:
    """Per-feature count, nulls, distinct values and numeric stats over the window."""
    rows = {
        r["feature"]: r
        for r in NAMED["feature-summary"].run(engine, {**WINDOW, "model": "fraud"}).to_dicts()
    }
    assert rows["amount"]["records"] == 20
    assert (rows["amount"]["min"], rows["amount"]["mean"], rows["amount"]["max"]) == (
        0.0,
        9.5,
        19.0,
    )
    assert rows["country"]["distinct_values"] == 2
    assert rows["note"]["nulls"] == 20


def test_window_excludes_other_days(engine: DuckDBEngine) -> None:
    """A window on another day finds nothing."""
    result = NAMED["error-rate"].run(
        engine, {"start": "2026-11-25T00:00:00Z", "since": None, "end": "2026-11-26T00:00:00Z"}
    )
    assert result.rows == []


def test_since_sets_the_window_back_from_now() -> None:
    """`since=24h` spans the 24 hours before `now`; the dt bounds cover both days."""
    values = window({"since": "24h"}, now=datetime.fromisoformat("2026-11-23T06:30:00+00:00"))
    assert values["start"] == datetime(2026, 11, 22, 6, 30)
    assert (values["start_dt"], values["end_dt"]) == ("2026-11-22", "2026-11-23")
    ninety = window({"since": "90m"}, now=datetime.fromisoformat("2026-11-23T06:30:00+00:00"))
    assert ninety["start"] == datetime(2026, 11, 23, 5, 0)
    with pytest.raises(QueryError, match="parameter since: bad time 'soon'"):
        window({"since": "soon"})


def test_required_and_unknown_parameters_are_refused(engine: DuckDBEngine) -> None:
    """A missing required parameter or an unknown one is a QueryError naming it."""
    with pytest.raises(QueryError, match="trace_id is required"):
        NAMED["trace"].run(engine, WINDOW)
    with pytest.raises(QueryError, match="unknown parameter"):
        NAMED["error-rate"].run(engine, {**WINDOW, "servce": "x"})
    assert len(checkout_logs()) == 100
