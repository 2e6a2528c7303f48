"""dashboards/grafana/observability.json: a valid dashboard whose every PromQL parses.

promtool 2.42 has no bare-expression check, so each expression (with Grafana's
`$__rate_interval`-style macros and the template variables substituted) becomes a
recording rule in a temporary file that `promtool check rules` parses.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any, Final

import pytest
import yaml

from tests.dashboards.conftest import DASHBOARDS, run_promtool
from tests.dashboards.promql import exported_names, metric_names

DASHBOARD = DASHBOARDS / "grafana" / "observability.json"
#: Grafana's interval macros, as a query would see them.
MACROS: Final = {"__rate_interval": "5m", "__interval": "1m", "__range": "1h"}
_VARIABLE: Final = re.compile(r"\$\{(\w+)(?::\w+)?\}|\$(\w+)|\[\[(\w+)\]\]")
_LABEL_VALUES: Final = re.compile(r"^label_values\((?P<expr>.*),\s*\w+\)$")

pytestmark = pytest.mark.timeout(1200)  # the first test may install promtool


def _dashboard() -> dict[str, Any]:
    document: dict[str, Any] = json.loads(DASHBOARD.read_text())
    return document


def substitute(expression: str, variables: set[str]) -> str:
    """Macros to durations, template variables to a sample value valid in `=` and `=~`."""

    def value(match: re.Match[str]) -> str:
        name = next(group for group in match.groups() if group)
        if name in MACROS:
            return MACROS[name]
        assert name in variables, f"unknown variable ${name} in {expression!r}"
        return "sample"

    return _VARIABLE.sub(value, expression)


def expressions(dashboard: dict[str, Any]) -> dict[str, str]:
    """Every PromQL in the dashboard (targets and query variables), substituted, by origin."""
    variables = {v["name"] for v in dashboard["templating"]["list"]}
    found: dict[str, str] = {}
    for panel in dashboard["panels"]:
        for target in panel.get("targets", []):
            key = f"panel_{panel['id']}_{target['refId']}"
            found[key] = substitute(target["expr"], variables)
    for variable in dashboard["templating"]["list"]:
        if variable["type"] == "query":
            match = _LABEL_VALUES.match(variable["definition"])
            assert match, variable["definition"]
            found[f"variable_{variable['name']}"] = substitute(match["expr"], variables)
    return found


def _check(promtool: str, exprs: dict[str, str], directory: Path) -> tuple[int, str]:
    rules = [{"record": f"dashboard:{key}", "expr": expr} for key, expr in exprs.items()]
    (directory / "dashboard_rules.yml").write_text(
        yaml.safe_dump({"groups": [{"name": "dashboard", "rules": rules}]})
    )
    done = run_promtool(promtool, "check", "rules", "dashboard_rules.yml", cwd=directory)
    return done.returncode, done.stdout + done.stderr


def test_every_expression_parses(promtool: str, tmp_path: Path) -> None:
    """All panel and variable queries pass `promtool check rules` once substituted."""
    exprs = expressions(_dashboard())
    assert len(exprs) >= 20
    code, output = _check(promtool, exprs, tmp_path)
    assert code == 0, output
    assert f"SUCCESS: {len(exprs)} rules found" in output


def test_a_broken_expression_is_caught(promtool: str, tmp_path: Path) -> None:
    """The check is real: an unbalanced expression from a panel fails it."""
    exprs = expressions(_dashboard())
    first = next(iter(exprs))
    exprs[first] = exprs[first] + ")"
    code, _output = _check(promtool, exprs, tmp_path)
    assert code != 0


def test_expressions_read_exported_metrics() -> None:
    """Every observability_* name queried is one the service exports."""
    used = set().union(*(metric_names(e) for e in expressions(_dashboard()).values()))
    assert used <= exported_names(), used - exported_names()


def test_dashboard_covers_the_pipeline() -> None:
    """Ingest rate, rejections, spill, job health and drift per model each have a panel."""
    used = set().union(*(metric_names(e) for e in expressions(_dashboard()).values()))
    for name in (
        "observability_records_accepted_total",
        "observability_records_rejected_total",
        "observability_sink_spill_bytes",
        "observability_jobs_total",
        "observability_job_last_success_timestamp_seconds",
        "observability_drift_score",
        "observability_drift_drifted_features",
        "observability_http_request_duration_seconds_bucket",
        "observability_collector_journal_age_seconds",
        "observability_alerts",
    ):
        assert name in used, name


def test_dashboard_structure() -> None:
    """Unique panel ids, a Prometheus data source variable on every query, a 24-column grid."""
    dashboard = _dashboard()
    ids = [panel["id"] for panel in dashboard["panels"]]
    assert len(ids) == len(set(ids))
    assert dashboard["uid"] == "observability-pipeline"
    for panel in dashboard["panels"]:
        grid = panel["gridPos"]
        assert grid["x"] + grid["w"] <= 24, panel["title"]
        if panel["type"] == "row":
            continue
        assert panel["datasource"] == {"type": "prometheus", "uid": "${datasource}"}
        assert panel["targets"], panel["title"]
        assert len({t["refId"] for t in panel["targets"]}) == len(panel["targets"])
    repeated = [p for p in dashboard["panels"] if p.get("repeat")]
    assert [p["repeat"] for p in repeated] == ["model"]
