"""Timelines from sketches agree with raw-row computations and follow Evidently's formulas."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from typing import Any

import numpy as np
import pandas as pd
import pytest
from scipy.spatial import distance

from observability.analyze.sketch_store import SketchWriter, rebuild_sketches, save_bins, sketch_key
from observability.analyze.sketches import (
    BinsMismatchError,
    BinSpec,
    FeatureKind,
    Sketch,
)
from observability.analyze.timeline import Method, TimelineRow, jensenshannon, psi, timeline
from observability.core.metrics import Metrics
from observability.core.partitioning import Partition
from observability.core.schema import Kind
from observability.store.compaction import Compactor
from observability.store.local import LocalStore
from tests.analyze.test_sketches import prediction_line, put_predictions

MODEL = "fraud"
START = datetime(2026, 11, 1, tzinfo=UTC)
DAYS = 3
NUMERIC = ("amount", "age", "items")
CATEGORICAL = ("country", "channel")


def reference_frame(rng: np.random.Generator, n: int = 6000) -> pd.DataFrame:
    """Reference rows: two continuous features, one discrete, two categorical."""
    return pd.DataFrame(
        {
            "amount": rng.gamma(2.0, 40.0, n),
            "age": rng.normal(40, 12, n),
            "items": rng.integers(1, 6, n),
            "country": rng.choice(["DE", "FR", "US", "BR"], n, p=[0.4, 0.3, 0.2, 0.1]),
            "channel": rng.choice(["web", "app"], n),
        }
    )


def hourly_rows(rng: np.random.Generator, hour: int) -> dict[str, list[Any]]:
    """One hour of current rows; from hour 30 on, amount and country drift; some values
    are null, NaN, infinite, of the wrong type, or categories the reference never saw."""
    n = int(rng.integers(40, 80))
    drift = hour >= 30
    amount: list[Any] = list(rng.gamma(2.0, 60.0 if drift else 40.0, n))
    amount[:3] = [None, float("nan"), float("inf")]
    age: list[Any] = list(rng.normal(40, 12, n))
    age[0] = "forty"
    country = list(rng.choice(["DE", "FR", "US", "BR", "JP" if drift else "DE"], n))
    country[1] = None
    return {
        "amount": amount,
        "age": age,
        "items": list(rng.integers(0, 7, n) if drift else rng.integers(1, 6, n)),
        "country": country,
        "channel": list(rng.choice(["web", "app"], n)),
    }


@pytest.fixture
def dataset(store: LocalStore) -> tuple[BinSpec, dict[datetime, dict[str, list[Any]]]]:
    """Bins saved from the reference and three days of hourly sketches stored, with the
    raw rows they came from (hour 50 has no data at all)."""
    rng = np.random.default_rng(11)
    spec = BinSpec.from_reference(MODEL, reference_frame(rng), categorical=CATEGORICAL, bins=15)
    save_bins(store, spec)
    raw: dict[datetime, dict[str, list[Any]]] = {}
    for i in range(DAYS * 24):
        if i == 50:
            continue
        hour = START + timedelta(hours=i)
        raw[hour] = hourly_rows(rng, i)
        partition = Partition(Kind.PREDICTION, MODEL, f"{hour:%Y-%m-%d}", f"{hour:%H}")
        store.put(sketch_key(partition), spec.sketch(raw[hour]).to_json())
    return spec, raw


def evidently_shares(reference: np.ndarray, current: np.ndarray, fill: bool) -> tuple[Any, Any]:
    """Evidently's get_binned_data on counts: shares of each side, zeros filled its way."""
    ref, cur = reference / reference.sum(), current / current.sum()
    if fill:
        for shares in (ref, cur):
            smallest = min(shares[shares != 0])
            np.place(shares, shares == 0, smallest / 10**6 if smallest <= 0.0001 else 0.0001)
    return ref, cur


def raw_scores(
    spec: BinSpec, reference: pd.DataFrame, rows: Mapping[str, list[Any]]
) -> dict[tuple[str, str], float]:
    """PSI and JS from raw values: drop non-finite, bin with np.histogram on the spec's edges
    (categories: union of observed values), then Evidently's formulas."""
    scores = {}
    for feature in spec.features:
        name = feature.name
        if feature.kind is FeatureKind.NUMERIC:
            edges = np.array(feature.edges)

            def counts(values: Any, edges: np.ndarray = edges) -> np.ndarray:
                numbers = pd.to_numeric(pd.Series(values, dtype=object), errors="coerce")
                finite = numbers[np.isfinite(numbers)].to_numpy(dtype=float)
                inner = np.histogram(finite, bins=edges)[0]
                below, above = (finite < edges[0]).sum(), (finite > edges[-1]).sum()
                return np.array([below, *inner, above])

            ref_counts, cur_counts = counts(reference[name]), counts(rows[name])
        else:
            ref_series = reference[name].dropna()
            cur_series = pd.Series([v for v in rows[name] if v is not None])
            keys = sorted(set(ref_series) | set(cur_series))
            ref_counts = np.array([(ref_series == k).sum() for k in keys])
            cur_counts = np.array([(cur_series == k).sum() for k in keys])
        keep = (ref_counts > 0) | (cur_counts > 0)
        ref_counts, cur_counts = ref_counts[keep], cur_counts[keep]
        r, c = evidently_shares(ref_counts, cur_counts, fill=True)
        scores[name, "psi"] = float(np.sum((r - c) * np.log(r / c)))
        r, c = evidently_shares(ref_counts, cur_counts, fill=False)
        scores[name, "jensenshannon"] = float(distance.jensenshannon(r, c))
    return scores


def by_key(rows: list[TimelineRow]) -> dict[tuple[str, str, str], TimelineRow]:
    """Timeline rows keyed by (window, feature, method)."""
    return {(r.window, r.feature, r.method.value): r for r in rows}


@pytest.mark.parametrize("window", [timedelta(days=1), timedelta(hours=6)])
def test_timeline_from_sketches_matches_raw_rows(
    store: LocalStore,
    dataset: tuple[BinSpec, dict[datetime, dict[str, list[Any]]]],
    window: timedelta,
) -> None:
    """Every window's PSI and JS from stored sketches equals the raw-row computation on the
    same windows and bins to 1e-9 (daily and 6-hourly windows)."""
    spec, raw = dataset
    reference = reference_frame(np.random.default_rng(11))
    end = START + timedelta(days=DAYS)
    rows = by_key(timeline(store, spec, START, end, window=window))
    windows = [START + i * window for i in range((end - START) // window)]
    assert len(rows) == len(windows) * 5 * 2
    for begin in windows:
        current: dict[str, list[Any]] = {n: [] for n in (*NUMERIC, *CATEGORICAL)}
        for hour, values in raw.items():
            if begin <= hour < begin + window:
                for name, column in values.items():
                    current[name].extend(column)
        expected = raw_scores(spec, reference, current)
        label = begin.isoformat().replace("+00:00", "Z")
        for (name, method), score in expected.items():
            got = rows[label, name, method].score
            assert got == pytest.approx(score, rel=1e-9, abs=1e-12), (label, name, method)
    day0, day2 = "2026-11-01T00:00:00Z", "2026-11-03T00:00:00Z"
    if window == timedelta(days=1):
        for name in ("amount", "country", "items"):
            assert rows[day2, name, "psi"].score > 5 * rows[day0, name, "psi"].score  # type: ignore[operator]


@pytest.mark.slow  # importing Evidently takes seconds
def test_sketch_scores_equal_evidentlys_own_stattests(
    dataset: tuple[BinSpec, dict[datetime, dict[str, list[Any]]]], store: LocalStore
) -> None:
    """Categorical features, and numeric ones given as their bin labels (the same bins), score
    what Evidently's registered psi and jensenshannon tests compute on the raw rows."""
    stattests = pytest.importorskip("evidently.legacy.calculations.stattests")
    spec, raw = dataset
    reference = reference_frame(np.random.default_rng(11))
    day = START + timedelta(days=2)
    rows = by_key(timeline(store, spec, day, day + timedelta(days=1)))
    current = {
        name: [v for hour, values in raw.items() if hour >= day for v in values[name]]
        for name in ("country", "amount")
    }
    edges = np.array(next(f.edges for f in spec.features if f.name == "amount"))

    def labels(values: Any) -> pd.Series:
        numbers = pd.to_numeric(pd.Series(values, dtype=object), errors="coerce")
        finite = numbers[np.isfinite(numbers)].to_numpy(dtype=float)
        slots = np.searchsorted(edges, finite, side="right")
        slots[finite == edges[-1]] = len(edges) - 1
        return pd.Series(slots.astype(str))

    frames = {
        "country": (reference["country"], pd.Series(current["country"]).dropna()),
        "amount": (labels(reference["amount"]), labels(current["amount"])),
    }
    for name, (ref, cur) in frames.items():
        for method, test in (
            ("psi", stattests.psi_stat_test),
            ("jensenshannon", stattests.jensenshannon_stat_test),
        ):
            result = test(ref, cur, "cat", None)
            score = rows["2026-11-03T00:00:00Z", name, method].score
            assert score == pytest.approx(float(result.drift_score), rel=1e-9), (name, method)


def test_empty_windows_and_all_null_features_have_no_score(
    store: LocalStore, dataset: tuple[BinSpec, dict[datetime, dict[str, list[Any]]]]
) -> None:
    """Windows with no sketches and features with no usable values are rows with score None
    and their counts, not errors; windows extend past the stored data."""
    spec, _raw = dataset
    later = START + timedelta(days=DAYS)
    hour = Partition(Kind.PREDICTION, MODEL, f"{later:%Y-%m-%d}", "05")
    store.put(
        sketch_key(hour), spec.sketch({"amount": [None] * 9, "country": ["DE"] * 9}).to_json()
    )
    rows = by_key(timeline(store, spec, later, later + timedelta(days=2)))
    first, second = "2026-11-04T00:00:00Z", "2026-11-05T00:00:00Z"
    assert (
        rows[first, "amount", "psi"].score is None and rows[first, "amount", "psi"].n_current == 0
    )
    assert rows[first, "country", "psi"].n_current == 9
    counts = spec.reference.categorical["country"].counts
    shares = {k: v / sum(counts.values()) for k, v in counts.items()}
    current = {k: 1.0 if k == "DE" else 1e-4 for k in shares}
    expected = sum((shares[k] - current[k]) * np.log(shares[k] / current[k]) for k in shares)
    assert rows[first, "country", "psi"].score == pytest.approx(expected, rel=1e-12)
    assert all(
        rows[second, f, m].score is None
        for f in NUMERIC + CATEGORICAL
        for m in ("psi", "jensenshannon")
    )


def test_sketches_of_old_bins_fail_until_rebuilt(store: LocalStore, metrics: Metrics) -> None:
    """A timeline over sketches made with earlier bins fails with a clear error; after
    `rebuild_sketches` from the stored predictions it succeeds with the new bins."""
    rng = np.random.default_rng(3)
    old = BinSpec.from_reference(MODEL, {"amount": rng.normal(size=500)}, bins=10)
    save_bins(store, old)
    put_predictions(store, [prediction_line(i, amount=float(i % 7)) for i in range(40)])
    hour = Partition(Kind.PREDICTION, MODEL, "2026-11-23", "13")
    Compactor(store, metrics, on_compacted=SketchWriter(store)).compact(hour)
    new = BinSpec.from_reference(MODEL, {"amount": rng.normal(size=500)}, bins=12)
    save_bins(store, new)
    start, end = datetime(2026, 11, 23, tzinfo=UTC), datetime(2026, 11, 24, tzinfo=UTC)
    with pytest.raises(BinsMismatchError, match=r"built with bins .* rebuild the range"):
        timeline(store, new, start, end)
    rebuild_sketches(store, new, start, end)
    rows = timeline(store, new, start, end, methods=[Method.PSI], workers=4)
    assert [(r.feature, r.n_current) for r in rows] == [("amount", 40)]
    assert Sketch.from_json(store.get(sketch_key(hour))).bins == new.digest


def test_distance_functions_follow_evidently_conventions() -> None:
    """PSI fills zero shares with 1e-4 (or min/1e6 below that) per side, skips bins empty on
    both sides; JS is scipy's natural-log distance, row by row."""
    reference = np.array([50, 50, 0, 0])
    current = np.array([[100, 0, 0, 0], [25, 25, 50, 0], [50, 50, 0, 0]])
    got = psi(reference, current)
    first = (0.5 - 1.0) * np.log(0.5 / 1.0) + (0.5 - 1e-4) * np.log(0.5 / 1e-4)
    second = 2 * (0.5 - 0.25) * np.log(0.5 / 0.25) + (1e-4 - 0.5) * np.log(1e-4 / 0.5)
    assert got == pytest.approx([first, second, 0.0], rel=1e-12)
    tiny = np.array([[999_999, 1, 0, 0]])
    shares = np.array([0.999999, 0.000001])
    filled = psi(np.array([1, 1, 1, 0]), tiny)[0]
    third_share = 0.000001 / 1e6
    expected = sum((r - c) * np.log(r / c) for r, c in zip([1 / 3] * 2, shares, strict=True))
    expected += (1 / 3 - third_share) * np.log((1 / 3) / third_share)
    assert filled == pytest.approx(expected, rel=1e-12)
    js = jensenshannon(reference, current)
    assert js == pytest.approx([distance.jensenshannon(reference, c) for c in current], rel=1e-12)
