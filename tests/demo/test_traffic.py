"""A demo service's traffic: steady, then an incident after the release, and drifted
model inputs from the release on; its plan travels as JSON on the command line."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
import structlog

import observability.emit as sdk
from observability.core.schema import Kind
from observability.demo.traffic import TICK_SECONDS, Plan, Service, main


@pytest.fixture
def memory() -> Iterator[sdk.MemoryLineSink]:
    """The SDK configured with the in-repo memory sink; structlog's defaults back after."""
    sink = sdk.MemoryLineSink()
    yield sink
    sdk.shutdown()
    structlog.reset_defaults()


def _plan(service: str) -> Plan:
    return Plan(service, "http://127.0.0.1:9", "state", 5, 1000.0, 2000.0, 3000.0)


def _run(service: str, sink: sdk.MemoryLineSink, start: float, ticks: int) -> None:
    sdk.configure(service=service, env="demo", sink=sink, exit_signals=False, capture_stdlib=False)
    traffic = Service(_plan(service), sdk)
    for tick in range(ticks):
        traffic.tick(start + tick * TICK_SECONDS)


def _error_share(sink: sdk.MemoryLineSink) -> float:
    logs = sink.records(Kind.LOG)
    errors = sum(1 for r in logs if r["level"] == "error")
    return errors / len(logs)


def _mean_amount(predictions: list[dict[str, Any]]) -> float:
    return sum(float(r["features"]["amount"]) for r in predictions) / len(predictions)


def test_checkout_errors_spike_only_during_the_incident(memory: sdk.MemoryLineSink) -> None:
    """Checkout's error share is about 1% before the release and about half during it."""
    _run("checkout", memory, start=0.0, ticks=500)
    steady = _error_share(memory)
    memory.lines.clear()
    _run("checkout", memory, start=1000.0, ticks=500)
    incident = _error_share(memory)
    assert steady < 0.05
    assert incident > 0.35


def test_payments_predictions_drift_after_the_release_and_labels_come_later(
    memory: sdk.MemoryLineSink,
) -> None:
    """Fraud predictions carry the new model version and amounts in cents after the release;
    labels arrive only after their delay, for a share of predictions."""
    _run("payments", memory, start=0.0, ticks=40)  # 8 s
    before = memory.records(Kind.PREDICTION)
    assert before and not memory.records(Kind.LABEL)  # the first labels are 10 s away
    memory.lines.clear()
    _run("payments", memory, start=2500.0, ticks=600)
    after = memory.records(Kind.PREDICTION)
    labels = memory.records(Kind.LABEL)
    assert {r["model_version"] for r in before} == {"2026.11.1"}
    assert {r["model_version"] for r in after} == {"2026.12.1"}
    assert _mean_amount(after) > 20 * _mean_amount(before)
    assert 0 < len(labels) < len(after)
    assert {r["prediction_id"] for r in labels} <= {r["prediction_id"] for r in after}


def test_plan_round_trips_and_a_bad_one_is_refused(capsys: pytest.CaptureFixture[str]) -> None:
    """A plan survives its JSON form; a plan naming an unknown service exits 2 with a reason."""
    plan = _plan("search")
    assert Plan.from_json(plan.to_json()) == plan
    assert main([plan.to_json().replace("search", "billing")]) == 2
    assert "bad plan" in capsys.readouterr().err
    assert main([]) == 2
