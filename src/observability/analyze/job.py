"""The drift job: load a window, compare it to the reference, store what was found.

Every output key is derived from the model and the window only, so re-running a window
replaces its report, its metric rows and its run record instead of adding to them:
    reports/model=<m>/dt=<d>/<report_id>.{json,html}          Evidently drift + summary
    reports/model=<m>/dt=<d>/<report_id>.quality.{json,html}  when labels have arrived
    metrics/drift/model=<m>/dt=<d>/<report_id>.parquet        one row per feature
    drift_runs/model=<m>/<report_id>.json                     the run manifest (backfill)
"""

from __future__ import annotations

import io
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Final

import orjson
import pandas as pd  # type: ignore[import-untyped,unused-ignore]

from observability.analyze.config import FileReference, ModelConfig
from observability.analyze.loader import S3Reader, count_labels, load_reference, load_window
from observability.analyze.results import METRIC_COLUMNS, DriftResult, EvidentlyReport
from observability.analyze.window import Progress, analyze_frames
from observability.core.errors import ObservabilityError
from observability.query.base import QueryEngine
from observability.store.base import ObjectStore

RUNS_PREFIX: Final = "drift_runs/"

Clock = Callable[[], datetime]


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


def report_prefix(model: str, window_start: datetime) -> str:
    """`reports/model=<m>/dt=<d>/` of the window's day."""
    return f"reports/model={model}/dt={window_start:%Y-%m-%d}/"


def metrics_key(result: DriftResult) -> str:
    """`metrics/drift/model=<m>/dt=<d>/<report_id>.parquet`."""
    day = f"{result.window_start:%Y-%m-%d}"
    return f"metrics/drift/model={result.model}/dt={day}/{result.report_id}.parquet"


def run_key(result: DriftResult) -> str:
    """The manifest object of the window's last run."""
    return f"{RUNS_PREFIX}model={result.model}/{result.report_id}.json"


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
    ) -> None:
        self.store = store
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
        step("loading the window")
        window = load_window(self.engine, model, start, end)
        step("loading the reference")
        reference = self.reference(model)
        result = analyze_frames(
            model,
            start,
            end,
            window.frame,
            reference,
            extra_features=window.feature_names,
            progress=step,
        )
        step("saving")
        self.save(result)
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

    def save(self, result: DriftResult) -> None:
        """Write the reports, the metric rows and the run record under per-window keys."""
        ran_at = self._clock()
        base = report_prefix(result.model, result.window_start) + result.report_id
        self._put_report(base, result.drift_report)
        self._put_report(f"{base}.quality", result.quality_report)
        self.store.put(metrics_key(result), metrics_parquet(result, ran_at))
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
        self.store.put(run_key(result), record.to_json())

    def runs(self, name: str) -> Iterator[RunRecord]:
        """Every window of `name` that has run, from the manifest."""
        for key in self.store.list(f"{RUNS_PREFIX}model={name}/"):
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

    def _put_report(self, base: str, report: EvidentlyReport | None) -> None:
        if report is None:
            # A re-run without this report must not leave the earlier run's file behind.
            self.store.delete(f"{base}.json")
            self.store.delete(f"{base}.html")
            return
        self.store.put(f"{base}.json", report.snapshot_json.encode())
        self.store.put(f"{base}.html", report.html.encode())


def metrics_parquet(result: DriftResult, computed_at: datetime) -> bytes:
    """The window's rows as one zstd Parquet file (the `drift_metrics` table's columns).

    `model` and `dt` live in the path only (Hive partitions), as Athena expects.
    """
    import pyarrow as pa
    import pyarrow.parquet as pq

    instant = pa.timestamp("us", tz="UTC")
    schema = pa.schema(
        [
            ("window_start", instant),
            ("window_end", instant),
            ("feature", pa.string()),
            ("feature_type", pa.string()),
            ("method", pa.string()),
            ("score", pa.float64()),
            ("threshold", pa.float64()),
            ("drifted", pa.bool_()),
            ("n_reference", pa.int64()),
            ("n_current", pa.int64()),
            ("status", pa.string()),
            ("detail", pa.string()),
            ("report_id", pa.string()),
            ("computed_at", instant),
        ]
    )
    table = pa.Table.from_pylist(result.rows(computed_at), schema=schema)
    sink = io.BytesIO()
    pq.write_table(table, sink, compression="zstd")
    return sink.getvalue()


def read_metrics(store: ObjectStore, model: str) -> pd.DataFrame:
    """Every stored metric row of `model` (tests, the CLI summary)."""
    import pyarrow.parquet as pq

    frames: list[Any] = [
        pq.read_table(io.BytesIO(store.get(key))).to_pandas()
        for key in store.list(f"metrics/drift/model={model}/")
        if key.endswith(".parquet")
    ]
    if not frames:
        return pd.DataFrame(columns=list(METRIC_COLUMNS))
    return pd.concat(frames, ignore_index=True)


def last_closed_window(model: ModelConfig, now: datetime) -> tuple[datetime, datetime]:
    """The most recent window of `model.window` length that ended at or before `now`."""
    epoch = datetime(1970, 1, 1, tzinfo=UTC)
    size = model.window
    elapsed = (now.astimezone(UTC) - epoch) // size
    end = epoch + elapsed * size
    return end - size, end
