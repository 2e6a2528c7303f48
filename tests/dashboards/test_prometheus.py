"""dashboards/prometheus: rules and configuration pass promtool, and the unit tests pass."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
import yaml

from tests.dashboards.conftest import DASHBOARDS, run_promtool
from tests.dashboards.promql import exported_names, metric_names

PROMETHEUS = DASHBOARDS / "prometheus"

pytestmark = pytest.mark.timeout(1200)  # the first test may install promtool


def test_rules_pass_promtool_check(promtool: str) -> None:
    """`promtool check rules rules.yml` succeeds."""
    done = run_promtool(promtool, "check", "rules", "rules.yml", cwd=PROMETHEUS)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "SUCCESS: 14 rules found" in done.stdout


def test_rules_unit_tests_pass(promtool: str) -> None:
    """`promtool test rules rules_test.yml`: every alert fires on its failure and not otherwise."""
    done = run_promtool(promtool, "test", "rules", "rules_test.yml", cwd=PROMETHEUS)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "SUCCESS" in done.stdout


def test_every_alert_is_unit_tested() -> None:
    """Each alert of rules.yml appears in rules_test.yml, once firing at least."""
    rules = yaml.safe_load((PROMETHEUS / "rules.yml").read_text())
    tests = yaml.safe_load((PROMETHEUS / "rules_test.yml").read_text())
    alerts = {rule["alert"] for group in rules["groups"] for rule in group["rules"]}
    fired = {
        case["alertname"]
        for test in tests["tests"]
        for case in test["alert_rule_test"]
        if case.get("exp_alerts")
    }
    assert alerts == fired


def test_rules_read_only_exported_metrics() -> None:
    """Every observability_* name in the rules is one the service exports (no typo'd metric)."""
    rules = yaml.safe_load((PROMETHEUS / "rules.yml").read_text())
    used = set().union(
        *(metric_names(rule["expr"]) for group in rules["groups"] for rule in group["rules"])
    )
    assert used
    assert used <= exported_names(), used - exported_names()


def test_config_passes_promtool_check(promtool: str) -> None:
    """The example prometheus.yml (scrape job and rule file) passes `promtool check config`."""
    done = run_promtool(promtool, "check", "config", "prometheus.yml", cwd=PROMETHEUS)
    assert done.returncode == 0, done.stdout + done.stderr


def test_a_broken_rule_is_refused(promtool: str, tmp_path: Path) -> None:
    """The check is real: a rule with a PromQL syntax error fails it."""
    shutil.copy(PROMETHEUS / "rules.yml", tmp_path / "rules.yml")
    text = (tmp_path / "rules.yml").read_text()
    (tmp_path / "rules.yml").write_text(
        text.replace("expr: observability_collector_ready == 0", "expr: sum(rate(x[5m])", 1)
    )
    done = run_promtool(promtool, "check", "rules", "rules.yml", cwd=tmp_path)
    assert done.returncode != 0
