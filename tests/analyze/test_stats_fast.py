"""The all-row statistics' fast paths against plain implementations: same method, same score.

`stats` merges no samples for the Wasserstein distance and counts category codes instead of
hashing strings; the references here are scipy and the pandas formulas those paths replace.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st
from scipy import stats as scipy_stats
from scipy.spatial import distance

from observability.analyze.methods import FeatureType, Method
from observability.analyze.stats import (
    clean,
    compute,
    encode,
    sturges_edges,
    value_counts,
    wasserstein_sorted,
)
from observability.analyze.timeline import fill_zero_shares

NUMERIC, CATEGORICAL = FeatureType.NUMERIC, FeatureType.CATEGORICAL
#: How close a fast score must be to the plain one (Evidently comparisons allow far more).
RTOL = 1e-9

samples = st.lists(
    st.one_of(
        st.integers(-4, 4).map(float),  # ties, within and across the samples
        st.floats(-1e6, 1e6, allow_nan=False, allow_infinity=False, allow_subnormal=False),
    ),
    min_size=1,
    max_size=60,
)


def _close(fast: float, plain: float) -> bool:
    return fast == plain or abs(fast - plain) <= RTOL * abs(plain)


@settings(max_examples=400, deadline=None)
@given(u=samples, v=samples)
def test_wasserstein_sorted_is_scipys_distance(u: list[float], v: list[float]) -> None:
    """The merge-free Wasserstein distance equals scipy's, ties and unequal sizes included."""
    fast = wasserstein_sorted(np.sort(np.array(u)), np.sort(np.array(v)))
    assert _close(fast, float(scipy_stats.wasserstein_distance(u, v)))


@pytest.mark.parametrize(("n", "m"), [(300_000, 200_001), (150_000, 150_000), (7, 250_000)])
def test_wasserstein_sorted_is_scipys_distance_on_large_samples(n: int, m: int) -> None:
    """On large samples of six-decimal values (many ties) the distance is scipy's."""
    rng = np.random.default_rng(n + m)
    u = np.round(rng.normal(0.0, 1.0, n), 6)
    v = np.round(rng.normal(0.02, 1.1, m), 6)
    fast = wasserstein_sorted(np.sort(u), np.sort(v))
    assert _close(fast, float(scipy_stats.wasserstein_distance(u, v)))


def test_wasserstein_sorted_refuses_an_empty_side() -> None:
    """An empty sample is a clear error, not a NaN score."""
    with pytest.raises(ValueError, match="a value on each side"):
        wasserstein_sorted(np.array([1.0]), np.array([]))


cells = st.lists(
    st.one_of(
        st.sampled_from(["alpha", "beta", "gamma", "delta", "true", "1"]),
        st.sampled_from([None, np.nan, 1, 2.5, True]),
    ),
    min_size=0,
    max_size=80,
)


@settings(max_examples=300, deadline=None)
@given(values=cells)
def test_value_counts_of_an_encoded_column_are_pandas_counts(values: list[Any]) -> None:
    """Counting category codes gives the Series (values, counts, order) pandas gives text."""
    column = pd.Series(_unshared(values), dtype=object)
    encoded = encode(column)
    assert int(encoded.isna().sum()) == int(column.isna().sum())
    pd.testing.assert_series_equal(
        value_counts(encoded), column.value_counts(), check_index_type=False
    )


@settings(max_examples=150, deadline=None)
@given(
    seed=st.integers(0, 2**32 - 1),
    sizes=st.tuples(st.integers(1, 2500), st.integers(1, 2500)),
    distinct=st.integers(1, 9),
    nulls=st.floats(0.0, 0.3),
    method=st.sampled_from([None, Method.PSI, Method.JENSENSHANNON, Method.CHISQUARE, Method.Z]),
)
def test_categorical_scores_are_the_plain_formulas(
    seed: int, sizes: tuple[int, int], distinct: int, nulls: float, method: Method | None
) -> None:
    """On encoded text the method and the score are those of pandas value counts, exactly."""
    rng = np.random.default_rng(seed)
    ref_raw, cur_raw = (_categories(rng, n, distinct, nulls) for n in sizes)
    ref, cur = clean(encode(ref_raw), CATEGORICAL), clean(encode(cur_raw), CATEGORICAL)
    assume(not ref.empty and not cur.empty)
    plain_ref, plain_cur = ref_raw.dropna(), cur_raw.dropna()
    fast = compute(ref, cur, CATEGORICAL, method)
    expected_method, expected = _plain(plain_ref, plain_cur, CATEGORICAL, method)
    assert fast.method is expected_method
    assert fast.score == expected or (np.isnan(fast.score) and np.isnan(expected))


@settings(max_examples=150, deadline=None)
@given(
    seed=st.integers(0, 2**32 - 1),
    sizes=st.tuples(st.integers(1, 2500), st.integers(1, 2500)),
    distinct=st.one_of(st.integers(1, 30), st.just(0)),  # 0: continuous values
    method=st.sampled_from([None, *Method]),
)
def test_numeric_scores_are_the_plain_formulas(
    seed: int, sizes: tuple[int, int], distinct: int, method: Method | None
) -> None:
    """For numbers the method is the plain one and the score equal to rounding."""
    rng = np.random.default_rng(seed)
    ref_raw = _numbers(rng, sizes[0], distinct, 0.0)
    cur_raw = _numbers(rng, sizes[1], distinct, 0.3)
    ref, cur = clean(ref_raw, NUMERIC), clean(cur_raw, NUMERIC)
    assume(not ref.empty and not cur.empty)
    fast = compute(ref, cur, NUMERIC, method)
    plain_ref = ref_raw[np.isfinite(ref_raw)].reset_index(drop=True)
    plain_cur = cur_raw[np.isfinite(cur_raw)].reset_index(drop=True)
    expected_method, expected = _plain(plain_ref, plain_cur, NUMERIC, method)
    assert fast.method is expected_method
    assert _close(fast.score, expected) or (np.isnan(fast.score) and np.isnan(expected))


def test_scoring_leaves_its_inputs_alone() -> None:
    """Sorting for the distance happens on copies: the cleaned columns keep their order."""
    rng = np.random.default_rng(3)
    ref = clean(pd.Series(rng.normal(size=5000)), NUMERIC)
    cur = clean(pd.Series(rng.normal(size=4000)), NUMERIC)
    before = ref.to_numpy().copy(), cur.to_numpy().copy()
    assert compute(ref, cur, NUMERIC).method is Method.WASSERSTEIN
    assert np.array_equal(ref.to_numpy(), before[0])
    assert np.array_equal(cur.to_numpy(), before[1])


def _unshared(values: list[Any]) -> list[Any]:
    """Equal strings as distinct objects, as a column read from Parquet may hold them."""
    return ["".join(list(v)) if isinstance(v, str) else v for v in values]


def _categories(rng: np.random.Generator, n: int, distinct: int, nulls: float) -> pd.Series:
    names = np.array([f"c{i}" for i in range(distinct)], dtype=object)
    cells = names[rng.integers(0, distinct, n)]
    cells[rng.random(n) < nulls] = None
    return pd.Series(cells, dtype=object)


def _numbers(rng: np.random.Generator, n: int, distinct: int, shift: float) -> pd.Series:
    values = rng.normal(shift, 1.0, n)
    if distinct:
        values = np.round(values * distinct / 4) / distinct
    values[rng.random(n) < 0.02] = np.inf
    return pd.Series(values)


def _plain(
    reference: pd.Series, current: pd.Series, kind: FeatureType, method: Method | None
) -> tuple[Method, float]:
    """Evidently's default choice and formulas as `stats` wrote them before its fast paths."""
    n_unique = pd.concat([reference, current]).nunique()
    small = len(reference) <= 1000
    if method is not None:
        chosen = method
    elif kind is CATEGORICAL:
        chosen = Method.JENSENSHANNON if not small else _few(n_unique)
    elif small:
        chosen = Method.KS if n_unique > 5 else _few(n_unique)
    else:
        chosen = Method.WASSERSTEIN if n_unique > 5 else Method.JENSENSHANNON
    return chosen, _PLAIN_SCORES[chosen](reference, current, kind)


def _few(n_unique: int) -> Method:
    return Method.CHISQUARE if n_unique > 2 else Method.Z


def _plain_shares(reference: pd.Series, current: pd.Series, kind: FeatureType) -> Any:
    if kind is NUMERIC and reference.nunique() > 20:
        ref, cur = reference.to_numpy(np.float64), current.to_numpy(np.float64)
        edges = sturges_edges(ref, cur)
        ref_counts = np.histogram(ref, edges)[0].astype(np.float64)
        cur_counts = np.histogram(cur, edges)[0].astype(np.float64)
    else:
        ref_counts, cur_counts = _plain_counts(reference, current)
    return ref_counts / len(reference), cur_counts / len(current)


def _plain_counts(reference: pd.Series, current: pd.Series) -> Any:
    ref_vc, cur_vc = reference.value_counts(), current.value_counts()
    keys = ref_vc.index.union(cur_vc.index)
    return (
        ref_vc.reindex(keys, fill_value=0).to_numpy(np.float64),
        cur_vc.reindex(keys, fill_value=0).to_numpy(np.float64),
    )


def _plain_psi(reference: pd.Series, current: pd.Series, kind: FeatureType) -> float:
    shares = _plain_shares(reference, current, kind)
    ref, cur = (fill_zero_shares(s[None, :])[0] if np.any(s) else s for s in shares)
    return float(np.sum((ref - cur) * np.log(ref / cur)))


def _plain_js(reference: pd.Series, current: pd.Series, kind: FeatureType) -> float:
    return float(distance.jensenshannon(*_plain_shares(reference, current, kind)))


def _plain_ks(reference: pd.Series, current: pd.Series, _kind: FeatureType) -> float:
    return float(scipy_stats.ks_2samp(reference, current).pvalue)


def _plain_chisquare(reference: pd.Series, current: pd.Series, _kind: FeatureType) -> float:
    expected, observed = _plain_counts(reference, current)
    expected *= len(current) / len(reference)
    with np.errstate(divide="ignore", invalid="ignore"):
        return float(scipy_stats.chisquare(observed, expected).pvalue)


def _plain_z(reference: pd.Series, current: pd.Series, _kind: FeatureType) -> float:
    keys = sorted(set(reference.unique()) | set(current.unique()))
    if len(keys) == 1:
        return 1.0
    n1, n2 = len(reference), len(current)
    p1 = float((reference != keys[0]).sum()) / n1
    p2 = float((current != keys[0]).sum()) / n2
    pooled = (p1 * n1 + p2 * n2) / (n1 + n2)
    spread = np.sqrt(pooled * (1 - pooled) * (1.0 / n1 + 1.0 / n2))
    with np.errstate(divide="ignore", invalid="ignore"):
        z = (p1 - p2) / spread
    return float(2 * (1 - scipy_stats.norm.cdf(np.abs(z))))


def _plain_wasserstein(reference: pd.Series, current: pd.Series, _kind: FeatureType) -> float:
    ref = np.sort(reference.to_numpy(np.float64))
    norm = max(float(np.std(ref)), 0.001)
    return float(scipy_stats.wasserstein_distance(ref, current.to_numpy(np.float64))) / norm


_PLAIN_SCORES = {
    Method.PSI: _plain_psi,
    Method.JENSENSHANNON: _plain_js,
    Method.KS: _plain_ks,
    Method.CHISQUARE: _plain_chisquare,
    Method.Z: _plain_z,
    Method.WASSERSTEIN: _plain_wasserstein,
}
