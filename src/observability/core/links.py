"""Links into the product: the one module that knows the URL shapes of UI views and API routes.

Alerts, the README, the CLI and the UI all link through here, so a link in a Slack message
opens exactly the view it names. Every view keeps its state in the URL (Grafana-style):
the model, the range as `since`/`until` instants (the canonical form of `core.times`),
the query.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Final
from urllib.parse import quote, urlencode

from observability.core.times import format_instant

#: The API's prefix; routers mount under it.
API_PREFIX: Final = "/api/v1"

#: The UI's views as its router matches them (`{name}`: one path segment). The server
#: answers each with the app's page; the UI's own router (ui/src/routes.ts) reads the same
#: shapes, and the end-to-end run opens every `*_view` link below through it.
UI_VIEWS: Final = (
    "/",
    "/models/{model}",
    "/reports/{report_id}",
    "/logs",
    "/traces/{trace_id}",
    "/alerts",
)
#: Where the built UI's files (content-hashed names) are served.
UI_ASSETS: Final = "/assets"


def is_ui_path(path: str) -> bool:
    """Whether `path` is a UI view or one of its files: a shell that holds no data (every
    datum comes from the API), so it loads before a key is entered."""
    parts = path.split("/")
    if any(part in {".", ".."} for part in parts):
        return False
    if path.startswith(UI_ASSETS + "/"):
        return True
    for view in UI_VIEWS:
        shape = view.split("/")
        if len(shape) == len(parts) and all(
            want == got or (want.startswith("{") and got != "")
            for want, got in zip(shape, parts, strict=True)
        ):
            return True
    return False


def _segment(value: str) -> str:
    return quote(value, safe="")


def _range(since: datetime | None, until: datetime | None) -> dict[str, str]:
    return {
        "since": format_instant(since) if since else "",
        "until": format_instant(until) if until else "",
    }


@dataclass(frozen=True)
class Links:
    """URLs under `OBSERVABILITY_PUBLIC_URL` (default http://127.0.0.1:8000)."""

    public_url: str

    def _url(self, path: str, query: dict[str, str] | None = None) -> str:
        base = self.public_url.rstrip("/")
        params = {k: v for k, v in (query or {}).items() if v}
        return f"{base}{path}" + (f"?{urlencode(params)}" if params else "")

    # -- UI views ------------------------------------------------------------------------

    def model_view(
        self,
        model: str,
        since: datetime | None = None,
        until: datetime | None = None,
        report_id: str | None = None,
    ) -> str:
        """The model page for a range, with one window's report selected when given."""
        query = {**_range(since, until), "report": report_id or ""}
        return self._url(f"/models/{_segment(model)}", query)

    def report_view(self, report_id: str) -> str:
        """The report page: the Evidently HTML beside the window's per-feature rows."""
        return self._url(f"/reports/{_segment(report_id)}")

    def log_search(
        self, query: str = "", since: datetime | None = None, until: datetime | None = None
    ) -> str:
        """The log search page with its query and range filled in."""
        return self._url(
            "/logs",
            {"q": query, **_range(since, until)},
        )

    def trace_view(self, trace_id: str) -> str:
        """Every record of one trace."""
        return self._url(f"/traces/{_segment(trace_id)}")

    def alerts_view(self, fingerprint: str | None = None) -> str:
        """The alerts page, one alert selected when given."""
        return self._url("/alerts", {"alert": fingerprint or ""})

    # -- API routes ----------------------------------------------------------------------

    def api_model_drift(
        self, model: str, since: datetime | None = None, until: datetime | None = None
    ) -> str:
        """Per-window drift of a model over a range (JSON)."""
        return self._url(
            f"{API_PREFIX}/models/{_segment(model)}/drift",
            _range(since, until),
        )

    def api_report(self, report_id: str) -> str:
        """A report's JSON."""
        return self._url(f"{API_PREFIX}/reports/{_segment(report_id)}")

    def api_report_html(self, report_id: str) -> str:
        """A report's Evidently HTML."""
        return self._url(f"{API_PREFIX}/reports/{_segment(report_id)}/html")

    def api_report_quality_html(self, report_id: str) -> str:
        """A report's Evidently quality HTML (once labels had arrived)."""
        return self._url(f"{API_PREFIX}/reports/{_segment(report_id)}/html", {"variant": "quality"})

    def api_model_reports(self, model: str) -> str:
        """A model's reports, newest window first (JSON)."""
        return self._url(f"{API_PREFIX}/models/{_segment(model)}/reports")

    def api_model_performance(
        self, model: str, since: datetime | None = None, until: datetime | None = None
    ) -> str:
        """A model's accuracy or MAE per window, with the label delay (JSON)."""
        return self._url(f"{API_PREFIX}/models/{_segment(model)}/performance", _range(since, until))

    def api_search(
        self, query: str = "", since: datetime | None = None, until: datetime | None = None
    ) -> str:
        """The search API for a query and range."""
        return self._url(
            f"{API_PREFIX}/search",
            {"q": query, **_range(since, until)},
        )
