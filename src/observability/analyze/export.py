"""Our stored Evidently snapshots as an Evidently workspace, for `evidently ui --workspace DIR`.

One project per model and one run per stored snapshot (`<report id>[.quality].snapshot.json`),
each with an id derived from its name, so exporting again replaces what the last export
wrote instead of adding copies; runs of ours whose snapshot left the store are removed.
Each project's dashboard gets a tab of our panels (the share of drifted features, each
feature's drift score over time, and model quality when labelled windows exist); tabs and
panels a user added elsewhere are kept.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Final

from evidently.core.report import Snapshot  # type: ignore[import-untyped,unused-ignore]
from evidently.sdk.models import (  # type: ignore[import-untyped,unused-ignore]
    DashboardModel,
    DashboardPanelPlot,
    DashboardTabModel,
    PanelMetric,
    ProjectModel,
)
from evidently.sdk.panels import (  # type: ignore[import-untyped,unused-ignore]
    counter_panel,
    line_plot_panel,
)
from evidently.ui.workspace import Workspace  # type: ignore[import-untyped,unused-ignore]

from observability.analyze.job import SNAPSHOT_TAGS
from observability.core import keys
from observability.core.checks import is_name
from observability.core.errors import ObservabilityError
from observability.store.base import ObjectStore

#: Namespace of every id we give a project, run, tab or panel (uuid5 of its name).
NAMESPACE: Final = uuid.UUID("5b0c51a4-7f1e-4c8e-9a57-0b5e2a6d1c3f")
#: The dashboard tab that holds our panels; re-export rebuilds it.
TAB_TITLE: Final = "Drift and quality (observability)"
_DRIFTED: Final = "evidently:metric_v2:DriftedColumnsCount"
_VALUE_DRIFT: Final = "evidently:metric_v2:ValueDrift"
#: Quality metrics charted when a model's snapshots have them: (type, labels, title).
_QUALITY: Final[tuple[tuple[str, dict[str, str], str], ...]] = (
    ("evidently:metric_v2:Accuracy", {}, "Accuracy"),
    ("evidently:metric_v2:MAE", {"value_type": "mean"}, "Mean absolute error"),
)
#: What a damaged stored snapshot raises while it is read (JSON, UTF-8, pydantic errors).
_UNREADABLE: Final = (ValueError, TypeError, KeyError)


class ExportError(ObservabilityError):
    """Nothing to export: a bad model name, or no stored snapshot."""


@dataclass(frozen=True, slots=True)
class StoredSnapshot:
    """One Evidently snapshot in the store."""

    key: str
    report_id: str
    variant: str


@dataclass(slots=True)
class ModelExport:
    """What one model's export did."""

    model: str
    project_id: uuid.UUID
    written: int = 0
    removed: int = 0
    #: `<key>: <reason>` of each snapshot that could not be read.
    skipped: list[str] = field(default_factory=list)
    panels: list[str] = field(default_factory=list)


def stored_snapshots(
    store: ObjectStore, model: str | None = None
) -> dict[str, list[StoredSnapshot]]:
    """Per model (all, or `model`), its stored snapshots in window order.

    ExportError when the name is not a model name or nothing is stored.
    """
    if model is not None and not is_name(model):
        raise ExportError(f"not a model name: {model!r:.80}")
    found: dict[str, list[StoredSnapshot]] = {}
    for key in store.list(keys.reports_prefix(model)):
        parsed = keys.report_file_of(key)
        if parsed is None or parsed[2] != keys.REPORT_SNAPSHOT:
            continue
        report, variant, _format = parsed
        owner = keys.parse_report_id(report)[0]
        found.setdefault(owner, []).append(StoredSnapshot(key, report, variant))
    if not found:
        where = keys.reports_prefix(model)
        raise ExportError(f"no Evidently snapshot stored under {where}: run `drift run` first")
    return {
        name: sorted(items, key=lambda s: (keys.parse_report_id(s.report_id)[1:], s.variant))
        for name, items in sorted(found.items())
    }


def project_id(model: str) -> uuid.UUID:
    """The workspace project of `model`: the same on every export."""
    return uuid.uuid5(NAMESPACE, f"project/{model}")


def run_id(snapshot: StoredSnapshot) -> uuid.UUID:
    """The workspace run of a stored snapshot: the same on every export."""
    return uuid.uuid5(NAMESPACE, f"run/{snapshot.report_id}{snapshot.variant}")


def export_workspace(
    store: ObjectStore,
    directory: Path,
    snapshots: Mapping[str, Sequence[StoredSnapshot]],
    advance: Callable[[StoredSnapshot], None] | None = None,
) -> list[ModelExport]:
    """Write `snapshots` into the Evidently workspace at `directory` (created when missing).

    `advance` is called after each snapshot (a progress bar). A snapshot that does not
    load with Evidently's own `Snapshot.loads` is skipped and named in the result.
    """
    workspace = Workspace(str(directory))
    step = advance or (lambda _snapshot: None)
    results = []
    for model, items in snapshots.items():
        result = ModelExport(model, project_id(model))
        description = f"Drift and quality reports of model {model}, exported by observability."
        workspace.add_project(
            ProjectModel(id=result.project_id, name=model, description=description)
        )
        written: set[str] = set()
        seen: set[str] = set()
        for item in items:
            try:
                snapshot = Snapshot.loads(store.get(item.key).decode())
            except _UNREADABLE as exc:
                result.skipped.append(f"{item.key}: {type(exc).__name__}: {exc}"[:300])
            else:
                # Workspace.add_run would draw a fresh id; ours is stable, so a re-export
                # overwrites the run instead of adding a copy (the same call add_run makes).
                identity = run_id(item)
                workspace.state.write_snapshot(
                    result.project_id, identity, snapshot.to_snapshot_model()
                )
                written.add(str(identity))
                seen.update(_series(snapshot))
                result.written += 1
            step(item)
        for stale in workspace.list_runs(result.project_id):
            if uuid.UUID(str(stale)).version == 5 and str(stale) not in written:
                workspace.delete_run(result.project_id, stale)  # ours, no longer stored
                result.removed += 1
        panels = _panels(model, seen)
        _save_tab(workspace, result.project_id, model, panels)
        result.panels = [p.title for p in panels]
        results.append(result)
    return results


def _series(snapshot: Snapshot) -> set[str]:
    """`<metric type>` and `<ValueDrift type>/<column>` of a snapshot's top-level metrics."""
    found: set[str] = set()
    for metric in snapshot.dict()["metrics"]:
        config: dict[str, Any] = metric.get("config", {})
        kind = str(config.get("type", ""))
        found.add(f"{kind}/{config['column']}" if kind == _VALUE_DRIFT else kind)
    return found


def _panels(model: str, seen: set[str]) -> list[Any]:
    """Our panels for the metrics the model's snapshots hold, with stable ids."""
    drift = [SNAPSHOT_TAGS[""]]
    share = PanelMetric(
        legend="share", metric=_DRIFTED, metric_labels={"value_type": "share"}, tags=drift
    )
    count = PanelMetric(
        legend="count", metric=_DRIFTED, metric_labels={"value_type": "count"}, tags=drift
    )
    panels: list[Any] = []
    if _DRIFTED in seen:
        panels += [
            counter_panel("Share of drifted features (last window)", [share], size="half"),
            counter_panel("Drifted features (last window)", [count], size="half"),
            line_plot_panel("Share of drifted features", [share]),
        ]
    columns = sorted(s.partition("/")[2] for s in seen if s.startswith(f"{_VALUE_DRIFT}/"))
    if columns:
        scores = [
            PanelMetric(legend=c, metric=_VALUE_DRIFT, metric_labels={"column": c}, tags=drift)
            for c in columns
        ]
        description = "Evidently's drift score of each feature (its method's statistic)."
        panels.append(line_plot_panel("Drift score per feature", scores, description))
    quality = [SNAPSHOT_TAGS[".quality"]]
    for kind, labels, title in _QUALITY:
        if kind in seen:
            metric = PanelMetric(legend=title, metric=kind, metric_labels=labels, tags=quality)
            panels.append(line_plot_panel(title, [metric], size="half"))
    for panel in panels:
        panel.id = uuid.uuid5(NAMESPACE, f"panel/{model}/{panel.title}")
    return panels


def _save_tab(workspace: Workspace, project: uuid.UUID, model: str, panels: Iterable[Any]) -> None:
    """Replace our tab (and its panels) in the project's dashboard; keep everything else."""
    tab_id = uuid.uuid5(NAMESPACE, f"tab/{model}")
    dashboard: DashboardModel = workspace.get_dashboard(project)
    old = {p for t in dashboard.tabs if t.id == tab_id for p in t.panels}
    new: list[DashboardPanelPlot] = list(panels)
    ours = old | {p.id for p in new}
    dashboard.tabs = [
        DashboardTabModel(id=tab_id, title=TAB_TITLE, panels=[p.id for p in new]),
        *(t for t in dashboard.tabs if t.id != tab_id),
    ]
    dashboard.panels = [*new, *(p for p in dashboard.panels if p.id not in ours)]
    workspace.save_dashboard(project, dashboard)


__all__: Sequence[str] = (
    "ExportError",
    "ModelExport",
    "StoredSnapshot",
    "export_workspace",
    "project_id",
    "run_id",
    "stored_snapshots",
)
