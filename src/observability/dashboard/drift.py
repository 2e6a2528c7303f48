"""`models/{model}/drift`: per-window points for short ranges, per-day points for long ones.

Up to `LONG_RANGE` (7 days) a timeline has one point per drift window, from the job's
`drift_metrics` rows. Beyond it (or with `resolution=day`) it has one point per UTC day,
the range widened to whole days:
- from the model's hourly sketches when it has bins (`analyze/timeline.py`): PSI of the
  day's merged counts against the reference, with Evidently's PSI threshold. A 90-day
  timeline reads 90 daily roll-ups and never a prediction row;
- otherwise from `drift_metrics`: a feature's day score is the mean of its windows' scores,
  and it drifted that day when it drifted in at least half the windows that compared it
  (`windows` and `drifted_windows` say how many). The share of drifted features is the mean
  of the windows' shares.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from enum import StrEnum
from functools import partial
from typing import TYPE_CHECKING, Final

from observability.core import keys
from observability.dashboard.cache import Memo, ObjectCache
from observability.dashboard.listing import Lister
from observability.dashboard.schemas import (
    DriftPoint,
    DriftTimeline,
    FeatureDrift,
    Resolution,
    Source,
)
from observability.dashboard.windows import (
    READ_THREADS,
    DriftWindows,
    StoredWindow,
    WindowFile,
    drift_point,
)
from observability.extras import missing_extra
from observability.store.base import ObjectStore

if TYPE_CHECKING:
    from observability.analyze.sketches import BinSpec

#: Longest range answered window by window; longer ones get a point per day.
LONG_RANGE: Final = timedelta(days=7)
DAY: Final = timedelta(days=1)
#: Day points from drift_metrics are computed once per set of file versions; kept this long.
_DAY_POINT_SECONDS: Final = 3600.0
_OK: Final = "ok"


class RequestedResolution(StrEnum):
    """`auto`: windows up to 7 days, days beyond."""

    AUTO = "auto"
    WINDOW = "window"
    DAY = "day"


def choose(requested: RequestedResolution, start: datetime, end: datetime) -> Resolution:
    """The resolution a request gets."""
    if requested is RequestedResolution.AUTO:
        return Resolution.WINDOW if end - start <= LONG_RANGE else Resolution.DAY
    return Resolution(requested.value)


def whole_days(start: datetime, end: datetime) -> tuple[datetime, datetime]:
    """[start, end) widened to UTC midnights."""
    first = start.astimezone(UTC).replace(hour=0, minute=0, second=0, microsecond=0)
    last = end.astimezone(UTC).replace(hour=0, minute=0, second=0, microsecond=0)
    return first, last if last == end else last + DAY


def day_point(day: datetime, windows: Sequence[StoredWindow]) -> DriftPoint:
    """One day's windows merged: mean scores, majority verdicts, mean share (see module doc)."""
    rows: dict[str, list[FeatureDrift]] = defaultdict(list)
    for window in windows:
        for feature in window.point.features:
            rows[feature.feature].append(feature)
    features = []
    for name, seen in rows.items():
        compared = [f for f in seen if f.status == _OK]
        scores = [f.score for f in compared if f.score is not None]
        drifted = sum(f.drifted for f in seen)
        features.append(
            FeatureDrift(
                feature=name,
                method=seen[-1].method,
                score=sum(scores) / len(scores) if scores else None,
                threshold=seen[-1].threshold,
                drifted=bool(compared) and 2 * drifted >= len(compared),
                status=_OK if compared else seen[-1].status,
                windows=len(seen),
                drifted_windows=drifted,
            )
        )
    point = drift_point(None, day, day + DAY, features, sum(w.point.n_current for w in windows))
    shares = [w.point.share_drifted for w in windows if w.point.share_drifted is not None]
    mean_share = sum(shares) / len(shares) if shares else None
    return point.model_copy(update={"share_drifted": mean_share})


class DriftTimelines:
    """Builds drift timelines from the stored windows and, for days, the model's sketches."""

    def __init__(
        self, store: ObjectStore, lister: Lister, windows: DriftWindows, ttl: float
    ) -> None:
        self._store = store
        self._lister = lister
        self._windows = windows
        self._days: Memo[DriftPoint] = Memo(_DAY_POINT_SECONDS, max_entries=100_000)
        self._sketched: Memo[list[DriftPoint]] = Memo(ttl)
        #: A day timeline's range is whole days: the same answer for every request of the
        #: TTL (the listing it comes from is that old at most anyway).
        self._by_day: Memo[DriftTimeline] = Memo(ttl)
        self._bins: ObjectCache[BinSpec] = ObjectCache(store, _parse_bins, max_entries=1_000)

    def timeline(
        self, model: str, start: datetime, end: datetime, requested: RequestedResolution
    ) -> DriftTimeline:
        """The model's drift over [start, end) at the requested resolution."""
        resolution = choose(requested, start, end)
        if resolution is Resolution.WINDOW:
            points = [w.point for w in self._windows.in_range(model, start, end)]
            return DriftTimeline(
                model=model,
                since=start,
                until=end,
                resolution=resolution,
                source=Source.DRIFT_METRICS,
                points=points,
            )
        first, last = whole_days(start, end)
        return self._by_day.get(
            (model, first, last), partial(self._day_timeline, model, first, last)
        )

    def cached(
        self, model: str, start: datetime, end: datetime, requested: RequestedResolution
    ) -> DriftTimeline | None:
        """The day timeline already computed within the TTL, or None (then call `timeline`):
        lets a server answer it without leaving its event loop."""
        if choose(requested, start, end) is Resolution.WINDOW:
            return None
        return self._by_day.fresh((model, *whole_days(start, end)))

    def _day_timeline(self, model: str, first: datetime, last: datetime) -> DriftTimeline:
        spec = self.bins(model)
        if spec is not None:
            key = (model, spec.digest, first, last)
            points = self._sketched.get(key, lambda: _sketch_points(self._store, spec, first, last))
            source = Source.SKETCHES
        else:
            points = self._metric_days(model, first, last)
            source = Source.DRIFT_METRICS
        return DriftTimeline(
            model=model,
            since=first,
            until=last,
            resolution=Resolution.DAY,
            source=source,
            points=points,
        )

    def bins(self, model: str) -> BinSpec | None:
        """The model's sketch bins, or None when it has none."""
        wanted = keys.sketch_bins_key(model)
        for entry in self._lister.files(keys.sketches_prefix(model)):
            if entry.key == wanted:
                try:
                    return self._bins.get(entry)
                except KeyError:
                    return None
        return None

    def _metric_days(self, model: str, first: datetime, last: datetime) -> list[DriftPoint]:
        by_day: dict[datetime, list[WindowFile]] = defaultdict(list)
        for file in self._windows.files_in_range(model, first, last):
            day = file.start.astimezone(UTC).replace(hour=0, minute=0, second=0, microsecond=0)
            by_day[day].append(file)
        points = []
        for day in sorted(by_day):
            files = by_day[day]
            if any(not f.entry.version for f in files):  # a store without versions: no reuse
                points.append(_merge_day(self._windows, day, files))
                continue
            fingerprint = (model, day, tuple(f.entry for f in files))
            points.append(
                self._days.get(fingerprint, partial(_merge_day, self._windows, day, files))
            )
        return points


def _merge_day(windows: DriftWindows, day: datetime, files: Sequence[WindowFile]) -> DriftPoint:
    return day_point(day, windows.read(files))


def _parse_bins(_key: str, data: bytes) -> BinSpec:
    from observability.analyze.sketches import BinSpec

    return BinSpec.from_json(data)


def _sketch_points(
    store: ObjectStore, spec: BinSpec, first: datetime, last: datetime
) -> list[DriftPoint]:
    """Day points from the model's sketches: PSI per feature against the reference."""
    try:
        from observability.analyze.methods import DEFAULT_THRESHOLDS
        from observability.analyze.methods import Method as DriftMethod
        from observability.analyze.stats import is_drifted
        from observability.analyze.timeline import Method, timeline
    except ImportError as exc:
        error = missing_extra(exc, "drift timelines from sketches")
        if error is None:
            raise
        raise error from None
    threshold = DEFAULT_THRESHOLDS[DriftMethod.PSI]
    rows = timeline(
        store, spec, first, last, window=DAY, methods=(Method.PSI,), workers=READ_THREADS
    )
    by_day: dict[str, list[FeatureDrift]] = defaultdict(list)
    counts: dict[str, int] = defaultdict(int)
    for row in rows:
        drifted = row.score is not None and is_drifted(DriftMethod.PSI, row.score, threshold)
        by_day[row.window].append(
            FeatureDrift(
                feature=row.feature,
                method=Method.PSI.value,
                score=row.score,
                threshold=threshold,
                drifted=drifted,
                status=_OK if row.score is not None else "no_data",
            )
        )
        counts[row.window] = max(counts[row.window], row.n_current)
    points = []
    for label in sorted(by_day):
        day = datetime.fromisoformat(label)
        points.append(drift_point(None, day, day + DAY, by_day[label], counts[label]))
    return points
