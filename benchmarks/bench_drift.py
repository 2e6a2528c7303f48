"""`observability drift run` as users run it, against Evidently on all rows, in one run.

For each size (100k and 1M rows x 20 features per side) the benchmark writes a store
(`drift_store.py`: one hour of prediction records as NDJSON.gz in the collector's layout, a
tenth of them labelled, the reference as Parquet, a models file), then measures, each in
its own process so time and peak memory (`wait4`'s `ru_maxrss`) are that process's alone
(the store is written by a child too: Linux starts a child's `ru_maxrss` at its parent's
RSS when it forks, so this process must stay small):
- baseline: a Python process that imports Evidently, reads the same rows from Parquet and
  runs `Report([DataDriftPreset()])` on all of them, as users call it;
- cold CLI: `observability drift run --model bench --window START/END`, the console script,
  from process start to exit (reading the store, verdicts, reports, writing everything);
- warm worker: the worker's drift job (`worker.drift.DriftWindows`) after its Evidently
  warm-up, timing one window: when the verdicts and `drift_metrics` rows were saved, when
  the report's snapshot and HTML were (from the stored files' modification times).
Every figure is printed with its ratio to the baseline measured in the same run; the
verdicts the CLI stored are compared with Evidently's on all rows.
Targets (issue 14): cold CLI <= 0.15x Evidently and <= 1 GB at 1M rows; at 100k in a warm
worker the verdicts saved within 5 s; verdicts agree for >= 95% of features.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from benchmarks.drift_store import MODEL, WINDOW, WINDOW_START, window_argument, write_store

SIZES = (100_000, 1_000_000)
TARGET_RATIO = 0.15
TARGET_PEAK_MB = 1024
TARGET_WARM_VERDICTS_S = 5.0
WARM_ROWS = 100_000
TARGET_AGREEMENT = 0.95
NUMERIC = [f"num_{i:02d}" for i in range(15)]
CATEGORICAL = [f"cat_{i}" for i in range(5)]
#: Mean shift (in standard deviations) of the 12 continuous features in the current frame.
SHIFTS = (0.0, 0.0, 0.0, 0.01, 0.03, 0.05, 0.08, 0.09, 0.12, 0.2, 0.5, 1.0)
CATEGORIES = np.asarray(["alpha", "beta", "gamma", "delta", "epsilon", "zeta"], dtype=object)
#: Decimals of the continuous features (as stored: JSON renders them this short).
DECIMALS = 6


def frames(rows: int, seed: int = 5) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(reference, current) with known shifts; category cells share their string objects."""
    rng = np.random.default_rng(seed)

    def side(shifted: bool) -> pd.DataFrame:
        columns: dict[str, Any] = {}
        for i, shift in enumerate(SHIFTS):
            values = rng.normal(shift if shifted else 0.0, 1.0, rows)
            columns[NUMERIC[i]] = np.round(values, DECIMALS)
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


def prepare(root: Path, rows: int) -> float:
    """Write the store, the reference and `current.parquet` (the baseline's copy); seconds."""
    began = time.perf_counter()
    reference, current = frames(rows)
    write_store(root, reference, current)
    current.to_parquet(root / "current.parquet")
    return time.perf_counter() - began


def child_evidently(root: Path) -> dict[str, Any]:
    """The baseline process: import Evidently, read both sides, DataDriftPreset on all rows."""
    from evidently import DataDefinition, Dataset, Report
    from evidently.presets import DataDriftPreset

    from observability.analyze.evidently_adapter import _read, evidently_verdicts

    reference = pd.read_parquet(root / "reference.parquet")
    current = pd.read_parquet(root / "current.parquet")
    definition = DataDefinition(numerical_columns=NUMERIC, categorical_columns=CATEGORICAL)
    began = time.perf_counter()
    snapshot = Report([DataDriftPreset()], include_tests=True).run(
        Dataset.from_pandas(current, data_definition=definition),
        Dataset.from_pandas(reference, data_definition=definition),
    )
    seconds = time.perf_counter() - began
    verdicts = evidently_verdicts(_read(snapshot.json(), "", len(current)))
    return {"report_run_s": seconds, "verdicts": verdicts}


def child_worker(root: Path) -> dict[str, Any]:
    """A worker's drift job, warmed up, then one window; file times tell what was saved when."""
    from observability.runtime import Runtime
    from observability.worker.factory import drift_windows

    runtime = Runtime.from_env(_environment(root))
    windows = drift_windows(runtime, root / "models.yaml", drift=True)
    if windows is None:
        raise SystemExit("the worker has no drift job")
    began = time.perf_counter()
    windows.warm_up()
    warm = time.perf_counter() - began
    start_wall, start = time.time(), time.perf_counter()
    outcome = windows.compute(MODEL, WINDOW_START, WINDOW_START + WINDOW)
    total = time.perf_counter() - start
    times = _saved_times(root, start_wall)
    runtime.close()
    return {"warm_up_s": warm, "run_s": total, "outcome": outcome.detail, **times}


def _saved_times(root: Path, since: float) -> dict[str, float]:
    """Seconds from `since` to the write of the verdicts, the HTML and the snapshot."""
    from observability.core import keys

    report = keys.report_id(MODEL, WINDOW_START, WINDOW_START + WINDOW)
    store = root / "store"
    paths = {
        "verdicts_s": keys.drift_metrics_key(report),
        "html_s": keys.report_key(report, keys.REPORT_HTML),
        "snapshot_s": keys.report_key(report, keys.REPORT_SNAPSHOT),
    }
    return {name: (store / key).stat().st_mtime - since for name, key in paths.items()}


def _environment(root: Path) -> dict[str, str]:
    environment = {k: v for k, v in os.environ.items() if not k.startswith("OBSERVABILITY_")}
    environment["OBSERVABILITY_STORE_URL"] = (root / "store").as_uri()
    environment["OBSERVABILITY_MODELS_CONFIG"] = str(root / "models.yaml")
    environment["OBSERVABILITY_STATE_DIR"] = str(root / "state")
    return environment


def _measured(command: list[str], root: Path) -> dict[str, Any]:
    """Run a process to its end: wall seconds, peak RSS (MB), its JSON line if it printed one."""
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        began = time.perf_counter()
        process = subprocess.Popen(  # our own interpreter and console script
            command, stdout=out, stderr=err, env=_environment(root)
        )
        # Reaped here rather than by Popen: wait4 reports this child's own peak RSS.
        _pid, status, usage = os.wait4(process.pid, 0)
        seconds = time.perf_counter() - began
        process.returncode = os.waitstatus_to_exitcode(status)
        out.seek(0)
        err.seek(0)
        printed, errors = out.read().decode(), err.read().decode()
    if process.returncode != 0:
        raise RuntimeError(f"{' '.join(command)} failed:\n{errors[-2000:]}")
    lines = printed.strip().splitlines()
    result: dict[str, Any] = json.loads(lines[-1]) if lines and lines[-1].startswith("{") else {}
    result.update(seconds=seconds, peak_mb=usage.ru_maxrss / 1024)
    return result


def _child(mode: str, root: Path, *extra: str) -> list[str]:
    return [sys.executable, "-m", "benchmarks.bench_drift", "--child", mode, str(root), *extra]


def _cli(root: Path) -> list[str]:
    script = Path(sys.executable).with_name("observability")
    return [str(script), "drift", "run", "--model", MODEL, "--window", window_argument()]


def _stored_verdicts(root: Path) -> dict[str, bool]:
    from observability.analyze.job import read_metrics
    from observability.store.local import LocalStore

    rows = read_metrics(LocalStore(root / "store", fsync=False), MODEL)
    return {str(r.feature): bool(r.drifted) for r in rows.itertuples()}


def run_size(rows: int, *, warm: bool) -> tuple[int, int, bool]:
    """One size: prepare, baseline, cold CLI (and the warm worker); (agree, total, pass)."""
    with tempfile.TemporaryDirectory(prefix="bench-drift-") as directory:
        root = Path(directory)
        # In a process of its own: a child's peak RSS (`ru_maxrss`) starts from its parent's
        # at the fork, so the frames written must never live in this process.
        prepared = _measured(_child("prepare", root, str(rows)), root)["prepare_s"]
        print(f"{rows:>9,} rows x 20 features per side")
        print(f"  store written (NDJSON.gz, {rows:,} predictions): {prepared:6.2f} s")
        evidently = _measured(_child("evidently", root), root)
        cli = _measured(_cli(root), root)
        verdicts = _stored_verdicts(root)
        worker = _measured(_child("worker", root), root) if warm else None
    base = evidently["seconds"]
    print(
        f"  baseline: Evidently DataDriftPreset, all rows, own process: {base:7.2f} s "
        f"(Report.run {evidently['report_run_s']:.2f} s)  peak {evidently['peak_mb']:6.0f} MB"
    )
    ratio = cli["seconds"] / base
    print(
        f"  cold CLI `observability drift run` (with reports)      : {cli['seconds']:7.2f} s "
        f"= {ratio:.3f}x   peak {cli['peak_mb']:6.0f} MB"
    )
    ok = True
    if rows == max(SIZES):
        ok = ratio <= TARGET_RATIO and cli["peak_mb"] <= TARGET_PEAK_MB
        print(
            f"  (target <= {TARGET_RATIO}x and <= {TARGET_PEAK_MB} MB: {'PASS' if ok else 'MISS'})"
        )
    if worker is not None:
        hit = worker["verdicts_s"] <= TARGET_WARM_VERDICTS_S
        ok = ok and hit
        print(
            f"  warm worker (Evidently imported, warm-up {worker['warm_up_s']:.2f} s): "
            f"verdicts + drift_metrics saved {worker['verdicts_s']:.2f} s "
            f"= {worker['verdicts_s'] / base:.3f}x "
            f"(target <= {TARGET_WARM_VERDICTS_S:g} s: {'PASS' if hit else 'MISS'})"
        )
        print(
            f"    then snapshot {worker['snapshot_s']:.2f} s, HTML {worker['html_s']:.2f} s, "
            f"run done {worker['run_s']:.2f} s = {worker['run_s'] / base:.3f}x   "
            f"peak {worker['peak_mb']:6.0f} MB"
        )
    same = sum(verdicts.get(f) == d for f, d in evidently["verdicts"].items())
    print(f"  verdicts agreeing with Evidently on all rows: {same}/{len(evidently['verdicts'])}")
    return same, len(evidently["verdicts"]), ok


def main(argv: list[str] | None = None) -> int:
    """Every size; ratios to the baseline of the same run; 1 when a target is missed."""
    parser = argparse.ArgumentParser(prog="python -m benchmarks drift")
    parser.add_argument("--rows", type=int, nargs="+", default=list(SIZES))
    options = parser.parse_args(argv or [])
    agree = total = 0
    passed = True
    for rows in options.rows:
        same, count, ok = run_size(rows, warm=rows == WARM_ROWS)
        agree, total, passed = agree + same, total + count, passed and ok
    share = agree / total if total else 0.0
    status = "PASS" if share >= TARGET_AGREEMENT else "MISS"
    print(f"verdict agreement over all windows: {share:.1%} (target >= 95%: {status})")
    return 0 if passed and share >= TARGET_AGREEMENT else 1


def _run_child(mode: str, root: Path, extra: list[str]) -> None:
    if mode == "prepare":
        outcome: dict[str, Any] = {"prepare_s": prepare(root, int(extra[0]))}
    else:
        outcome = child_evidently(root) if mode == "evidently" else child_worker(root)
    print(json.dumps(outcome))


if __name__ == "__main__":
    if len(sys.argv) >= 4 and sys.argv[1] == "--child":
        _run_child(sys.argv[2], Path(sys.argv[3]), sys.argv[4:])
    else:
        sys.exit(main(sys.argv[1:]))
