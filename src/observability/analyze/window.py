"""One window against its reference, from frames: every feature's outcome, never a crash.

The verdicts come from `stats` on all rows. Evidently's report runs on a bounded sample of
the features that could be compared. Edge cases become statuses on the rows that alerting
reads: an empty window (`no_data`), too few rows (`insufficient_data`), a column with no
finite value (`empty_column`), a configured feature missing on one side, a feature the
window has that the model does not configure (`new_feature`).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime
from typing import Final

import numpy as np
import pandas as pd  # type: ignore[import-untyped,unused-ignore]

from observability.analyze import evidently_adapter
from observability.analyze.config import ModelConfig
from observability.analyze.methods import FeatureType
from observability.analyze.results import DriftResult, EvidentlyReport, FeatureDrift, Status
from observability.analyze.stats import clean, compute, encode, value_counts

#: Seed of the report sample: the same window always shows the same sample.
SAMPLE_SEED: Final = 20261123
#: How many unseen categories a row's detail names before it only counts them.
_NAMED_CATEGORIES: Final = 5

Progress = Callable[[str], None]


def analyze_frames(
    model: ModelConfig,
    window_start: datetime,
    window_end: datetime,
    current: pd.DataFrame,
    reference: pd.DataFrame,
    *,
    extra_features: Iterable[str] = (),
    with_report: bool = True,
    progress: Progress | None = None,
    on_verdicts: Callable[[DriftResult], None] | None = None,
) -> DriftResult:
    """Compare `current` to `reference` for `model`'s features; Evidently only if `with_report`.

    `on_verdicts` gets the result once every feature has its verdict, before Evidently's
    reports are awaited: the job stores verdicts first, so alerting need not wait for them.
    """
    step = progress or (lambda _message: None)
    verdicts = on_verdicts or (lambda _result: None)
    n_current, n_reference = len(current), len(reference)
    result = DriftResult(
        model.name, window_start, window_end, Status.OK, [], n_current, n_reference
    )
    result.n_labels = _labelled_count(current, model.target)
    if n_current == 0 or n_current < model.min_samples:
        status = Status.NO_DATA if n_current == 0 else Status.INSUFFICIENT_DATA
        result.status = status
        detail = f"{n_current} rows in the window; min_samples is {model.min_samples}"
        result.features = [
            FeatureDrift(name, kind.value, status, n_reference, n_current, detail=detail)
            for name, kind in model.features.items()
        ]
        verdicts(result)
        return result
    # Evidently's report (GIL-bound Python) runs in a thread while the all-row statistics
    # (numpy sorts, which release the GIL) run here: on two cores the two overlap.
    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="evidently") as pool:
        pending = pool.submit(_drift_report, model, reference, current) if with_report else None
        for name, kind in model.features.items():
            step(f"feature {name}")
            result.features.append(_feature(model, name, kind, reference, current))
        for name in sorted(set(extra_features) - set(model.features)):
            seen = int(current[name].notna().sum()) if name in current else 0
            result.features.append(
                FeatureDrift(name, "unknown", Status.NEW_FEATURE, 0, seen, detail="not configured")
            )
        verdicts(result)
        if pending is not None:
            step("Evidently drift report (sample)")
            try:
                result.drift_report = pending.result()
            except evidently_adapter.REPORT_ERRORS as exc:
                # The verdicts stand; the missing report is recorded in the run manifest.
                result.notes.append(f"drift report not rendered: {type(exc).__name__}: {exc}")
    labelled = _labelled(current, model)
    if with_report and len(labelled) > 0:
        step("Evidently quality report")
        try:
            result.quality_report = evidently_adapter.quality_report(
                evidently_adapter.sample(labelled, model.report_sample_rows, SAMPLE_SEED),
                model.task,
                model.target,
                model.prediction,
            )
        except evidently_adapter.REPORT_ERRORS as exc:
            result.notes.append(f"quality report not rendered: {type(exc).__name__}: {exc}")
    return result


def _drift_report(
    model: ModelConfig, reference: pd.DataFrame, current: pd.DataFrame
) -> EvidentlyReport | None:
    """Evidently's report on samples, over the features with a finite value on both sides."""
    rows = model.report_sample_rows
    ref = evidently_adapter.sample(reference, rows, SAMPLE_SEED)
    cur = evidently_adapter.sample(current, rows, SAMPLE_SEED)
    shown = {
        name: kind
        for name, kind in model.features.items()
        if name in ref
        and name in cur
        and _has_values(ref[name], kind)
        and _has_values(cur[name], kind)
    }
    if not shown:
        return None
    return evidently_adapter.drift_report(
        _typed(ref, shown), _typed(cur, shown), shown, model.drift_methods, model.thresholds
    )


def _has_values(series: pd.Series, kind: FeatureType) -> bool:
    return not clean(_column(series, kind)[0], kind).empty


def _feature(
    model: ModelConfig,
    name: str,
    kind: FeatureType,
    reference: pd.DataFrame,
    current: pd.DataFrame,
) -> FeatureDrift:
    n_ref_raw = len(reference)
    if name not in reference:
        return FeatureDrift(
            name, kind.value, Status.MISSING_IN_REFERENCE, 0, len(current), detail="no such column"
        )
    if name not in current:
        return FeatureDrift(
            name, kind.value, Status.MISSING_IN_CURRENT, n_ref_raw, 0, detail="no such column"
        )
    ref_values, ref_note = _column(reference[name], kind, coded=True)
    cur_values, cur_note = _column(current[name], kind, coded=True)
    ref, cur = clean(ref_values, kind), clean(cur_values, kind)
    notes = [
        f"reference: {ref_note}" if ref_note else "",
        f"current: {cur_note}" if cur_note else "",
    ]
    if ref.empty or cur.empty:
        side = "reference" if ref.empty else "current"
        detail = "; ".join(n for n in [f"no finite, non-null value in {side}", *notes] if n)
        return FeatureDrift(
            name, kind.value, Status.EMPTY_COLUMN, len(ref), len(cur), detail=detail
        )
    if kind is FeatureType.CATEGORICAL:
        notes.append(_unseen(ref, cur))
    stat = compute(ref, cur, kind, model.drift_methods.get(name), model.thresholds.get(name))
    return FeatureDrift(
        name,
        kind.value,
        Status.OK,
        len(ref),
        len(cur),
        method=stat.method.value,
        score=stat.score,
        threshold=stat.threshold,
        drifted=stat.drifted,
        detail="; ".join(n for n in notes if n),
    )


def _column(series: pd.Series, kind: FeatureType, *, coded: bool = False) -> tuple[pd.Series, str]:
    """The column as compared, and a note of values dropped on the way (nulls, inf, text).

    `coded` gives a categorical column as a category column (`stats.encode`), which the
    statistics count by its codes; Evidently's report gets the text itself.
    """
    n = len(series)
    if kind is FeatureType.CATEGORICAL:
        values = (
            series.where(series.isna(), series.astype(str)) if series.dtype != object else series
        )
        if coded:
            values = encode(values)
        nulls = int(values.isna().sum())
        return values, f"{nulls} of {n} null" if nulls else ""
    numbers = pd.to_numeric(series, errors="coerce").astype("float64", copy=False)
    array = numbers.to_numpy()
    missing = int(np.isnan(array).sum())
    # A number column has no text to coerce: only another dtype pays for a second count.
    text = 0 if series.dtype.kind in "biuf" else missing - int(series.isna().sum())
    nulls = missing - text
    infinite = int(np.isinf(array).sum())
    parts = [
        f"{nulls} null or NaN" if nulls else "",
        f"{infinite} infinite" if infinite else "",
        f"{text} not numeric" if text else "",
    ]
    note = ", ".join(p for p in parts if p)
    return numbers, f"{note} of {n} dropped" if note else ""


def _unseen(reference: pd.Series, current: pd.Series) -> str:
    counts = value_counts(current)
    new = counts[~counts.index.isin(value_counts(reference).index)]
    if new.empty:
        return ""
    unseen = sorted(new.index, key=str)
    rows = int(new.sum())
    named = ", ".join(map(str, unseen[:_NAMED_CATEGORIES]))
    more = f" and {len(unseen) - _NAMED_CATEGORIES} more" if len(unseen) > _NAMED_CATEGORIES else ""
    return f"{len(unseen)} categories never seen in the reference ({named}{more}) in {rows} rows"


def _typed(frame: pd.DataFrame, features: dict[str, FeatureType]) -> pd.DataFrame:
    """The comparable columns as Evidently should see them (numbers; text categories)."""
    columns = {name: _column(frame[name], kind)[0] for name, kind in features.items()}
    typed = pd.DataFrame(columns, index=frame.index)
    numeric = [n for n, k in features.items() if k is FeatureType.NUMERIC]
    typed[numeric] = typed[numeric].replace([np.inf, -np.inf], np.nan)
    return typed


def _labelled_count(current: pd.DataFrame, target: str) -> int:
    return int(current[target].notna().sum()) if target in current else 0


def _labelled(current: pd.DataFrame, model: ModelConfig) -> pd.DataFrame:
    if model.target not in current or model.prediction not in current:
        return current.iloc[0:0]
    return current[current[model.target].notna() & current[model.prediction].notna()]
