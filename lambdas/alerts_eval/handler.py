"""Alert evaluation Lambda: `handler(event, context)`, triggered by EventBridge Scheduler.

One invocation is one evaluation pass (`AlertEvaluator.evaluate`): every rule group whose
interval has passed since its last evaluation (the store remembers, so a schedule of
`rate(1 minute)` evaluates a 5-minute group every fifth minute), then the notifications
that are due. The instant is the event's scheduled time, floored to the minute: the
EventBridge envelope's `time`, or `scheduled_time` in a Scheduler input such as
`{"scheduled_time": "<aws.scheduler.scheduled-time>"}`; now when neither is given.
Optional `"groups": ["ml"]` evaluates only those groups, `"dry_run": true` changes and
sends nothing. The response is the pass's summary: groups evaluated, rules by status,
transitions and notifications.

Settings, clients, the rules (`OBSERVABILITY_ALERTS_CONFIG`, the file packaged with the
function) and the notifiers are built once per cold start from the environment.
"""

from __future__ import annotations

import functools
import os
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from observability.alerting.config import load_alerts
from observability.alerting.evaluator import AlertEvaluator
from observability.core.errors import ObservabilityError
from observability.core.times import TimeGrammarError, parse_absolute
from observability.runtime import Runtime


def build(environ: Mapping[str, str]) -> AlertEvaluator:
    """Compose the evaluator from a mapping of `OBSERVABILITY_*` variables."""
    runtime = Runtime.from_env(environ)
    return AlertEvaluator.from_runtime(runtime, load_alerts(runtime.settings.alerts_config))


def run_event(evaluator: AlertEvaluator, event: Mapping[str, Any], now: datetime) -> dict[str, Any]:
    """Evaluate at the event's scheduled minute; the response is the pass's summary."""
    moment = _scheduled(event, now).replace(second=0, microsecond=0)
    groups = event.get("groups")
    if groups is not None and (
        not isinstance(groups, list) or not all(isinstance(g, str) for g in groups)
    ):
        raise ObservabilityError("event: `groups` is a list of rule group names")
    dry_run = event.get("dry_run", False)
    if not isinstance(dry_run, bool):
        raise ObservabilityError("event: `dry_run` is true or false")
    result = evaluator.evaluate(moment, groups=groups or None, dry_run=dry_run)
    return result.summary()


def _scheduled(event: Mapping[str, Any], now: datetime) -> datetime:
    for key in ("scheduled_time", "time"):
        value = event.get(key)
        if value is None:
            continue
        try:
            return parse_absolute(str(value))
        except TimeGrammarError as exc:
            raise ObservabilityError(f"event: {key}: {exc}") from None
    return now.astimezone(UTC)


@functools.cache
def _evaluator() -> AlertEvaluator:
    return build(os.environ)


def handler(event: Mapping[str, Any], context: Any) -> dict[str, Any]:
    """Lambda entry point."""
    return run_event(_evaluator(), event, datetime.now(UTC))
