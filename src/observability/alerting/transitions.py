"""From one rule's observation to each of its alerts' next record, before any I/O.

The rule's `error` alert is active while its source fails, its `nodata` alert while the
source returns nothing (unless the rule says `no_data: ok`); otherwise every label set the
source returned, and every alert of the rule it no longer returns, takes one step of the
state machine (`rules.py`). The result is a list of (what was stored, what to store next):
the evaluator writes them with conditional writes.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime

from observability.alerting.config import Rule
from observability.alerting.model import AlertState, fingerprint
from observability.alerting.observe import Observed
from observability.alerting.rules import (
    ALERTSTATE_LABEL,
    AlertRecord,
    Sample,
    Timing,
    problem_labels,
    step,
    step_problem,
)
from observability.alerting.sources import AbsentSource
from observability.alerting.state import Stored
from observability.core.links import Links

Change = tuple[Stored | None, AlertRecord | None]


@dataclass(frozen=True, slots=True)
class Plan:
    """What an observation does to a rule's alerts."""

    changes: list[Change]
    #: The source answered, with nothing (and the rule minds).
    nodata: bool


def plan(observed: Observed, stored: Mapping[str, Stored], links: Links, now: datetime) -> Plan:
    """The next record of every alert of the rule (None: inactive, no record kept)."""
    rule, observation, error = observed.rule, observed.observation, observed.error
    nodata = (
        observation is not None
        and not observation.samples
        and not observation.empty_is_ok
        and rule.no_data == "nodata"
    )
    changes = _problems(rule, error, nodata=nodata, stored=stored, links=links, now=now)
    if observation is not None and not nodata:
        mine = {
            fp: entry
            for fp, entry in stored.items()
            if entry.record.rule == rule.name and ALERTSTATE_LABEL not in entry.record.labels
        }
        timing = Timing(rule.for_.total_seconds(), rule.keep_firing_for.total_seconds())
        seen = {fingerprint(sample.labels): sample for sample in observation.samples}
        for fp in sorted(set(seen) | set(mine)):
            previous = mine.get(fp)
            sample = seen.get(fp)
            before = previous.record if previous is not None else None
            fresh = fresh_record(rule, sample, links) if sample is not None else before
            assert fresh is not None  # a label set is either returned or stored
            changes.append((previous, step(before, sample, timing, now, fresh)))
    return Plan(changes, nodata)


def fresh_record(rule: Rule, sample: Sample, links: Links) -> AlertRecord:
    """What this evaluation would store for a returned label set (its state comes next)."""
    threshold = rule_threshold(rule)
    annotations = {
        "summary": rule.summary.render(sample.labels, sample.value, threshold, rule.name),
    }
    description = rule.description.render(sample.labels, sample.value, threshold, rule.name)
    if description:
        annotations["description"] = description
    if rule.runbook_url:
        annotations["runbook_url"] = rule.runbook_url
    return AlertRecord(
        rule=rule.name,
        rule_group=rule.group,
        labels=dict(sample.labels),
        state=AlertState.INACTIVE,
        annotations=annotations,
        value=sample.value,
        threshold=threshold,
        generator_url=links.alerts_view(fingerprint(sample.labels)),
        context=dict(sample.context),
    )


def rule_threshold(rule: Rule) -> float | None:
    """What values are compared to: the condition's, or an absent rule's `within` (s)."""
    if isinstance(rule.source, AbsentSource):
        return rule.source.within.total_seconds()
    return rule.condition.threshold if rule.condition is not None else None


def _problems(
    rule: Rule,
    error: str | None,
    *,
    nodata: bool,
    stored: Mapping[str, Stored],
    links: Links,
    now: datetime,
) -> list[Change]:
    """The rule's `error` and `nodata` alerts: active while it fails / has no data."""
    changes: list[Change] = []
    for state, active in ((AlertState.ERROR, error is not None), (AlertState.NODATA, nodata)):
        if state is AlertState.NODATA and error is not None:
            continue  # a failing query says nothing about data
        fresh = _problem(rule, state, error, links)
        previous = stored.get(fresh.fingerprint)
        before = previous.record if previous is not None else None
        changes.append((previous, step_problem(before, fresh if active else None, now)))
    return changes


def _problem(rule: Rule, state: AlertState, error: str | None, links: Links) -> AlertRecord:
    labels = problem_labels(rule.name, rule.labels, state)
    what = "failed" if state is AlertState.ERROR else "returned no data"
    view = links.alerts_view(fingerprint(labels))
    return AlertRecord(
        rule=rule.name,
        rule_group=rule.group,
        labels=labels,
        state=state,
        annotations={"summary": f"rule {rule.name} {what}"},
        generator_url=view,
        context={"error": error} if state is AlertState.ERROR and error else {},
        links={"alert": view},
    )
