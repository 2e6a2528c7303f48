"""Where sketches live: keys, bins, the compaction hook, rebuilds and daily roll-ups.

`analyze/sketches.py` counts and merges; this module reads and writes them (keys from
`core/keys.py`):
```
sketches/model=<model>/_bins.json                             BinSpec + reference histogram
sketches/model=<model>/dt=<YYYY-MM-DD>/hour=<HH>/sketch.json  one hour's Sketch
sketches/model=<model>/dt=<YYYY-MM-DD>/_day.json              merge of that day's hours
```
The drift job saves a model's bins (`bins_for_model`) on its first run; from then on the
compaction hook sketches each compacted hour. `rebuild_sketches` backfills older hours.
A roll-up exists so a 90-day timeline reads 90 objects, not 2,160. It names the hours it
merged and the bins' digest; a reader trusts it only when both match what is stored now,
and otherwise merges the hours (a roll-up is a cache, never the only copy).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING

import orjson

# pyarrow ships no type information; its objects are Any here.
import pyarrow as pa
import pyarrow.parquet as pq

from observability.analyze.config import ModelConfig
from observability.analyze.methods import FeatureType
from observability.analyze.sketches import (
    SKETCH_VERSION,
    BinsMismatchError,
    BinSpec,
    Sketch,
)
from observability.core import keys
from observability.core.partitioning import Partition, parse_prefix
from observability.core.schema import Kind
from observability.store.base import ObjectStore
from observability.store.compaction import OUTPUT_NAME, read_manifest

if TYPE_CHECKING:
    import pandas as pd  # type: ignore[import-untyped,unused-ignore]


def bins_key(model: str) -> str:
    """Where a model's BinSpec is stored."""
    return keys.sketch_bins_key(model)


def sketch_key(partition: Partition) -> str:
    """Where a prediction hour's sketch is stored."""
    if partition.hour is None:
        raise ValueError(f"sketches are per hour; {partition.prefix} is a day")
    return keys.sketch_hour_key(partition.key, partition.dt, partition.hour)


def save_bins(store: ObjectStore, spec: BinSpec) -> None:
    """Persist a model's bins; sketches of earlier bins stop merging until rebuilt."""
    store.put(bins_key(spec.model), spec.to_json())


def load_bins(store: ObjectStore, model: str) -> BinSpec | None:
    """A model's stored bins, or None when it has none; ValueError names a damaged file."""
    key = bins_key(model)
    try:
        data = store.get(key)
    except KeyError:
        return None
    try:
        return BinSpec.from_json(data)
    except (KeyError, TypeError, ValueError) as exc:
        raise ValueError(f"{key} is not readable bins ({type(exc).__name__}: {exc})") from None


def bins_for_model(model: ModelConfig, reference: pd.DataFrame) -> BinSpec:
    """Bins of `model`'s configured features that its reference has, by their configured type."""
    present = [name for name in model.features if name in reference.columns]
    return BinSpec.from_reference(
        model.name,
        reference,
        categorical=[n for n in present if model.features[n] is FeatureType.CATEGORICAL],
        numeric=[n for n in present if model.features[n] is FeatureType.NUMERIC],
    )


class SketchWriter:
    """The compaction hook: sketches each compacted prediction hour with its model's bins.

    Pass it as `Compactor(store, metrics, on_compacted=SketchWriter(store, bins))`; models
    without bins (`bins_for_model` returns None) are skipped and can be backfilled later.
    """

    def __init__(
        self, store: ObjectStore, bins_for_model: Callable[[str], BinSpec | None] | None = None
    ) -> None:
        self._store = store
        self._bins = bins_for_model or (lambda model: load_bins(store, model))

    def __call__(self, partition: Partition, table: pa.Table) -> None:
        """Write the hour's sketch (prediction hours of models with bins only)."""
        if partition.kind is not Kind.PREDICTION or partition.hour is None:
            return
        spec = self._bins(partition.key)
        if spec is not None:
            sketch = spec.sketch_texts(table["features"])
            self._store.put(sketch_key(partition), sketch.to_json())
            add_hour(self._store, spec, partition, sketch)


def sketch_hour(store: ObjectStore, spec: BinSpec, partition: Partition) -> Sketch | None:
    """An hour's sketch from stored predictions (compacted file plus files it does not
    cover, as readers see them); None when the hour has no data."""
    sketches: list[Sketch] = []
    covered: set[str] = set()
    try:
        data = store.get(partition.compacted_key(OUTPUT_NAME))
    except KeyError:
        pass
    else:
        covered = set(read_manifest(data)["sources"])
        table = pq.read_table(pa.BufferReader(data), columns=["features"])
        sketches.append(spec.sketch_texts(table["features"]))
    prefix = partition.prefix
    for key in store.list(prefix):
        name = key[len(prefix) :]
        if key in covered or "/" in name or name.startswith((".", "_")):
            continue
        sketches.append(spec.sketch_ndjson(store.get(key)))
    if not sketches:
        return None
    merged = sketches[0]
    for sketch in sketches[1:]:
        merged = merged.merge(sketch)
    return merged


def prediction_hours(
    store: ObjectStore, model: str, start: datetime, end: datetime
) -> list[Partition]:
    """A model's prediction hours in [start, end) with source or compacted data."""
    found: set[Partition] = set()
    root = keys.hive_prefix(keys.kind_prefix(Kind.PREDICTION), ("model", model))
    day = start.astimezone(UTC).replace(hour=0, minute=0, second=0, microsecond=0)
    while day < end:  # one listing per day of the range, not the model's whole history
        head = keys.hive_prefix(root, ("dt", keys.day(day)))
        for key in (*store.list(head), *store.list(keys.compacted_prefix(head))):
            try:
                partition = parse_prefix(key.rpartition("/")[0] + "/")
            except ValueError:
                continue
            if partition.hour is None:
                continue
            if partition.key == model and start <= partition.start < end:
                found.add(partition)
        day += timedelta(days=1)
    return sorted(found)


#: An hour's sketch from rows the caller already holds (the hour's start), or None.
KnownHours = Callable[[datetime], Sketch | None]


def rebuild_sketches(
    store: ObjectStore,
    spec: BinSpec,
    start: datetime,
    end: datetime,
    known: KnownHours | None = None,
) -> list[Partition]:
    """(Re)write the sketches of every hour in [start, end) from stored predictions.

    `known` gives the sketch of an hour whose records the caller has already read (a
    drift run's window), so those hours are not read again.
    """
    written = []
    for partition in prediction_hours(store, spec.model, start, end):
        sketch = known(partition.start) if known is not None else None
        if sketch is None:
            sketch = sketch_hour(store, spec, partition)
        if sketch is not None:
            store.put(sketch_key(partition), sketch.to_json())
            written.append(partition)
    for day in sorted({p.dt for p in written}):
        write_day(store, spec, spec.model, day)
    return written


def day_key(model: str, day: str) -> str:
    """Where a model-day's roll-up is stored."""
    return keys.sketch_day_key(model, day)


def stored_hours(store: ObjectStore, model: str, day: str) -> list[str]:
    """The hours (`HH`) of a model-day that have a stored sketch."""
    found = []
    for key in store.list(keys.sketch_day_prefix(model, day)):
        hour = keys.sketch_hour_of(key, model, day)
        if hour is not None:
            found.append(hour)
    return sorted(found)


def merge_all(spec: BinSpec, sketches: Iterable[Sketch]) -> Sketch:
    """The merge of `sketches` (the empty sketch of `spec` when there are none)."""
    merged = spec.empty()
    for sketch in sketches:
        merged = merged.merge(sketch)
    return merged


def _hour_sketches(store: ObjectStore, spec: BinSpec, day: str, hours: list[str]) -> Sketch:
    """The merge of a day's hour sketches; BinsMismatchError names an hour of other bins."""
    merged = spec.empty()
    for hour in hours:
        key = sketch_key(Partition(Kind.PREDICTION, spec.model, day, hour))
        sketch = Sketch.from_json(store.get(key))
        if sketch.bins != spec.digest or sketch.model != spec.model:
            raise BinsMismatchError(
                f"sketch of model {sketch.model} at {day}T{hour}:00Z was built with bins "
                f"{sketch.bins}, the current bins of model {spec.model} are {spec.digest}: "
                "rebuild the range with rebuild_sketches"
            )
        merged = merged.merge(sketch)
    return merged


def write_day(store: ObjectStore, spec: BinSpec, model: str, day: str) -> Sketch | None:
    """Rewrite a model-day's roll-up from its hour sketches; None when it has none.

    Hours of other bins are a BinsMismatchError: the roll-up is not written then.
    """
    hours = stored_hours(store, model, day)
    if not hours or spec.model != model:
        return None
    merged = _hour_sketches(store, spec, day, hours)
    _put_day(store, spec, day, hours, merged)
    return merged


def _fresh_day(store: ObjectStore, spec: BinSpec, day: str, hours: list[str]) -> Sketch | None:
    """The stored roll-up when it covers exactly `hours` on the current bins, else None."""
    try:
        body = orjson.loads(store.get(day_key(spec.model, day)))
    except (KeyError, orjson.JSONDecodeError):
        return None
    if not (
        isinstance(body, dict)
        and body.get("version") == SKETCH_VERSION
        and body.get("bins") == spec.digest
        and body.get("hours") == hours
    ):
        return None
    try:
        sketch = Sketch.from_json(orjson.dumps(body["sketch"]))
    except (KeyError, TypeError, ValueError):
        return None
    if sketch.bins != spec.digest or sketch.model != spec.model:
        return None
    return sketch


def _put_day(
    store: ObjectStore, spec: BinSpec, day: str, hours: list[str], day_sketch: Sketch
) -> None:
    body = {
        "version": SKETCH_VERSION,
        "bins": spec.digest,
        "hours": hours,
        "sketch": orjson.loads(day_sketch.to_json()),
    }
    store.put(day_key(spec.model, day), orjson.dumps(body))


def add_hour(store: ObjectStore, spec: BinSpec, partition: Partition, sketch: Sketch) -> None:
    """Update a day's roll-up for a newly written hour sketch.

    When the roll-up is fresh for every other stored hour of the day, the new hour is
    merged into it (one read instead of 24); otherwise (a re-written hour, a stale or
    missing roll-up) the day is merged again from its hours.
    """
    day, hour = partition.dt, partition.hour
    hours = stored_hours(store, spec.model, day)
    others = [h for h in hours if h != hour]
    previous = _fresh_day(store, spec, day, others) if others and hour in hours else None
    if previous is None or sketch.bins != spec.digest:
        write_day(store, spec, spec.model, day)
        return
    _put_day(store, spec, day, hours, previous.merge(sketch))


def read_day(store: ObjectStore, spec: BinSpec, day: str) -> tuple[Sketch, list[str]] | None:
    """A model-day's merged sketch and its hours, or None when it has no hour sketches.

    The roll-up is used when its hours and bins match what is stored; otherwise the day
    is merged from its hours and the roll-up rewritten.
    """
    hours = stored_hours(store, spec.model, day)
    if not hours:
        return None
    fresh = _fresh_day(store, spec, day, hours)
    if fresh is not None:
        return fresh, hours
    merged = write_day(store, spec, spec.model, day)
    if merged is None:  # pragma: no cover - hours vanished between list and read
        return None
    return merged, hours


__all__ = [
    "BinsMismatchError",
    "KnownHours",
    "SketchWriter",
    "add_hour",
    "bins_for_model",
    "bins_key",
    "day_key",
    "load_bins",
    "merge_all",
    "prediction_hours",
    "read_day",
    "rebuild_sketches",
    "save_bins",
    "sketch_hour",
    "sketch_key",
    "stored_hours",
    "write_day",
]
