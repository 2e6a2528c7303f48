"""Runs a rule's source once: the label sets it returns, each with its value and evidence.

One `Observer` serves one evaluation pass at one `now`: rules over the same model share one
read of `drift_metrics`. The package's own SQL (named queries, the drift and absence
queries below) runs on the runtime's engine with the rule's time-out; a SQL text from
alerts.yaml runs on the engine for user SQL (a capped query process on DuckDB).
`observe_all` runs a group's sources a few at a time; a source that fails is the rule's
`Observed.error` (the evaluator raises the rule's `error` alert), never an exception.
"""

# ruff: noqa: S608 - SQL here is module constants; every value is bound by the engine

from __future__ import annotations

import functools
import logging
import threading
import time
from collections import defaultdict
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any, Final

import orjson

from observability.alerting.config import Rule
from observability.alerting.drift_rows import DriftRow, drift_context, latest_windows, read_drift
from observability.alerting.rules import Sample
from observability.alerting.sources import (
    AbsentSource,
    DriftSource,
    PipelineSource,
    SqlSource,
)
from observability.alerting.tabular import (
    SourceError,
    aware,
    jsonable,
    reduce_rows,
    window_params,
)
from observability.core import keys
from observability.core.times import format_instant
from observability.query.base import QueryEngine
from observability.query.library import NAMED
from observability.query.sql import parse
from observability.store.base import ObjectStore
from observability.store.files import decode_lines

log = logging.getLogger(__name__)

#: Rules whose sources run at once (DuckDB queries release the GIL; user SQL waits on its
#: query process).
OBSERVE_THREADS: Final = 4
#: Rows one SQL source may return.
MAX_ROWS: Final = 10_000
_WINDOW: Final = "dt BETWEEN :start_dt AND :end_dt AND timestamp >= :start AND timestamp < :end"
#: (table, key column, the last record's columns) of an absence check.
_ABSENT: Final = {
    "service": ("logs", "service", "timestamp, level, event, trace_id, record_id"),
    "model": (
        "predictions",
        "model",
        "timestamp, model_version, service, prediction_id, record_id",
    ),
}
_FAILED_RUNS: Final = (
    "SELECT job, count(*) AS failed, max(finished_at) AS last_failed_at, "
    "max_by(error, finished_at) AS last_error FROM job_runs "
    "WHERE status = 'error' AND dt BETWEEN :start_dt AND :end_dt "
    "AND started_at >= :start AND started_at < :end{job} GROUP BY job"
)


@dataclass(slots=True)
class Observation:
    """What one source returned for one rule."""

    samples: list[Sample]
    #: [start, end) the source looked at (explanations search the same window).
    window: tuple[datetime, datetime]
    #: Sources whose empty answer means "all is well" (no errors, no failed runs).
    empty_is_ok: bool = False
    bytes_scanned: int = 0
    #: Store prefixes of the files read (what the benchmark reports).
    read_prefixes: set[str] = field(default_factory=set)


class Observer:
    """The sources of one evaluation pass at `now`."""

    def __init__(
        self,
        store: ObjectStore,
        engine: Callable[[], QueryEngine],
        user_engine: Callable[[], QueryEngine],
        now: datetime,
    ) -> None:
        self.store = store
        self._engine = engine
        self._user_engine = user_engine
        self.now = now.astimezone(UTC)
        self._drift: dict[tuple[str | None, timedelta], tuple[list[DriftRow], int]] = {}
        self._lock = threading.Lock()

    def observe(self, rule: Rule) -> Observation:
        """Run the rule's source; raises on any failure."""
        source = rule.source
        if isinstance(source, DriftSource):
            return self._drift_source(rule, source)
        if isinstance(source, SqlSource):
            return self._sql_source(rule, source)
        if isinstance(source, AbsentSource):
            return self._absent_source(rule, source)
        return self._pipeline_source(rule, source)

    # --- drift -----------------------------------------------------------------------

    def drift_windows(
        self, model: str | None, lookback: timedelta, timeout: float
    ) -> tuple[dict[str, list[DriftRow]], int]:
        """Each model's latest window that ended within `lookback`: its rows; bytes read."""
        with self._lock:  # rules run a few at a time: one read per model and lookback
            cached = self._drift.get((model, lookback))
            if cached is None:
                cached = read_drift(self._engine(), model, lookback, self.now, timeout)
                self._drift[(model, lookback)] = cached
        rows, scanned = cached
        return latest_windows(rows), scanned

    def _drift_source(self, rule: Rule, source: DriftSource) -> Observation:
        latest, scanned = self.drift_windows(
            source.model, source.lookback, rule.timeout.total_seconds()
        )
        samples = []
        for model, rows in sorted(latest.items()):
            context = drift_context(rows)
            scored = [row for row in rows if row.status == "ok" and row.score is not None]
            if source.measure == "score":
                for row in scored:
                    if source.feature is None or row.feature == source.feature:
                        labels = {"model": model, "feature": row.feature}
                        samples.append(_sample(rule, labels, row.score, context))
                continue
            if not scored:
                continue  # the window had no data to score: no value
            drifted = sum(1 for row in scored if row.drifted)
            value = drifted / len(scored) if source.measure == "share_drifted" else drifted
            samples.append(_sample(rule, {"model": model}, float(value), context))
        window = (self.now - source.lookback, self.now)
        return Observation(
            samples, window, bytes_scanned=scanned, read_prefixes={keys.DRIFT_METRICS}
        )

    # --- sql -------------------------------------------------------------------------

    def _sql_source(self, rule: Rule, source: SqlSource) -> Observation:
        start, end = self.now - source.window, self.now
        timeout = rule.timeout.total_seconds()
        if source.named is not None:
            query = NAMED[source.named]
            raw = {**source.params, "start": start, "end": end}
            result = query.run(
                self._engine(), raw, now=self.now, timeout_seconds=timeout, max_rows=MAX_ROWS
            )
        else:
            assert source.query is not None
            values = {**window_params(start, end), **source.params}
            wanted = set(parse(source.query).params)
            result = self._user_engine().execute(
                source.query,
                {name: values[name] for name in wanted if name in values},
                timeout_seconds=timeout,
                max_rows=MAX_ROWS,
            )
        if result.truncated:
            raise SourceError(f"the query returned more than {MAX_ROWS} rows")
        samples = [
            _sample(rule, labels, value, {})
            for labels, value in reduce_rows(result, source.value, source.labels, source.reduce)
        ]
        return Observation(samples, (start, end), bytes_scanned=result.bytes_scanned or 0)

    # --- absent ----------------------------------------------------------------------

    def _absent_source(self, rule: Rule, source: AbsentSource) -> Observation:
        kind, name = source.label
        table, column, fields = _ABSENT[kind]
        timeout = rule.timeout.total_seconds()
        recent_start = self.now - source.within
        where = f"{column} = :name AND {_WINDOW}"
        recent = self._engine().execute(
            f"SELECT count(*) AS n, max(timestamp) AS last_seen FROM {table} WHERE {where}",
            {"name": name, **window_params(recent_start, self.now)},
            timeout_seconds=timeout,
        )
        scanned = recent.bytes_scanned or 0
        count, last_seen = recent.rows[0] if recent.rows else (0, None)
        record: dict[str, Any] | None = None
        if not count:
            last = self._engine().execute(
                f"SELECT {fields} FROM {table} WHERE {where} ORDER BY timestamp DESC LIMIT 1",
                {"name": name, **window_params(self.now - source.lookback, recent_start)},
                timeout_seconds=timeout,
            )
            scanned += last.bytes_scanned or 0
            rows = last.to_dicts()
            if rows:
                record = {k: jsonable(v) for k, v in rows[0].items()}
                last_seen = rows[0]["timestamp"]
        seen_at = None if last_seen is None else aware(last_seen)
        age = None if seen_at is None else max(0.0, (self.now - seen_at).total_seconds())
        breached = age is None or age >= source.within.total_seconds()
        context: dict[str, Any] = {
            "last_seen": {
                "at": None if seen_at is None else format_instant(seen_at),
                "record": record,
                "looked_back": format_instant(self.now - source.lookback),
            }
        }
        sample = Sample(_labels(rule, {kind: name}), age, breached, context)
        return Observation([sample], (self.now - source.lookback, self.now), bytes_scanned=scanned)

    # --- pipeline --------------------------------------------------------------------

    def _pipeline_source(self, rule: Rule, source: PipelineSource) -> Observation:
        start, end = self.now - source.window, self.now
        if source.check == "errors":
            counts = count_errors(self.store, source.stage, start, end)
            hours = source.window.total_seconds() / 3600
            samples = [
                _sample(rule, {"stage": stage, "reason": reason}, count / hours, {"records": count})
                for (stage, reason), count in sorted(counts.items())
            ]
            return Observation(samples, (start, end), empty_is_ok=True)
        if source.check == "failed_runs":
            params = window_params(start, end)
            job = ""
            if source.job is not None:
                params["job"], job = source.job, " AND job = :job"
            result = self._engine().execute(
                _FAILED_RUNS.format(job=job), params, timeout_seconds=rule.timeout.total_seconds()
            )
            samples = [
                _sample(
                    rule,
                    {"job": str(row["job"])},
                    float(row["failed"]),
                    {
                        "last_failed_at": jsonable(row["last_failed_at"]),
                        "error": row["last_error"],
                    },
                )
                for row in result.to_dicts()
            ]
            return Observation(samples, (start, end), True, result.bytes_scanned or 0)
        latest, scanned = self.drift_windows(
            source.model, source.window, rule.timeout.total_seconds()
        )
        samples = []
        for model, rows in sorted(latest.items()):
            short = [row for row in rows if row.status == "insufficient_data"]
            context = {**drift_context(rows), "insufficient_features": [r.feature for r in short]}
            samples.append(_sample(rule, {"model": model}, float(len(short)), context))
        return Observation(samples, (start, end), True, scanned, {keys.DRIFT_METRICS})


@dataclass(frozen=True, slots=True)
class Observed:
    """A rule's source, run: what it returned, or why it failed, and how long it took."""

    rule: Rule
    observation: Observation | None
    error: str | None
    seconds: float


def observe_all(observer: Observer, rules: Sequence[Rule]) -> list[Observed]:
    """Run the rules' sources a few at a time (user SQL runs in processes of its own, the
    engine's queries wait on files), in the rules' order."""
    if len(rules) <= 1:
        return [observe(observer, rule) for rule in rules]
    workers = min(OBSERVE_THREADS, len(rules))
    with ThreadPoolExecutor(workers, thread_name_prefix="alerts-observe") as pool:
        return list(pool.map(functools.partial(observe, observer), rules))


def observe(observer: Observer, rule: Rule) -> Observed:
    """Run one rule's source; a failure is the rule's error, never an exception."""
    started = time.perf_counter()
    try:
        observation = observer.observe(rule)
    except Exception as exc:  # noqa: BLE001 - a failing rule becomes its error alert
        error = f"{type(exc).__name__}: {exc}"[:2000]
        log.warning("alerts: rule %s failed: %s", rule.name, error)
        return Observed(rule, None, error, time.perf_counter() - started)
    return Observed(rule, observation, None, time.perf_counter() - started)


def count_errors(
    store: ObjectStore, stage: str | None, start: datetime, end: datetime
) -> dict[tuple[str, str], int]:
    """Records refused into `errors/` (per stage and reason) received in [start, end)."""
    days = {keys.day(start + timedelta(days=n)) for n in range((end - start).days + 2)}
    counts: dict[tuple[str, str], int] = defaultdict(int)
    for key in store.list(keys.errors_prefix(stage)):
        parts = key[len(keys.ERRORS) :].split("/")
        if len(parts) != 4 or parts[2].removeprefix("dt=") not in days:
            continue
        try:
            data = store.get(key)
        except KeyError:
            continue
        for line in decode_lines(data):
            try:
                received = datetime.fromisoformat(orjson.loads(line)["received_at"])
            except (orjson.JSONDecodeError, KeyError, TypeError, ValueError):
                continue
            if start <= aware(received) < end:
                counts[(parts[0], parts[1])] += 1
    return dict(counts)


def _sample(
    rule: Rule, labels: Mapping[str, str], value: float | None, context: Mapping[str, Any]
) -> Sample:
    breached = value is not None and rule.condition is not None and rule.condition.holds(value)
    return Sample(_labels(rule, labels), value, breached, context)


def _labels(rule: Rule, source_labels: Mapping[str, str]) -> dict[str, str]:
    """Source labels, then the rule's (they win, as in Prometheus), then name and severity."""
    return {**source_labels, **rule.labels, "alertname": rule.name, "severity": rule.severity.value}
