"""Alerts that explain themselves: the evidence a person needs, gathered when an alert fires.

- a drift alert: its window's drifted features with score, threshold and row counts (from
  `drift_metrics`, in the source's evidence already), the report's location, the model's
  accuracy (or MAE) over the window when labels exist (the `accuracy` named query), the
  services that called the model then and their error rate (the `error-rate` named query),
  and a log search of the window by model and model version;
- an error-rate alert: the service's top error events (the `top-errors` named query), each
  with sample trace ids, and a search for the window's errors;
- an absent alert: the last record seen and when (from its source), and a search for it.
Every alert links to its view on the alerts page, and to its runbook. This runs only on
the transition to firing (it reads records, which the rules themselves never do); a part
that fails is named in `explanation_error` and never keeps the alert from firing.
"""

# ruff: noqa: S608 - SQL here is module constants; every value is bound by the engine

from __future__ import annotations

import functools
import math
import threading
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any, Final

from observability.alerting.config import Rule
from observability.alerting.rules import AlertRecord
from observability.alerting.sources import AbsentSource, DriftSource, SqlSource
from observability.alerting.tabular import window_params
from observability.core.errors import ObservabilityError
from observability.core.links import Links
from observability.core.times import format_instant
from observability.query.base import QueryEngine, QueryResult
from observability.query.library import ACCURACY, ERROR_RATE, TOP_ERRORS

#: Top error events an error-rate alert carries, and trace ids per event.
TOP_EVENTS: Final = 5
SAMPLE_TRACES: Final = 3
#: The search field of a log attribute (the search language of `search/model.py`).
MODEL_ATTRIBUTE: Final = "attributes.model"
MODEL_VERSION_ATTRIBUTE: Final = "attributes.model_version"
_CALLERS: Final = (
    "SELECT service, model_version, count(*) AS predictions FROM predictions "
    "WHERE model = :model AND dt BETWEEN :start_dt AND :end_dt "
    "AND timestamp >= :start AND timestamp < :end GROUP BY service, model_version"
)
#: Error events are the levels `error` and `critical`, as in the named queries.
_SAMPLE_TRACES: Final = (
    "SELECT event, trace_id FROM ("
    "SELECT event, trace_id, row_number() OVER (PARTITION BY event ORDER BY timestamp DESC) "
    "AS position FROM logs WHERE level IN ('error', 'critical') AND service = :service "
    "AND trace_id IS NOT NULL AND dt BETWEEN :start_dt AND :end_dt "
    "AND timestamp >= :start AND timestamp < :end) AS ranked "
    f"WHERE position <= {SAMPLE_TRACES}"
)
_ERROR_QUERY: Final = "(level:error OR level:critical)"


class Explainer:
    """Gathers evidence with the runtime's engine and links with the links module."""

    def __init__(self, engine: Callable[[], QueryEngine], links: Links) -> None:
        self._engine = engine
        self.links = links
        #: Bytes the explanations' queries read (records: they are the evidence).
        self.bytes_scanned = 0
        self._cache: dict[tuple[str, ...], tuple[dict[str, Any], dict[str, str]]] = {}
        self._lock = threading.Lock()

    def _tally(self, result: QueryResult) -> QueryResult:
        with self._lock:
            self.bytes_scanned += result.bytes_scanned or 0
        return result

    def begin_pass(self) -> None:
        """Forget the evidence of the last pass (it is shared within one pass only: every
        alert of a model's window, or of a service's window, has the same)."""
        self._cache.clear()

    def explain(
        self, rule: Rule, record: AlertRecord, window: tuple[datetime, datetime], now: datetime
    ) -> tuple[dict[str, Any], dict[str, str]]:
        """(context, links) to add to a firing alert."""
        links = {"alert": self.links.alerts_view(record.fingerprint)}
        if rule.runbook_url:
            links["runbook"] = rule.runbook_url
        context: dict[str, Any] = {}
        timeout = rule.timeout.total_seconds()
        source = rule.source
        try:
            if isinstance(source, DriftSource) or "report_id" in record.context:
                model = record.labels["model"]
                report = str(record.context["report_id"])
                start = _instant(record.context["window_start"])
                end = _instant(record.context["window_end"])
                key: tuple[str, ...] = ("drift", model, report)
                gather = functools.partial(self._drift, model, report, start, end, timeout)
            elif isinstance(source, SqlSource) and source.is_error_rate:
                service = record.labels.get("service", "")
                key = ("errors", service, *(t.isoformat() for t in window))
                gather = functools.partial(self._errors, service, *window, timeout)
            elif isinstance(source, AbsentSource):
                self._absent(source, record, now, links)
                return context, links
            else:
                return context, links
        except (KeyError, TypeError, ValueError) as exc:
            return {"explanation_error": _error(exc)}, links
        with self._lock:
            found = self._cache.get(key)
        if found is None:
            try:
                found = gather()
            except (ObservabilityError, KeyError, TypeError, ValueError) as exc:
                found = ({"explanation_error": _error(exc)}, {})
            with self._lock:
                self._cache[key] = found
        context.update(found[0])
        links.update(found[1])
        return context, links

    # --- drift ------------------------------------------------------------------------

    def _drift(
        self, model: str, report: str, start: datetime, end: datetime, timeout: float
    ) -> tuple[dict[str, Any], dict[str, str]]:
        links = {
            "report": self.links.report_view(report),
            "report_html": self.links.api_report_html(report),
            "model": self.links.model_view(model, start, end, report),
        }
        window = window_params(start, end)
        callers = self._tally(
            self._engine().execute(_CALLERS, {"model": model, **window}, timeout_seconds=timeout)
        )
        services: dict[str, int] = {}
        versions: dict[str, int] = {}
        for row in callers.to_dicts():
            if row["service"]:
                services[row["service"]] = services.get(row["service"], 0) + row["predictions"]
            if row["model_version"]:
                version = row["model_version"]
                versions[version] = versions.get(version, 0) + row["predictions"]
        query = log_query_for_model(model, sorted(versions))
        links["logs"] = self.links.log_search(query, start, end)
        context: dict[str, Any] = {
            "model_versions": sorted(versions),
            "callers": dict(sorted(services.items())),
            "log_query": query,
            "caller_error_rates": self._error_rates(sorted(services), start, end, timeout),
            **self._accuracy(model, start, end, timeout),
        }
        return context, links

    def _error_rates(
        self, services: list[str], start: datetime, end: datetime, timeout: float
    ) -> dict[str, float]:
        if not services:
            return {}
        result = self._tally(
            ERROR_RATE.run(
                self._engine(), {"start": start, "end": end}, now=end, timeout_seconds=timeout
            )
        )
        totals: dict[str, list[int]] = {name: [0, 0] for name in services}
        for row in result.to_dicts():
            if row["service"] in totals:
                totals[row["service"]][0] += int(row["errors"])
                totals[row["service"]][1] += int(row["records"])
        return {name: errors / records for name, (errors, records) in totals.items() if records}

    def _accuracy(
        self, model: str, start: datetime, end: datetime, timeout: float
    ) -> dict[str, Any]:
        result = self._tally(
            ACCURACY.run(
                self._engine(),
                {"model": model, "start": start, "end": end, "window_hours": 1},
                now=end,
                timeout_seconds=timeout,
            )
        )
        labelled = 0
        accuracy: list[tuple[float, int]] = []
        mae: list[tuple[float, int]] = []
        for row in result.to_dicts():
            count = int(row["labelled"] or 0)
            labelled += count
            if row["accuracy"] is not None and count:
                accuracy.append((float(row["accuracy"]), count))
            if row["mae"] is not None and count:
                mae.append((float(row["mae"]), count))
        found: dict[str, Any] = {"labelled": labelled}
        if accuracy:
            found["accuracy"] = _weighted(accuracy)
        if mae:
            found["mae"] = _weighted(mae)
        return found

    # --- error rate -------------------------------------------------------------------

    def _errors(
        self, service: str, start: datetime, end: datetime, timeout: float
    ) -> tuple[dict[str, Any], dict[str, str]]:
        if not service:
            return {}, {}
        query = f'service:"{service}" AND {_ERROR_QUERY}'
        links = {"logs": self.links.log_search(query, start, end)}
        top = self._tally(
            TOP_ERRORS.run(
                self._engine(),
                {"service": service, "start": start, "end": end, "limit": TOP_EVENTS},
                now=end,
                timeout_seconds=timeout,
            )
        )
        samples = self._tally(
            self._engine().execute(
                _SAMPLE_TRACES,
                {"service": service, **window_params(start, end)},
                timeout_seconds=timeout,
            )
        )
        traces: dict[str, list[str]] = {}
        for row in samples.to_dicts():
            traces.setdefault(row["event"], []).append(row["trace_id"])
        top_errors = [
            {
                "event": row["event"],
                "count": int(row["occurrences"]),
                "first_seen": _text(row["first_seen"]),
                "last_seen": _text(row["last_seen"]),
                "sample_trace_ids": sorted(traces.get(row["event"], [])),
            }
            for row in top.to_dicts()
        ]
        first = next((t for row in top_errors for t in row["sample_trace_ids"]), None)
        if first is not None:
            links["trace"] = self.links.trace_view(first)
        return {"top_errors": top_errors}, links

    # --- absent -----------------------------------------------------------------------

    def _absent(
        self, source: AbsentSource, record: AlertRecord, now: datetime, links: dict[str, str]
    ) -> None:
        seen = record.context.get("last_seen", {}).get("at")
        since = _instant(seen) - timedelta(hours=1) if seen else now - source.lookback
        if source.service is not None:
            links["logs"] = self.links.log_search(f'service:"{source.service}"', since, now)
        else:
            assert source.model is not None
            links["model"] = self.links.model_view(source.model, since, now)


def log_query_for_model(model: str, versions: list[str]) -> str:
    """The search for a model's logs (by its log attributes), of these versions if known."""
    query = f'{MODEL_ATTRIBUTE}:"{_quoted(model)}"'
    if versions:
        alternatives = " OR ".join(f'{MODEL_VERSION_ATTRIBUTE}:"{_quoted(v)}"' for v in versions)
        query += f" AND ({alternatives})" if len(versions) > 1 else f" AND {alternatives}"
    return query


def _quoted(value: str) -> str:
    """A phrase body: the search language has no escapes, so a quote cannot be searched."""
    if '"' in value:
        raise ValueError(f"{value!r:.60} cannot be searched (it holds a double quote)")
    return value


def _error(exc: Exception) -> str:
    return f"{type(exc).__name__}: {exc}"[:500]


def _weighted(pairs: list[tuple[float, int]]) -> float:
    total = sum(count for _, count in pairs)
    return math.fsum(value * count for value, count in pairs) / total


def _instant(value: object) -> datetime:
    moment = datetime.fromisoformat(str(value))
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment


def _text(value: object) -> object:
    if isinstance(value, datetime):
        return format_instant(value)
    return value
