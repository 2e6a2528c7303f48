"""The fence around Evidently 0.7: build its reports, read its snapshot into our dataclasses.

Evidently's API moves fast; nothing outside this module (and the benchmark) imports it.
Reports run on a bounded random sample per side (`report_sample_rows`, default 10,000):
the HTML and snapshot show distributions and summaries, while the verdicts we store come
from `stats`, computed on every row.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import Any, Final

import pandas as pd  # type: ignore[import-untyped,unused-ignore]
from evidently import (  # type: ignore[import-untyped,unused-ignore]
    BinaryClassification,
    DataDefinition,
    Dataset,
    MulticlassClassification,
    Regression,
    Report,
)
from evidently.presets import (  # type: ignore[import-untyped,unused-ignore]
    ClassificationPreset,
    DataDriftPreset,
    DataSummaryPreset,
    RegressionPreset,
)

from observability.analyze.results import EvidentlyColumn, EvidentlyReport
from observability.analyze.stats import FeatureType, Method

#: What Evidently raises on data it cannot report (an all-null sampled column, a label type
#: its metrics refuse); the job records these as notes of the run instead of failing.
REPORT_ERRORS: Final = (ValueError, TypeError, KeyError)


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
    columns = list(features)
    definition = _definition(features)
    preset = DataDriftPreset(
        columns=columns,
        per_column_method={k: v.value for k, v in methods.items() if k in features} or None,
        per_column_threshold={k: v for k, v in thresholds.items() if k in features} or None,
    )
    report = Report([preset, DataSummaryPreset(columns=columns)], include_tests=True)
    snapshot = report.run(
        Dataset.from_pandas(current[columns], data_definition=definition),
        Dataset.from_pandas(reference[columns], data_definition=definition),
    )
    return _read(snapshot.json(), snapshot.get_html_str(as_iframe=False), len(current))


def quality_report(
    labelled: pd.DataFrame, task: str, target: str, prediction: str
) -> EvidentlyReport:
    """Classification or regression quality on the window's rows that have a label."""
    frame = labelled[[target, prediction]].copy()
    if task == "regression":
        frame = frame.astype("float64")
        definition = DataDefinition(
            numerical_columns=[target, prediction],
            regression=[Regression(target=target, prediction=prediction)],
        )
        preset: Any = RegressionPreset()
    else:
        frame = frame.astype(str)
        classes = sorted(set(frame[target]) | set(frame[prediction]))
        task_definition: Any = (
            BinaryClassification(target=target, prediction_labels=prediction, pos_label=classes[-1])
            if len(classes) <= 2
            else MulticlassClassification(target=target, prediction_labels=prediction)
        )
        definition = DataDefinition(
            categorical_columns=[target, prediction], classification=[task_definition]
        )
        preset = ClassificationPreset()
    snapshot = Report([preset]).run(Dataset.from_pandas(frame, data_definition=definition), None)
    return _read(snapshot.json(), snapshot.get_html_str(as_iframe=False), len(frame))


def _definition(features: Mapping[str, FeatureType]) -> DataDefinition:
    return DataDefinition(
        numerical_columns=[k for k, v in features.items() if v is FeatureType.NUMERIC],
        categorical_columns=[k for k, v in features.items() if v is FeatureType.CATEGORICAL],
    )


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
    "quality_report",
    "sample",
)
