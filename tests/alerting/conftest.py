"""Alerting fixtures: records written in the collector's layout, a real DuckDB engine over
the store, memory receivers, and an evaluator driven minute by minute."""

from __future__ import annotations

import itertools
from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import orjson
import pytest
from prometheus_client import CollectorRegistry

from observability.alerting.channels.memory import MemoryNotifier
from observability.alerting.config import AlertsConfig, parse_alerts
from observability.alerting.evaluator import AlertEvaluator, EvalResult
from observability.alerting.model import Notification
from observability.core.links import Links
from observability.core.metrics import Metrics
from observability.core.schema import Kind
from observability.query.base import QueryEngine
from observability.query.duckdb import DuckDBEngine
from observability.store.base import ObjectStore
from observability.store.files import encode_ndjson_gz, new_filename
from observability.store.local import LocalStore
from observability.transform.lines import transform_line

T0 = datetime(2026, 12, 1, 10, 0, tzinfo=UTC)
PUBLIC_URL = "http://alerts.test"
_IDS = itertools.count()

#: Errors of a service in the last minute: one alert per service that had any.
ERRORS_SQL = (
    "SELECT service, count(*) AS value FROM logs WHERE level = 'error' "
    "AND dt BETWEEN :start_dt AND :end_dt AND timestamp >= :start AND timestamp < :end "
    "GROUP BY service"
)


def minute(n: int) -> datetime:
    """T0 plus n minutes."""
    return T0 + timedelta(minutes=n)


def log(
    service: str,
    at: datetime,
    *,
    level: str = "info",
    event: str = "request handled",
    **fields: Any,
) -> dict[str, Any]:
    """A log record; extra keyword fields go to its attributes (trace_id is a field)."""
    record: dict[str, Any] = {
        "kind": "log",
        "timestamp": at.isoformat(),
        "service": service,
        "level": level,
        "event": event,
        "record_id": f"log-{next(_IDS)}",
    }
    if "trace_id" in fields:
        record["trace_id"] = fields.pop("trace_id")
    if fields:
        record["attributes"] = fields
    return record


def write(store: ObjectStore, records: Iterable[Mapping[str, Any]], kind: Kind) -> None:
    """Write records through the transform, one file per partition, as the collector does."""
    groups: dict[Any, list[bytes]] = defaultdict(list)
    ingested = datetime.now(UTC).isoformat()
    for record in records:
        accepted = transform_line(orjson.dumps(dict(record)), kind, ingested)
        groups[accepted.partition].append(accepted.line)
    for partition, lines in groups.items():
        store.put(partition.object_key(new_filename()), encode_ndjson_gz(lines))


def errors_rule_yaml(**rule: Any) -> str:
    """alerts.yaml with one rule over ERRORS_SQL (options override its keys) and routes
    to the memory receivers `team` and `ops` (the pipeline receiver)."""
    body: dict[str, Any] = {
        "name": "errors",
        "source": {"sql": {"query": ERRORS_SQL, "window": "1m"}},
        "condition": {"op": ">", "threshold": 0},
        "no_data": "ok",
        "annotations": {"summary": "{{ $labels.service }}: {{ $value }} errors"},
    }
    body.update(rule)
    route = {
        "receiver": "team",
        "group_by": ["alertname", "service"],
        "group_wait": "1m",
        "group_interval": "5m",
        "repeat_interval": "30m",
    }
    document = {
        "groups": [{"name": "app", "interval": "1m", "rules": [body]}],
        "route": route,
        "receivers": [{"name": "team", "memory": {}}, {"name": "ops", "memory": {}}],
        "pipeline_receiver": "ops",
    }
    return orjson.dumps(document).decode()  # JSON is YAML


@dataclass
class Harness:
    """An evaluator over one store with memory receivers; `tick(n)` evaluates at minute n."""

    store: ObjectStore
    config: AlertsConfig
    engine: QueryEngine
    holder: str = "evaluator-1"
    notifiers: dict[str, MemoryNotifier] = field(default_factory=dict)
    metrics: Metrics = field(default_factory=lambda: Metrics(CollectorRegistry()))
    evaluator: AlertEvaluator | None = None

    def __post_init__(self) -> None:
        if not self.notifiers:
            self.notifiers = {name: MemoryNotifier(name) for name in self.config.receivers}
        self.evaluator = AlertEvaluator(
            self.config,
            self.store,
            engine=lambda: self.engine,
            notifiers=self.notifiers,
            links=Links(PUBLIC_URL),
            holder=self.holder,
            metrics=self.metrics,
        )

    def tick(self, n: int, **options: Any) -> EvalResult:
        """One evaluation pass at minute n."""
        assert self.evaluator is not None
        return self.evaluator.evaluate(minute(n), **options)

    def gauge(self, state: str) -> float | None:
        """`observability_alerts{state}` after the last pass."""
        return self.metrics.registry.get_sample_value("observability_alerts", {"state": state})

    def sent(self, receiver: str = "team") -> tuple[Notification, ...]:
        """What a receiver got so far."""
        return self.notifiers[receiver].delivered


@pytest.fixture
def local_store(tmp_path: Any) -> LocalStore:
    """An empty local store."""
    return LocalStore(tmp_path / "store", fsync=False)


@pytest.fixture
def engine(local_store: LocalStore) -> Iterable[DuckDBEngine]:
    """DuckDB over the local store."""
    duck = DuckDBEngine(local_store)
    yield duck
    duck.close()


def harness(store: ObjectStore, engine: QueryEngine, text: str, **options: Any) -> Harness:
    """A harness for alerts.yaml text."""
    return Harness(store, parse_alerts(text, "alerts.yaml"), engine, **options)
