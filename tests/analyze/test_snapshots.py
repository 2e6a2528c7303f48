"""Reports stored as Evidently's own snapshots; verdicts first; bins on a model's first run."""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path
from typing import Any

import numpy as np
import orjson
import pytest
from evidently.core.report import Snapshot

from observability.analyze.job import DriftJob
from observability.analyze.sketch_store import (
    SketchWriter,
    bins_key,
    load_bins,
    save_bins,
    sketch_key,
)
from observability.analyze.sketches import BinSpec, FeatureKind, Sketch
from observability.analyze.timeline import timeline
from observability.core import keys
from observability.core.metrics import Metrics
from observability.core.partitioning import Partition
from observability.core.schema import Kind
from observability.query.duckdb import DuckDBEngine
from observability.store.compaction import Compactor
from observability.store.local import LocalStore
from tests.analyze.conftest import HOUR, History, models_for
from tests.analyze.generated import CATEGORICAL, NUMERIC, START, frame, write_predictions

pytestmark = pytest.mark.slow


def test_stored_snapshots_load_with_evidentlys_own_snapshot_load(history: History) -> None:
    """Every stored `.snapshot.json` loads with `Snapshot.load`, stamped with its window."""
    loaded = 0
    for result in history.results:
        for variant, tag in (("", "drift"), (".quality", "quality")):
            key = keys.report_key(result.report_id, variant + keys.REPORT_SNAPSHOT)
            if not history.store.exists(key):
                continue
            snapshot = Snapshot.load(history.store.path(key))
            assert snapshot.get_name() == result.report_id + variant
            assert snapshot._timestamp == result.window_start.replace(tzinfo=None)
            assert snapshot._metadata["report_id"] == result.report_id
            assert snapshot._metadata["model"] == result.model
            assert snapshot._tags == [tag]
            assert snapshot._widgets, "the snapshot carries Evidently's widgets"
            assert "<html" in snapshot.get_html_str(as_iframe=False)
            loaded += 1
    assert loaded == len(history.results) + 1  # every drift report and gen's quality report


def test_snapshot_holds_the_same_metrics_as_the_stored_json(history: History) -> None:
    """The snapshot's metric values are those of the `.json` the API serves, per feature."""
    result = history.results[-2]  # gen's shifted window
    snapshot = Snapshot.load(
        history.store.path(keys.report_key(result.report_id, keys.REPORT_SNAPSHOT))
    )
    summary = json.loads(history.store.get(keys.report_key(result.report_id)))

    def measured(metrics: list[dict[str, Any]]) -> list[tuple[str, Any, Any]]:
        return [(m["id"], m["config"], m["value"]) for m in metrics]

    assert measured(json.loads(snapshot.json())["metrics"]) == measured(summary["metrics"])
    drift_columns = {
        m["config"]["column"]
        for m in summary["metrics"]
        if m["config"]["type"] == "evidently:metric_v2:ValueDrift"
    }
    assert drift_columns == {*NUMERIC, *CATEGORICAL}
    assert {"country", "num_1", "num_4"} <= set(result.drifted)


def test_quality_snapshot_exists_only_for_the_labelled_window(history: History) -> None:
    """Only `gen`'s first window had labels: it alone has a quality snapshot, with accuracy."""
    quality = [
        r.report_id
        for r in history.results
        if history.store.exists(keys.report_key(r.report_id, ".quality" + keys.REPORT_SNAPSHOT))
    ]
    assert quality == [history.results[0].report_id]
    snapshot = Snapshot.load(
        history.store.path(keys.report_key(quality[0], ".quality" + keys.REPORT_SNAPSHOT))
    )
    types = {m["config"]["type"] for m in snapshot.dict()["metrics"]}
    assert "evidently:metric_v2:Accuracy" in types


class OrderedStore(LocalStore):
    """A local store that remembers the order of the keys written to it."""

    def __init__(self, root: Path) -> None:
        super().__init__(root, fsync=False)
        self.written: list[str] = []

    def put(self, key: str, data: bytes) -> None:
        """Write, then remember the key."""
        super().put(key, data)
        self.written.append(key)


def _job(store: LocalStore, root: Path) -> DriftJob:
    reference = root / "reference.parquet"
    frame(np.random.default_rng(5), 1500, shifted=False).to_parquet(reference)
    return DriftJob(store, DuckDBEngine(store), models_for(reference))


def test_verdicts_are_stored_before_the_reports(tmp_path: Path) -> None:
    """The window's drift_metrics rows are written before its snapshot, HTML and manifest."""
    store = OrderedStore(tmp_path / "store")
    write_predictions(store, "gen", START, frame(np.random.default_rng(6), 400, False), "v")
    result = _job(store, tmp_path).run("gen", START, START + HOUR)
    report = result.report_id
    order = [k for k in store.written if not k.startswith(("predictions/", "sketches/"))]
    assert order == [
        keys.drift_metrics_key(report),
        keys.report_key(report, keys.REPORT_JSON),
        keys.report_key(report, keys.REPORT_HTML),
        keys.report_key(report, keys.REPORT_SNAPSHOT),
        keys.drift_run_key("gen", report),
    ]


def test_first_run_creates_bins_and_sketches_the_window(tmp_path: Path, metrics: Metrics) -> None:
    """A model's first run saves bins of its configured features; later hours are sketched
    by compaction, so a timeline needs no manual step; a second run keeps the bins."""
    store = LocalStore(tmp_path / "store", fsync=False)
    rng = np.random.default_rng(7)
    write_predictions(store, "gen", START, frame(rng, 400, shifted=False), "a")
    job = _job(store, tmp_path)
    assert load_bins(store, "gen") is None
    job.run("gen", START, START + HOUR)
    spec = load_bins(store, "gen")
    assert spec is not None
    kinds = {f.name: f.kind for f in spec.features}
    assert kinds == {
        **dict.fromkeys(NUMERIC, FeatureKind.NUMERIC),
        **dict.fromkeys(CATEGORICAL, FeatureKind.CATEGORICAL),
    }
    first_hour = Partition(Kind.PREDICTION, "gen", "2026-11-01", "00")
    assert Sketch.from_json(store.get(sketch_key(first_hour))).rows == 400
    bins = store.get(bins_key("gen"))
    later = START + 5 * HOUR
    write_predictions(store, "gen", later, frame(rng, 300, shifted=True), "b")
    later_hour = Partition(Kind.PREDICTION, "gen", "2026-11-01", "05")
    Compactor(store, metrics, on_compacted=SketchWriter(store)).compact(later_hour)
    assert Sketch.from_json(store.get(sketch_key(later_hour))).rows == 300
    rows = timeline(store, spec, START, START + timedelta(days=1))
    assert {row.feature for row in rows} == {*NUMERIC, *CATEGORICAL}
    job.run("gen", later, later + HOUR)
    assert store.get(bins_key("gen")) == bins


def test_existing_bins_are_kept(tmp_path: Path) -> None:
    """Bins a user saved are not replaced by the job's own."""
    store = LocalStore(tmp_path / "store", fsync=False)
    write_predictions(store, "gen", START, frame(np.random.default_rng(8), 300, False), "c")
    own = BinSpec.from_reference("gen", {"num_0": np.arange(10.0)}, bins=4)
    save_bins(store, own)
    _job(store, tmp_path).run("gen", START, START + HOUR)
    assert load_bins(store, "gen") == own


def test_damaged_bins_become_a_note_and_the_run_goes_on(tmp_path: Path) -> None:
    """Unreadable bins leave the verdicts stored and name the file in the run's notes."""
    store = LocalStore(tmp_path / "store", fsync=False)
    write_predictions(store, "gen", START, frame(np.random.default_rng(9), 300, False), "d")
    store.put(bins_key("gen"), b'{"version": 1}')
    result = _job(store, tmp_path).run("gen", START, START + HOUR)
    assert any("sketches/model=gen/_bins.json is not readable" in n for n in result.notes)
    record = orjson.loads(store.get(keys.drift_run_key("gen", result.report_id)))
    assert record["notes"] == result.notes
    assert store.exists(keys.drift_metrics_key(result.report_id))
    assert store.get(bins_key("gen")) == b'{"version": 1}'


def test_report_file_keys_parse_back(history: History) -> None:
    """Every stored report file's key names its report id, variant and format."""
    found = {keys.report_file_of(k) for k in history.store.list(keys.reports_prefix())}
    first = history.results[0].report_id
    assert (first, ".quality", keys.REPORT_SNAPSHOT) in found
    assert None not in found
    assert len(found) == 3 * (len(history.results) + 1)
