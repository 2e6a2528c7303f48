"""The fence around Evidently 0.7: build its reports, read its snapshot into our dataclasses.

Evidently's API moves fast; nothing outside `analyze/` (this module, the workspace export)
and the benchmark imports it. Each report keeps three forms: the plain metrics-and-tests
JSON, the standalone HTML, and Evidently's own snapshot (`Snapshot.dumps()`, which
`Snapshot.load` and an Evidently workspace read).
Reports run on a bounded random sample per side (`report_sample_rows`, default 10,000):
the HTML and snapshot show distributions and summaries, while the verdicts we store come
from `stats`, computed on every row.

Reports run inside `figure_memo.active()`: Evidently draws most of its figures several times
over, and drawing is most of a report's time.

Evidently takes seconds to import, so it is imported on first need, or ahead of it by
`preload()` in a background thread (a drift run starts it before loading its window; a
worker at start-up): once per process, never per run.
"""

from __future__ import annotations

import importlib
import json
import threading
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from typing import Any, Final

import pandas as pd  # type: ignore[import-untyped,unused-ignore]

from observability.analyze import figure_memo
from observability.analyze.methods import FeatureType, Method
from observability.analyze.results import EvidentlyColumn, EvidentlyReport

#: What Evidently raises on data it cannot report (an all-null sampled column, a label type
#: its metrics refuse); the job records these as notes of the run instead of failing.
REPORT_ERRORS: Final = (ValueError, TypeError, KeyError)
#: The modules our reports use; importing them is the warm-up.
_MODULES: Final = ("evidently", "evidently.presets", "evidently.core.report")
#: The import thread, once started (a list: module state without `global`).
_preloading: list[threading.Thread] = []
_preload_lock = threading.Lock()


def preload() -> None:
    """Start importing Evidently in a background thread, once per process."""
    with _preload_lock:
        if not _preloading:
            thread = threading.Thread(target=_import_all, name="evidently-import", daemon=True)
            _preloading.append(thread)
            thread.start()


def _import_all() -> None:
    for name in _MODULES:
        importlib.import_module(name)


def wait_for_preload() -> None:
    """Return once a preload under way has finished (at once when none was started)."""
    with _preload_lock:
        loading = list(_preloading)
    for thread in loading:
        thread.join()


def _evidently() -> tuple[Any, Any]:
    """(evidently, evidently.presets), after a preload under way (one importer at a time)."""
    wait_for_preload()
    _import_all()
    return importlib.import_module("evidently"), importlib.import_module("evidently.presets")


def sample(frame: pd.DataFrame, rows: int, seed: int) -> pd.DataFrame:
    """At most `rows` rows, drawn without replacement with a fixed seed (reproducible)."""
    if len(frame) <= rows:
        return frame
    return frame.sample(n=rows, random_state=seed)


def drift_report(
    reference: pd.DataFrame,
    current: pd.DataFrame,
    features: Mapping[str, FeatureType],
    methods: Mapping[str, Method],
    thresholds: Mapping[str, float],
) -> EvidentlyReport:
    """DataDriftPreset + DataSummaryPreset over `features` (both frames already sampled)."""
    evidently, presets = _evidently()
    columns = list(features)
    definition = _definition(evidently, features)
    preset = presets.DataDriftPreset(
        columns=columns,
        per_column_method={k: v.value for k, v in methods.items() if k in features} or None,
        per_column_threshold={k: v for k, v in thresholds.items() if k in features} or None,
    )
    report = evidently.Report(
        [preset, presets.DataSummaryPreset(columns=columns)], include_tests=True
    )
    with figure_memo.active():
        snapshot = report.run(
            evidently.Dataset.from_pandas(current[columns], data_definition=definition),
            evidently.Dataset.from_pandas(reference[columns], data_definition=definition),
        )
    return _rendered(snapshot, len(current))


def quality_report(
    labelled: pd.DataFrame, task: str, target: str, prediction: str
) -> EvidentlyReport:
    """Classification or regression quality on the window's rows that have a label."""
    evidently, presets = _evidently()
    frame = labelled[[target, prediction]].copy()
    if task == "regression":
        frame = frame.astype("float64")
        definition = evidently.DataDefinition(
            numerical_columns=[target, prediction],
            regression=[evidently.Regression(target=target, prediction=prediction)],
        )
        preset: Any = presets.RegressionPreset()
    else:
        frame = frame.astype(str)
        classes = sorted(set(frame[target]) | set(frame[prediction]))
        task_definition: Any = (
            evidently.BinaryClassification(
                target=target, prediction_labels=prediction, pos_label=classes[-1]
            )
            if len(classes) <= 2
            else evidently.MulticlassClassification(target=target, prediction_labels=prediction)
        )
        definition = evidently.DataDefinition(
            categorical_columns=[target, prediction], classification=[task_definition]
        )
        preset = presets.ClassificationPreset()
    dataset = evidently.Dataset.from_pandas(frame, data_definition=definition)
    with figure_memo.active():
        snapshot = evidently.Report([preset]).run(dataset, None)
    return _rendered(snapshot, len(frame))


def _definition(evidently: Any, features: Mapping[str, FeatureType]) -> Any:
    return evidently.DataDefinition(
        numerical_columns=[k for k, v in features.items() if v is FeatureType.NUMERIC],
        categorical_columns=[k for k, v in features.items() if v is FeatureType.CATEGORICAL],
    )


def _rendered(snapshot: Any, rows: int) -> EvidentlyReport:
    """The snapshot's three stored forms and what we read from it."""
    html = snapshot.get_html_str(as_iframe=False)
    report = _read(snapshot.json(), html, rows)
    report.evidently_snapshot = snapshot.dumps()
    return report


def _read(snapshot_json: str, html: str, rows: int) -> EvidentlyReport:
    """Per-column ValueDrift verdicts (from the bound tests) and scalar metric values."""
    document = json.loads(snapshot_json)
    failed = {
        test["metric_config"]["metric_id"]
        for test in document.get("tests", [])
        if test.get("status") == "FAIL" and "metric_config" in test
    }
    columns: list[EvidentlyColumn] = []
    values: dict[str, float] = {}
    for metric in document.get("metrics", []):
        config = metric.get("config", {})
        value = metric.get("value")
        if config.get("type") == "evidently:metric_v2:ValueDrift" and _is_number(value):
            columns.append(
                EvidentlyColumn(
                    column=str(config["column"]),
                    method=str(config.get("method")),
                    score=float(value),
                    threshold=_optional_float(config.get("threshold")),
                    drifted=metric["id"] in failed,
                )
            )
        elif _is_number(value):
            values[str(metric["metric_name"])] = float(value)
    return EvidentlyReport(snapshot_json, html, columns, values, rows)


def stamped(
    snapshot: str, *, name: str, timestamp: datetime, metadata: Mapping[str, str], tags: list[str]
) -> bytes:
    """Evidently's snapshot with our name, time, metadata and tags, as a workspace shows them.

    Evidently stamps a snapshot with the wall clock; a window's snapshot belongs at its
    window's start instead (naive UTC: Evidently's UI compares it with naive times).
    Its JSON may hold NaN, which Python's json reads and writes as Evidently does.
    """
    document = json.loads(snapshot)
    document["name"] = name
    document["timestamp"] = timestamp.astimezone(UTC).replace(tzinfo=None).isoformat()
    document["metadata"] = dict(metadata)
    document["tags"] = list(tags)
    return json.dumps(document).encode()


def evidently_verdicts(report: EvidentlyReport) -> dict[str, bool]:
    """Column -> drifted, as Evidently decided (the benchmark's agreement check)."""
    return {c.column: c.drifted for c in report.columns}


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _optional_float(value: Any) -> float | None:
    return float(value) if _is_number(value) else None


__all__: Sequence[str] = (
    "REPORT_ERRORS",
    "drift_report",
    "evidently_verdicts",
    "preload",
    "quality_report",
    "sample",
    "stamped",
    "wait_for_preload",
)
