"""A drift history shared by the snapshot and export tests: real drift runs, stored once."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

import numpy as np
import pytest

from observability.analyze.config import ModelConfig
from observability.analyze.job import DriftJob
from observability.analyze.results import DriftResult
from observability.query.duckdb import DuckDBEngine
from observability.store.local import LocalStore
from tests.analyze.generated import START, frame, model_config, write_labels, write_predictions

#: Windows of `gen` in the history; the last one is shifted, the first one is labelled.
GEN_WINDOWS = 3
HOUR = timedelta(hours=1)


@dataclass(frozen=True)
class History:
    """A store after real drift runs of two models, and what the runs returned."""

    store: LocalStore
    models: dict[str, ModelConfig]
    results: list[DriftResult]


def models_for(reference: Path) -> dict[str, ModelConfig]:
    """`gen` (classification) and `other` (its twin under another name), both on `reference`."""
    small = {"report_sample_rows": 500, "reference": {"path": str(reference)}}
    return {name: model_config(name=name, **small) for name in ("gen", "other")}


def record_history(root: Path) -> History:
    """Three hourly windows of `gen` (the last shifted, the first labelled), one of `other`."""
    rng = np.random.default_rng(11)
    reference = root / "reference.parquet"
    frame(rng, 1500, shifted=False).to_parquet(reference)
    store = LocalStore(root / "store", fsync=False)
    models = models_for(reference)
    windows: list[tuple[str, datetime]] = []
    for hour in range(GEN_WINDOWS):
        start = START + hour * HOUR
        shifted = hour == GEN_WINDOWS - 1
        ids = write_predictions(store, "gen", start, frame(rng, 600, shifted=shifted), f"g{hour}")
        if hour == 0:
            write_labels(store, "gen", start + HOUR, {pid: i % 2 for i, pid in enumerate(ids)})
        windows.append(("gen", start))
    write_predictions(store, "other", START, frame(rng, 600, shifted=False), "o")
    windows.append(("other", START))
    job = DriftJob(store, DuckDBEngine(store), models, clock=lambda: START + timedelta(days=1))
    results = [job.run(name, start, start + HOUR) for name, start in windows]
    return History(store, models, results)


@pytest.fixture(scope="session")
def history(tmp_path_factory: pytest.TempPathFactory) -> History:
    """The drift history, recorded once per session (Evidently's reports take seconds)."""
    return record_history(tmp_path_factory.mktemp("history"))
