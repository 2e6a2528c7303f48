"""FirehoseSink throughput with and without aggregation, and the caller's cost during outages.

Section 1: lines/s through `FirehoseSink.send` on a moto server started here, the same
records packed into ~900 KiB envelopes vs one line per record (target: >= 4x).
Section 2: p99 of `BackgroundSink.submit()` (and of the SDK's log call, if
`observability.configure` exists) while the Firehose endpoint is a closed port and
while it answers slowly (a delaying TCP relay in front of moto); target p99 < 50 us,
and every submitted line accounted for (delivered + queued + spilled == submitted).
"""

from __future__ import annotations

import gc
import socket
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from pathlib import Path
from typing import Any

import boto3
import orjson
from botocore.config import Config
from prometheus_client import CollectorRegistry
from tests.servers import free_port, moto_server

from observability.core.metrics import Metrics
from observability.core.partitioning import group_key
from observability.core.schema import Kind
from observability.transport.aggregate import DEFAULT_AGGREGATE_BYTES, pack
from observability.transport.background import BackgroundSink
from observability.transport.firehose import FirehoseSink
from observability.transport.retry import RetryPolicy
from observability.transport.spill import Spill

THROUGHPUT_LINES = 60_000
SUBMIT_RATE = 50_000  # lines/s offered to submit() in section 2
#: The SDK call costs ~20x a bare submit; at 50,000/s it alone would hold the GIL ~90% of
#: the time and the worker's fair share would show up as 5 ms switch-interval stalls.
SDK_RATE = 20_000
SUBMIT_SECONDS = 3.0
SLOW_DELAY = 0.5  # seconds the slow endpoint waits before answering each call
BUCKET = "bench-firehose"
STREAM = "bench-logs"


def main() -> None:
    """Run both sections and print figures, baselines, ratios and targets."""
    with tempfile.TemporaryDirectory() as scratch, moto_server(Path(scratch)) as url:
        session = boto3.Session(
            aws_access_key_id="testing",
            aws_secret_access_key="testing",  # noqa: S106 (moto's dummy credentials)
            region_name="us-east-1",
        )
        s3 = session.client("s3", endpoint_url=url)
        firehose = session.client("firehose", endpoint_url=url)
        s3.create_bucket(Bucket=BUCKET)
        firehose.create_delivery_stream(
            DeliveryStreamName=STREAM,
            DeliveryStreamType="DirectPut",
            ExtendedS3DestinationConfiguration={
                "RoleARN": "arn:aws:iam::123456789012:role/firehose",
                "BucketARN": f"arn:aws:s3:::{BUCKET}",
                "Prefix": "logs/",
            },
        )
        throughput(firehose)
        host, port = url.removeprefix("http://").split(":")
        submit_latency(session, Path(scratch), (host, int(port)))


def records(count: int) -> list[tuple[Kind, str, bytes]]:
    """Realistic log lines (~330 bytes) from three services within one hour."""
    out = []
    for index in range(count):
        record = {
            "schema_version": 1,
            "kind": "log",
            "record_id": f"rec-{index:09d}",
            "timestamp": f"2026-11-23T13:{index // 60 % 60:02d}:{index % 60:02d}.123456Z",
            "level": "info",
            "service": ("checkout", "search", "billing")[index % 3],
            "env": "prod",
            "event": "request handled",
            "host": "ip-10-0-3-17",
            "trace_id": f"{index:032x}",
            "request_id": f"req-{index:012d}",
            "attributes": {"path": "/api/v1/items", "status": 200, "duration_ms": index % 97},
        }
        out.append((Kind.LOG, group_key(Kind.LOG, record), orjson.dumps(record)))
    return out


def throughput(client: Any) -> None:
    """Section 1: aggregated vs one line per record, best of two runs each."""
    items = records(THROUGHPUT_LINES)
    sink = FirehoseSink(client, {Kind.LOG: STREAM}, Metrics(CollectorRegistry()))

    def run(max_bytes: int | None) -> float:
        started = time.perf_counter()
        result = sink.send([p.envelope for p in pack(items, max_bytes)])
        elapsed = time.perf_counter() - started
        assert result.all_accepted, result.reasons
        return len(items) / elapsed

    single: list[float] = []
    aggregated: list[float] = []
    for _ in range(2):
        single.append(run(None))
        aggregated.append(run(DEFAULT_AGGREGATE_BYTES))
    base, agg = max(single), max(aggregated)
    ratio = agg / base
    print(f"FirehoseSink on moto, {THROUGHPUT_LINES:,} lines of ~{len(items[0][2])} bytes")
    print(f"  one line per record (baseline): {base:>12,.0f} lines/s")
    print(f"  aggregated (~900 KiB records):  {agg:>12,.0f} lines/s")
    print(f"  ratio {ratio:.1f}x   target >= 4x   {'PASS' if ratio >= 4 else 'MISS'}")


@contextmanager
def slow_relay(upstream: tuple[str, int], delay: float) -> Iterator[str]:
    """A TCP relay to moto that holds every request for `delay` seconds: a slow endpoint."""
    listener = socket.create_server(("127.0.0.1", 0))
    port = listener.getsockname()[1]
    stop = threading.Event()

    def pipe(source: socket.socket, target: socket.socket) -> None:
        try:
            while chunk := source.recv(65536):
                target.sendall(chunk)
        except OSError:
            pass
        finally:
            for end in (source, target):
                with suppress(OSError):
                    end.shutdown(socket.SHUT_RDWR)

    def handle(client: socket.socket) -> None:
        time.sleep(delay)
        with socket.create_connection(upstream) as server, client:
            back = threading.Thread(target=pipe, args=(server, client), daemon=True)
            back.start()
            pipe(client, server)
            back.join()

    def accept() -> None:
        listener.settimeout(0.2)
        while not stop.is_set():
            try:
                client, _ = listener.accept()
            except TimeoutError:
                continue
            threading.Thread(target=handle, args=(client,), daemon=True).start()

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        stop.set()
        thread.join()
        listener.close()


def submit_latency(session: boto3.Session, scratch: Path, moto: tuple[str, int]) -> None:
    """Section 2: per-call latency of submit() while the endpoint is down, then slow."""
    lines = records(int(SUBMIT_RATE * SUBMIT_SECONDS))
    gc.collect()
    gc.freeze()  # the benchmark's own 150,000 input tuples are not the sink's GC cost
    print(f"\nBackgroundSink.submit() at {SUBMIT_RATE:,} lines/s for {SUBMIT_SECONDS:.0f} s")
    print("  baseline: deque.append of the same tuple")
    closed = f"http://127.0.0.1:{free_port()}"
    scenarios: list[tuple[str, Callable[[], Any]]] = [
        ("unreachable (closed port)", lambda: _nullcontext(closed)),
        (f"slow ({SLOW_DELAY:.1f} s per call)", lambda: slow_relay(moto, SLOW_DELAY)),
    ]
    for label, endpoint in scenarios:
        with endpoint() as url:
            client = session.client(
                "firehose",
                endpoint_url=url,
                config=Config(retries={"max_attempts": 1, "mode": "standard"}, connect_timeout=2),
            )
            measure(label, client, lines, scratch / label.split()[0])


@contextmanager
def _nullcontext(value: str) -> Iterator[str]:
    yield value


def measure(label: str, client: Any, lines: list[tuple[Kind, str, bytes]], spill_dir: Path) -> None:
    """Offer `lines` at SUBMIT_RATE, time each submit, then account for every line."""
    metrics = Metrics(CollectorRegistry())
    spill = Spill(spill_dir, 2 << 30, metrics, sink="firehose")
    sink = BackgroundSink(
        FirehoseSink(client, {Kind.LOG: STREAM}, metrics),
        metrics=metrics,
        spill=spill,
        retry_policy=RetryPolicy(deadline_seconds=2.0),
        probe_seconds=1.0,
    )
    timings = paced(sink.submit, lines)
    baseline_queue: list[Any] = []
    baseline = paced(lambda k, g, b: baseline_queue.append((k, g, b)), lines)
    queued = sink.queued
    sdk_calls, sdk_figures = _sdk_call(label, sink)
    sink.flush(timeout=60)
    sink.close()
    sent = _sample(metrics, "sent")
    spilled_lines = sum(len(path.read_bytes().splitlines()) for path in spill_dir.rglob("*.ndjson"))
    p50, p99, p999 = (_percentile(timings, q) for q in (0.5, 0.99, 0.999))
    b99 = _percentile(baseline, 0.99)
    print(f"  {label}:")
    print(
        f"    submit p50 {p50:.2f} us  p99 {p99:.2f} us  p99.9 {p999:.2f} us  "
        f"(baseline p99 {b99:.2f} us, ratio {p99 / b99:.1f}x)   "
        f"target p99 < 50 us   {'PASS' if p99 < 50 else 'MISS'}"
    )
    accounted = int(sent) + spilled_lines
    submitted = len(lines) + sdk_calls
    print(
        f"    submitted {submitted:,}: delivered {int(sent):,} + spilled {spilled_lines:,} "
        f"(queued at end of offering: {queued:,}); lost {submitted - accounted:,}   "
        f"{'PASS' if accounted == submitted else 'MISS'}"
    )
    print(sdk_figures)


def paced(
    call: Callable[[Kind, str, bytes], None], lines: list[tuple[Kind, str, bytes]]
) -> list[float]:
    """Call at SUBMIT_RATE in bursts of 100; returns each call's latency in microseconds."""
    timings: list[float] = []
    clock = time.perf_counter_ns
    started = time.perf_counter()
    for offset in range(0, len(lines), 100):
        for kind, group, line in lines[offset : offset + 100]:
            before = clock()
            call(kind, group, line)
            timings.append((clock() - before) / 1000)
        ahead = (offset + 100) / SUBMIT_RATE - (time.perf_counter() - started)
        if ahead > 0:
            time.sleep(ahead)
    return timings


def _sdk_call(label: str, sink: BackgroundSink) -> tuple[int, str]:
    """The whole SDK log call into this sink, if the SDK (written elsewhere) exists yet."""
    import observability

    configure = getattr(observability, "configure", None)
    get_logger = getattr(observability, "get_logger", None)
    if configure is None or get_logger is None:
        return 0, "    SDK log call: observability.configure does not exist yet; not measured"
    try:
        configure(service="bench", env="bench", sink=_ListSink())
    except TypeError as exc:
        return 0, f"    SDK log call: configure(sink=...) not accepted ({exc}); not measured"
    base = _timed_sdk_calls(get_logger())
    configure(service="bench", env="bench", sink=sink)
    timings = _timed_sdk_calls(get_logger())
    p99, b99 = _percentile(timings, 0.99), _percentile(base, 0.99)
    return len(timings), (
        f"    SDK log call at {SDK_RATE:,}/s: p50 {_percentile(timings, 0.5):.2f} us  "
        f"p99 {p99:.2f} us  p99.9 {_percentile(timings, 0.999):.2f} us  (baseline into a list: "
        f"p99 {b99:.2f} us, ratio {p99 / b99:.1f}x)   target p99 < 50 us   "
        f"{'PASS' if p99 < 50 else 'MISS'}"
    )


class _ListSink:
    """The SDK baseline: a LineSink that only appends to a list."""

    def __init__(self) -> None:
        self.lines: list[bytes] = []

    def submit(self, kind: Kind, group: str, line: bytes) -> None:
        self.lines.append(line)

    def flush(self, timeout: float | None = None) -> bool:
        return True

    def close(self) -> None:
        self.lines.clear()


def _timed_sdk_calls(logger: Any) -> list[float]:
    timings: list[float] = []
    clock = time.perf_counter_ns
    started = time.perf_counter()
    for index in range(int(SDK_RATE * SUBMIT_SECONDS)):
        before = clock()
        logger.info("request handled", path="/api/v1/items", status=200, duration_ms=index % 97)
        timings.append((clock() - before) / 1000)
        if index % 100 == 99:
            ahead = (index + 1) / SDK_RATE - (time.perf_counter() - started)
            if ahead > 0:
                time.sleep(ahead)
    return timings


def _sample(metrics: Metrics, outcome: str) -> float:
    value = metrics.registry.get_sample_value(
        "observability_sink_records_total", {"sink": "firehose", "outcome": outcome}
    )
    return value or 0.0


def _percentile(values: list[float], quantile: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(quantile * len(ordered)))]


if __name__ == "__main__":
    main()
