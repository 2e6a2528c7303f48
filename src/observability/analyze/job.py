"""The drift job: load a window, compare it to the reference, store what was found.

Every output key is derived from the report id (model and window) only, so re-running a
window replaces its report, its metric rows and its run record instead of adding to them
(keys from `core/keys.py`), written in this order:
    metrics/drift/model=<m>/dt=<d>/<report_id>.parquet        verdicts, one row per feature
    reports/model=<m>/dt=<d>/<report_id>.json                 Evidently's metrics and tests
    reports/model=<m>/dt=<d>/<report_id>.html                 Evidently's standalone HTML
    reports/model=<m>/dt=<d>/<report_id>.snapshot.json        Evidently's own snapshot
    reports/model=<m>/dt=<d>/<report_id>.quality.*            the same, once labels arrived
    drift_runs/model=<m>/<report_id>.json                     the run manifest (backfill)
The verdicts are stored as soon as they are known, while Evidently's report (run on a
sample) is still rendering; Evidently's import starts before the window loads. A model's
first run also creates its sketch bins from the reference and sketches the window's hours
(beside the statistics; from the loaded rows when they are exactly the stored records), so
compaction sketches later hours and timelines need no manual step.
"""

from __future__ import annotations

import io
from collections.abc import Callable, Iterator, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, Final

import numpy as np
import orjson
import pandas as pd  # type: ignore[import-untyped,unused-ignore]

from observability.analyze import evidently_adapter
from observability.analyze.config import FileReference, ModelConfig
from observability.analyze.gauges import record_drift
from observability.analyze.loader import (
    S3Reader,
    WindowFrame,
    count_labels,
    load_reference,
    load_window,
)
from observability.analyze.results import DriftResult, EvidentlyReport
from observability.analyze.sketch_store import (
    KnownHours,
    bins_for_model,
    load_bins,
    rebuild_sketches,
    save_bins,
)
from observability.analyze.sketches import BinSpec, Sketch
from observability.analyze.window import Progress, analyze_frames
from observability.core import keys
from observability.core.derived import DRIFT_METRICS
from observability.core.errors import ObservabilityError
from observability.core.memory import prefer_system_allocator, release_free_memory
from observability.core.metrics import Metrics
from observability.core.times import naive_utc
from observability.query.base import QueryEngine
from observability.store.base import ObjectStore

Clock = Callable[[], datetime]

#: The tag of each report variant's Evidently snapshot (a workspace's panels filter on it).
SNAPSHOT_TAGS: Final[Mapping[str, str]] = {"": "drift", ".quality": "quality"}


class UnknownModelError(ObservabilityError):
    """A model name that `models.yaml` does not define."""


@dataclass(frozen=True, slots=True)
class RunRecord:
    """What the manifest remembers of a window's last run."""

    model: str
    window_start: datetime
    window_end: datetime
    ran_at: datetime
    n_current: int
    n_labels: int
    status: str
    #: Reports that could not be rendered, and why.
    notes: tuple[str, ...] = ()

    def to_json(self) -> bytes:
        """The manifest object's body."""
        return orjson.dumps(
            {
                "model": self.model,
                "window_start": self.window_start.isoformat(),
                "window_end": self.window_end.isoformat(),
                "ran_at": self.ran_at.isoformat(),
                "n_current": self.n_current,
                "n_labels": self.n_labels,
                "status": self.status,
                "notes": list(self.notes),
            }
        )

    @classmethod
    def from_json(cls, data: bytes) -> RunRecord:
        """Inverse of `to_json`."""
        raw = orjson.loads(data)
        return cls(
            raw["model"],
            datetime.fromisoformat(raw["window_start"]),
            datetime.fromisoformat(raw["window_end"]),
            datetime.fromisoformat(raw["ran_at"]),
            int(raw["n_current"]),
            int(raw["n_labels"]),
            str(raw["status"]),
            tuple(raw.get("notes", ())),
        )


class DriftJob:
    """Runs windows of configured models against their references and stores the results."""

    def __init__(
        self,
        store: ObjectStore,
        engine: QueryEngine,
        models: Mapping[str, ModelConfig],
        *,
        s3_reader: S3Reader | None = None,
        clock: Clock = lambda: datetime.now(UTC),
        metrics: Metrics | None = None,
    ) -> None:
        """`metrics`: where each run's drift gauges go (the process's registry)."""
        self.store = store
        self._metrics = metrics
        self.engine = engine
        self.models = dict(models)
        self._s3_reader = s3_reader
        self._clock = clock
        self._file_references: dict[str, pd.DataFrame] = {}

    def model(self, name: str) -> ModelConfig:
        """The configuration of `name`; UnknownModelError lists the known ones."""
        try:
            return self.models[name]
        except KeyError:
            known = ", ".join(sorted(self.models)) or "none"
            raise UnknownModelError(f"unknown model {name!r} (configured: {known})") from None

    def run(
        self, name: str, start: datetime, end: datetime, progress: Progress | None = None
    ) -> DriftResult:
        """Compute and store one window; replaces an earlier run of the same window."""
        step = progress or (lambda _message: None)
        model = self.model(name)
        prefer_system_allocator()
        evidently_adapter.preload()  # imported while DuckDB reads the window
        first_run, bin_notes = self._missing_bins(model)
        ran_at: list[datetime] = []

        def verdicts(found: DriftResult) -> None:
            step("saving the verdicts")
            ran_at.append(self.save_verdicts(found))
            if self._metrics is not None:
                record_drift(self._metrics, found)

        step("loading the window")
        # A first run sketches the window's hours from the frame when it is exactly the
        # stored records; `typed` loading tells whether it is.
        window = load_window(self.engine, model, start, end, typed=first_run)
        release_free_memory()
        step("loading the reference")  # after the window: the two would peak together
        reference = self.reference(model)
        release_free_memory()
        # A first run's bins and hour sketches overlap the statistics, whose numpy sorts
        # release the GIL.
        with ThreadPoolExecutor(max_workers=1, thread_name_prefix="sketches") as pool:
            sketched = (
                pool.submit(self._first_bins, model, reference, window, (start, end), step)
                if first_run
                else None
            )
            result = analyze_frames(
                model,
                start,
                end,
                window.frame,
                reference,
                extra_features=window.feature_names,
                progress=step,
                on_verdicts=verdicts,
            )
            if sketched is not None:
                sketched.result()
        step("saving the reports")
        self.save_reports(result)
        result.notes.extend(bin_notes)
        if not ran_at and self._metrics is not None:
            record_drift(self._metrics, result)
        self.save_record(result, ran_at[0] if ran_at else self.save_verdicts(result))
        return result

    def reference(self, model: ModelConfig) -> pd.DataFrame:
        """The model's reference; a file is read once per job object."""
        if not isinstance(model.reference, FileReference):
            return load_reference(self.engine, model, self._s3_reader)
        cached = self._file_references.get(model.name)
        if cached is None:
            cached = load_reference(self.engine, model, self._s3_reader)
            self._file_references[model.name] = cached
        return cached

    def _missing_bins(self, model: ModelConfig) -> tuple[bool, list[str]]:
        """Whether the model has no sketch bins yet; notes of the run when they are damaged."""
        try:
            return load_bins(self.store, model.name) is None, []
        except ValueError as exc:  # the verdicts do not depend on bins: the run goes on
            return False, [f"sketch bins not used: {exc}"]

    def _first_bins(
        self,
        model: ModelConfig,
        reference: pd.DataFrame,
        window: WindowFrame,
        span: tuple[datetime, datetime],
        step: Progress,
    ) -> None:
        """Create the model's sketch bins from its reference and sketch the window's hours
        with them: from the window's rows for the hours it holds exactly, else as stored."""
        if reference.empty:
            return
        step("creating the sketch bins from the reference")
        spec = bins_for_model(model, reference)
        save_bins(self.store, spec)
        rebuild_sketches(self.store, spec, *span, known=window_hours(spec, window, *span))

    def save(self, result: DriftResult) -> None:
        """Write the metric rows, the reports and the run record under per-window keys."""
        ran_at = self.save_verdicts(result)
        self.save_reports(result)
        self.save_record(result, ran_at)

    def save_verdicts(self, result: DriftResult) -> datetime:
        """Write the window's `drift_metrics` rows; returns their `computed_at`."""
        ran_at = self._clock()
        self.store.put(keys.drift_metrics_key(result.report_id), metrics_parquet(result, ran_at))
        return ran_at

    def save_reports(self, result: DriftResult) -> None:
        """Write Evidently's JSON, HTML and snapshot of the drift and quality reports."""
        self._put_report(result, "", result.drift_report)
        self._put_report(result, ".quality", result.quality_report)

    def save_record(self, result: DriftResult, ran_at: datetime) -> None:
        """Write the run manifest: last, so a window counts as run once all else is stored."""
        record = RunRecord(
            result.model,
            result.window_start,
            result.window_end,
            ran_at,
            result.n_current,
            result.n_labels,
            result.status.value,
            tuple(result.notes),
        )
        self.store.put(keys.drift_run_key(result.model, result.report_id), record.to_json())

    def runs(self, name: str) -> Iterator[RunRecord]:
        """Every window of `name` that has run, from the manifest."""
        for key in self.store.list(keys.drift_runs_prefix(name)):
            if key.endswith(".json"):  # not the worker's `.done` markers
                yield RunRecord.from_json(self.store.get(key))

    def backfill(self, since: datetime, progress: Progress | None = None) -> list[DriftResult]:
        """Re-run windows starting at or after `since` whose label count rose since their run."""
        results = []
        for name in sorted(self.models):
            for record in self.runs(name):
                if record.window_start < since:
                    continue
                labelled = count_labels(self.engine, name, record.window_start, record.window_end)
                if labelled > record.n_labels:
                    results.append(self.run(name, record.window_start, record.window_end, progress))
        return results

    def _put_report(
        self, result: DriftResult, variant: str, report: EvidentlyReport | None
    ) -> None:
        report_id = result.report_id
        if report is None:
            # A re-run without this report must not leave the earlier run's files behind.
            for fmt in keys.REPORT_FORMATS:
                self.store.delete(keys.report_key(report_id, variant + fmt))
            return
        snapshot = evidently_adapter.stamped(
            report.evidently_snapshot,
            name=f"{report_id}{variant}",
            timestamp=result.window_start,
            metadata=snapshot_metadata(result, variant),
            tags=[SNAPSHOT_TAGS[variant]],
        )
        self.store.put(
            keys.report_key(report_id, variant + keys.REPORT_JSON), report.snapshot_json.encode()
        )
        self.store.put(keys.report_key(report_id, variant + keys.REPORT_HTML), report.html.encode())
        self.store.put(keys.report_key(report_id, variant + keys.REPORT_SNAPSHOT), snapshot)


def window_hours(
    spec: BinSpec, window: WindowFrame, start: datetime, end: datetime
) -> KnownHours | None:
    """Sketches of the hours inside [start, end) from the window's rows, when these are
    exactly the stored records (`WindowFrame.exact`); None otherwise."""
    if not window.exact or window.timestamps is None:
        return None
    stamps = window.timestamps
    names = [feature.name for feature in spec.features if feature.name in window.frame]
    columns = {name: window.frame[name].to_numpy() for name in names}

    def sketch(hour: datetime) -> Sketch | None:
        following = hour + timedelta(hours=1)
        if hour < start or following > end:
            return None  # the window holds part of this hour only
        first, last = np.searchsorted(
            stamps, np.array([naive_utc(hour), naive_utc(following)], "datetime64[us]")
        )
        rows = {name: values[first:last] for name, values in columns.items()}
        return spec.sketch(rows, rows=int(last - first))

    return sketch


def snapshot_metadata(result: DriftResult, variant: str) -> dict[str, str]:
    """What an Evidently snapshot of ours says about itself (its workspace shows it)."""
    return {
        "model": result.model,
        "report_id": result.report_id,
        "report": SNAPSHOT_TAGS[variant],
        "window_start": result.window_start.isoformat(),
        "window_end": result.window_end.isoformat(),
        "status": result.status.value,
    }


def metrics_parquet(result: DriftResult, computed_at: datetime) -> bytes:
    """The window's rows as one zstd Parquet file of the declared `drift_metrics` schema.

    `model` and `dt` live in the path only (Hive partitions), as Athena expects.
    """
    return DRIFT_METRICS.parquet(result.rows(computed_at))


def read_metrics(store: ObjectStore, model: str) -> pd.DataFrame:
    """Every stored metric row of `model` with the table's columns (tests, the CLI summary)."""
    import pyarrow.parquet as pq

    prefix = keys.drift_metrics_prefix(model)
    frames: list[Any] = []
    for key in store.list(prefix):
        values = keys.hive_values(key, prefix, ("dt",))
        if values is not None and key.endswith(".parquet"):
            frame = pq.read_table(io.BytesIO(store.get(key))).to_pandas()
            frame["model"], frame["dt"] = model, values[0]
            frames.append(frame)
    columns = list(DRIFT_METRICS.column_names)
    if not frames:
        return pd.DataFrame(columns=columns)
    return pd.concat(frames, ignore_index=True).reindex(columns=columns)


def last_closed_window(model: ModelConfig, now: datetime) -> tuple[datetime, datetime]:
    """The most recent window of `model.window` length that ended at or before `now`."""
    epoch = datetime(1970, 1, 1, tzinfo=UTC)
    size = model.window
    elapsed = (now.astimezone(UTC) - epoch) // size
    end = epoch + elapsed * size
    return end - size, end
