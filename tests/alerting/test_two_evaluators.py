"""Two evaluators on one store (the moto server; a local store when forced at one instant),
evaluating at the same instants in two threads, each with its own runtime and DuckDB
engine: one notification, one row per change."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta
from pathlib import Path

import boto3
import pytest

from observability.alerting.channels.memory import MemoryNotifier
from observability.alerting.config import parse_alerts
from observability.alerting.evaluator import AlertEvaluator, EvalResult
from observability.core.aws import AwsClients
from observability.core.schema import Kind
from observability.core.settings import Settings
from observability.runtime import Runtime
from tests.alerting.conftest import errors_rule_yaml, log, minute, write

pytestmark = pytest.mark.aws

BUCKET = "alerts-test"


def _runtime(settings: Settings, aws: AwsClients) -> Runtime:
    session = boto3.Session(
        aws_access_key_id="testing",
        aws_secret_access_key="testing",  # noqa: S106 (moto's dummy credentials)
        region_name=settings.aws_region,
    )
    return Runtime(settings.replace(store_url=f"s3://{BUCKET}/prod"), session=session)


def _side_by_side(
    runtimes: list[Runtime], errors: int, minutes: int, *, force: bool
) -> tuple[MemoryNotifier, list[EvalResult]]:
    """`errors` error logs a minute apart, then both evaluators at minutes 1..`minutes`,
    each minute started together: what the team receiver got, and every result."""
    config = parse_alerts(errors_rule_yaml(), "alerts.yaml")
    write(
        runtimes[0].store,
        [log("checkout", minute(n) + timedelta(seconds=30), level="error") for n in range(errors)],
        Kind.LOG,
    )
    team = MemoryNotifier("team")
    notifiers = {"team": team, "ops": MemoryNotifier("ops")}
    evaluators = [
        AlertEvaluator.from_runtime(runtime, config, notifiers=notifiers, holder=f"evaluator-{i}")
        for i, runtime in enumerate(runtimes)
    ]
    start = threading.Barrier(2)

    def run(evaluator: AlertEvaluator, n: int) -> EvalResult:
        start.wait(timeout=30)
        return evaluator.evaluate(minute(n), force=force)

    results: list[EvalResult] = []
    with ThreadPoolExecutor(2) as pool:
        for n in range(1, minutes + 1):
            results += pool.map(run, evaluators, [n, n])
    return team, results


def test_two_evaluators_on_one_store_send_one_notification(
    aws_settings: Settings, aws: AwsClients
) -> None:
    """Evaluating side by side every minute, the pair sends each notification once and
    records each transition once."""
    aws.s3().create_bucket(Bucket=BUCKET)
    runtimes = [_runtime(aws_settings, aws), _runtime(aws_settings, aws)]
    try:
        team, results = _side_by_side(runtimes, 4, 11, force=False)
        assert [(n.status, len(n.alerts)) for n in team.delivered] == [
            ("firing", 1),
            ("resolved", 1),
        ]
        transitions = [str(t) for r in results for t in r.transitions]
        assert sorted(t.rsplit(": ", 1)[1] for t in transitions) == [
            "firing -> resolved",
            "inactive -> firing",
        ]
        skipped = sum(1 for r in results if r.skipped)
        assert skipped == 11  # each minute, one of the two found the group claimed
        rows = (
            runtimes[0]
            .query_engine()
            .execute("SELECT from_state, to_state, evaluator FROM alerts ORDER BY changed_at")
        )
        assert [(r[0], r[1]) for r in rows.rows] == [
            ("inactive", "firing"),
            ("firing", "resolved"),
        ]
    finally:
        for runtime in runtimes:
            runtime.close()


def test_two_evaluators_forced_on_one_group_still_notify_once(
    aws_settings: Settings, tmp_path: Path
) -> None:
    """Even both evaluating the same group at once (`alerts eval` beside the worker), the
    conditional writes let one state change and one delivery through."""
    # On one local store: moto's server checks If-None-Match and If-Match, then writes,
    # without a lock, so two requests at the same instant can both pass (S3's own
    # conditional writes are atomic, as the local store's link and lock are).
    local = aws_settings.replace(store_url=(tmp_path / "store").as_uri())
    runtimes = [Runtime(local), Runtime(local)]
    try:
        team, results = _side_by_side(runtimes, 6, 4, force=True)
        assert [(n.status, len(n.alerts)) for n in team.delivered] == [("firing", 1)]
        assert [str(t).rsplit(": ", 1)[1] for r in results for t in r.transitions] == [
            "inactive -> firing"
        ]
    finally:
        for runtime in runtimes:
            runtime.close()
