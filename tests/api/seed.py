"""A store seeded as the pipeline leaves it: drift windows, reports, logs, predictions with
labels, sketches and job runs, each written by the module that owns its format."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import orjson

from observability.alerting.history import Transition, write_transitions
from observability.alerting.model import AlertState
from observability.alerting.rules import AlertRecord
from observability.alerting.state import StateStore
from observability.core import keys
from observability.core.derived import DRIFT_METRICS
from observability.core.partitioning import Partition
from observability.core.schema import Kind
from observability.store.base import ObjectStore
from observability.store.files import encode_ndjson_gz, new_filename
from observability.transform.lines import transform_line
from observability.worker.job import RunStatus
from observability.worker.runs import JobRun, save_run

MODEL = "fraud"
FEATURES = ("amount", "age", "country")
#: A day of hourly windows, ending at this instant.
END = datetime(2026, 11, 2, tzinfo=UTC)
HTML = b"<!DOCTYPE html><html><body><script>window.report = 1;</script>drift</body></html>"


def drift_window(
    store: ObjectStore,
    model: str,
    start: datetime,
    end: datetime,
    scores: Mapping[str, float],
    *,
    threshold: float = 0.1,
    status: str = "ok",
) -> str:
    """One window's `drift_metrics` rows as the drift job writes them; its report id."""
    report = keys.report_id(model, start, end)
    rows = [
        {
            "window_start": start,
            "window_end": end,
            "feature": feature,
            "feature_type": "categorical" if feature == "country" else "numeric",
            "method": "psi",
            "score": score if status == "ok" else None,
            "threshold": threshold,
            "drifted": status == "ok" and score >= threshold,
            "n_reference": 5000,
            "n_current": 2500 if status == "ok" else 0,
            "status": status,
            "detail": "",
            "report_id": report,
            "computed_at": end + timedelta(minutes=5),
        }
        for feature, score in scores.items()
    ]
    store.put(keys.drift_metrics_key(report), DRIFT_METRICS.parquet(rows))
    return report


def report_files(store: ObjectStore, report: str, *, quality: bool = False) -> None:
    """A report's stored Evidently JSON and HTML (a small stand-in with the real shape)."""
    document = {
        "metrics": [
            {
                "id": "m1",
                "metric_name": "MeanValue(column=amount)",
                "config": {"type": "evidently:metric_v2:MeanValue", "column": "amount"},
                "value": 12.5,
            },
            {
                "id": "m2",
                "metric_name": "UniqueValueCount(column=country)",
                "config": {"type": "evidently:metric_v2:UniqueValueCount", "column": "country"},
                "value": {"counts": {"de": 30.0, "fr": 70.0}, "shares": {"de": 0.3, "fr": 0.7}},
            },
        ],
        "tests": [],
    }
    store.put(keys.report_key(report, keys.REPORT_JSON), orjson.dumps(document))
    store.put(keys.report_key(report, keys.REPORT_HTML), HTML)
    if quality:
        store.put(keys.report_key(report, ".quality" + keys.REPORT_JSON), b'{"metrics": []}')
        store.put(keys.report_key(report, ".quality" + keys.REPORT_HTML), b"<html>quality</html>")


def day_of_windows(store: ObjectStore, model: str = MODEL, end: datetime = END) -> list[str]:
    """24 hourly windows before `end`; `amount` drifts from the 12th on; every 6th has a report."""
    reports = []
    for hour in range(24):
        start = end - timedelta(hours=24 - hour)
        scores = {"amount": 0.4 if hour >= 12 else 0.02, "age": 0.03, "country": 0.05}
        report = drift_window(store, model, start, start + timedelta(hours=1), scores)
        if hour % 6 == 0:
            report_files(store, report, quality=hour == 0)
        reports.append(report)
    return reports


def put_records(store: ObjectStore, kind: Kind, records: Iterable[Mapping[str, Any]]) -> None:
    """Records through the transform into their partitions, as the collector writes them."""
    groups: dict[Partition, list[bytes]] = defaultdict(list)
    ingested = datetime.now(UTC).isoformat()
    for record in records:
        accepted = transform_line(orjson.dumps(record), kind, ingested)
        groups[accepted.partition].append(accepted.line)
    for partition, lines in groups.items():
        store.put(partition.object_key(new_filename()), encode_ndjson_gz(lines))


def logs(store: ObjectStore, end: datetime = END) -> None:
    """Two services over the last hours before `end`: `api` has 1 error in 10, `batch` none."""
    records = []
    for i in range(200):
        service = "api" if i % 2 == 0 else "batch"
        records.append(
            {
                "timestamp": (end - timedelta(minutes=1 + i)).isoformat(),
                "service": service,
                "level": "error" if service == "api" and i % 20 == 0 else "info",
                "event": "request handled",
                "latency_ms": float(i % 100),
            }
        )
    put_records(store, Kind.LOG, records)


def predictions(
    store: ObjectStore, model: str, start: datetime, hours: int, per_hour: int
) -> list[str]:
    """Class predictions ("a" or "b") through each hour from `start`; their ids."""
    ids, records = [], []
    for hour in range(hours):
        for i in range(per_hour):
            pid = f"{model}-{hour}-{i}"
            ids.append(pid)
            records.append(
                {
                    "kind": "prediction",
                    "timestamp": (start + timedelta(hours=hour, seconds=i)).isoformat(),
                    "model": model,
                    "prediction_id": pid,
                    "features": {"amount": float(i % 10), "age": 30 + i % 5, "country": "de"},
                    "prediction": "a" if i % 2 == 0 else "b",
                }
            )
    put_records(store, Kind.PREDICTION, records)
    return ids


def labels(store: ObjectStore, model: str, truth: Mapping[str, str], at: datetime) -> None:
    """Labels for some predictions, all arriving at `at`."""
    put_records(
        store,
        Kind.LABEL,
        (
            {"kind": "label", "timestamp": at.isoformat(), "model": model, "prediction_id": pid}
            | {"label": label}
            for pid, label in truth.items()
        ),
    )


def job_runs(store: ObjectStore, end: datetime = END) -> list[JobRun]:
    """Five runs of two jobs in the hours before `end`, one of them failed."""
    runs = []
    for i in range(5):
        started = end - timedelta(hours=5 - i)
        run = JobRun(
            job="drift" if i % 2 == 0 else "compaction",
            target=f"target-{i}",
            run_id=f"{started:%Y%m%dT%H%M%S%f}-{i:012x}",
            status=RunStatus.ERROR if i == 3 else RunStatus.OK,
            started_at=started,
            finished_at=started + timedelta(seconds=2 + i),
            duration_seconds=2.0 + i,
            error="boom" if i == 3 else None,
            worker="test-worker",
        )
        save_run(store, run)
        runs.append(run)
    return runs


def alerts(store: ObjectStore, now: datetime = END) -> None:
    """A firing drift alert of MODEL, stored and with its two transitions recorded."""
    record = AlertRecord(
        rule="fraud-drift",
        rule_group="models",
        labels={"alertname": "fraud-drift", "model": MODEL, "severity": "warning"},
        state=AlertState.FIRING,
        annotations={"summary": "amount drifted"},
        value=0.4,
        threshold=0.1,
        active_since=now - timedelta(minutes=10),
        fired_at=now - timedelta(minutes=5),
    )
    StateStore(store).save(record, None)
    for minutes, (before, after) in (
        (10, (AlertState.INACTIVE, AlertState.PENDING)),
        (5, (AlertState.PENDING, AlertState.FIRING)),
    ):
        at = now - timedelta(minutes=minutes)
        write_transitions(store, [Transition(at, before, after, record)], "seed", at)


def models_file(path: Path, model: str = MODEL) -> Path:
    """A models.yaml with `model` watched hourly over FEATURES."""
    path.write_text(
        "models:\n"
        f"  - name: {model}\n"
        "    task: classification\n"
        "    window: 1h\n"
        "    reference: {path: reference.parquet}\n"
        "    features: {amount: numeric, age: numeric, country: categorical}\n",
        encoding="utf-8",
    )
    return path
