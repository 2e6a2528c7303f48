"""Reports: a model's list with cursor pages, one report's JSON and its stored HTML."""

from __future__ import annotations

from datetime import timedelta

from fastapi.testclient import TestClient

from observability.core import keys
from observability.dashboard.schemas import ReportDetail, ReportPage
from observability.store.local import LocalStore
from tests.api.seed import END, HTML, MODEL, day_of_windows, drift_window, report_files


def test_pages_walk_every_report_newest_first(client: TestClient, store: LocalStore) -> None:
    """Pages of 3 follow next_cursor through every stored report once, newest window first."""
    reports = day_of_windows(store)
    with_files = [r for i, r in enumerate(reports) if i % 6 == 0]  # 4 reports
    seen: list[str] = []
    cursor = ""
    for _ in range(5):
        response = client.get(f"/api/v1/models/{MODEL}/reports?limit=3&cursor={cursor}")
        page = ReportPage.model_validate_json(response.content)
        seen += [item.report_id for item in page.items]
        if page.next_cursor is None:
            break
        cursor = page.next_cursor
    assert seen == list(reversed(with_files))
    first = ReportPage.model_validate_json(client.get(f"/api/v1/models/{MODEL}/reports").content)
    oldest = first.items[-1]
    assert oldest.variants == ["drift", "quality"] and oldest.links.quality_html
    assert oldest.status == "ok" and oldest.drifted_count == 0


def test_list_is_limited_to_the_range(client: TestClient, store: LocalStore) -> None:
    """`since`/`until` keep the reports whose window starts in [since, until)."""
    reports = day_of_windows(store)
    response = client.get(
        f"/api/v1/models/{MODEL}/reports?since=2026-11-01T06:00&until=2026-11-01T13:00"
    )
    assert [i.report_id for i in ReportPage.model_validate_json(response.content).items] == [
        reports[12],
        reports[6],
    ]


def test_bad_cursor_and_limit_are_refused(client: TestClient) -> None:
    """A cursor that is not one the API gave is a 400; a limit over 500 a 422."""
    bad = client.get(f"/api/v1/models/{MODEL}/reports?cursor=bm90LWEtY3Vyc29y")
    assert bad.status_code == 400 and "cursor" in bad.json()["detail"]
    assert client.get(f"/api/v1/models/{MODEL}/reports?limit=501").status_code == 422


def test_report_json_has_verdicts_documents_and_an_etag(
    client: TestClient, store: LocalStore
) -> None:
    """The JSON carries the window's rows and stored documents; its ETag revalidates to 304
    until the window is re-run."""
    report = day_of_windows(store)[12]
    response = client.get(f"/api/v1/reports/{report}")
    detail = ReportDetail.model_validate_json(response.content)
    assert detail.drifted_features == ["amount"] and len(detail.features) == 3
    assert detail.evidently is not None and detail.evidently["metrics"][0]["value"] == 12.5
    assert detail.evidently_quality is None and detail.run is None
    etag = response.headers["etag"]
    again = client.get(f"/api/v1/reports/{report}", headers={"If-None-Match": etag})
    assert again.status_code == 304 and again.content == b""
    start = END - timedelta(hours=12)
    drift_window(store, MODEL, start, start + timedelta(hours=1), {"amount": 0.9})  # a re-run
    changed = client.get(f"/api/v1/reports/{report}", headers={"If-None-Match": etag})
    assert changed.status_code == 200 and changed.headers["etag"] != etag


def test_html_is_the_stored_file_in_a_sandbox(client: TestClient, store: LocalStore) -> None:
    """The HTML route sends the stored bytes with `Content-Security-Policy: sandbox
    allow-scripts`, and the quality variant its own file."""
    report = day_of_windows(store)[0]
    response = client.get(f"/api/v1/reports/{report}/html")
    assert response.status_code == 200
    assert response.content == HTML
    assert response.headers["content-security-policy"] == "sandbox allow-scripts"
    assert response.headers["content-type"].startswith("text/html")
    quality = client.get(f"/api/v1/reports/{report}/html?variant=quality")
    assert quality.content == store.get(keys.report_key(report, ".quality.html"))
    cached = client.get(
        f"/api/v1/reports/{report}/html", headers={"If-None-Match": response.headers["etag"]}
    )
    assert cached.status_code == 304


def test_missing_and_malformed_reports(client: TestClient, store: LocalStore) -> None:
    """An id that parses but has nothing stored is a 404; one that does not parse a 400."""
    reports = day_of_windows(store)
    assert client.get(f"/api/v1/reports/{reports[1]}/html").status_code == 404  # rows, no file
    assert client.get(f"/api/v1/reports/{reports[1]}").status_code == 200
    unknown = "fraud~20250101T0000_20250101T0100"
    assert client.get(f"/api/v1/reports/{unknown}").status_code == 404
    bad = client.get("/api/v1/reports/fraud~yesterday")
    assert bad.status_code == 400 and "report id" in bad.json()["detail"]
    report_files(store, unknown)
    assert client.get(f"/api/v1/reports/{unknown}").json()["variants"] == ["drift"]
