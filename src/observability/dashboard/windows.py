"""The drift job's windows as stored in `drift_metrics`: one Parquet file per model and window.

A window's file is found from its key alone (`metrics/drift/model=<m>/dt=<start day>/<report
id>.parquet`: the report id holds the window), so a range lists only its days and reads
only its windows' files; each file is parsed into a `DriftPoint` once per version
(`ObjectCache`), so a dashboard refreshing a 30-day chart reads nothing it has read before.
"""

from __future__ import annotations

import io
import math
from collections.abc import Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from functools import lru_cache
from typing import Any, Final

from observability.core import keys
from observability.core.checks import is_name
from observability.dashboard.cache import ObjectCache
from observability.dashboard.listing import Entry, Lister
from observability.dashboard.schemas import DriftPoint, FeatureDrift
from observability.store.base import ObjectStore

#: Reads of files not cached yet run in this many threads (S3: one round trip each).
READ_THREADS: Final = 8
_PARQUET: Final = ".parquet"
_OK: Final = "ok"


@dataclass(frozen=True, slots=True)
class StoredWindow:
    """A window's drift point and when the job computed it."""

    point: DriftPoint
    computed_at: datetime | None


@dataclass(frozen=True, slots=True)
class WindowFile:
    """A window's file, known from its key before it is read."""

    start: datetime
    end: datetime
    report_id: str
    entry: Entry


def _finite(value: Any) -> float | None:
    if value is None:
        return None
    number = float(value)
    return number if math.isfinite(number) else None


def window_status(statuses: Sequence[str]) -> str:
    """A window's status: ok when any feature was compared, else its features' (first) status."""
    if not statuses or _OK in statuses:
        return _OK
    return statuses[0]


def drift_point(
    report_id: str | None,
    start: datetime,
    end: datetime,
    features: Sequence[FeatureDrift],
    n_current: int,
) -> DriftPoint:
    """A point from its features: the share drifted among those compared, and the status."""
    compared = [f for f in features if f.status == _OK]
    drifted = [f.feature for f in features if f.drifted]
    return DriftPoint(
        window_start=start,
        window_end=end,
        report_id=report_id,
        status=window_status([f.status for f in features]),
        n_current=n_current,
        share_drifted=len([f for f in compared if f.drifted]) / len(compared) if compared else None,
        drifted_features=drifted,
        features=list(features),
    )


def parse_window(key: str, data: bytes) -> StoredWindow:
    """A window's `drift_metrics` file as a drift point (columns of `core.derived`)."""
    import pyarrow.parquet as pq

    rows = pq.read_table(io.BytesIO(data)).to_pylist()
    report_id = key.rpartition("/")[2].removesuffix(_PARQUET)
    _model, start, end = keys.parse_report_id(report_id)
    features = [
        FeatureDrift(
            feature=str(row["feature"]),
            method=row.get("method"),
            score=_finite(row.get("score")),
            threshold=_finite(row.get("threshold")),
            drifted=bool(row.get("drifted")),
            status=str(row.get("status") or _OK),
        )
        for row in rows
    ]
    n_current = max((int(row.get("n_current") or 0) for row in rows), default=0)
    stamps = [row["computed_at"] for row in rows if row.get("computed_at") is not None]
    point = drift_point(report_id, start, end, features, n_current)
    return StoredWindow(point, max(stamps) if stamps else None)


def day_range(start: datetime, end: datetime) -> tuple[date, date]:
    """The UTC days holding instants of [start, end) (the last is that of end - 1 µs)."""
    return start.astimezone(UTC).date(), (end - timedelta(microseconds=1)).astimezone(UTC).date()


class DriftWindows:
    """A store's drift windows, model by model, day by day."""

    def __init__(self, store: ObjectStore, lister: Lister, max_windows: int = 100_000) -> None:
        self._lister = lister
        self._cache: ObjectCache[StoredWindow] = ObjectCache(store, parse_window, max_windows)

    def models(self) -> list[str]:
        """Models with at least one stored window directory."""
        return [
            name
            for name in (_value(c, "model") for c in self._lister.children(keys.DRIFT_METRICS))
            if name is not None and is_name(name)
        ]

    def days(self, model: str) -> list[str]:
        """`YYYY-MM-DD` of a model's window directories, oldest first."""
        found = (_value(c, "dt") for c in self._lister.children(keys.drift_metrics_prefix(model)))
        return sorted(day for day in found if day is not None and _is_day(day))

    def files(self, model: str, day: str) -> list[WindowFile]:
        """The windows starting on `day`, in start order (a stray file is skipped)."""
        prefix = keys.hive_prefix(keys.drift_metrics_prefix(model), ("dt", day))
        found = []
        for entry in self._lister.files(prefix):
            window = window_of(entry.key)
            if window is not None and window[0] == model:
                found.append(WindowFile(window[1], window[2], window[3], entry))
        return sorted(found, key=lambda f: (f.start, f.end))

    def files_in_range(self, model: str, start: datetime, end: datetime) -> list[WindowFile]:
        """Windows that start in [start, end)."""
        first, last = day_range(start, end)
        chosen: list[WindowFile] = []
        for day in self.days(model):
            if first.isoformat() <= day <= last.isoformat():
                chosen.extend(f for f in self.files(model, day) if start <= f.start < end)
        return chosen

    def read(self, files: Iterable[WindowFile]) -> list[StoredWindow]:
        """The windows of `files` (in their order); files removed since listing are skipped."""
        wanted = list(files)
        missing = [f for f in wanted if self._cache.peek(f.entry) is None]
        if len(missing) > 1:
            with ThreadPoolExecutor(min(READ_THREADS, len(missing))) as pool:
                list(pool.map(self._get, missing))
        found = (self._get(f) for f in wanted)
        return [window for window in found if window is not None]

    def in_range(self, model: str, start: datetime, end: datetime) -> list[StoredWindow]:
        """Windows that start in [start, end), oldest first."""
        return self.read(self.files_in_range(model, start, end))

    def last(self, model: str) -> StoredWindow | None:
        """The window with the latest start (then end), or None when the model has none."""
        for day in reversed(self.days(model)):
            files = self.files(model, day)
            for candidate in reversed(files):
                found = self._get(candidate)
                if found is not None:
                    return found
        return None

    def window(self, report_id: str) -> StoredWindow | None:
        """The window of a report id, or None when the job stored no rows for it."""
        model, start, _end = keys.parse_report_id(report_id)
        for candidate in self.files(model, keys.day(start)):
            if candidate.report_id == report_id:
                return self._get(candidate)
        return None

    def _get(self, file: WindowFile) -> StoredWindow | None:
        try:
            return self._cache.get(file.entry)
        except KeyError:  # replaced or removed since it was listed
            return None


@lru_cache(maxsize=1 << 18)
def window_of(key: str) -> tuple[str, datetime, datetime, str] | None:
    """(model, start, end, report id) of a `drift_metrics` file key; None for another key.

    Keys never change meaning, and parsing a report id's stamps is the costly part of
    walking a long range, so each key is parsed once per process.
    """
    name = key.rpartition("/")[2]
    if not name.endswith(_PARQUET):
        return None
    report_id = name.removesuffix(_PARQUET)
    try:
        model, start, end = keys.parse_report_id(report_id)
    except ValueError:
        return None
    return (model, start, end, report_id) if keys.drift_metrics_key(report_id) == key else None


def _value(segment: str, column: str) -> str | None:
    name, sep, value = segment.partition("=")
    return value if sep and name == column and value else None


def _is_day(text: str) -> bool:
    try:
        return date.fromisoformat(text).isoformat() == text
    except ValueError:
        return False
