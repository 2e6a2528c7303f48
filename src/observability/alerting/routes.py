"""The routing tree and the inhibition rules, with Alertmanager's semantics.

A route matches an alert when all its `matchers` hold; the alert goes to the deepest
matching routes, depth first: the first child that matches takes it unless that child says
`continue: true`, and a route none of whose children match takes it itself. The root
matches everything and groups all alerts together unless it sets `group_by` (Alertmanager's
default). A child inherits `receiver`, `group_by` and the three timers from its
parent unless it sets them. `group_by: ['...']` groups by every label.

An inhibition rule mutes an alert matching `target_matchers` while an active alert matching
`source_matchers` has the same values for the `equal` labels (a label missing on both
sides counts as equal, as in Alertmanager). Without an `inhibit_rules:` section, a critical
alert mutes a warning one whose source labels (model, feature, service, ...) are the same.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import timedelta
from typing import Final

from observability.alerting.matchers import (
    LABEL_NAME,
    Matcher,
    MatcherError,
    matches_all,
    parse_matcher,
)
from observability.alerting.model import Alert, fingerprint
from observability.alerting.reading import ConfigError, Section
from observability.alerting.sources import SOURCE_LABELS

DEFAULT_GROUP_WAIT: Final = timedelta(minutes=1)
DEFAULT_GROUP_INTERVAL: Final = timedelta(minutes=5)
DEFAULT_REPEAT_INTERVAL: Final = timedelta(hours=4)
#: The worker and EventBridge tick once a minute: nothing can wait less.
MIN_TIMER: Final = timedelta(minutes=1)
#: `group_by: ['...']`: every label.
ALL_LABELS: Final = "..."
MAX_ROUTE_DEPTH: Final = 16


@dataclass(frozen=True, slots=True)
class Route:
    """One node of the tree, with what it inherited already filled in."""

    #: Position in the tree: "0" is the root, "0.2.1" its third child's second child.
    path: str
    receiver: str
    matchers: tuple[Matcher, ...]
    group_by: tuple[str, ...]
    group_wait: timedelta
    group_interval: timedelta
    repeat_interval: timedelta
    continue_matching: bool
    routes: tuple[Route, ...]

    def group_labels(self, labels: Mapping[str, str]) -> dict[str, str]:
        """The labels that name the alert's group on this route."""
        if ALL_LABELS in self.group_by:
            return dict(labels)
        return {name: labels[name] for name in self.group_by if name in labels}

    def group_key(self, labels: Mapping[str, str]) -> str:
        """The group's identity: the route and the group labels, hashed (store-safe)."""
        return fingerprint({"__route__": self.path, **self.group_labels(labels)})


def match_routes(root: Route, labels: Mapping[str, str]) -> list[Route]:
    """The routes an alert with these labels is delivered on (at least the root)."""
    return _match(root, labels) or [root]


def _match(route: Route, labels: Mapping[str, str]) -> list[Route]:
    if not matches_all(route.matchers, labels):
        return []
    found: list[Route] = []
    for child in route.routes:
        matched = _match(child, labels)
        found.extend(matched)
        if matched and not child.continue_matching:
            break
    return found or [route]


def parse_route(raw: object, where: str = "route") -> Route:
    """The `route:` section: the root needs a receiver; children inherit."""
    section = Section(where, raw)
    if section.has("matchers"):
        raise section.error("matchers", "the root route matches every alert; it takes none")
    if section.has("continue"):
        raise section.error("continue", "only applies to child routes")
    receiver = section.required_text("receiver")
    root = Route(
        path="0",
        receiver=receiver,
        matchers=(),
        group_by=(),
        group_wait=DEFAULT_GROUP_WAIT,
        group_interval=DEFAULT_GROUP_INTERVAL,
        repeat_interval=DEFAULT_REPEAT_INTERVAL,
        continue_matching=False,
        routes=(),
    )
    return _node(section, root, "0", 0)


def _node(section: Section, parent: Route, path: str, depth: int) -> Route:
    if depth > MAX_ROUTE_DEPTH:
        raise ConfigError(f"{section.where}: routes nest deeper than {MAX_ROUTE_DEPTH}")
    matchers = tuple(_matchers(section, "matchers"))
    group_by = section.strings("group_by")
    if group_by is not None:
        for label in group_by:
            if label != ALL_LABELS and not LABEL_NAME.fullmatch(label):
                raise section.error("group_by", f"{label!r} is not a label name")
    timers = {}
    for key, inherited in (
        ("group_wait", parent.group_wait),
        ("group_interval", parent.group_interval),
        ("repeat_interval", parent.repeat_interval),
    ):
        timers[key] = section.duration(key, inherited, at_least=MIN_TIMER) or inherited
    node = Route(
        path=path,
        receiver=section.text("receiver", parent.receiver) or parent.receiver,
        matchers=matchers,
        group_by=group_by if group_by is not None else parent.group_by,
        group_wait=timers["group_wait"],
        group_interval=timers["group_interval"],
        repeat_interval=timers["repeat_interval"],
        continue_matching=section.flag("continue", False),
        routes=(),
    )
    children = []
    for index, child in enumerate(section.items("routes")):
        child_section = Section(f"{section.where}.routes[{index}]", child)
        children.append(_node(child_section, node, f"{path}.{index}", depth + 1))
    section.finish()
    return dataclasses.replace(node, routes=tuple(children))


def _matchers(section: Section, key: str) -> Iterable[Matcher]:
    for text in section.strings(key) or ():
        try:
            yield parse_matcher(text)
        except MatcherError as exc:
            raise section.error(key, str(exc)) from None


@dataclass(frozen=True, slots=True)
class InhibitRule:
    """While a source alert is active, target alerts with the same `equal` labels are muted."""

    source: tuple[Matcher, ...]
    target: tuple[Matcher, ...]
    equal: tuple[str, ...]

    def mutes(self, target: Alert, active: Sequence[Alert]) -> Alert | None:
        """The active alert that mutes `target`, if any (never the alert itself)."""
        if not matches_all(self.target, target.labels):
            return None
        for source in active:
            if source.fingerprint == target.fingerprint:
                continue
            if not matches_all(self.source, source.labels):
                continue
            if all(source.labels.get(n, "") == target.labels.get(n, "") for n in self.equal):
                return source
        return None


#: Used when alerts.yaml has no `inhibit_rules:` section.
DEFAULT_INHIBIT_RULES: Final = (
    InhibitRule(
        source=(parse_matcher('severity="critical"'),),
        target=(parse_matcher('severity="warning"'),),
        equal=(*SOURCE_LABELS, "alertstate"),
    ),
)


def parse_inhibit_rules(raw: object) -> tuple[InhibitRule, ...]:
    """The `inhibit_rules:` list (absent: the default; an empty list: none)."""
    if raw is None:
        return DEFAULT_INHIBIT_RULES
    if not isinstance(raw, list):
        raise ConfigError("inhibit_rules: expected a list")
    rules = []
    for index, entry in enumerate(raw):
        section = Section(f"inhibit_rules[{index}]", entry)
        source = tuple(_matchers(section, "source_matchers"))
        target = tuple(_matchers(section, "target_matchers"))
        if not source or not target:
            raise section.error("source_matchers", "both source_matchers and target_matchers")
        equal = section.strings("equal") or ()
        for label in equal:
            if not LABEL_NAME.fullmatch(label):
                raise section.error("equal", f"{label!r} is not a label name")
        section.finish()
        rules.append(InhibitRule(source, target, equal))
    return tuple(rules)


def inhibitor(rules: Sequence[InhibitRule], target: Alert, active: Sequence[Alert]) -> Alert | None:
    """The alert that mutes `target` under any rule, or None."""
    for rule in rules:
        source = rule.mutes(target, active)
        if source is not None:
            return source
    return None
