"""Tests of observability.integrations.aws_lambda: invocation context, flush on return."""

from __future__ import annotations

import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

import observability
from observability.emit.memory import MemoryLineSink
from observability.integrations import aws_lambda
from observability.integrations.aws_lambda import XRAY_TRACE_ENV, inject_lambda_context, xray_ids
from tests.integrations.support import file_records, stored
from tests.shutdown.support import Collector, clean_env


@dataclass
class Context:
    """The attributes Lambda's context object has (the runtime passes one per invocation)."""

    aws_request_id: str
    function_name: str = "checkout-fn"
    function_version: str = "$LATEST"
    remaining_ms: int = 30_000

    def get_remaining_time_in_millis(self) -> int:
        """Milliseconds before the invocation times out."""
        return self.remaining_ms


@pytest.fixture(autouse=True)
def _fresh_process(monkeypatch: pytest.MonkeyPatch) -> None:
    """Each test starts as a new Lambda process would: the next invocation is cold."""
    monkeypatch.setattr(aws_lambda, "_cold_start", True)


@inject_lambda_context
def handler(event: dict[str, Any], context: Any) -> dict[str, int]:
    """Log one line per invocation, or fail when asked."""
    observability.get_logger("fn").info("handled", order=event["order"])
    if event.get("fail"):
        raise ValueError("bad order")
    return {"order": event["order"]}


def test_every_line_carries_the_invocation_context(sink: MemoryLineSink) -> None:
    """request_id, function name and version and cold_start (true once) are on each line,
    and gone after the invocation."""
    assert handler({"order": 1}, Context("req-1")) == {"order": 1}
    assert handler({"order": 2}, Context("req-2", function_version="7")) == {"order": 2}
    observability.get_logger("fn").info("outside")
    first, second, outside = sink.records()
    assert first["request_id"] == "req-1"
    assert first["attributes"] == {
        "function_name": "checkout-fn",
        "function_version": "$LATEST",
        "cold_start": True,
        "order": 1,
    }
    assert (second["request_id"], second["attributes"]["cold_start"]) == ("req-2", False)
    assert second["attributes"]["function_version"] == "7"
    assert "request_id" not in outside and "attributes" not in outside
    assert sink.flushes == 2


XRAY_SCRIPT = """
import observability
from observability.integrations.aws_lambda import inject_lambda_context
from tests.integrations.test_aws_lambda import Context

observability.configure(service="xray-fn")

@inject_lambda_context
def handler(event, context):
    observability.get_logger("fn").info("handled")

handler({}, Context("req-x"))
"""


def test_xray_header_gives_trace_ids_as_given(tmp_path: Path) -> None:
    """In a process where the runtime set X-Ray's trace header, its Root and Parent are the
    lines' trace_id and span_id, kept in X-Ray's own spelling."""
    root = "1-5759e988-bd862e3fe1be46a994272793"
    env = clean_env(
        OBSERVABILITY_SINK="file",
        OBSERVABILITY_STATE_DIR=str(tmp_path),
        **{XRAY_TRACE_ENV: f"Root={root};Parent=53995c3f42cd8ad8;Sampled=1"},
    )
    done = subprocess.run(
        [sys.executable, "-c", XRAY_SCRIPT], env=env, capture_output=True, timeout=60, check=False
    )
    assert done.returncode == 0, done.stderr.decode()
    (record,) = file_records(tmp_path)
    assert (record["trace_id"], record["span_id"], record["request_id"]) == (
        root,
        "53995c3f42cd8ad8",
        "req-x",
    )
    assert xray_ids("") == {} and xray_ids("Sampled=0") == {}


def test_a_failing_handler_still_flushes(sink: MemoryLineSink) -> None:
    """An exception leaves the handler after the sink was flushed, and the context is reset."""
    with pytest.raises(ValueError, match="bad order"):
        handler({"order": 4, "fail": True}, Context("req-4"))
    assert sink.flushes == 1
    assert observability.current_context() == {}


def test_lines_are_delivered_before_the_handler_returns(
    real_collector: Collector, tmp_path: Path
) -> None:
    """With the HTTP sink's own flush a minute away, the invocation's lines are at the
    collector as soon as the handler returns: the decorator flushed them."""
    observability.configure(
        service="lambda-fn",
        environ={
            "OBSERVABILITY_SINK": "http",
            "OBSERVABILITY_COLLECTOR_URL": real_collector.url,
            "OBSERVABILITY_STATE_DIR": str(tmp_path / "state"),
            "OBSERVABILITY_SINK_FLUSH_SECONDS": "60",
        },
    )
    for n in range(3):
        handler({"order": n}, Context(f"req-{n}"))
    ids = real_collector.wait_for("lambda-fn", 3, timeout=5)
    assert sorted(ids.values()) == [1, 1, 1]
    assert sorted(r["request_id"] for r in stored(real_collector, "lambda-fn")) == [
        "req-0",
        "req-1",
        "req-2",
    ]
