"""`drift export-evidently`: our snapshots in an Evidently workspace, opened by Evidently itself."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import urllib.request
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import click
import pytest
from click.testing import CliRunner
from evidently.core.report import Snapshot
from evidently.sdk.panels import text_panel
from evidently.ui.workspace import Workspace

from observability.analyze.export import (
    ExportError,
    export_workspace,
    project_id,
    stored_snapshots,
)
from observability.commands.common import CliContext
from observability.commands.drift import drift
from observability.store.local import LocalStore
from tests.analyze.conftest import GEN_WINDOWS, History
from tests.analyze.generated import CATEGORICAL, NUMERIC
from tests.servers import free_port, wait_http

pytestmark = pytest.mark.slow


@pytest.fixture
def store(history: History, tmp_path: Path) -> LocalStore:
    """A copy of the recorded history's store, so a test may change it."""
    shutil.copytree(history.store.root, tmp_path / "store")
    return LocalStore(tmp_path / "store", fsync=False)


def _projects(directory: Path) -> dict[str, Any]:
    """Project name -> project, as Evidently's workspace API lists them."""
    return {p.name: p for p in Workspace(str(directory)).list_projects()}


def _report_ids(workspace: Workspace, project: uuid.UUID) -> list[str]:
    """The `report_id` metadata of every run of a project, sorted."""
    runs = [workspace.get_run(project, run) for run in workspace.list_runs(project)]
    return sorted(f"{run.metadata['report_id']}/{run.tags[0]}" for run in runs)


def test_workspace_lists_each_models_snapshots_in_its_project(
    store: LocalStore, history: History, tmp_path: Path
) -> None:
    """One project per model, one run per stored snapshot, and our dashboard panels."""
    directory = tmp_path / "workspace"
    results = export_workspace(store, directory, stored_snapshots(store))
    assert [(r.model, r.written, r.removed, r.skipped) for r in results] == [
        ("gen", GEN_WINDOWS + 1, 0, []),
        ("other", 1, 0, []),
    ]
    workspace = Workspace(str(directory))
    projects = _projects(directory)
    assert set(projects) == {"gen", "other"}
    gen = [r.report_id for r in history.results if r.model == "gen"]
    assert _report_ids(workspace, projects["gen"].id) == sorted(
        [f"{report}/drift" for report in gen] + [f"{gen[0]}/quality"]
    )
    assert _report_ids(workspace, projects["other"].id) == [
        f"{history.results[-1].report_id}/drift"
    ]
    dashboard = workspace.get_dashboard(projects["gen"].id)
    titles = {p.title: p for p in dashboard.panels}
    assert set(titles) == {
        "Share of drifted features (last window)",
        "Drifted features (last window)",
        "Share of drifted features",
        "Drift score per feature",
        "Accuracy",
    }
    scored = {v.metric_labels["column"] for v in titles["Drift score per feature"].values}
    assert scored == {*NUMERIC, *CATEGORICAL}
    assert [t.panels for t in dashboard.tabs] == [[p.id for p in dashboard.panels]]
    other = {p.title for p in workspace.get_dashboard(projects["other"].id).panels}
    assert "Accuracy" not in other and "Drift score per feature" in other


def test_exported_runs_load_as_evidently_snapshots(store: LocalStore, tmp_path: Path) -> None:
    """A run file in the workspace loads with `Snapshot.load` and keeps its widgets."""
    directory = tmp_path / "workspace"
    export_workspace(store, directory, stored_snapshots(store, "other"))
    runs = list((directory / str(project_id("other")) / "snapshots").glob("*.json"))
    assert len(runs) == 1
    snapshot = Snapshot.load(runs[0])
    assert snapshot._metadata["model"] == "other" and snapshot._widgets


def test_export_again_replaces_and_keeps_what_users_added(
    store: LocalStore, tmp_path: Path
) -> None:
    """A re-export writes the same runs (no copies), drops runs whose snapshot left the
    store, and keeps a run and a panel a user added."""
    directory = tmp_path / "workspace"
    export_workspace(store, directory, stored_snapshots(store))
    workspace = Workspace(str(directory))
    gen = project_id("gen")
    first_runs = set(workspace.list_runs(gen))
    user_run = Snapshot.loads(store.get(stored_snapshots(store, "gen")["gen"][0].key).decode())
    user_id = workspace.add_run(gen, user_run).id
    workspace.get_project(gen).dashboard.add_panel(text_panel("notes"), tab="mine")
    again = export_workspace(store, directory, stored_snapshots(store))
    assert [(r.written, r.removed) for r in again] == [(GEN_WINDOWS + 1, 0), (1, 0)]
    assert set(workspace.list_runs(gen)) == first_runs | {user_id}
    gone = stored_snapshots(store, "gen")["gen"][-1]
    store.delete(gone.key)
    third = export_workspace(store, directory, stored_snapshots(store, "gen"))
    assert (third[0].written, third[0].removed) == (GEN_WINDOWS, 1)
    assert len(workspace.list_runs(gen)) == GEN_WINDOWS + 1  # ours, plus the user's
    dashboard = workspace.get_dashboard(gen)
    assert "notes" in {p.title for p in dashboard.panels}
    assert [t.title for t in dashboard.tabs] == ["Drift and quality (observability)", "mine"]
    assert len(dashboard.panels) == 6  # our five, rebuilt in place, and the user's


def test_a_damaged_snapshot_is_skipped_and_named(store: LocalStore, tmp_path: Path) -> None:
    """A stored snapshot Evidently cannot load is reported; the others are exported."""
    damaged = stored_snapshots(store, "gen")["gen"][1]
    store.put(damaged.key, b'{"metrics": []}')
    [result] = export_workspace(store, tmp_path / "workspace", stored_snapshots(store, "gen"))
    assert result.written == GEN_WINDOWS
    assert len(result.skipped) == 1 and result.skipped[0].startswith(damaged.key)


def test_nothing_to_export_is_a_clear_error(store: LocalStore) -> None:
    """An unknown or malformed model name is an ExportError naming what was looked for."""
    with pytest.raises(ExportError, match="reports/model=nope/"):
        stored_snapshots(store, "nope")
    with pytest.raises(ExportError, match="not a model name"):
        stored_snapshots(store, "../etc")


def _group() -> click.Group:
    @click.group()
    @click.option("--store-url")
    @click.pass_context
    def root(ctx: click.Context, store_url: str | None) -> None:
        ctx.obj = CliContext(store_url, None)

    root.add_command(drift)
    return root


def test_cli_exports_one_model_or_all(store: LocalStore, tmp_path: Path) -> None:
    """`drift export-evidently` prints each project; `--model` limits it; a bad name fails."""
    directory = tmp_path / "workspace"
    base = ["--store-url", str(store.root), "drift", "export-evidently", "--workspace"]
    one = CliRunner().invoke(_group(), [*base, str(directory), "--model", "other"])
    assert one.exit_code == 0, one.output
    assert set(_projects(directory)) == {"other"}
    every = CliRunner().invoke(_group(), [*base, str(directory)])
    assert every.exit_code == 0, every.output
    assert "gen" in every.output and str(project_id("gen")) in every.output
    assert set(_projects(directory)) == {"gen", "other"}
    bad = CliRunner().invoke(_group(), [*base, str(directory), "--model", "nope"])
    assert isinstance(bad.exception, ExportError)


@pytest.fixture
def evidently_ui(store: LocalStore, tmp_path: Path) -> Iterator[str]:
    """`evidently ui` (a real process) serving the exported workspace; yields its URL."""
    directory = tmp_path / "workspace"
    export_workspace(store, directory, stored_snapshots(store))
    port = free_port()
    environment = {**os.environ, "DO_NOT_TRACK": "1"}  # no telemetry from tests
    log = (tmp_path / "evidently-ui.log").open("wb")
    command = [sys.executable, "-m", "evidently.cli", "ui", "--workspace", str(directory)]
    proc = subprocess.Popen(
        [*command, "--host", "127.0.0.1", "--port", str(port)],
        stdout=log,
        stderr=subprocess.STDOUT,
        env=environment,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        wait_http(f"{url}/api/projects", timeout=120, proc=proc)
        yield url
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
        log.close()


def _call(url: str, body: dict[str, Any] | None = None) -> Any:
    """GET `url`, or POST `body` as JSON to it; the decoded answer."""
    data = None if body is None else json.dumps(body).encode()
    headers = {"content-type": "application/json"}
    request = urllib.request.Request(url, data=data, headers=headers)  # noqa: S310 (loopback)
    with urllib.request.urlopen(request, timeout=30) as response:  # noqa: S310 (loopback)
        return json.loads(response.read())


def test_evidently_ui_serves_the_drift_history(evidently_ui: str, history: History) -> None:
    """Evidently's own UI lists our runs and charts the drift share per window from them."""
    projects = {p["name"]: p["id"] for p in _call(f"{evidently_ui}/api/projects")}
    assert set(projects) == {"gen", "other"}
    gen = projects["gen"]
    runs = _call(f"{evidently_ui}/api/projects/{gen}/snapshots")
    assert len(runs) == GEN_WINDOWS + 1
    share = {
        "tags": ["drift"],
        "metadata": {},
        "metric": "evidently:metric_v2:DriftedColumnsCount",
        "metric_labels": {"value_type": "share"},
    }
    series = _call(
        f"{evidently_ui}/api/v2/snapshots/{gen}/data_series_batch", {"series_filter": [share]}
    )
    windows = [s["metadata"]["report_id"] for s in series["sources"]]
    assert windows == [r.report_id for r in history.results if r.model == "gen"]
    [values] = [s["values"] for s in series["series"]]
    assert values[-1] > max(values[:-1])  # the shifted last window
    panels = _call(f"{evidently_ui}/api/v2/dashboards/{gen}")["panels"]
    assert "Drift score per feature" in {p["title"] for p in panels}
