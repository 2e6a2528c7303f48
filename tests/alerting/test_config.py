"""alerts.yaml validation: a valid file reads into typed rules; each mistake is one error
naming the rule (or section) and the key."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import Any

import orjson
import pytest

from observability.alerting.config import ConfigError, load_alerts, parse_alerts
from observability.alerting.model import Severity
from observability.alerting.sources import AbsentSource, DriftSource, PipelineSource, SqlSource

FULL = """
groups:
  - name: ml
    interval: 5m
    rules:
      - name: fraud-drift
        source: {drift: {model: fraud, measure: share_drifted, lookback: 1d}}
        condition: {op: ">", threshold: 0.3}
        for: 10m
        keep_firing_for: 30m
        severity: critical
        labels: {team: ml}
        annotations:
          summary: "{{ $labels.model }}: {{ $value | percent }} of features drifted"
          description: "threshold {{ $threshold }}"
        runbook_url: https://runbooks.example/drift
  - name: services
    rules:
      - name: checkout-errors
        source:
          sql: {named: error-rate, params: {service: checkout}, value: error_rate, window: 15m}
        condition: {op: ">=", threshold: 0.05}
      - name: checkout-silent
        source: {absent: {service: checkout, within: 15m}}
      - name: refused
        source: {pipeline: {check: errors, stage: transform}}
        condition: {op: ">", threshold: 100}
        no_data: ok
route:
  receiver: ops
  group_by: [alertname]
  routes:
    - matchers: ['team="ml"']
      receiver: ml
      group_wait: 2m
receivers:
  - {name: ops, memory: {}}
  - {name: ml, memory: {}}
"""


def _rules(*rules: dict[str, Any], **top: Any) -> str:
    document = {
        "groups": [{"name": "g", "rules": list(rules)}],
        "route": {"receiver": "ops"},
        "receivers": [{"name": "ops", "memory": {}}],
        **top,
    }
    return orjson.dumps(document).decode()


def _rule(**overrides: Any) -> dict[str, Any]:
    rule = {
        "name": "r",
        "source": {"drift": {"model": "fraud"}},
        "condition": {"op": ">", "threshold": 0.5},
    }
    rule.update(overrides)
    return {k: v for k, v in rule.items() if v is not None}


def test_a_full_file_reads_into_typed_rules(tmp_path: Path) -> None:
    """Groups, rules, sources, timers, templates and routes come out typed and checked."""
    path = tmp_path / "alerts.yaml"
    path.write_text(FULL)
    config = load_alerts(path)
    assert [g.name for g in config.groups] == ["ml", "services"]
    assert config.groups[1].interval == timedelta(minutes=1)  # the default
    drift, errors, silent, refused = config.rules
    assert drift.source == DriftSource("share_drifted", "fraud", None, timedelta(days=1))
    assert (drift.for_, drift.keep_firing_for) == (timedelta(minutes=10), timedelta(minutes=30))
    assert drift.severity is Severity.CRITICAL and drift.labels == {"team": "ml"}
    assert drift.summary.render({"model": "fraud"}, 0.375) == "fraud: 37.5% of features drifted"
    assert drift.description.render({}, 0.3, 0.3) == "threshold 0.3"
    assert isinstance(errors.source, SqlSource) and errors.source.is_error_rate
    assert errors.source.params == {"service": "checkout"}
    assert errors.condition is not None and errors.condition.holds(0.05)
    assert isinstance(silent.source, AbsentSource) and silent.condition is None
    assert silent.summary.render({}) == "no records from service checkout for 15m"
    assert isinstance(refused.source, PipelineSource) and refused.no_data == "ok"
    assert config.pipeline_receiver == "ops"
    assert config.route.routes[0].group_wait == timedelta(minutes=2)
    assert config.route.routes[0].group_interval == timedelta(minutes=5)  # inherited


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("groups: [", "not valid YAML"),
        ("- a list", "expected a mapping"),
        (_rules(_rule(), colour="red"), "colour: unknown key"),
        (_rules(_rule(name="bad name")), "name: 'bad name' is not a name"),
        (_rules(_rule(), _rule()), "rule 'r': name: defined twice"),
        (_rules(_rule(keep_firing="5m")), "rule 'r': keep_firing: unknown key"),
        (_rules(_rule(condition=None)), "rule 'r': condition: is required"),
        (_rules(_rule(condition={"op": "~", "threshold": 1})), "condition: op: '~' is not one"),
        (_rules(_rule(condition={"op": ">"})), "condition: threshold: is required"),
        (_rules(_rule(severity="page")), "rule 'r': severity: 'page' is not one of"),
        (_rules(_rule(**{"for": "soon"})), "rule 'r': for: bad duration 'soon'"),
        (_rules(_rule(labels={"severity": "x"})), "labels.severity: set by the evaluator"),
        (_rules(_rule(labels={"bad-name": "x"})), "labels.bad-name: not a label name"),
        (_rules(_rule(source={"prometheus": {}})), "source: 'prometheus' is not one of"),
        (
            _rules(_rule(source={"drift": {"model": "f", "feature": "a"}})),
            "only applies to measure: score",
        ),
        (_rules(_rule(source={"sql": {"named": "nope"}})), "'nope' is not a named query"),
        (_rules(_rule(source={"sql": {"named": "error-rate"}})), "value: is required"),
        (
            _rules(
                _rule(source={"sql": {"named": "error-rate", "value": "v", "params": {"x": 1}}})
            ),
            "params.x: error-rate takes service",
        ),
        (_rules(_rule(source={"sql": {"query": "DELETE FROM logs"}})), "only SELECT queries"),
        (
            _rules(_rule(source={"sql": {"query": "SELECT 1 AS value FROM logs WHERE a = :who"}})),
            ":who is neither",
        ),
        (
            _rules(_rule(source={"absent": {"service": "a", "within": "5m"}})),
            "an absent rule fires on",
        ),
        (
            _rules(_rule(source={"absent": {"within": "5m"}}, condition=None)),
            "exactly one of service or model",
        ),
        (
            _rules(_rule(source={"pipeline": {"check": "errors", "job": "x"}})),
            "job: does not apply",
        ),
        (
            _rules(_rule(annotations={"summary": "{{ $value | upper }}"})),
            "summary: {{ $value | upper }}: unknown filter",
        ),
        (_rules(_rule(annotations={"summary": "{{ .Labels.model }}"})), "expected $labels.<name>"),
        (_rules(_rule(runbook_url="wiki/drift")), "runbook_url: expected an http(s) URL"),
        (_rules(_rule(timeout="10m")), "timeout: at most"),
        (_rules(_rule(), pipeline_receiver="pager"), "receiver 'pager' is not defined"),
        (_rules(_rule(), route={"receiver": "nobody"}), "route: receiver 'nobody' is not defined"),
        (
            _rules(_rule(), route={"receiver": "ops", "group_wait": "30s"}),
            "group_wait: 30s is shorter",
        ),
        (
            _rules(_rule(), route={"receiver": "ops", "matchers": ["a=b"]}),
            "the root route matches every",
        ),
        (
            _rules(_rule(), route={"receiver": "ops", "routes": [{"matchers": ["a=~("]}]}),
            "bad regex",
        ),
        (
            _rules(_rule(), receivers=[{"name": "ops", "slack": {"webhook_url": "https://x"}}]),
            "never written",
        ),
        (_rules(_rule(), inhibit_rules=[{"source_matchers": ['a="b"']}]), "both source_matchers"),
    ],
)
def test_each_mistake_is_one_error_naming_where(text: str, message: str) -> None:
    """The error names the rule or section and the key, and says what is wrong."""
    with pytest.raises(ConfigError) as caught:
        parse_alerts(text, "alerts.yaml")
    assert str(caught.value).startswith("alerts.yaml: ")
    assert message in str(caught.value)


def test_an_interval_under_a_minute_is_refused() -> None:
    """EventBridge and the worker tick per minute: a group cannot be evaluated faster."""
    text = orjson.dumps(
        {
            "groups": [{"name": "g", "interval": "30s", "rules": []}],
            "route": {"receiver": "ops"},
            "receivers": [{"name": "ops", "memory": {}}],
        }
    ).decode()
    with pytest.raises(ConfigError, match="group 'g': interval: 30s is shorter"):
        parse_alerts(text)


def test_a_large_file_is_refused(tmp_path: Path) -> None:
    """A file over the size limit is refused before YAML reads it."""
    path = tmp_path / "alerts.yaml"
    path.write_bytes(b"#" * (3 * 1024 * 1024))
    with pytest.raises(ConfigError, match="larger than"):
        load_alerts(path)
