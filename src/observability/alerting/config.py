"""alerts.yaml: rule groups, the routing tree, inhibition rules and receivers, validated once.

```yaml
groups:
  - name: ml                       # a rule group, evaluated together every `interval`
    interval: 5m                   # at least 1m: the worker and EventBridge tick per minute
    rules:
      - name: fraud-drift          # unique; a path segment of the `alerts` table
        source: {drift: {model: fraud, measure: share_drifted}}
        condition: {op: ">", threshold: 0.3}
        for: 10m                   # pending this long before firing
        keep_firing_for: 30m       # firing this long after the condition clears
        severity: warning          # info, warning, critical
        labels: {team: ml}
        annotations:
          summary: "{{ $labels.model }}: {{ $value | percent }} of features drifted"
          description: "..."
        runbook_url: https://runbooks.example/fraud-drift
        no_data: nodata            # or ok: no data is not a problem for this rule
        timeout: 30s               # of the rule's query
route: {receiver: ops, group_by: [alertname, model], routes: [...]}
inhibit_rules: [...]
receivers: [{name: ops, slack: {webhook_url_env: SLACK_OPS_URL}}]
pipeline_receiver: ops             # where error and nodata alerts go (default: the root's)
```

Every error names the rule (or section) and the key. The receivers are parsed by the
channels' `parse_receiver`; this module only checks that every route names one.
"""

from __future__ import annotations

import operator
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Final, Literal

import yaml

from observability.alerting.matchers import LABEL_NAME
from observability.alerting.model import Severity
from observability.alerting.reading import ConfigError, Section
from observability.alerting.receivers import ReceiverSpec, parse_receivers
from observability.alerting.routes import InhibitRule, Route, parse_inhibit_rules, parse_route
from observability.alerting.sources import AbsentSource, Source, parse_source
from observability.alerting.templates import Template, TemplateError, compile_template

__all__ = ["AlertsConfig", "Condition", "ConfigError", "Rule", "RuleGroup", "load_alerts"]

#: The shortest evaluation interval: EventBridge Scheduler (and the worker) tick per minute.
MIN_INTERVAL: Final = timedelta(minutes=1)
DEFAULT_INTERVAL: Final = timedelta(minutes=1)
DEFAULT_TIMEOUT: Final = timedelta(seconds=30)
MAX_TIMEOUT: Final = timedelta(minutes=5)
#: Labels the evaluator sets; a rule may not.
RESERVED_LABELS: Final = frozenset({"alertname", "severity", "alertstate"})
#: Largest alerts.yaml read.
MAX_FILE_BYTES: Final = 2 * 1024 * 1024
_TOP_KEYS: Final = ("groups", "route", "inhibit_rules", "receivers", "pipeline_receiver")
_OPS: Final[Mapping[str, Callable[[float, float], bool]]] = {
    ">": operator.gt,
    ">=": operator.ge,
    "<": operator.lt,
    "<=": operator.le,
    "==": operator.eq,
    "!=": operator.ne,
}
NoDataPolicy = Literal["nodata", "ok"]


@dataclass(frozen=True, slots=True)
class Condition:
    """`value <op> threshold`."""

    op: str
    threshold: float

    def holds(self, value: float) -> bool:
        """Whether the value breaches the threshold."""
        return _OPS[self.op](value, self.threshold)

    def __str__(self) -> str:
        return f"{self.op} {self.threshold:g}"


@dataclass(frozen=True, slots=True)
class Rule:
    """One alerting rule, checked; `group` is the name of its rule group."""

    name: str
    group: str
    source: Source
    #: None for `absent` rules, whose condition is the source's `within`.
    condition: Condition | None
    severity: Severity
    summary: Template
    description: Template
    for_: timedelta = timedelta(0)
    keep_firing_for: timedelta = timedelta(0)
    labels: Mapping[str, str] = field(default_factory=dict)
    runbook_url: str | None = None
    no_data: NoDataPolicy = "nodata"
    timeout: timedelta = DEFAULT_TIMEOUT


@dataclass(frozen=True, slots=True)
class RuleGroup:
    """Rules evaluated together, every `interval`."""

    name: str
    interval: timedelta
    rules: tuple[Rule, ...]


@dataclass(frozen=True, slots=True)
class AlertsConfig:
    """The whole file."""

    groups: tuple[RuleGroup, ...]
    route: Route
    inhibit_rules: tuple[InhibitRule, ...]
    receivers: Mapping[str, ReceiverSpec]
    #: Receives `error` and `nodata` alerts: the pipeline's own problems.
    pipeline_receiver: str
    origin: str = "alerts.yaml"

    @property
    def rules(self) -> tuple[Rule, ...]:
        """Every rule, in file order."""
        return tuple(rule for group in self.groups for rule in group.rules)

    def group(self, name: str) -> RuleGroup:
        """A rule group by name; ConfigError when there is none."""
        for group in self.groups:
            if group.name == name:
                return group
        known = ", ".join(g.name for g in self.groups) or "none"
        raise ConfigError(f"{self.origin}: no rule group {name!r} (groups: {known})")


def load_alerts(path: Path) -> AlertsConfig:
    """Read and validate an alerts file; ConfigError on any problem."""
    try:
        with path.open("rb") as handle:
            data = handle.read(MAX_FILE_BYTES + 1)
    except OSError as exc:
        raise ConfigError(f"{path}: {exc.strerror or exc}") from None
    if len(data) > MAX_FILE_BYTES:
        raise ConfigError(f"{path}: larger than {MAX_FILE_BYTES} bytes")
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        raise ConfigError(f"{path}: not UTF-8 text") from None
    return parse_alerts(text, str(path))


def parse_alerts(text: str, origin: str = "alerts.yaml") -> AlertsConfig:
    """Validate YAML text; errors start with `origin`."""
    try:
        document = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise ConfigError(f"{origin}: not valid YAML: {exc}") from None
    try:
        return _config(document, origin)
    except ConfigError as exc:
        raise ConfigError(f"{origin}: {exc}") from None


def _config(document: object, origin: str) -> AlertsConfig:
    if not isinstance(document, Mapping):
        raise ConfigError(f"expected a mapping with {', '.join(_TOP_KEYS)}")
    top = Section("alerts.yaml", document)
    route = parse_route(top.get("route"))
    receivers = parse_receivers(top.items("receivers"))
    _check_receivers(route, receivers, "route")
    pipeline = top.text("pipeline_receiver", route.receiver) or route.receiver
    if pipeline not in receivers:
        raise ConfigError(f"pipeline_receiver: {_undefined(pipeline, receivers)}")
    groups = []
    seen_groups: set[str] = set()
    seen_rules: set[str] = set()
    for index, raw in enumerate(top.items("groups")):
        group = _group(Section(f"groups[{index}]", raw), seen_rules)
        if group.name in seen_groups:
            raise ConfigError(f"groups[{index}]: name: group {group.name!r} is defined twice")
        seen_groups.add(group.name)
        groups.append(group)
    inhibit = parse_inhibit_rules(top.get("inhibit_rules"))
    top.finish()
    return AlertsConfig(tuple(groups), route, inhibit, receivers, pipeline, origin)


def _check_receivers(route: Route, receivers: Mapping[str, ReceiverSpec], where: str) -> None:
    if route.receiver not in receivers:
        raise ConfigError(f"{where}: {_undefined(route.receiver, receivers)}")
    for index, child in enumerate(route.routes):
        _check_receivers(child, receivers, f"{where}.routes[{index}]")


def _undefined(name: str, receivers: Mapping[str, ReceiverSpec]) -> str:
    known = ", ".join(sorted(receivers)) or "none"
    return f"receiver {name!r} is not defined (receivers: {known})"


def _group(section: Section, seen_rules: set[str]) -> RuleGroup:
    name = section.name("name")
    assert name is not None
    section.where = f"group {name!r}"
    interval = section.duration("interval", DEFAULT_INTERVAL, at_least=MIN_INTERVAL)
    assert interval is not None
    if interval.total_seconds() % 60:
        raise section.error(
            "interval", "must be whole minutes (the evaluation clock ticks per minute)"
        )
    rules = []
    for index, raw in enumerate(section.items("rules")):
        rule = _rule(Section(f"group {name!r}: rules[{index}]", raw), name)
        if rule.name in seen_rules:
            raise ConfigError(f"rule {rule.name!r}: name: defined twice (rule names are unique)")
        seen_rules.add(rule.name)
        rules.append(rule)
    section.finish()
    return RuleGroup(name, interval, tuple(rules))


def _rule(section: Section, group: str) -> Rule:
    name = section.name("name")
    assert name is not None
    section.where = f"rule {name!r}"
    source = parse_source(section.where, section.get("source"))
    condition = _condition(section, source)
    severity = section.choice("severity", tuple(s.value for s in Severity), Severity.WARNING)
    labels = section.string_map("labels")
    for label in labels:
        if not LABEL_NAME.fullmatch(label):
            raise section.error(f"labels.{label}", "not a label name ([A-Za-z_][A-Za-z0-9_]*)")
        if label in RESERVED_LABELS:
            raise section.error(f"labels.{label}", "set by the evaluator, not by a rule")
    annotations = Section(f"rule {name!r}: annotations", section.get("annotations"))
    summary = _template(annotations, "summary", _default_summary(source, condition))
    description = _template(annotations, "description", "")
    annotations.finish()
    rule = Rule(
        name=name,
        group=group,
        source=source,
        condition=condition,
        severity=Severity(severity),
        summary=summary,
        description=description,
        for_=section.duration("for", timedelta(0)) or timedelta(0),
        keep_firing_for=section.duration("keep_firing_for", timedelta(0)) or timedelta(0),
        labels=labels,
        runbook_url=_url(section, "runbook_url"),
        no_data="ok" if section.choice("no_data", ("nodata", "ok"), "nodata") == "ok" else "nodata",
        timeout=_timeout(section),
    )
    section.finish()
    return rule


def _condition(section: Section, source: Source) -> Condition | None:
    raw = section.get("condition")
    if isinstance(source, AbsentSource):
        if raw is not None:
            raise section.error("condition", "an absent rule fires on its source's `within`")
        return None
    if raw is None:
        raise section.error("condition", 'is required, e.g. {op: ">", threshold: 0.3}')
    body = Section(f"{section.where}: condition", raw)
    op = body.choice("op", tuple(_OPS))
    threshold = body.number("threshold")
    if threshold is None:
        raise body.error("threshold", "is required")
    body.finish()
    return Condition(op, threshold)


def _template(section: Section, key: str, default: str) -> Template:
    text = section.get(key)
    if text is None:
        text = default
    if not isinstance(text, str):
        raise section.error(key, "expected a string")
    try:
        return compile_template(text)
    except TemplateError as exc:
        raise section.error(key, str(exc)) from None


def _default_summary(source: Source, condition: Condition | None) -> str:
    if isinstance(source, AbsentSource):
        kind, name = source.label
        return f"no records from {kind} {name} for {format_duration(source.within)}"
    assert condition is not None
    return "{{ $rule }}: {{ $value }} " + f"{condition.op} " + "{{ $threshold }}"


def _url(section: Section, key: str) -> str | None:
    value = section.text(key)
    if value is not None and not value.startswith(("https://", "http://")):
        raise section.error(key, "expected an http(s) URL")
    return value


def _timeout(section: Section) -> timedelta:
    value = section.duration("timeout", DEFAULT_TIMEOUT) or DEFAULT_TIMEOUT
    if value > MAX_TIMEOUT:
        raise section.error("timeout", f"at most {MAX_TIMEOUT}")
    return value


def format_duration(length: timedelta) -> str:
    """`5m`, `2h`, `1d`: a duration as alerts.yaml writes it (`0` for none)."""
    seconds = int(length.total_seconds())
    if not seconds:
        return "0"
    for unit, size in (("d", 86_400), ("h", 3600), ("m", 60)):
        if seconds % size == 0:
            return f"{seconds // size}{unit}"
    return f"{seconds}s"
