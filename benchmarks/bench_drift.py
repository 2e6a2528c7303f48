"""Drift job vs Evidently's DataDriftPreset on the same frames: time, peak memory, verdicts.

Each case runs in its own subprocess so `ru_maxrss` is that case's peak. Frames: current
and reference of N rows each (the issue's setup: per side), 15 numeric features (12
continuous with mean shifts from none to large, 3 low-cardinality integers) and 5
categorical ones (two with shifted mixes). The job computes every feature's verdict from
all rows (`analyze.stats`) and runs Evidently's report (drift + summary) on a 10,000-row
sample per side (in a thread, overlapping the statistics where numpy releases the GIL),
then writes the report and the metric rows to a temporary LocalStore. Peak: `ru_maxrss`
of the case's subprocess.
The baseline is `Report([DataDriftPreset()]).run(...)` on all rows, as users call it.
Targets (issue 5): job time <= 0.15x Evidently's at 1M rows, peak <= 1 GB, verdicts agree
with Evidently-on-all-rows for >= 95% of features across the windows.
"""

from __future__ import annotations

import json
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

SIZES = (100_000, 1_000_000)
TARGET_RATIO = 0.15
TARGET_PEAK_MB = 1024
TARGET_AGREEMENT = 0.95
NUMERIC = [f"num_{i:02d}" for i in range(15)]
CATEGORICAL = [f"cat_{i}" for i in range(5)]
#: Mean shift (in standard deviations) of the 12 continuous features in the current frame.
SHIFTS = (0.0, 0.0, 0.0, 0.01, 0.03, 0.05, 0.08, 0.09, 0.12, 0.2, 0.5, 1.0)
CATEGORIES = np.asarray(["alpha", "beta", "gamma", "delta", "epsilon", "zeta"], dtype=object)


def frames(rows: int, seed: int = 5) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(reference, current) with known shifts; category cells share their string objects."""
    rng = np.random.default_rng(seed)

    def side(shifted: bool) -> pd.DataFrame:
        columns: dict[str, Any] = {}
        for i, shift in enumerate(SHIFTS):
            columns[NUMERIC[i]] = rng.normal(shift if shifted else 0.0, 1.0, rows)
        for j, name in enumerate(NUMERIC[len(SHIFTS) :]):
            p = [0.5, 0.3, 0.2] if not shifted or j == 0 else [0.4, 0.3, 0.3]
            columns[name] = rng.choice([0.0, 1.0, 2.0], rows, p=p)
        base = np.full(len(CATEGORIES), 1 / len(CATEGORIES))
        moved = np.array([0.3, 0.2, 0.2, 0.1, 0.1, 0.1])
        for k, name in enumerate(CATEGORICAL):
            p = moved if shifted and k < 2 else base
            columns[name] = CATEGORIES[rng.choice(len(CATEGORIES), rows, p=p)]
        return pd.DataFrame(columns)

    return side(False), side(True)


def run_job(rows: int) -> dict[str, Any]:
    """The job's analysis and storage on the frames (the window load is not timed)."""
    from datetime import UTC, datetime, timedelta

    from observability.analyze.config import model_from_mapping
    from observability.analyze.job import DriftJob
    from observability.analyze.window import analyze_frames
    from observability.store.local import LocalStore

    reference, current = frames(rows)
    model = model_from_mapping(
        {
            "name": "bench",
            "task": "classification",
            "features": {
                **dict.fromkeys(NUMERIC, "numeric"),
                **dict.fromkeys(CATEGORICAL, "categorical"),
            },
            "reference": {"path": "unused.parquet"},
        }
    )
    start = datetime(2026, 11, 1, tzinfo=UTC)
    with tempfile.TemporaryDirectory() as directory:
        store = LocalStore(Path(directory), fsync=False)
        job = DriftJob(store, engine=None, models={"bench": model})  # type: ignore[arg-type]
        began = time.perf_counter()
        result = analyze_frames(model, start, start + timedelta(hours=1), current, reference)
        job.save(result)
        seconds = time.perf_counter() - began
    return {"seconds": seconds, "verdicts": {f.feature: f.drifted for f in result.features}}


def run_evidently(rows: int) -> dict[str, Any]:
    """Evidently's DataDriftPreset on all rows, verdicts from its per-column tests."""
    from evidently import DataDefinition, Dataset, Report
    from evidently.presets import DataDriftPreset

    from observability.analyze.evidently_adapter import _read, evidently_verdicts

    reference, current = frames(rows)
    definition = DataDefinition(numerical_columns=NUMERIC, categorical_columns=CATEGORICAL)
    began = time.perf_counter()
    snapshot = Report([DataDriftPreset()], include_tests=True).run(
        Dataset.from_pandas(current, data_definition=definition),
        Dataset.from_pandas(reference, data_definition=definition),
    )
    seconds = time.perf_counter() - began
    return {"seconds": seconds, "verdicts": evidently_verdicts(_read(snapshot.json(), "", rows))}


def _child(mode: str, rows: int) -> None:
    outcome = run_job(rows) if mode == "job" else run_evidently(rows)
    outcome["peak_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(json.dumps(outcome))


def _measure(mode: str, rows: int) -> dict[str, Any]:
    command = [sys.executable, "-m", "benchmarks.bench_drift", "--child", mode, str(rows)]
    done = subprocess.run(command, capture_output=True, text=True, check=True)
    result: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


def main() -> None:
    """Both modes at each size; ratio, peak and agreement against the issue's targets."""
    agree = total = 0
    for rows in SIZES:
        job = _measure("job", rows)
        evidently = _measure("evidently", rows)
        ratio = job["seconds"] / evidently["seconds"]
        same = sum(job["verdicts"][f] == evidently["verdicts"].get(f) for f in job["verdicts"])
        agree, total = agree + same, total + len(job["verdicts"])
        print(f"{rows:>9,} rows x 20 features per side")
        print(
            f"  Evidently DataDriftPreset (all rows): {evidently['seconds']:7.2f} s  "
            f"peak {evidently['peak_mb']:6.0f} MB   drifted {sum(evidently['verdicts'].values())}"
        )
        print(
            f"  drift job (all-row stats + report)  : {job['seconds']:7.2f} s  "
            f"peak {job['peak_mb']:6.0f} MB   drifted {sum(job['verdicts'].values())}"
        )
        verdict = ""
        if rows == max(SIZES):
            ok = ratio <= TARGET_RATIO and job["peak_mb"] <= TARGET_PEAK_MB
            verdict = (
                f"  (target <= {TARGET_RATIO}x and <= {TARGET_PEAK_MB} MB: "
                f"{'PASS' if ok else 'MISS'})"
            )
        print(f"  ratio job / Evidently: {ratio:.3f}x{verdict}")
        print(f"  verdicts agreeing: {same}/{len(job['verdicts'])}")
    share = agree / total
    status = "PASS" if share >= TARGET_AGREEMENT else "MISS"
    print(f"verdict agreement over all windows: {share:.1%} (target >= 95%: {status})")


if __name__ == "__main__":
    if len(sys.argv) == 4 and sys.argv[1] == "--child":
        _child(sys.argv[2], int(sys.argv[3]))
    else:
        main()
