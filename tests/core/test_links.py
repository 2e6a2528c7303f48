"""Links into the product: one shape per view, state in the URL, under the public URL."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from urllib.parse import parse_qs, urlsplit

from observability.core.links import API_PREFIX, Links

LINKS = Links("https://observability.example.com/")
START = datetime(2026, 12, 1, tzinfo=UTC)
END = START + timedelta(days=1)


def test_model_view_carries_model_range_and_report() -> None:
    """The model page link names the model and the window, and selects its report."""
    url = urlsplit(LINKS.model_view("fraud v2", START, END, "rid-1"))
    assert (url.scheme, url.netloc, url.path) == (
        "https",
        "observability.example.com",
        "/models/fraud%20v2",
    )
    assert parse_qs(url.query) == {
        "since": ["2026-12-01T00:00:00.000000Z"],
        "until": ["2026-12-02T00:00:00.000000Z"],
        "report": ["rid-1"],
    }


def test_log_search_and_trace_links() -> None:
    """A search link holds its query and range; a trace link its id, escaped."""
    url = urlsplit(LINKS.log_search("level:error AND model:fraud", START, END))
    assert url.path == "/logs"
    assert parse_qs(url.query)["q"] == ["level:error AND model:fraud"]
    assert LINKS.trace_view("a/b").endswith("/traces/a%2Fb")
    assert Links("http://127.0.0.1:8000").log_search() == "http://127.0.0.1:8000/logs"


def test_api_links_share_the_api_prefix() -> None:
    """API links sit under /api/v1 and address a report by its id alone."""
    assert LINKS.api_report("r1") == f"https://observability.example.com{API_PREFIX}/reports/r1"
    assert LINKS.api_report_html("r1").endswith("/reports/r1/html")
    drift = urlsplit(LINKS.api_model_drift("fraud", START, END))
    assert drift.path == f"{API_PREFIX}/models/fraud/drift"
    assert parse_qs(drift.query)["since"] == ["2026-12-01T00:00:00.000000Z"]
    assert urlsplit(LINKS.api_search("x")).path == f"{API_PREFIX}/search"
    assert LINKS.alerts_view("fp1").endswith("/alerts?alert=fp1")
    assert LINKS.report_view("r1").endswith("/reports/r1")
