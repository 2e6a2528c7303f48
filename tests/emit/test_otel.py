"""Tests of observability.emit.otel: ids of the active OpenTelemetry span, when there is one."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import orjson
from opentelemetry.sdk.trace import TracerProvider

import observability
from observability.emit.memory import MemoryLineSink

ROOT = Path(__file__).resolve().parents[2]


def test_records_carry_the_active_span_ids(sink: MemoryLineSink) -> None:
    """Inside a span of the real SDK, log and prediction records carry its W3C ids."""
    tracer = TracerProvider().get_tracer("test")
    log = observability.get_logger("otel")
    with tracer.start_as_current_span("checkout") as span:
        context = span.get_span_context()
        log.info("inside the span")
        observability.log_prediction(model="fraud", features={"a": 1.0}, prediction=0.5)
    log.info("after the span")
    inside, prediction, after = (orjson.loads(line) for _, _, line in sink.lines)
    trace_id, span_id = f"{context.trace_id:032x}", f"{context.span_id:016x}"
    assert (inside["trace_id"], inside["span_id"]) == (trace_id, span_id)
    assert len(inside["trace_id"]) == 32 and len(inside["span_id"]) == 16
    assert inside["trace_id"] == inside["trace_id"].lower()
    assert prediction["trace_id"] == trace_id
    assert "trace_id" not in after and "span_id" not in after


def test_span_wins_over_bound_ids_and_a_call_argument_wins_over_both(
    sink: MemoryLineSink,
) -> None:
    """Bound ids give way to the active span; an id passed to the call wins; request_id stays."""
    tracer = TracerProvider().get_tracer("test")
    log = observability.get_logger()
    with (
        observability.bound_context(trace_id="bound", span_id="bound-span", request_id="r-1"),
        tracer.start_as_current_span("work") as span,
    ):
        log.info("from the span")
        log.info("explicit", trace_id="given")
    from_span, explicit = sink.records()
    assert from_span["trace_id"] == f"{span.get_span_context().trace_id:032x}"
    assert from_span["request_id"] == "r-1"
    assert explicit["trace_id"] == "given"


def test_without_opentelemetry_nothing_changes(tmp_path: Path) -> None:
    """In a process where opentelemetry cannot be imported, records keep the bound ids."""
    script = (
        "import sys\n"
        "sys.modules['opentelemetry'] = None\n"  # as if the package were not installed
        "import observability\n"
        "observability.configure(service='svc', env='test')\n"
        "with observability.bound_context(trace_id='t-1', span_id='s-1'):\n"
        "    observability.get_logger().info('plain')\n"
        "assert 'opentelemetry.trace' not in sys.modules\n"
    )
    env = {k: v for k, v in os.environ.items() if not k.startswith("OBSERVABILITY_")}
    env |= {"OBSERVABILITY_SINK": "file", "OBSERVABILITY_STATE_DIR": str(tmp_path)}
    done = subprocess.run(
        [sys.executable, "-c", script],
        env=env,
        cwd=ROOT,
        capture_output=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, done.stderr.decode()
    (record,) = (
        orjson.loads(line) for line in (tmp_path / "out" / "logs.ndjson").read_bytes().splitlines()
    )
    assert (record["trace_id"], record["span_id"], record["event"]) == ("t-1", "s-1", "plain")
