"""Each source against real data: failing SQL, a silent service, the pipeline's own health,
drift rows, and a source with no data at all."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import orjson
import pytest

from observability.alerting.config import parse_alerts
from observability.alerting.evaluator import AlertEvaluator
from observability.alerting.model import AlertState
from observability.core import keys
from observability.core.derived import DRIFT_METRICS
from observability.core.errors import Reason, Rejection
from observability.core.metrics import Metrics
from observability.core.schema import Kind
from observability.core.settings import Settings
from observability.query.duckdb import DuckDBEngine
from observability.runtime import Runtime
from observability.store.errors import ErrorWriter
from observability.store.local import LocalStore
from observability.worker.job import RunStatus
from observability.worker.runs import JobRun, save_run
from tests.alerting.conftest import T0, harness, log, minute, write


def _yaml(rules: list[dict[str, Any]], **route: Any) -> str:
    return orjson.dumps(
        {
            "groups": [{"name": "g", "interval": "1m", "rules": rules}],
            "route": {"receiver": "team", "group_by": ["alertname"], **route},
            "receivers": [{"name": "team", "memory": {}}, {"name": "ops", "memory": {}}],
            "pipeline_receiver": "ops",
        }
    ).decode()


def test_a_rule_whose_sql_fails_raises_an_error_alert(tmp_path: Path) -> None:
    """A SQL text that fails when run (unknown column) gives the rule an `error` alert, sent
    to the pipeline receiver; the group's other rule is evaluated all the same."""
    text = _yaml(
        [
            {
                "name": "broken",
                "source": {
                    "sql": {
                        "query": "SELECT service, no_such_column AS value FROM logs "
                        "WHERE dt BETWEEN :start_dt AND :end_dt GROUP BY service"
                    }
                },
                "condition": {"op": ">", "threshold": 1},
            },
            {
                "name": "silent",
                "source": {"absent": {"service": "checkout", "within": "5m"}},
            },
        ]
    )
    settings = Settings.from_env(
        {}, store_url=(tmp_path / "store").as_uri(), state_dir=tmp_path / "state"
    )
    with Runtime(settings) as runtime:
        evaluator = AlertEvaluator.from_runtime(runtime, parse_alerts(text), holder="e1")
        first = evaluator.evaluate(minute(1))
        second = evaluator.evaluate(minute(2))
        ops = evaluator.dispatcher.notifiers["ops"]
    statuses = {rule.rule: rule.status for rule in first.rules}
    assert statuses == {"broken": "error", "silent": "ok"}
    (broken,) = [r for r in first.rules if r.rule == "broken"]
    assert broken.error is not None and "no_such_column" in broken.error
    assert [str(t).split(": ", 1)[1] for t in first.transitions] == [
        "inactive -> error",
        "inactive -> firing",
    ]
    assert [d.receiver for d in second.dispatch.deliveries] == ["ops", "team"]
    (sent,) = ops.delivered  # type: ignore[attr-defined]
    (alert,) = sent.alerts
    assert alert.state is AlertState.ERROR
    assert alert.labels["alertstate"] == "error" and alert.labels["alertname"] == "broken"
    assert "no_such_column" in str(alert.context["error"])


def test_a_service_that_stops_sending_raises_an_absent_alert(
    local_store: LocalStore, engine: DuckDBEngine
) -> None:
    """Silent for `within`, the service's absent alert fires and names its last record."""
    write(
        local_store,
        [log("checkout", minute(n) + timedelta(seconds=30), event=f"order {n}") for n in range(11)],
        Kind.LOG,
    )
    h = harness(
        local_store,
        engine,
        _yaml(
            [
                {
                    "name": "checkout-silent",
                    "source": {"absent": {"service": "checkout", "within": "15m"}},
                }
            ]
        ),
    )
    assert h.tick(20).transitions == []  # last record 9.5 minutes ago
    (fired,) = h.tick(26).transitions
    assert fired.after is AlertState.FIRING
    assert fired.record.value == pytest.approx(15.5 * 60)
    assert fired.record.threshold == 15 * 60
    last = fired.record.context["last_seen"]
    assert last["at"] == "2026-12-01T10:10:30.000000Z"
    assert last["record"]["event"] == "order 10"
    assert fired.record.annotations["summary"] == "no records from service checkout for 15m"
    assert fired.record.links["logs"].startswith("http://alerts.test/logs?q=service")
    h.tick(27)
    (sent,) = h.sent()
    assert sent.alerts[0].context["last_seen"]["record"]["event"] == "order 10"
    write(local_store, [log("checkout", minute(28))], Kind.LOG)
    (back,) = h.tick(29).transitions
    assert back.after is AlertState.RESOLVED


def test_records_refused_into_errors_per_hour(
    local_store: LocalStore, engine: DuckDBEngine
) -> None:
    """Rejections written to errors/ count per stage and reason, per hour of the window."""
    ErrorWriter(local_store, Metrics()).write(
        "transform",
        [Rejection(Reason.MALFORMED_JSON, "bad", b"{") for _ in range(6)],
    )
    h = harness(
        local_store,
        engine,
        _yaml(
            [
                {
                    "name": "refused",
                    "source": {"pipeline": {"check": "errors", "window": "2h"}},
                    "condition": {"op": ">=", "threshold": 3},
                }
            ]
        ),
    )
    now = datetime.now(UTC) + timedelta(minutes=1)
    result = h.evaluator.evaluate(now)  # type: ignore[union-attr]
    (fired,) = result.transitions
    assert fired.record.labels["stage"] == "transform"
    assert fired.record.labels["reason"] == "malformed_json"
    assert fired.record.value == 3.0  # 6 records over 2 hours
    assert fired.record.context["records"] == 6


def test_failed_job_runs(local_store: LocalStore, engine: DuckDBEngine) -> None:
    """A failed run in `job_runs` within the window fires, with its error."""
    started = minute(-10)
    for status, error in ((RunStatus.OK, None), (RunStatus.ERROR, "ValueError: bad window")):
        save_run(
            local_store,
            JobRun("drift", "fraud/w", f"r-{status}", status, started, started, 1.0, error, "w1"),
        )
    h = harness(
        local_store,
        engine,
        _yaml(
            [
                {
                    "name": "jobs-failing",
                    "source": {"pipeline": {"check": "failed_runs", "window": "1h"}},
                    "condition": {"op": ">", "threshold": 0},
                }
            ]
        ),
    )
    (fired,) = h.tick(0).transitions
    assert fired.record.labels["job"] == "drift"
    assert fired.record.value == 1.0
    assert fired.record.context["error"] == "ValueError: bad window"


def _drift_rows(
    store: LocalStore, model: str, start: datetime, features: dict[str, tuple[str, bool]]
) -> str:
    """One window of drift_metrics rows: feature -> (status, drifted)."""
    report = keys.report_id(model, start, start + timedelta(hours=1))
    rows = [
        {
            "window_start": start,
            "window_end": start + timedelta(hours=1),
            "feature": feature,
            "feature_type": "numeric",
            "method": "psi",
            "score": 0.4 if drifted else 0.01,
            "threshold": 0.2,
            "drifted": drifted,
            "n_reference": 5000,
            "n_current": 0 if status != "ok" else 2500,
            "status": status,
            "detail": "",
            "report_id": report,
            "computed_at": start + timedelta(hours=1, minutes=5),
        }
        for feature, (status, drifted) in features.items()
    ]
    store.put(keys.drift_metrics_key(report), DRIFT_METRICS.parquet(rows))
    return report


def test_drift_measures_read_only_drift_metrics(
    local_store: LocalStore, engine: DuckDBEngine
) -> None:
    """share_drifted, per-feature score and insufficient_data come from the latest window's
    drift_metrics rows (no raw rows read); a model without rows has no data."""
    features = {
        "amount": ("ok", True),
        "country": ("ok", False),
        "age": ("ok", False),
        "device": ("insufficient_data", False),
    }
    _drift_rows(
        local_store, "fraud", T0 - timedelta(hours=2), dict.fromkeys(features, ("ok", False))
    )
    latest = _drift_rows(local_store, "fraud", T0 - timedelta(hours=1), features)
    write(local_store, [log("checkout", minute(-5))], Kind.LOG)  # raw rows, never read here
    rules = [
        {
            "name": "share",
            "source": {"drift": {"model": "fraud"}},
            "condition": {"op": ">", "threshold": 0.3},
        },
        {
            "name": "scores",
            "source": {"drift": {"measure": "score"}},
            "condition": {"op": ">", "threshold": 0.2},
        },
        {
            "name": "short",
            "source": {"pipeline": {"check": "insufficient_data"}},
            "condition": {"op": ">", "threshold": 0},
        },
        {
            "name": "other-model",
            "source": {"drift": {"model": "price"}},
            "condition": {"op": ">", "threshold": 0.3},
        },
    ]
    h = harness(local_store, engine, _yaml(rules))
    result = h.tick(0)
    fired = {(t.record.rule, t.record.labels.get("feature", "")): t for t in result.transitions}
    assert set(fired) == {("share", ""), ("scores", "amount"), ("short", ""), ("other-model", "")}
    share = fired[("share", "")].record
    assert share.value == pytest.approx(1 / 3)
    assert share.context["report_id"] == latest
    assert [f["feature"] for f in share.context["drifted_features"]] == ["amount"]
    assert fired[("short", "")].record.context["insufficient_features"] == ["device"]
    assert fired[("other-model", "")].after is AlertState.NODATA
    for rule in result.rules:
        if rule.rule in ("share", "scores", "short"):
            assert rule.read_prefixes == (keys.DRIFT_METRICS,)
    scanned = {rule.rule: rule.bytes_scanned for rule in result.rules}
    drift_bytes = sum(
        (local_store.root / k).stat().st_size for k in local_store.list(keys.DRIFT_METRICS)
    )
    assert 0 < scanned["share"] <= drift_bytes


def test_a_critical_alert_inhibits_the_warning_on_the_same_model(
    local_store: LocalStore, engine: DuckDBEngine
) -> None:
    """Both drift rules fire for the model; only the critical one is notified."""
    _drift_rows(local_store, "fraud", T0 - timedelta(hours=1), {"a": ("ok", True)})
    rules = [
        {
            "name": f"drift-{severity}",
            "source": {"drift": {"model": "fraud"}},
            "condition": {"op": ">", "threshold": threshold},
            "severity": severity,
        }
        for severity, threshold in (("warning", 0.2), ("critical", 0.5))
    ]
    h = harness(local_store, engine, _yaml(rules))
    assert len(h.tick(0).transitions) == 2
    result = h.tick(1)
    (sent,) = h.sent()
    assert [a.labels["alertname"] for a in sent.alerts] == ["drift-critical"]
    (muted,) = result.dispatch.muted
    assert muted.reason.startswith("inhibited by drift-critical")


def test_a_source_with_no_data_raises_a_nodata_alert_to_the_pipeline_receiver(
    local_store: LocalStore, engine: DuckDBEngine
) -> None:
    """No rows at all (no_data: nodata, the default): the rule's nodata alert, sent to ops;
    resolved once rows come back."""
    query = (
        "SELECT service, count(*) AS value FROM logs WHERE dt BETWEEN :start_dt AND :end_dt "
        "AND timestamp >= :start AND timestamp < :end GROUP BY service"
    )
    rules = [
        {
            "name": "traffic",
            "source": {"sql": {"query": query, "window": "5m"}},
            "condition": {"op": "<", "threshold": 1},
        }
    ]
    h = harness(local_store, engine, _yaml(rules))
    (nodata,) = h.tick(0).transitions
    assert nodata.after is AlertState.NODATA
    assert nodata.record.labels["alertstate"] == "nodata"
    h.tick(1)
    (sent,) = h.sent("ops")
    assert sent.alerts[0].state is AlertState.NODATA and h.sent() == ()
    write(local_store, [log("checkout", minute(1) + timedelta(seconds=10))], Kind.LOG)
    (back,) = h.tick(2).transitions
    assert back.after is AlertState.RESOLVED and back.record.labels["alertstate"] == "nodata"
