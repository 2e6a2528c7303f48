"""`models/{model}/features/{feature}`: a feature's reference and current distribution in a window.

The window is a report's (`report_id`), a range (`since`/`until`, at most 31 days), or the
model's last drift window. With sketch bins the answer is counts on the reference's bins
(numeric) or per category, both sides: the window's hourly sketches merged; for a window
of at most `RAW_HOURS` hours, an hour without a sketch yet (not compacted) is counted from
its stored predictions. Without bins it is the current side as the window's stored report
summarised it (min, max, mean, std, quantiles, or category counts); the reference side is
then unknown (null).
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any, Final

from observability.core import keys
from observability.core.partitioning import Partition
from observability.core.schema import Kind
from observability.dashboard.drift import DriftTimelines
from observability.dashboard.errors import BadParameterError, NotFoundError
from observability.dashboard.models import Models
from observability.dashboard.reports import Reports, Variant, report_window
from observability.dashboard.schemas import (
    Bucket,
    Category,
    FeatureDistribution,
    FeatureDrift,
    SideCounts,
)
from observability.dashboard.windows import DriftWindows
from observability.store.base import ObjectStore

if TYPE_CHECKING:
    from observability.analyze.sketches import BinSpec, FeatureBins, Sketch

log = logging.getLogger(__name__)

#: Longest window whose unsketched hours are counted from stored predictions.
RAW_HOURS: Final = 48
#: Longest range a distribution covers (a drift window's longest, `analyze.config.MAX_WINDOW`).
MAX_RANGE: Final = timedelta(days=31)
#: Evidently metrics of the stored report that summarise a column, by our name.
_SUMMARY_METRICS: Final = {
    "MinValue": "min",
    "MaxValue": "max",
    "MeanValue": "mean",
    "StdValue": "std",
}


class Features:
    """Reads feature distributions for the route."""

    def __init__(
        self,
        store: ObjectStore,
        models: Models,
        windows: DriftWindows,
        timelines: DriftTimelines,
        reports: Reports,
    ) -> None:
        self._store = store
        self._models = models
        self._windows = windows
        self._timelines = timelines
        self._reports = reports

    def distribution(
        self,
        model: str,
        feature: str,
        report_id: str | None,
        since: datetime | None,
        until: datetime | None,
    ) -> FeatureDistribution:
        """Reference vs current of `feature` in the chosen window of `model`."""
        start, end, report_id = self._window(model, report_id, since, until)
        window = self._windows.window(report_id) if report_id else None
        verdict = _verdict(window.point.features if window else [], feature)
        spec = self._timelines.bins(model)
        bins = _feature_bins(spec, feature) if spec is not None else None
        if spec is not None and bins is not None:
            from observability.analyze.sketches import BinsMismatchError

            try:
                current = self._current(spec, model, start, end)
            except BinsMismatchError as exc:  # sketches of older bins, not rebuilt yet
                log.warning("model %s: sketches unusable (%s); using the report", model, exc)
            else:
                return _from_sketches(
                    model=model,
                    feature=feature,
                    spec=spec,
                    bins=bins,
                    current=current,
                    start=start,
                    end=end,
                    report_id=report_id,
                    verdict=verdict,
                )
        summary = self._summary(model, feature, report_id)
        if summary is None:
            raise NotFoundError(
                f"no distribution of feature {feature[:120]!r} for {model}'s window "
                f"{keys.day(start)} ({report_id or 'no report'}): the model has no sketch bins "
                "for it and no stored report summarises it"
            )
        kind, stats, categories = summary
        return FeatureDistribution(
            model=model,
            feature=feature,
            kind=kind,
            window_start=start,
            window_end=end,
            report_id=report_id,
            source="report",
            buckets=[],
            categories=[Category(value=k, reference=None, current=v) for k, v in categories],
            reference=None,
            current=None,
            summary=stats or None,
            drift=verdict,
        )

    def _window(
        self, model: str, report_id: str | None, since: datetime | None, until: datetime | None
    ) -> tuple[datetime, datetime, str | None]:
        if report_id is not None:
            owner, start, end = report_window(report_id)
            if owner != model:
                raise BadParameterError(
                    f"report {report_id!r} is of model {owner!r}, not {model!r}"
                )
            return start, end, report_id
        if (since is None) != (until is None):
            raise BadParameterError("give both since and until (or report_id, or neither)")
        if since is not None and until is not None:
            if until - since > MAX_RANGE:
                raise BadParameterError(f"a distribution covers at most {MAX_RANGE.days} days")
            candidate = keys.report_id(model, since, until)
            return since, until, candidate if self._windows.window(candidate) else None
        last = self._windows.last(model)
        if last is None:
            raise NotFoundError(f"model {model!r} has no drift window yet: give since and until")
        point = last.point
        return point.window_start, point.window_end, point.report_id

    def _current(self, spec: BinSpec, model: str, start: datetime, end: datetime) -> Sketch:
        from observability.analyze.sketch_store import merge_all, sketch_hour
        from observability.analyze.sketches import hours
        from observability.analyze.timeline import load_hourly, load_sketches

        if end - start > timedelta(hours=RAW_HOURS):
            return merge_all(
                spec, load_sketches(self._store, spec, start, end, window=end - start).values()
            )
        hourly = load_hourly(self._store, spec, start, end)
        for hour in hours(start, end):
            if hour not in hourly:
                partition = Partition(Kind.PREDICTION, model, f"{hour:%Y-%m-%d}", f"{hour:%H}")
                counted = sketch_hour(self._store, spec, partition)
                if counted is not None:
                    hourly[hour] = counted
        return merge_all(spec, hourly.values())

    def _summary(
        self, model: str, feature: str, report_id: str | None
    ) -> tuple[Any, dict[str, float], list[tuple[str, int]]] | None:
        if report_id is None:
            return None
        document = self._reports.document(report_id, Variant.DRIFT)
        if document is None:
            return None
        stats, categories = report_summary(document, feature)
        if not stats and not categories:
            return None
        config = self._models.config(model)
        declared = config.features.get(feature) if config else None
        kind = str(declared) if declared else ("categorical" if categories else "numeric")
        return kind, stats, categories


def _verdict(features: list[FeatureDrift], name: str) -> FeatureDrift | None:
    return next((f for f in features if f.feature == name), None)


def _feature_bins(spec: BinSpec, name: str) -> FeatureBins | None:
    return next((f for f in spec.features if f.name == name), None)


def _from_sketches(
    *,
    model: str,
    feature: str,
    spec: BinSpec,
    bins: FeatureBins,
    current: Sketch,
    start: datetime,
    end: datetime,
    report_id: str | None,
    verdict: FeatureDrift | None,
) -> FeatureDistribution:
    from observability.analyze.sketches import BINS_START, INVALID, NONFINITE, NULLS, FeatureKind

    reference = spec.reference
    buckets: list[Bucket] = []
    categories: list[Category] = []
    if bins.kind is FeatureKind.NUMERIC:
        ref, cur = reference.numeric[feature], current.numeric[feature]
        bounds: list[float | None] = [None, *bins.edges, None]
        for i in range(len(bins.edges) + 1):
            buckets.append(
                Bucket(
                    lower=bounds[i],
                    upper=bounds[i + 1],
                    reference=ref[BINS_START + i],
                    current=cur[BINS_START + i],
                )
            )
        sides = [
            SideCounts(
                rows=reference.rows, nulls=ref[NULLS], invalid=ref[NONFINITE] + ref[INVALID]
            ),
            SideCounts(rows=current.rows, nulls=cur[NULLS], invalid=cur[NONFINITE] + cur[INVALID]),
        ]
    else:
        ref_counts, cur_counts = reference.categorical[feature], current.categorical[feature]
        values = sorted(
            {*ref_counts.counts, *cur_counts.counts},
            key=lambda v: (-(ref_counts.counts.get(v, 0) + cur_counts.counts.get(v, 0)), v),
        )
        categories = [
            Category(
                value=v, reference=ref_counts.counts.get(v, 0), current=cur_counts.counts.get(v, 0)
            )
            for v in values
        ]
        sides = [
            SideCounts(rows=reference.rows, nulls=ref_counts.nulls, invalid=ref_counts.invalid),
            SideCounts(rows=current.rows, nulls=cur_counts.nulls, invalid=cur_counts.invalid),
        ]
    return FeatureDistribution(
        model=model,
        feature=feature,
        kind=bins.kind.value,
        window_start=start,
        window_end=end,
        report_id=report_id,
        source="sketches",
        buckets=buckets,
        categories=categories,
        reference=sides[0],
        current=sides[1],
        summary=None,
        drift=verdict,
    )


def report_summary(
    document: Mapping[str, Any], feature: str
) -> tuple[dict[str, float], list[tuple[str, int]]]:
    """A column's current-side summary from a stored report's `metrics` list: min, max,
    mean, std, `q<quantile>`, `nulls`; and category counts (most frequent first).

    Evidently's metric results (`Snapshot.json()`, as `analyze.evidently_adapter` reads
    them too): `config.type` ends in the metric's name, `config.column` names the column.
    Entries of any other shape are skipped.
    """
    stats: dict[str, float] = {}
    categories: list[tuple[str, int]] = []
    metrics = document.get("metrics")
    for metric in metrics if isinstance(metrics, list) else []:
        config = metric.get("config") if isinstance(metric, dict) else None
        if not isinstance(config, dict) or config.get("column") != feature:
            continue
        kind = str(config.get("type", "")).rpartition(":")[2]
        value = metric.get("value")
        if kind in _SUMMARY_METRICS and _is_number(value):
            stats[_SUMMARY_METRICS[kind]] = float(value)
        elif kind == "QuantileValue" and _is_number(value) and _is_number(config.get("quantile")):
            stats[f"q{float(config['quantile']):g}"] = float(value)
        elif (
            kind == "MissingValueCount"
            and isinstance(value, dict)
            and _is_number(value.get("count"))
        ):
            stats["nulls"] = float(value["count"])
        elif kind == "UniqueValueCount" and isinstance(value, dict):
            counts = value.get("counts")
            if isinstance(counts, dict):
                categories = sorted(
                    ((str(k), int(v)) for k, v in counts.items() if _is_number(v)),
                    key=lambda pair: (-pair[1], pair[0]),
                )
    return stats, categories


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)
