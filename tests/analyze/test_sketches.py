"""Sketches: fixed reference bins, exact counts, merging by addition, storage, compaction hook."""

from __future__ import annotations

import math
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

import numpy as np
import orjson
import pyarrow as pa
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from observability.analyze.sketch_store import (
    SketchWriter,
    bins_key,
    load_bins,
    rebuild_sketches,
    save_bins,
    sketch_key,
)
from observability.analyze.sketches import (
    BINS_START,
    BinsMismatchError,
    BinSpec,
    FeatureKind,
    Sketch,
    category_key,
)
from observability.core.metrics import Metrics
from observability.core.partitioning import Partition
from observability.core.schema import Kind
from observability.store.compaction import MANIFEST_NAME, Compactor
from observability.store.files import encode_ndjson_gz, new_filename
from observability.store.local import LocalStore
from observability.transform.lines import transform_lines

MODEL = "fraud"
HOUR = Partition(Kind.PREDICTION, MODEL, "2026-11-23", "13")
INGESTED = "2026-11-23T14:00:00.000000Z"


def reference_spec(bins: int = 10, seed: int = 7) -> BinSpec:
    """A spec over a numeric `amount`, a discrete numeric `items` and a categorical `country`."""
    rng = np.random.default_rng(seed)
    data = {
        "amount": rng.gamma(2.0, 50.0, 4000),
        "items": rng.integers(1, 4, 4000),
        "country": rng.choice(["DE", "FR", "US"], 4000),
    }
    return BinSpec.from_reference(MODEL, data, categorical=["country"], bins=bins)


def expected_numeric(edges: Sequence[float], values: Sequence[Any]) -> tuple[int, ...]:
    """Counts by the documented layout, computed the slow, obvious way."""
    nulls = nonfinite = invalid = 0
    bins = [0] * (len(edges) + 1)
    for value in values:
        if value is None or (isinstance(value, float) and math.isnan(value)):
            nulls += 1
        elif isinstance(value, bool) or not isinstance(value, (int, float)):
            invalid += 1
        elif math.isinf(value):
            nonfinite += 1
        elif value < edges[0]:
            bins[0] += 1
        elif value > edges[-1]:
            bins[-1] += 1
        elif value == edges[-1]:
            bins[-2] += 1
        else:
            bins[max(i for i, e in enumerate(edges) if e <= value) + 1] += 1
    return (nulls, nonfinite, invalid, *bins)


def prediction_line(i: int, hour: str = "13", **features: object) -> bytes:
    """A prediction record as a producer sends it."""
    record = {
        "timestamp": f"2026-11-23T{hour}:{i % 60:02d}:00Z",
        "model": MODEL,
        "prediction_id": f"p-{hour}-{i}",
        "features": features,
        "prediction": 0.5,
    }
    return orjson.dumps(record)


def put_predictions(store: LocalStore, lines: Sequence[bytes]) -> str:
    """Lines transformed like ingest, written as one gzip NDJSON file in their partition."""
    processed = transform_lines(lines, Kind.PREDICTION, INGESTED)
    assert not processed.rejected
    partition = processed.accepted[0].partition
    key = partition.object_key(new_filename())
    store.put(key, encode_ndjson_gz(a.line for a in processed.accepted))
    return key


def test_bins_come_from_reference_quantiles() -> None:
    """Numeric edges are reference quantiles (no reference value outside them); a discrete
    feature gets one bin per value; categories are counted as they are."""
    spec = reference_spec()
    kinds = {f.name: f.kind for f in spec.features}
    assert kinds == {
        "amount": FeatureKind.NUMERIC,
        "country": FeatureKind.CATEGORICAL,
        "items": FeatureKind.NUMERIC,
    }
    amount = spec.reference.numeric["amount"]
    assert amount[:BINS_START] == (0, 0, 0)
    assert (amount[BINS_START], amount[-1]) == (0, 0)  # nothing below or above
    assert sum(amount) == 4000 and len(amount) == BINS_START + 10 + 2
    assert max(amount[BINS_START + 1 : -1]) - min(amount[BINS_START + 1 : -1]) <= 2  # deciles
    items = spec.reference.numeric["items"][BINS_START:]
    assert items[0] == items[-1] == 0 and len(items) == 5 and all(items[1:4])
    assert sum(spec.reference.categorical["country"].counts.values()) == 4000


def test_numeric_counts_follow_the_layout() -> None:
    """Nulls, NaN, infinities, wrong types and edge values land in the documented slots."""
    spec = reference_spec()
    edges = next(f.edges for f in spec.features if f.name == "amount")
    values: list[Any] = [None, math.nan, math.inf, -math.inf, "12", True, {"x": 1}, -5.0]
    values += [edges[0], edges[-1], edges[-1] + 1, edges[3], 3, 10**30]
    sketch = spec.sketch({"amount": values})
    assert sketch.numeric["amount"] == expected_numeric(edges, values)
    assert sketch.numeric["amount"][:BINS_START] == (2, 2, 3)


def test_category_keys_and_counts() -> None:
    """Strings are kept, booleans become true/false, numbers their text, NaN is null, and an
    object is counted as invalid rather than dropped."""
    assert [category_key(v) for v in ("DE", True, 3, 2.5, None, math.nan)] == [
        "DE",
        "true",
        "3",
        "2.5",
        None,
        None,
    ]
    counts = reference_spec().sketch({"country": ["DE", "DE", None, True, 3, [1]]})
    country = counts.categorical["country"]
    assert (dict(country.counts), country.nulls, country.invalid) == (
        {"DE": 2, "true": 1, "3": 1},
        1,
        1,
    )
    assert (
        counts.categorical["country"]
        == reference_spec()
        .sketch_objects([{"country": v} for v in ["DE", "DE", None, True, 3, [1]]])
        .categorical["country"]
    )


def test_feature_texts_fast_and_row_by_row_paths_agree() -> None:
    """A column that needs the row-by-row fallback (a nested value, bad JSON) counts every
    other value exactly as the one-call decoder does, and rejected rows are counted."""
    spec = reference_spec()
    rows = [
        {"amount": i * 7.5, "items": i % 4, "country": "DE" if i % 3 else "US"} for i in range(300)
    ]
    clean = [orjson.dumps(r).decode() for r in rows]
    fast = spec.sketch_texts(pa.array(clean))
    odd = pa.array([*clean, '{"amount": {"nested": 1}}', "not json", "[1]", None])
    slow = spec.sketch_texts(odd)
    assert (fast.rows, fast.rejected, slow.rows, slow.rejected) == (300, 0, 304, 3)
    assert slow.categorical["country"].counts == fast.categorical["country"].counts
    assert slow.categorical["country"].nulls == 1  # the nested row has no country
    merged_amount = np.array(fast.numeric["amount"]) + np.array([0, 0, 1, *[0] * 12])
    assert slow.numeric["amount"] == tuple(merged_amount.tolist())


_field = st.one_of(
    st.none(),
    st.floats(allow_nan=False, allow_infinity=False, width=32),
    st.integers(-(2**40), 2**40),
    st.sampled_from(["DE", "FR", "", "1.5", True, False]),
    st.just([1, 2]),
    st.just({"x": 1}),
)
_record = st.one_of(
    st.fixed_dictionaries({}, optional={"amount": _field, "items": _field, "country": _field}),
    _field,
)
_line = st.one_of(
    st.builds(lambda features: orjson.dumps({"model": MODEL, "features": features}), _record),
    st.builds(orjson.dumps, _record),
    st.sampled_from([b"not json", b"[1]", b'{"features": 1', b"{}"]),
)


@settings(max_examples=120, deadline=None)
@given(st.lists(_line, max_size=30))
def test_source_files_columnar_and_line_by_line_reading_agree(lines: list[bytes]) -> None:
    """A stored NDJSON file's sketch is the same whether Arrow reads it as columns or (when
    anything is irregular) it is read line by line, as the reference reads it."""
    spec = _SPEC
    reference: list[Any] = []
    for line in lines:
        try:
            reference.append(orjson.loads(line).get("features"))
        except (orjson.JSONDecodeError, AttributeError):
            reference.append(None)
    stored = b"\n".join(line + (b"\n" if i % 7 == 3 else b"") for i, line in enumerate(lines))
    assert spec.sketch_ndjson(stored) == spec.sketch_objects(reference)
    assert spec.sketch_ndjson(encode_ndjson_gz(lines)) == spec.sketch_objects(reference)


def test_regular_source_files_are_read_as_columns() -> None:
    """Regular prediction lines are read as columns of the configured features only."""
    spec = _SPEC
    lines = [
        orjson.dumps(
            {
                "model": MODEL,
                "features": {"amount": i * 1.5, "items": i % 3, "country": "DE", "extra": [i]},
            }
        )
        for i in range(50)
    ]
    typed = spec.sketch_ndjson(encode_ndjson_gz(lines))
    assert typed.rows == 50 and typed.rejected == 0
    assert typed == spec.sketch_objects([orjson.loads(line)["features"] for line in lines])


_values = st.lists(
    st.one_of(
        st.none(),
        st.floats(allow_nan=True, allow_infinity=True, width=32),
        st.integers(-1000, 1000),
        st.sampled_from(["DE", "FR", "XX", True]),
    ),
    max_size=40,
)


def _sketch(values: list[Any]) -> Sketch:
    spec = _SPEC
    return spec.sketch({"amount": values, "country": values, "items": values[::-1]})


_SPEC = reference_spec(bins=8)


@settings(max_examples=60, deadline=None)
@given(_values, _values, _values)
def test_merge_is_associative_commutative_and_exact(
    a: list[Any], b: list[Any], c: list[Any]
) -> None:
    """Merging sketches equals sketching the concatenated rows, in any order or grouping."""
    sa, sb, sc = _sketch(a), _sketch(b), _sketch(c)
    assert sa.merge(sb) == sb.merge(sa)
    assert sa.merge(sb).merge(sc) == sa.merge(sb.merge(sc))
    assert sa.merge(sb).merge(sc) == _sketch(a + b + c)
    assert _SPEC.empty().merge(sa) == sa
    assert Sketch.from_json(sa.to_json()) == sa


def test_bins_persist_and_mismatched_sketches_do_not_merge(store: LocalStore) -> None:
    """Saved bins load back equal under `sketches/model=<m>/_bins.json`; a tampered file is
    refused; sketches made with other bins refuse to merge with a clear message."""
    spec = reference_spec()
    save_bins(store, spec)
    assert bins_key(MODEL) == f"sketches/model={MODEL}/_bins.json"
    assert load_bins(store, MODEL) == spec
    assert load_bins(store, "other") is None
    body = orjson.loads(store.get(bins_key(MODEL)))
    body["features"][0]["edges"][1] += 1.0
    store.put(bins_key(MODEL), orjson.dumps(body))
    with pytest.raises(ValueError, match="do not match their digest"):
        load_bins(store, MODEL)
    other = reference_spec(bins=12)
    assert other.digest != spec.digest
    with pytest.raises(BinsMismatchError, match="rebuild"):
        spec.empty().merge(other.empty())


def test_compaction_hook_writes_the_hours_sketch(store: LocalStore, metrics: Metrics) -> None:
    """Compacting a prediction hour writes its sketch, with the counts of the hour's rows;
    a re-run that skips the hour leaves it alone, and models without bins get none."""
    spec = reference_spec()
    save_bins(store, spec)
    rows = [
        {"amount": float(i), "items": i % 5, "country": ("DE", "US", "BR")[i % 3]}
        for i in range(200)
    ]
    put_predictions(store, [prediction_line(i, **r) for i, r in enumerate(rows)])
    put_predictions(store, [prediction_line(500, amount=None, items=2)])
    compactor = Compactor(store, metrics, on_compacted=SketchWriter(store))
    assert compactor.compact(HOUR).rows == 201
    sketch = Sketch.from_json(store.get(sketch_key(HOUR)))
    assert sketch_key(HOUR) == f"sketches/model={MODEL}/dt=2026-11-23/hour=13/sketch.json"
    expected = spec.sketch(
        {
            name: [r.get(name) for r in [*rows, {"items": 2}]]
            for name in ("amount", "items", "country")
        }
    )
    assert sketch == expected and sketch.rows == 201
    assert sketch.categorical["country"].counts["BR"] == 66
    store.delete(sketch_key(HOUR))
    assert compactor.compact(HOUR).skipped
    assert not store.exists(sketch_key(HOUR))
    other = Partition(Kind.PREDICTION, "no-bins", "2026-11-23", "13")
    line = orjson.dumps({**orjson.loads(prediction_line(1, amount=1.0)), "model": "no-bins"})
    put_predictions(store, [line])
    assert compactor.compact(other).rows == 1
    assert not store.exists(sketch_key(other))


def test_a_failing_hook_leaves_the_hour_to_be_compacted_again(
    store: LocalStore, metrics: Metrics
) -> None:
    """If the hook raises, no sidecar is written, so the next run compacts and sketches it."""
    save_bins(store, reference_spec())
    put_predictions(store, [prediction_line(i, amount=float(i)) for i in range(10)])

    def broken(partition: Partition, table: pa.Table) -> None:
        raise RuntimeError("sketch store unavailable")

    with pytest.raises(RuntimeError):
        Compactor(store, metrics, on_compacted=broken).compact(HOUR)
    assert not store.exists(HOUR.compacted_key(MANIFEST_NAME))
    result = Compactor(store, metrics, on_compacted=SketchWriter(store)).compact(HOUR)
    assert not result.skipped
    assert Sketch.from_json(store.get(sketch_key(HOUR))).rows == 10


def test_rebuild_reads_compacted_and_uncovered_files(store: LocalStore, metrics: Metrics) -> None:
    """A rebuild with new bins sketches each hour from its compacted file plus the files that
    arrived after compaction, replacing sketches made with the old bins."""
    old = reference_spec()
    save_bins(store, old)
    put_predictions(store, [prediction_line(i, amount=float(i)) for i in range(50)])
    Compactor(store, metrics, on_compacted=SketchWriter(store)).compact(HOUR)
    put_predictions(store, [prediction_line(i, amount=1e6) for i in range(50, 60)])
    put_predictions(store, [prediction_line(i, "15", amount=2.0) for i in range(5)])
    new = reference_spec(bins=5)
    save_bins(store, new)
    start, end = datetime(2026, 11, 23, tzinfo=UTC), datetime(2026, 11, 24, tzinfo=UTC)
    written = rebuild_sketches(store, new, start, end)
    assert [p.hour for p in written] == ["13", "15"]
    thirteen = Sketch.from_json(store.get(sketch_key(HOUR)))
    amounts = [float(i) for i in range(50)] + [1e6] * 10
    assert thirteen.bins == new.digest and thirteen.rows == 60
    assert thirteen.numeric["amount"] == new.sketch({"amount": amounts}).numeric["amount"]
    assert thirteen.categorical["country"].nulls == 60


@pytest.mark.parametrize("distinct", [1, 3, 20, 21, 5000])
@pytest.mark.parametrize("late", [False, True])
def test_bin_edges_of_long_columns_match_counting_every_value(distinct: int, late: bool) -> None:
    """Edges from a column longer than the distinct-value probe are those of counting every
    value, also when the prefix repeats one value and the others come late."""
    rng = np.random.default_rng(distinct)
    values = rng.integers(0, distinct, 10_000).astype(np.float64) * 0.5
    if late:
        values[:6000] = values[0]
    counted = np.unique(values)
    expected = (
        np.append(counted, np.nextafter(counted[-1], np.inf))
        if counted.size <= 20
        else np.unique(np.quantile(values, np.linspace(0.0, 1.0, 21)))
    )
    spec = BinSpec.from_reference("m", {"x": values}, bins=20)
    assert spec.features[0].edges == tuple(float(e) for e in expected)


@settings(max_examples=200, deadline=None)
@given(
    st.lists(
        st.one_of(
            st.sampled_from(["a", "b", "ü", ""]),
            st.none(),
            st.just(math.nan),
            st.integers(-3, 3),
            st.booleans(),
            st.floats(allow_nan=False, width=32),
        ),
        max_size=40,
    )
)
def test_category_counts_of_a_column_match_counting_cell_by_cell(cells: list[Any]) -> None:
    """A frame's object column is counted like the same cells one by one (text, nulls and
    NaN, numbers, booleans), whichever way the counting goes."""
    column = np.empty(len(cells), dtype=object)
    column[:] = cells
    rows = len(cells)
    spec = BinSpec.from_reference("m", {"c": column}, categorical=["c"])
    assert spec.sketch({"c": column}, rows=rows) == spec.sketch({"c": list(cells)}, rows=rows)
