"""BackgroundSink: queueing, retries, spilling, outage recovery and exactly-once delivery."""

from __future__ import annotations

import subprocess
import sys
import threading
import time
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import boto3
import orjson
import pytest
from botocore.config import Config

from observability.core.aws import AwsClients
from observability.core.metrics import Metrics
from observability.core.schema import Kind
from observability.transport.background import CLOSE_GRACE_SECONDS, BackgroundSink
from observability.transport.base import Envelope, Outcome, SendResult
from observability.transport.file import FileSink
from observability.transport.firehose import MAX_RECORD_BYTES, FirehoseSink
from observability.transport.retry import RetryPolicy
from observability.transport.spill import Spill, decode_entry
from tests.servers import free_port
from tests.transport.support import (
    FlakyFirehose,
    SwitchableFirehose,
    create_stream,
    delivered_ids,
    log_lines,
)

BUCKET = "sink-background-test"
STREAM = "obs-logs"
FAST_RETRY = RetryPolicy(base_delay=0.002, max_delay=0.05, max_attempts=30, deadline_seconds=20)


@pytest.fixture
def stream(aws: AwsClients) -> str:
    """The log delivery stream on moto, writing under `logs/`."""
    create_stream(aws, STREAM, BUCKET, "logs/")
    return STREAM


@pytest.fixture
def spill_dir(tmp_path: Path) -> Path:
    return tmp_path / "spill"


def sample(metrics: Metrics, outcome: str, sink: str = "firehose") -> float:
    value = metrics.registry.get_sample_value(
        "observability_sink_records_total", {"sink": sink, "outcome": outcome}
    )
    return value or 0.0


def spill_lines(directory: Path) -> list[dict[str, Any]]:
    return [
        orjson.loads(raw)
        for path in sorted(directory.glob("*.ndjson"))
        for raw in path.read_bytes().splitlines()
    ]


def closed_port_client() -> Any:
    """A real firehose client pointed at a port nobody listens on."""
    return boto3.Session(
        aws_access_key_id="testing",
        aws_secret_access_key="testing",  # noqa: S106 (moto's dummy credentials)
        region_name="us-east-1",
    ).client(
        "firehose",
        endpoint_url=f"http://127.0.0.1:{free_port()}",
        config=Config(retries={"max_attempts": 1, "mode": "standard"}, connect_timeout=1),
    )


def make_sink(client: Any, metrics: Metrics, spill_dir: Path, **options: Any) -> BackgroundSink:
    firehose = FirehoseSink(client, {Kind.LOG: STREAM}, metrics)
    spill = Spill(spill_dir, 64 * 1024 * 1024, metrics, sink="firehose")
    options.setdefault("retry_policy", FAST_RETRY)
    options.setdefault("flush_seconds", 0.05)
    return BackgroundSink(firehose, metrics=metrics, spill=spill, **options)


def wait_until(condition: Any, timeout: float = 15.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError("condition not met in time")
        time.sleep(0.05)


@pytest.mark.slow
@pytest.mark.aws
@pytest.mark.parametrize("aggregate_bytes", [2 * 1024, None], ids=["aggregated", "one-per-record"])
def test_acceptance_100k_records_exactly_once_despite_partial_failures(
    aws: AwsClients, stream: str, metrics: Metrics, spill_dir: Path, aggregate_bytes: int | None
) -> None:
    """100,000 records with 20% partial batches and throttled calls land in S3 exactly once."""
    # 2 KiB envelopes (a few lines each) make enough put_record_batch calls for every fifth
    # to come back partial; the default ~900 KiB packs 100,000 lines into about ten calls.
    flaky = FlakyFirehose(aws.firehose(), partial_every=5, throttle_every=9, seed=11)
    sink = make_sink(
        flaky,
        metrics,
        spill_dir,
        queue_records=200_000,
        aggregate=aggregate_bytes is not None,
        aggregate_bytes=aggregate_bytes or 0,
    )
    for kind, group, line in log_lines(100_000):
        sink.submit(kind, group, line)
    assert sink.flush(timeout=60)
    sink.close()
    ids = delivered_ids(aws, BUCKET, "logs/")
    assert len(ids) == 100_000
    assert set(ids) == {f"rec-{i:08d}" for i in range(100_000)}
    assert max(ids.values()) == 1
    assert flaky.calls >= 30
    assert flaky.partial_calls >= 0.15 * flaky.calls and flaky.throttled_calls > 0
    assert sample(metrics, "sent") == 100_000
    assert sample(metrics, "retried") > 0
    assert sample(metrics, "spilled") == 0
    assert not spill_lines(spill_dir / "pending")


@pytest.mark.aws
def test_oversized_line_is_spilled_with_reason_and_counted(
    aws: AwsClients, stream: str, metrics: Metrics, spill_dir: Path
) -> None:
    """A line over the 1,000 KiB record limit goes to the rejected spill; neighbours go on."""
    sink = make_sink(aws.firehose(), metrics, spill_dir)
    ((kind, group, small),) = log_lines(1)
    huge = b'{"event":"' + b"z" * MAX_RECORD_BYTES + b'"}'
    sink.submit(kind, group, small)
    sink.submit(kind, group, huge)
    sink.close()
    assert set(delivered_ids(aws, BUCKET, "logs/")) == {"rec-00000000"}
    (entry,) = spill_lines(spill_dir / "rejected")
    assert entry["reason"] == "too_large"
    assert entry["line"].encode() == huge
    assert "bytes" in entry["error"]
    assert sample(metrics, "rejected") == 1
    assert sample(metrics, "spilled") == 1


@pytest.mark.aws
def test_rejected_envelopes_are_spilled_with_the_error(
    aws: AwsClients, metrics: Metrics, spill_dir: Path
) -> None:
    """Lines the service refuses (no such stream) are kept under rejected/ with the reason."""
    sink = make_sink(aws.firehose(), metrics, spill_dir)  # no stream was created
    for kind, group, line in log_lines(30):
        sink.submit(kind, group, line)
    sink.close()
    entries = spill_lines(spill_dir / "rejected")
    assert len(entries) == 30
    assert {e["reason"] for e in entries} == {"rejected"}
    assert all(e["error"].startswith("ResourceNotFoundException") for e in entries)
    assert sample(metrics, "rejected") == 30
    assert sample(metrics, "sent") == 0


@pytest.mark.aws
def test_outage_spills_then_recovery_replays_exactly_once(
    aws: AwsClients, stream: str, metrics: Metrics, spill_dir: Path
) -> None:
    """While Firehose is unreachable lines are spilled; once it is back they are replayed."""
    switch = SwitchableFirehose(closed_port_client())
    sink = make_sink(
        switch,
        metrics,
        spill_dir,
        probe_seconds=0.3,
        retry_policy=RetryPolicy(base_delay=0.01, max_delay=0.05, deadline_seconds=0.3),
    )
    for kind, group, line in log_lines(2_000):
        sink.submit(kind, group, line)
    assert sink.flush(timeout=30)
    assert sample(metrics, "spilled") == 2_000
    assert sample(metrics, "sent") == 0
    pending = spill_lines(spill_dir / "pending")
    assert len(pending) == 2_000
    assert {e["reason"] for e in pending} == {"undelivered"}
    assert all(e["error"].startswith("connection") for e in pending)

    switch.client = aws.firehose()  # the endpoint is back
    for kind, group, line in log_lines(1_000, start=2_000):
        sink.submit(kind, group, line)
    wait_until(lambda: sample(metrics, "replayed") == 2_000 and sample(metrics, "sent") == 3_000)
    sink.close()
    ids = delivered_ids(aws, BUCKET, "logs/")
    assert set(ids) == {f"rec-{i:08d}" for i in range(3_000)}
    assert max(ids.values()) == 1
    assert not list((spill_dir / "pending").glob("*.ndjson"))


@pytest.mark.aws
def test_new_sink_replays_spill_left_by_a_previous_process(
    aws: AwsClients, stream: str, metrics: Metrics, spill_dir: Path
) -> None:
    """Spill files survive a restart: a new sink on the same directory delivers them."""
    first = make_sink(
        closed_port_client(),
        metrics,
        spill_dir,
        retry_policy=RetryPolicy(base_delay=0.01, max_delay=0.02, deadline_seconds=0.1),
    )
    for kind, group, line in log_lines(500):
        first.submit(kind, group, line)
    first.close()
    assert len(spill_lines(spill_dir / "pending")) == 500

    second = make_sink(aws.firehose(), metrics, spill_dir)
    wait_until(lambda: sample(metrics, "replayed") == 500)
    second.close()
    ids = delivered_ids(aws, BUCKET, "logs/")
    assert set(ids) == {f"rec-{i:08d}" for i in range(500)}
    assert max(ids.values()) == 1
    assert not list((spill_dir / "pending").glob("*.ndjson"))


@pytest.mark.aws
def test_close_flushes_what_was_queued(
    aws: AwsClients, stream: str, metrics: Metrics, spill_dir: Path
) -> None:
    """close() delivers queued lines before returning, even with a long flush interval."""
    sink = make_sink(aws.firehose(), metrics, spill_dir, flush_seconds=60.0)
    for kind, group, line in log_lines(1_234):
        sink.submit(kind, group, line)
    sink.close()
    sink.close()  # idempotent
    assert len(delivered_ids(aws, BUCKET, "logs/")) == 1_234
    assert sample(metrics, "sent") == 1_234
    depth = metrics.registry.get_sample_value(
        "observability_sink_queue_records", {"sink": "firehose"}
    )
    assert depth == 0


class GatedSink:
    """A real FileSink whose sends wait for a gate: a destination that stalls."""

    name = "gated"
    max_envelope_bytes = MAX_RECORD_BYTES
    max_envelope_lines: int | None = None

    def __init__(self, inner: FileSink) -> None:
        self.inner = inner
        self.gate = threading.Event()

    def send(self, batch: Sequence[Envelope], timeout: float | None = None) -> SendResult:
        self.gate.wait()
        return self.inner.send(batch)


def test_full_queue_spills_after_the_budget_and_replays_later(
    tmp_path: Path, metrics: Metrics, spill_dir: Path
) -> None:
    """With the queue full, a caller waits at most the budget, then its line is spilled."""
    files = FileSink(tmp_path / "out")
    gated = GatedSink(files)
    spill = Spill(spill_dir, 1 << 30, metrics, sink="gated")
    sink = BackgroundSink(
        gated,
        metrics=metrics,
        spill=spill,
        queue_records=10,
        block_budget_ms=2.0,
        flush_seconds=0.01,
        retry_policy=FAST_RETRY,
    )
    lines = list(log_lines(60))
    time.sleep(0.05)
    started = time.perf_counter()
    for kind, group, line in lines:
        sink.submit(kind, group, line)
    elapsed = time.perf_counter() - started
    assert elapsed < 60 * 0.02  # bounded by the budget per call, never by the destination
    assert sample(metrics, "queue_full", "gated") > 0
    gated.gate.set()
    wait_until(lambda: sample(metrics, "sent", "gated") == 60)
    sink.close()
    files.close()
    written = (tmp_path / "out" / "logs.ndjson").read_bytes().splitlines()
    assert sorted(written) == sorted(line for _, _, line in lines)


def test_lines_after_close_are_spilled_not_dropped(
    tmp_path: Path, metrics: Metrics, spill_dir: Path
) -> None:
    """A line submitted after close() is kept in the pending spill with reason `closed`."""
    files = FileSink(tmp_path / "out")
    sink = BackgroundSink(
        files, metrics=metrics, spill=Spill(spill_dir, 1 << 20, metrics, sink="file")
    )
    sink.close()
    ((kind, group, line),) = log_lines(1)
    sink.submit(kind, group, line)
    assert sink.flush()
    (path,) = (spill_dir / "pending").glob("*.ndjson")
    entry = decode_entry(path.read_bytes().strip())
    assert entry.reason == "closed" and entry.line == line


def test_atexit_flushes_a_sink_that_was_never_closed(tmp_path: Path) -> None:
    """A process that exits without close() still delivers its queued lines (atexit)."""
    script = f"""
import sys
from pathlib import Path
from prometheus_client import CollectorRegistry
from observability.core.metrics import Metrics
from observability.core.schema import Kind
from observability.transport.background import BackgroundSink
from observability.transport.file import FileSink
from observability.transport.spill import Spill

metrics = Metrics(CollectorRegistry())
files = FileSink(Path({str(tmp_path / "out")!r}))
spill = Spill(Path({str(tmp_path / "spill")!r}), 1 << 20, metrics, sink="file")
sink = BackgroundSink(files, metrics=metrics, spill=spill, flush_seconds=3600)
for n in range(250):
    sink.submit(Kind.LOG, "g", b'{{"n":%d}}' % n)
sys.exit(0)
"""
    done = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, timeout=60, check=False
    )
    assert done.returncode == 0, done.stderr.decode()
    written = (tmp_path / "out" / "logs.ndjson").read_bytes().splitlines()
    assert written == [b'{"n":%d}' % n for n in range(250)]


class HangingSink:
    """A destination that takes every request and never answers (until released)."""

    name = "hanging"
    max_envelope_bytes = MAX_RECORD_BYTES
    max_envelope_lines: int | None = None

    def __init__(self) -> None:
        self.release = threading.Event()
        self.calls = 0

    def send(self, batch: Sequence[Envelope], timeout: float | None = None) -> SendResult:
        self.calls += 1
        self.release.wait()
        return SendResult([Outcome.RETRYABLE] * len(batch))


@pytest.fixture
def hanging() -> Iterator[HangingSink]:
    """A hanging destination, released at the end so its worker thread ends."""
    sink = HangingSink()
    yield sink
    sink.release.set()


def test_close_ends_at_its_deadline_and_spills_what_the_stuck_worker_held(
    hanging: HangingSink,
    metrics: Metrics,
    spill_dir: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """A worker stuck in a request cannot hold close() past its deadline: every line is
    spilled once (in flight or still queued) and one warning says so."""
    spill = Spill(spill_dir, 1 << 20, metrics, sink="hanging")
    sink = BackgroundSink(hanging, metrics=metrics, spill=spill, flush_seconds=0.01)
    lines = list(log_lines(300))
    for kind, group, line in lines[:100]:
        sink.submit(kind, group, line)
    wait_until(lambda: hanging.calls == 1)  # the worker holds the first 100 lines
    for kind, group, line in lines[100:]:
        sink.submit(kind, group, line)
    started = time.monotonic()
    assert sink.close(timeout=0.3) is False
    assert time.monotonic() - started < 0.3 + CLOSE_GRACE_SECONDS + 1.0  # + a loaded machine
    spilled = [entry["line"].encode() for entry in spill_lines(spill_dir / "pending")]
    assert sorted(spilled) == sorted(line for _, _, line in lines)
    warnings = [
        line for line in capsys.readouterr().err.splitlines() if "went to the spill" in line
    ]
    assert len(warnings) == 1 and "300 line(s)" in warnings[0]
    hanging.release.set()  # the late answer is ignored: nothing is spilled twice
    time.sleep(0.1)
    assert len(spill_lines(spill_dir / "pending")) == 300


def test_a_line_after_close_reaches_the_os_at_once(
    tmp_path: Path, metrics: Metrics, spill_dir: Path
) -> None:
    """After close() a line is in the spill file without any flush: a signal's default
    action may end the process right after the log call."""
    files = FileSink(tmp_path / "out")
    sink = BackgroundSink(
        files, metrics=metrics, spill=Spill(spill_dir, 1 << 20, metrics, sink="file")
    )
    assert sink.close() is True
    ((kind, group, line),) = log_lines(1)
    sink.submit(kind, group, line)
    (path,) = (spill_dir / "pending").glob("*.ndjson")
    assert decode_entry(path.read_bytes().strip()).line == line
