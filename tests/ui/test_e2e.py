"""The web UI in Chromium against a real server: the journeys of a data scientist, an SRE and
on-call, key entry and roles, screenshots of every page, and the budgets (printed)."""

from __future__ import annotations

import gzip
import re
import time
from typing import Any, Final

import pytest

from observability.core.links import Links
from observability.service.ui import STATIC_DIR
from tests.analyze.generated import HOURS, SHIFT_HOUR, SHIFTED
from tests.ui import seed
from tests.ui.conftest import Served, picture_stats, snap

pytestmark = pytest.mark.slow

BUNDLE_BUDGET_BYTES: Final = 500 * 1024
RENDER_BUDGET_MS: Final = 1000.0


def settled(page: Any) -> None:
    """Until nothing on the page is loading."""
    page.wait_for_function("!document.querySelector('.loading')", timeout=30_000)


def wait_drawn(page: Any) -> None:
    """Until the model page's charts are painted."""
    page.wait_for_selector("[data-testid=feature-grid][data-ready=true]", timeout=30_000)


def test_without_a_key_the_ui_says_so_and_takes_one(open_page: Any, served: Served) -> None:
    """Without a key, every view explains the 401 and where to enter a key; a viewer key
    entered in the key menu is checked, named by its role, and the view then loads."""
    page = open_page()
    page.goto(f"/models/{seed.MODEL}")
    banner = page.get_by_test_id("session-banner")
    banner.wait_for()
    assert "valid key" in banner.inner_text()
    assert "Enter an API key" in banner.inner_text()
    page.get_by_role("button", name=re.compile("^Key:")).click()
    page.get_by_label("API key", exact=True).fill(served.keys.viewer)
    page.get_by_role("button", name="Use key").click()
    page.get_by_test_id("identity").filter(has_text="viewer").wait_for()
    wait_drawn(page)
    assert page.get_by_test_id("session-banner").count() == 0
    assert page.evaluate("sessionStorage.getItem('observability.api_key')") == served.keys.viewer
    assert served.keys.viewer not in page.content()


def test_overview_to_the_drifted_window_and_its_report(open_page: Any, served: Served) -> None:
    """Overview -> the model -> a click on the first drifted window's bar -> its verdicts ->
    the report, whose verdicts and Evidently frame name exactly the shifted features."""
    page = open_page(served.keys.admin)
    page.goto("/")
    page.get_by_role("link", name=seed.MODEL, exact=True).wait_for()
    snap(page, "overview")
    page.get_by_role("link", name=seed.MODEL, exact=True).click()
    page.wait_for_url(f"**/models/{seed.MODEL}")
    wait_drawn(page)
    page.get_by_test_id("label-delay").wait_for()
    settled(page)
    snap(page, "model")

    plot = page.locator("[data-testid=drift-share-chart] .u-over")
    box = plot.bounding_box()
    assert box is not None
    # Bars cover their windows: the axis runs from the first window's start to the last's end.
    plot.click(position={"x": box["width"] * (SHIFT_HOUR + 0.5) / HOURS, "y": box["height"] - 4})
    report_id = seed.shifted_report_id()
    page.wait_for_url(re.compile(r"report=" + re.escape(report_id.replace("~", "%7E"))))
    panel = page.get_by_test_id("window-panel")
    panel.wait_for()
    named = panel.get_by_test_id("window-drifted").inner_text()
    assert sorted(named.split(", ")) == sorted(SHIFTED)
    snap(page, "model-window")

    panel.get_by_role("link", name="Open the report").click()
    page.wait_for_url(f"**/reports/{report_id}")
    drifted = page.get_by_test_id("drifted-features")
    drifted.wait_for()
    assert sorted(drifted.inner_text().split(", ")) == sorted(SHIFTED)
    rows = page.locator("[data-testid=report-features] tr.drifted")
    assert sorted(rows.evaluate_all("rs => rs.map(r => r.dataset.feature)")) == sorted(SHIFTED)
    frame = page.get_by_test_id("evidently-frame")
    assert frame.get_attribute("sandbox") == "allow-scripts"
    inside = page.frame_locator("[data-testid=evidently-frame]")
    inside.get_by_text("Drifted Columns").first.wait_for(timeout=30_000)
    for feature in SHIFTED:
        assert inside.get_by_text(feature, exact=True).count() >= 1, feature
    snap(page, "report")


def test_the_links_alerts_send_open_their_views(open_page: Any, served: Served) -> None:
    """A link from core/links.py, pasted, opens the view with the state it names."""
    links = Links(served.base)
    page = open_page(served.keys.viewer)
    page.goto(links.model_view(seed.MODEL, report_id=seed.shifted_report_id()))
    page.get_by_test_id("window-panel").wait_for()
    page.goto(links.log_search("level:error"))
    assert page.get_by_label("Query").input_value() == "level:error"
    page.get_by_test_id("record-row").first.wait_for()
    page.goto(links.trace_view(served.trace_ids[0]))
    page.get_by_test_id("trace-summary").wait_for()
    page.goto(links.alerts_view("0123456789abcdef"))
    page.get_by_role("heading", name="Alerts", exact=True).wait_for()


def test_search_expand_a_record_open_its_trace_and_page(open_page: Any, served: Served) -> None:
    """A query with the histogram by level, a record's JSON, its trace with every record of
    it, and paging through next_cursor."""
    page = open_page(served.keys.viewer)
    page.goto("/logs")
    # The picker names the range the page searches by default (the last hour).
    picker = page.get_by_label("Range", exact=True)
    assert picker.evaluate("s => s.options[s.selectedIndex].text") == "Last hour"
    page.get_by_label("Query").fill("level:error")
    page.get_by_role("button", name="Search").click()
    page.wait_for_url(re.compile(r"q=level%3Aerror"))
    page.get_by_role("img", name=re.compile("^Records by level")).wait_for()
    settled(page)
    status = page.get_by_test_id("search-status")
    assert status.inner_text().startswith("12 records")  # every fifth of 60 traces fails
    rows = page.get_by_test_id("record-row")
    assert rows.count() == 12
    levels = rows.locator("td:nth-child(3)").all_inner_texts()
    assert set(levels) == {"error"}
    snap(page, "logs")

    rows.first.get_by_role("button", name=re.compile("^Expand record")).click()
    record = page.get_by_test_id("record-json")
    assert '"card declined"' in record.inner_text()
    trace_link = rows.first.get_by_role("link", name=re.compile("^Trace "))
    trace_id = (trace_link.get_attribute("aria-label") or "").removeprefix("Trace ")
    assert trace_id in served.trace_ids
    assert trace_id in record.inner_text()
    snap(page, "logs-expanded")

    trace_link.click()
    page.wait_for_url(f"**/traces/{trace_id}")
    summary = page.get_by_test_id("trace-summary")
    summary.wait_for()
    assert summary.inner_text().startswith("4 records · api, checkout, payments")
    events = page.locator("[data-testid=record-row] td.event").all_inner_texts()
    assert events == ["request received", "cart priced", "card declined", "request finished"]
    snap(page, "trace")

    page.goto("/logs?since=2h")
    first_page = page.get_by_test_id("record-row").first
    first_page.wait_for()
    newest = first_page.inner_text()
    page.get_by_role("button", name="Older →").click()
    page.get_by_text("Page 2").wait_for()
    page.wait_for_function(
        "text => document.querySelector('[data-testid=record-row]')?.innerText !== text",
        arg=newest,
    )
    assert page.get_by_test_id("record-row").count() == 50
    page.get_by_role("button", name="← Newer").click()
    page.get_by_text("Page 1").wait_for()


def test_a_viewer_cannot_see_the_silence_form_an_admin_can(open_page: Any, served: Served) -> None:
    """The alerts page shows a viewer no silence form (and says why); an admin gets one."""
    viewer = open_page(served.keys.viewer)
    viewer.goto("/alerts")
    viewer.get_by_test_id("silence-readonly").wait_for()
    assert "needs an admin key" in viewer.get_by_test_id("silence-readonly").inner_text()
    assert viewer.get_by_test_id("silence-form").count() == 0
    admin = open_page(served.keys.admin)
    admin.goto("/alerts")
    admin.get_by_test_id("silence-form").wait_for()
    for label in ("Matchers, one a line", "For", "Why"):
        assert admin.get_by_label(label, exact=True).count() == 1, label
    snap(admin, "alerts")


def test_a_silence_moves_the_alert(open_page: Any, served: Served) -> None:
    """An admin silences the firing drift alert from its own entry: it moves to the silenced
    group, the silence is listed; expiring it moves the alert back to firing."""
    page = open_page(served.keys.admin)
    page.goto("/alerts")
    firing = page.get_by_test_id("alerts-firing").get_by_test_id("alert-item")
    firing.filter(has_text=seed.ALERT).wait_for()
    snap(page, "alerts-firing")
    firing.filter(has_text=seed.ALERT).get_by_role("button", name="Silence…").click()
    matchers = page.get_by_label("Matchers, one a line", exact=True)
    assert matchers.input_value() == f'alertname="{seed.ALERT}"\nmodel="{seed.MODEL}"'
    page.get_by_label("Why", exact=True).fill("e2e: known shift, retraining tonight")
    page.get_by_role("button", name="Create silence").click()
    silenced = page.get_by_test_id("alerts-silenced").get_by_test_id("alert-item")
    silenced.filter(has_text=seed.ALERT).wait_for()
    assert page.get_by_test_id("alerts-firing").count() == 0
    row = page.get_by_test_id("silence-row").filter(has_text="known shift")
    assert row.get_attribute("data-state") == "active"
    assert "key:" in row.inner_text()
    snap(page, "alerts-silenced")

    row.get_by_role("button", name=re.compile("^Expire silence")).click()
    page.get_by_test_id("alerts-firing").get_by_test_id("alert-item").filter(
        has_text=seed.ALERT
    ).wait_for()
    assert page.get_by_test_id("alerts-silenced").count() == 0


def test_dark_theme(open_page: Any, served: Served) -> None:
    """With the system in dark mode the model page is dark, charts included."""
    page = open_page(served.keys.viewer, dark=True)
    page.goto(f"/models/{seed.MODEL}")
    wait_drawn(page)
    settled(page)
    path = snap(page, "model-dark")
    stats = picture_stats(page.context.browser, path)
    assert sum(stats["corner"]) < 3 * 64, stats  # type: ignore[call-overload]


def test_controls_are_labelled_and_reachable_by_keyboard(open_page: Any, served: Served) -> None:
    """Every control on the pages has an accessible name, and Tab reaches the query box and
    the window list's buttons."""
    page = open_page(served.keys.admin)
    unnamed_js = """() => [...document.querySelectorAll('input, select, textarea, button, a[href]')]
        .filter(el => !(el.labels?.length || el.getAttribute('aria-label')
                        || el.getAttribute('aria-labelledby') || el.textContent.trim()))
        .map(el => el.outerHTML.slice(0, 120))"""
    for path in ("/", f"/models/{seed.MODEL}", "/logs", "/alerts"):
        page.goto(path)
        page.wait_for_load_state("networkidle")
        assert page.evaluate(unnamed_js) == [], path

    page.goto("/logs")
    page.get_by_label("Query").wait_for()
    for _ in range(30):
        page.keyboard.press("Tab")
        if page.evaluate("document.activeElement?.id") == "log-query":
            break
    else:
        pytest.fail("Tab never reached the query box")
    page.keyboard.type("level:error")
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(r"q=level%3Aerror"))

    page.goto(f"/models/{seed.MODEL}")
    wait_drawn(page)
    page.get_by_text("Windows as a table").focus()
    page.keyboard.press("Enter")
    window_button = page.locator(".windows tbody button").first
    window_button.focus()
    page.keyboard.press("Enter")
    page.get_by_test_id("window-panel").wait_for()


def test_budgets(open_page: Any, served: Served) -> None:
    """The bundle is at most 500 kB gzip; the model page with 30 days of hourly windows x 20
    features renders in under a second (printed, with the data's arrival)."""
    assets = sorted((STATIC_DIR / "assets").iterdir())
    shipped = [p for p in assets if p.suffix in {".js", ".css"}]
    total = sum(len(gzip.compress(p.read_bytes(), 9)) for p in shipped)
    print(f"\nUI bundle: {total / 1024:.1f} kB gzip ({len(assets)} files)")
    assert total <= BUNDLE_BUDGET_BYTES

    query = {"since": "30d", "resolution": "window"}
    started = time.perf_counter()
    answer = served.api(f"/models/{seed.BUDGET_MODEL}/drift", **query)
    cold_ms = (time.perf_counter() - started) * 1000
    points = answer.json()["points"]
    assert len(points) >= 29 * 24
    assert {len(p["features"]) for p in points} == {len(seed.BUDGET_FEATURES)}

    page = open_page(served.keys.viewer)
    runs = []
    for _ in range(3):
        page.goto(f"/models/{seed.BUDGET_MODEL}?since=30d&resolution=window")
        wait_drawn(page)
        runs.append(
            page.evaluate(
                """() => {
                    const mark = (name) => performance.getEntriesByName(name).at(-1).startTime;
                    return { render: mark("model:drift-drawn") - mark("model:drift-data"),
                             page: mark("model:drift-drawn") };
                }"""
            )
        )
    render = min(r["render"] for r in runs)
    whole = min(r["page"] for r in runs)
    print(
        f"model page, {len(points)} windows x {len(seed.BUDGET_FEATURES)} features: "
        f"render {render:.0f} ms (budget {RENDER_BUDGET_MS:.0f}), navigation to drawn "
        f"{whole:.0f} ms, first API answer {cold_ms:.0f} ms (cold)"
    )
    snap(page, "model-30-days")
    assert render < RENDER_BUDGET_MS


def test_the_blank_check_sees_a_blank_page(browser: Any, tmp_path: Any) -> None:
    """The screenshot check itself: an empty page counts as blank."""
    page = browser.new_page(viewport={"width": 400, "height": 300})
    try:
        page.set_content("<body style='background:#fff'></body>")
        path = tmp_path / "blank.png"
        page.screenshot(path=str(path))
    finally:
        page.close()
    stats = picture_stats(browser, path)
    assert stats["colours"] < 16
    assert stats["inked"] < 0.01
