"""Daily roll-ups: the merge of a day's hour sketches, kept fresh and never trusted stale."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import numpy as np
import orjson

from observability.analyze.sketch_store import (
    SketchWriter,
    day_key,
    read_day,
    save_bins,
    sketch_key,
    stored_hours,
    write_day,
)
from observability.analyze.sketches import BinSpec, Sketch
from observability.analyze.timeline import load_hourly, timeline, timeline_from_sketches
from observability.core.metrics import Metrics
from observability.core.partitioning import Partition
from observability.core.schema import Kind
from observability.store.compaction import Compactor
from observability.store.local import LocalStore
from tests.analyze.test_sketches import prediction_line, put_predictions
from tests.analyze.test_timeline import CATEGORICAL, hourly_rows, reference_frame

MODEL = "fraud"
DAY = "2026-11-01"
START = datetime(2026, 11, 1, tzinfo=UTC)


def partition(hour: datetime) -> Partition:
    """The prediction partition of an hour of MODEL."""
    return Partition(Kind.PREDICTION, MODEL, f"{hour:%Y-%m-%d}", f"{hour:%H}")


def stored(store: LocalStore, hours: int) -> tuple[BinSpec, list[Sketch]]:
    """Bins saved and `hours` hour sketches from START stored (without roll-ups)."""
    rng = np.random.default_rng(5)
    spec = BinSpec.from_reference(MODEL, reference_frame(rng), categorical=CATEGORICAL, bins=10)
    save_bins(store, spec)
    sketches = []
    for i in range(hours):
        sketch = spec.sketch(hourly_rows(rng, i))
        store.put(sketch_key(partition(START + timedelta(hours=i))), sketch.to_json())
        sketches.append(sketch)
    return spec, sketches


def merged(spec: BinSpec, sketches: list[Sketch]) -> Sketch:
    """Reference merge of sketches, independent of the store."""
    total = spec.empty()
    for sketch in sketches:
        total = total.merge(sketch)
    return total


def test_roll_up_is_the_merge_of_the_days_hours(store: LocalStore) -> None:
    """The stored `_day.json` holds the merge of the day's hours, their list and the bins."""
    spec, sketches = stored(store, 30)  # 24 hours on day 1, 6 on day 2
    assert write_day(store, spec, MODEL, DAY) == merged(spec, sketches[:24])
    body = orjson.loads(store.get(day_key(MODEL, DAY)))
    assert day_key(MODEL, DAY) == f"sketches/model={MODEL}/dt={DAY}/_day.json"
    assert body["hours"] == [f"{h:02d}" for h in range(24)]
    assert body["bins"] == spec.digest
    assert Sketch.from_json(orjson.dumps(body["sketch"])) == merged(spec, sketches[:24])
    assert read_day(store, spec, "2026-11-02") == (
        merged(spec, sketches[24:]),
        [f"{h:02d}" for h in range(6)],
    )


def test_compacting_a_new_hour_updates_the_roll_up(store: LocalStore, metrics: Metrics) -> None:
    """The compaction hook rewrites the day's roll-up so it includes each new hour."""
    spec, _ = stored(store, 1)
    day = "2026-11-23"
    earlier = spec.sketch({"amount": [3.0, 4.0], "country": ["DE", "US"]})
    store.put(sketch_key(Partition(Kind.PREDICTION, MODEL, day, "02")), earlier.to_json())
    write_day(store, spec, MODEL, day)
    hour = Partition(Kind.PREDICTION, MODEL, day, "13")
    put_predictions(store, [prediction_line(i, amount=float(i), country="DE") for i in range(7)])
    Compactor(store, metrics, on_compacted=SketchWriter(store)).compact(hour)
    body = orjson.loads(store.get(day_key(MODEL, day)))
    assert body["hours"] == ["02", "13"]
    new = Sketch.from_json(store.get(sketch_key(hour)))
    assert new.rows == 7
    assert Sketch.from_json(orjson.dumps(body["sketch"])) == merged(spec, [earlier, new])


def test_stale_roll_up_is_not_trusted(store: LocalStore) -> None:
    """A roll-up whose hours list or bins differ from the store is rebuilt from the hours."""
    spec, sketches = stored(store, 4)
    write_day(store, spec, MODEL, DAY)
    extra = spec.sketch({"amount": [1.0, 2.0], "country": ["DE", "FR"]})
    store.put(sketch_key(partition(START + timedelta(hours=9))), extra.to_json())
    assert stored_hours(store, MODEL, DAY) == ["00", "01", "02", "03", "09"]
    sketch, hours = read_day(store, spec, DAY) or (None, [])
    assert sketch == merged(spec, [*sketches, extra])
    assert hours == ["00", "01", "02", "03", "09"]
    assert orjson.loads(store.get(day_key(MODEL, DAY)))["hours"] == hours  # rewritten
    body = orjson.loads(store.get(day_key(MODEL, DAY)))
    body["bins"] = "0" * 16
    body["sketch"]["rows"] = 123456
    store.put(day_key(MODEL, DAY), orjson.dumps(body))
    assert read_day(store, spec, DAY) == (merged(spec, [*sketches, extra]), hours)


def test_timeline_is_identical_with_and_without_roll_ups(store: LocalStore) -> None:
    """Daily windows from roll-ups equal those merged from hours; 6-hour windows use hours."""
    spec, _ = stored(store, 60)
    end = START + timedelta(days=3)
    from_hours = timeline_from_sketches(spec, load_hourly(store, spec, START, end), START, end)
    assert not store.exists(day_key(MODEL, DAY))
    assert timeline(store, spec, START, end) == from_hours
    assert store.exists(day_key(MODEL, DAY))  # written on first read
    assert timeline(store, spec, START, end, workers=4) == from_hours
    six = timedelta(hours=6)
    by_hours = timeline_from_sketches(
        spec, load_hourly(store, spec, START, end), START, end, window=six
    )
    assert timeline(store, spec, START, end, window=six) == by_hours
    late = START + timedelta(hours=3)
    shifted = timeline_from_sketches(spec, load_hourly(store, spec, late, end), late, end)
    assert timeline(store, spec, late, end) == shifted
    assert len(from_hours) == 3 * len(spec.features) * 2
