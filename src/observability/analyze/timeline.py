"""Drift timelines from hourly sketches: PSI and Jensen-Shannon per feature, per window.

A 90-day timeline merges ~2,000 hourly sketches (`analyze/sketches.py`) instead of
scanning millions of raw rows, and gives the same numbers as binning those rows on the
same bins. The formulas follow Evidently 0.7 (`legacy/calculations/stattests`: `psi`,
`jensenshannon` and `get_binned_data`) so scores read the same as its reports:

- Null, NaN and +/-inf values are dropped first (as Evidently's drift calculation does),
  and so are our `invalid` counts; shares are count / remaining rows, per side.
- PSI = sum((r - c) * ln(r / c)) where each side's zero shares are first replaced by
  min(non-zero share) / 1e6 if that minimum is <= 1e-4, else by 1e-4.
- Jensen-Shannon distance = `scipy.spatial.distance.jensenshannon(r, c)` (natural log) on
  the unfilled shares, computed here with numpy row by row.
- A bin or category empty on both sides is left out, as Evidently's union of observed
  categories leaves out keys neither side has.

Binning differs from Evidently for numeric features only: we use the reference's fixed
quantile bins (the point of sketches); Evidently bins reference + current together with
Sturges edges on every call. Tolerance: from the same counts the scores equal a raw-row
computation up to float rounding (tests hold them to 1e-9); categorical scores equal
Evidently's own `psi` / `jensenshannon` stat tests to 1e-9.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from enum import StrEnum
from typing import Final

import numpy as np
import numpy.typing as npt

from observability.analyze.sketch_store import read_day, sketch_key
from observability.analyze.sketches import (
    BINS_START,
    BinsMismatchError,
    BinSpec,
    FeatureKind,
    Sketch,
    hours,
)
from observability.core.partitioning import Partition
from observability.core.schema import Kind
from observability.store.base import ObjectStore

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]
#: Evidently's zero-share fill: this value, or min(non-zero share) / 1e6 below it.
PSI_FLOOR: Final = 1e-4
PSI_SHRINK: Final = 1e6
DAY: Final = timedelta(days=1)


class Method(StrEnum):
    """Distances computed from sketches, named as Evidently names them."""

    PSI = "psi"
    JENSENSHANNON = "jensenshannon"


@dataclass(frozen=True, slots=True)
class TimelineRow:
    """One point of a feature's drift line; `score` is None when a side has no values."""

    window: str  # the window's start, ISO 8601 UTC
    feature: str
    method: Method
    score: float | None
    n_current: int
    n_reference: int


def psi(reference: npt.NDArray[np.int64], current: npt.NDArray[np.int64]) -> FloatArray:
    """PSI of one reference count vector against each row of a current count matrix."""
    ref, cur = _shares(reference[None, :]), _shares(current)
    both_empty = (reference[None, :] == 0) & (current == 0)
    ref, cur = fill_zero_shares(ref), fill_zero_shares(cur)
    with np.errstate(divide="ignore", invalid="ignore"):
        terms = (ref - cur) * np.log(ref / cur)
    return np.asarray(np.where(both_empty, 0.0, terms).sum(axis=1), dtype=np.float64)


def jensenshannon(reference: npt.NDArray[np.int64], current: npt.NDArray[np.int64]) -> FloatArray:
    """Jensen-Shannon distance (natural log) of a reference vector against each current row."""
    ref, cur = _shares(reference[None, :]), _shares(current)
    middle = (ref + cur) / 2.0
    divergence = (_relative_entropy(ref, middle) + _relative_entropy(cur, middle)) / 2.0
    return np.asarray(np.sqrt(divergence), dtype=np.float64)


def _relative_entropy(p: FloatArray, m: FloatArray) -> FloatArray:
    """Row sums of `scipy.special.rel_entr(p, m)`; m > 0 wherever p > 0 here."""
    with np.errstate(divide="ignore", invalid="ignore"):
        terms = np.where(p > 0, p * np.log(p / m), 0.0)
    return np.asarray(terms.sum(axis=1), dtype=np.float64)


_METHODS: Final[Mapping[Method, Callable[[IntArray, IntArray], FloatArray]]] = {
    Method.PSI: psi,
    Method.JENSENSHANNON: jensenshannon,
}


def _shares(counts: IntArray) -> FloatArray:
    totals = counts.sum(axis=1, keepdims=True)
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.asarray(counts / totals, dtype=np.float64)


def fill_zero_shares(shares: FloatArray) -> FloatArray:
    """Evidently's zero filling, per row: min(non-zero share) / 1e6 when that is at most
    1e-4, else 1e-4; the one implementation, also used by the all-rows PSI in `stats`."""
    smallest = np.where(shares > 0, shares, np.inf).min(axis=1, keepdims=True, initial=np.inf)
    fill = np.where(smallest <= PSI_FLOOR, smallest / PSI_SHRINK, PSI_FLOOR)
    return np.where(shares == 0, fill, shares)


def load_hourly(
    store: ObjectStore, spec: BinSpec, start: datetime, end: datetime, *, workers: int = 1
) -> dict[datetime, Sketch]:
    """The stored sketches of the hours in [start, end); hours without one are absent.

    Raises BinsMismatchError naming the first sketch built with other bins. `workers` > 1
    reads in threads (worth it on S3, where each read is a round trip).
    """

    def read(hour: datetime) -> tuple[datetime, Sketch | None]:
        partition = Partition(Kind.PREDICTION, spec.model, f"{hour:%Y-%m-%d}", f"{hour:%H}")
        try:
            return hour, Sketch.from_json(store.get(sketch_key(partition)))
        except KeyError:
            return hour, None

    wanted = hours(start.astimezone(UTC), end.astimezone(UTC))
    if workers > 1:
        with ThreadPoolExecutor(workers) as pool:
            found = list(pool.map(read, wanted))
    else:
        found = [read(hour) for hour in wanted]
    loaded = {hour: sketch for hour, sketch in found if sketch is not None}
    for hour, sketch in loaded.items():
        if sketch.bins != spec.digest or sketch.model != spec.model:
            raise BinsMismatchError(
                f"sketch of model {sketch.model} at {hour:%Y-%m-%dT%H}:00Z was built with bins "
                f"{sketch.bins}, the current bins of model {spec.model} are {spec.digest}: "
                "rebuild the range with rebuild_sketches"
            )
    return loaded


def load_sketches(
    store: ObjectStore,
    spec: BinSpec,
    start: datetime,
    end: datetime,
    *,
    window: timedelta = DAY,
    workers: int = 1,
) -> dict[datetime, Sketch]:
    """Sketches covering [start, end): whole days as one roll-up keyed at midnight when
    windows are whole days from a midnight `start` (a day never straddles two windows),
    hours otherwise. Same merged counts per window either way, 24x fewer reads."""
    start, end = start.astimezone(UTC), end.astimezone(UTC)
    midnight = start.replace(hour=0, minute=0, second=0, microsecond=0)
    if start != midnight or window % DAY:
        return load_hourly(store, spec, start, end, workers=workers)
    full_days = (end - start) // DAY
    days = [start + i * DAY for i in range(full_days)]

    def read(day: datetime) -> tuple[datetime, Sketch | None]:
        found = read_day(store, spec, f"{day:%Y-%m-%d}")
        return day, None if found is None else found[0]

    if workers > 1:
        with ThreadPoolExecutor(workers) as pool:
            loaded = list(pool.map(read, days))
    else:
        loaded = [read(day) for day in days]
    result = {day: sketch for day, sketch in loaded if sketch is not None}
    tail = start + full_days * DAY
    if tail < end:
        result.update(load_hourly(store, spec, tail, end, workers=workers))
    return result


def timeline(
    store: ObjectStore,
    spec: BinSpec,
    start: datetime,
    end: datetime,
    *,
    window: timedelta = DAY,
    methods: Sequence[Method] = tuple(Method),
    workers: int = 1,
) -> list[TimelineRow]:
    """Per-window drift of every feature over [start, end), from stored sketches only."""
    hourly = load_sketches(store, spec, start, end, window=window, workers=workers)
    return timeline_from_sketches(spec, hourly, start, end, window=window, methods=methods)


def timeline_from_sketches(
    spec: BinSpec,
    hourly: Mapping[datetime, Sketch],
    start: datetime,
    end: datetime,
    *,
    window: timedelta = DAY,
    methods: Sequence[Method] = tuple(Method),
) -> list[TimelineRow]:
    """Windows of `window` from `start` (the last may be shorter); hourly sketches summed
    per window, each feature scored against the reference. Empty windows get None."""
    start, end = start.astimezone(UTC), end.astimezone(UTC)
    count = max(0, -(-(end - start) // window))
    starts = [start + i * window for i in range(count)]
    keys = sorted(hourly)
    slots = np.array([(hour - start) // window for hour in keys], dtype=np.int64)
    inside = (slots >= 0) & (slots < count)
    rows: list[TimelineRow] = []
    for feature in spec.features:
        name = feature.name
        hourly_counts: Sequence[Sequence[int]]
        if feature.kind is FeatureKind.NUMERIC:
            hourly_counts = [hourly[hour].numeric[name] for hour in keys]
            reference = np.asarray(spec.reference.numeric[name], dtype=np.int64)[BINS_START:]
            width = feature.width
        else:
            reference, hourly_counts, width = _category_matrix(spec, name, keys, hourly)
        matrix = np.asarray(hourly_counts, dtype=np.int64).reshape(len(keys), width)
        windows = np.zeros((count, width), dtype=np.int64)
        np.add.at(windows, slots[inside], matrix[inside])
        if feature.kind is FeatureKind.NUMERIC:
            windows = windows[:, BINS_START:]
        rows.extend(_score(name, starts, reference, windows, methods))
    return rows


def _category_matrix(
    spec: BinSpec, name: str, keys: Sequence[datetime], hourly: Mapping[datetime, Sketch]
) -> tuple[IntArray, list[list[int]], int]:
    """Reference vector and hourly rows over the union of every category seen."""
    counts = [hourly[hour].categorical[name].counts for hour in keys]
    reference_counts = spec.reference.categorical[name].counts
    categories = sorted(set(reference_counts).union(*counts))
    reference = np.array([reference_counts.get(c, 0) for c in categories], dtype=np.int64)
    return reference, [[row.get(c, 0) for c in categories] for row in counts], len(categories)


def _score(
    name: str,
    starts: Iterable[datetime],
    reference: IntArray,
    windows: IntArray,
    methods: Sequence[Method],
) -> list[TimelineRow]:
    n_reference = int(reference.sum())
    n_current = windows.sum(axis=1)
    usable = (n_current > 0) & (n_reference > 0)
    if not usable.any():
        scores = {method: np.full(len(windows), np.nan) for method in methods}
    else:
        scores = {method: _METHODS[method](reference, windows) for method in methods}
    rows = []
    for i, begin in enumerate(starts):
        label = begin.isoformat().replace("+00:00", "Z")
        for method in methods:
            score = float(scores[method][i]) if usable[i] else None
            rows.append(TimelineRow(label, name, method, score, int(n_current[i]), n_reference))
    return rows
