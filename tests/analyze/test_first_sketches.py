"""A first run sketches its window's hours from the loaded rows only when they are exactly
the stored records; every hour sketch equals the one read back from the stored files."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from observability.analyze.job import DriftJob, window_hours
from observability.analyze.loader import load_window
from observability.analyze.sketch_store import (
    load_bins,
    prediction_hours,
    sketch_hour,
    sketch_key,
)
from observability.analyze.sketches import Sketch
from observability.query.duckdb import DuckDBEngine
from observability.store.local import LocalStore
from tests.analyze.conftest import HOUR, models_for
from tests.analyze.generated import START, frame, model_config, write_predictions, write_records

pytestmark = pytest.mark.slow

Record = dict[str, Any]


def _odd(features: dict[str, Any]) -> Callable[[int], Record]:
    """A record at minute 10 of the first hour whose features are `features`."""

    def record(i: int) -> Record:
        return {
            "kind": "prediction",
            "timestamp": (START + timedelta(minutes=10, seconds=i)).isoformat(),
            "model": "gen",
            "prediction_id": f"odd-{i}",
            "features": features,
            "prediction": 1,
        }

    return record


def _regular(**changed: Any) -> dict[str, Any]:
    values: dict[str, Any] = {f"num_{i}": 0.5 for i in range(6)}
    values.update(colour="red", country="de")
    values.update(changed)
    return values


#: Odd records and whether the window still holds exactly the stored records.
CASES: dict[str, tuple[list[Record], bool]] = {
    "regular": ([], True),
    "a null value": ([_odd(_regular(num_2=None))(0)], True),
    "a number as text": ([_odd(_regular(num_2="1.5"))(0)], False),
    "a boolean number": ([_odd(_regular(num_3=True))(0)], False),
    "a number as category": ([_odd(_regular(colour=2))(0)], False),
    "an unconfigured name": ([_odd(_regular(extra=1.0))(0)], False),
    "a missing name": ([_odd({k: v for k, v in _regular().items() if k != "num_0"})(0)], False),
    "a re-delivered record": ([_odd(_regular())(0), _odd(_regular())(0)], False),
}


def _run(tmp_path: Path, odd: list[Record], start: datetime, end: datetime) -> LocalStore:
    store = LocalStore(tmp_path / "store", fsync=False)
    rng = np.random.default_rng(3)
    write_predictions(store, "gen", START, frame(rng, 300, shifted=False), "a")
    write_predictions(store, "gen", START + HOUR, frame(rng, 200, shifted=True), "b")
    if odd:
        write_records(store, odd)
    reference = tmp_path / "reference.parquet"
    frame(np.random.default_rng(5), 1500, shifted=False).to_parquet(reference)
    DriftJob(store, DuckDBEngine(store), models_for(reference)).run("gen", start, end)
    return store


def _assert_hours_match_files(store: LocalStore, start: datetime, end: datetime) -> int:
    spec = load_bins(store, "gen")
    assert spec is not None
    hours = prediction_hours(store, "gen", start, end)
    for partition in hours:
        stored = Sketch.from_json(store.get(sketch_key(partition)))
        assert stored == sketch_hour(store, spec, partition), partition.prefix
    return len(hours)


@pytest.mark.parametrize("case", sorted(CASES))
def test_first_run_hour_sketches_equal_the_stored_records(tmp_path: Path, case: str) -> None:
    """Whatever the window holds, each hour's first sketch counts what is stored, and the
    loaded rows stand in for the files only when they are exactly the stored records."""
    odd, exact = CASES[case]
    end = START + 2 * HOUR
    store = _run(tmp_path, odd, START, end)
    assert _assert_hours_match_files(store, START, end) == 2
    engine = DuckDBEngine(store)
    reference = tmp_path / "reference.parquet"
    model = models_for(reference)["gen"]
    window = load_window(engine, model, START, end, typed=True)
    assert window.exact is exact
    spec = load_bins(store, "gen")
    assert spec is not None
    assert (window_hours(spec, window, START, end) is not None) is exact
    assert not load_window(engine, model, START, end).exact, "only typed loading tells"


def test_a_window_holding_part_of_an_hour_sketches_it_from_the_files(tmp_path: Path) -> None:
    """A window that starts or ends inside an hour leaves that hour to the stored files."""
    start, end = START + timedelta(minutes=30), START + timedelta(minutes=90)
    store = _run(tmp_path, [], start, end)
    spec = load_bins(store, "gen")
    assert spec is not None
    model = models_for(tmp_path / "reference.parquet")["gen"]
    window = load_window(DuckDBEngine(store), model, start, end, typed=True)
    known = window_hours(spec, window, start, end)
    assert known is not None and known(START) is None and known(START + HOUR) is None
    # Hours that start inside the window are sketched: 01 only, from its stored files.
    assert _assert_hours_match_files(store, start, end) == 1


#: Names the fast type check must quote for RE2, and (with `café`, not plain ASCII) a
#: model whose names are left to the per-path check.
PLAIN = {"a.b|c (x)": "numeric", "k+": "categorical"}
NAMED = {"plain": PLAIN, "not plain": {**PLAIN, "café": "numeric"}}


@pytest.mark.parametrize("names", sorted(NAMED))
@pytest.mark.parametrize(
    ("changed", "exact"),
    [
        ({}, True),
        ({"a.b|c (x)": None, "k+": None}, True),
        ({"a.b|c (x)": "1.5"}, False),
        ({"a.b|c (x)": True}, False),
        ({"k+": 7}, False),
        ({"k+": 2.5}, False),
    ],
)
def test_typed_loading_reads_any_feature_name(
    tmp_path: Path, names: str, changed: dict[str, Any], exact: bool
) -> None:
    """The type check finds a value of another type whatever the feature's name: names
    with RE2 metacharacters and names beyond plain ASCII alike."""
    features = NAMED[names]
    regular = {name: (0.25 if kind == "numeric" else "w") for name, kind in features.items()}
    store = LocalStore(tmp_path / "store", fsync=False)
    records = [{**_odd(regular)(i), "prediction_id": f"r-{i}"} for i in range(20)]
    write_records(store, [*records, _odd({**regular, **changed})(99)])
    model = model_config(features=features)
    window = load_window(DuckDBEngine(store), model, START, START + HOUR, typed=True)
    assert len(window.frame) == 21
    assert window.exact is exact
