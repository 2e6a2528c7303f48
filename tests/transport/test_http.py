"""HttpSink against a real HTTP server on 127.0.0.1 that records what it receives."""

from __future__ import annotations

import gzip
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import httpx
import orjson
import pytest

from observability.core.metrics import Metrics
from observability.core.schema import Kind
from observability.transport.background import BackgroundSink
from observability.transport.base import Envelope, Outcome
from observability.transport.http import HttpSink
from observability.transport.retry import RetryPolicy
from observability.transport.spill import Spill
from tests.servers import free_port


class Collector:
    """A tiny HTTP server: records each request, answers with the next scripted status."""

    def __init__(self) -> None:
        self.requests: list[dict[str, Any]] = []
        self.script: list[tuple[int, bytes]] = []
        owner = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers["Content-Length"]))
                owner.requests.append(
                    {"path": self.path, "headers": dict(self.headers), "body": body}
                )
                status, payload = owner.script.pop(0) if owner.script else (200, b"{}")
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def collector() -> Iterator[Collector]:
    server = Collector()
    yield server
    server.close()


def envelope(kind: Kind, *lines: bytes) -> Envelope:
    return Envelope(kind, b"\n".join(lines) + b"\n", len(lines))


def test_posts_gzip_ndjson_to_the_kinds_route(collector: Collector, metrics: Metrics) -> None:
    """Each envelope is one gzip POST to /api/v1/ingest/<plural> and 200 means ACCEPTED."""
    sink = HttpSink(collector.url, httpx.Client(), metrics=metrics)
    result = sink.send([envelope(Kind.LOG, b'{"a":1}', b'{"a":2}'), envelope(Kind.LABEL, b"{}")])
    assert result.outcomes == [Outcome.ACCEPTED, Outcome.ACCEPTED]
    paths = [r["path"] for r in collector.requests]
    assert paths == ["/api/v1/ingest/logs", "/api/v1/ingest/labels"]
    first = collector.requests[0]
    assert first["headers"]["Content-Encoding"] == "gzip"
    assert gzip.decompress(first["body"]) == b'{"a":1}\n{"a":2}\n'
    assert (
        metrics.registry.get_sample_value(
            "observability_sink_requests_total", {"sink": "http", "outcome": "ok"}
        )
        == 2
    )


def test_partly_rejected_batch_is_accepted(collector: Collector, metrics: Metrics) -> None:
    """A 200 naming bad lines is ACCEPTED: the collector already stored them in errors/."""
    reply = orjson.dumps(
        {"accepted": 1, "rejected": [{"index": 1, "reason": "malformed_json", "error": "x"}]}
    )
    collector.script = [(200, reply)]
    sink = HttpSink(collector.url, httpx.Client(), metrics=metrics)
    assert sink.send([envelope(Kind.LOG, b"{}", b"{")]).outcomes == [Outcome.ACCEPTED]


@pytest.mark.parametrize("status", [500, 503, 429])
def test_overload_is_retryable(collector: Collector, metrics: Metrics, status: int) -> None:
    """5xx and 429 answers make the envelope RETRYABLE with the status in the reason."""
    collector.script = [(status, b'{"detail":"busy"}')]
    sink = HttpSink(collector.url, httpx.Client(), metrics=metrics)
    result = sink.send([envelope(Kind.LOG, b"{}")])
    assert result.outcomes == [Outcome.RETRYABLE]
    assert result.reasons[0].startswith(f"HTTP {status}")


@pytest.mark.parametrize("status", [400, 413])
def test_refused_requests_are_rejected_with_the_message(
    collector: Collector, metrics: Metrics, status: int
) -> None:
    """400 and 413 are REJECTED, carrying the collector's message."""
    collector.script = [(status, b'{"detail":"request body over 16777216 bytes"}')]
    sink = HttpSink(collector.url, httpx.Client(), metrics=metrics)
    result = sink.send([envelope(Kind.PREDICTION, b"{}")])
    assert result.outcomes == [Outcome.REJECTED]
    assert "over 16777216 bytes" in result.reasons[0]


def test_unreachable_collector_is_retryable(metrics: Metrics) -> None:
    """Connection refused on a closed port makes the envelope RETRYABLE."""
    sink = HttpSink(f"http://127.0.0.1:{free_port()}", httpx.Client(), metrics=metrics)
    result = sink.send([envelope(Kind.LOG, b"{}")])
    assert result.outcomes == [Outcome.RETRYABLE]
    assert result.reasons[0].startswith("connection")


def test_background_http_retries_overload_then_delivers_once(
    collector: Collector, metrics: Metrics, tmp_path: Path
) -> None:
    """Behind the background queue, a 503 is retried and the lines arrive exactly once."""
    collector.script = [(503, b'{"detail":"busy"}'), (429, b"{}")]
    sink = BackgroundSink(
        HttpSink(collector.url, httpx.Client(), metrics=metrics),
        metrics=metrics,
        spill=Spill(tmp_path / "spill", 1 << 20, metrics, sink="http"),
        retry_policy=RetryPolicy(base_delay=0.001, max_delay=0.01),
        flush_seconds=0.01,
    )
    lines = [b'{"n":%d}' % n for n in range(100)]
    for line in lines:
        sink.submit(Kind.LOG, "svc|2026-11-23T10", line)
    sink.close()
    bodies = [gzip.decompress(r["body"]) for r in collector.requests]
    assert len(bodies) == 3  # the same envelope: refused twice, then accepted
    assert bodies[0] == bodies[1] == bodies[2] == b"\n".join(lines) + b"\n"
    assert (
        metrics.registry.get_sample_value(
            "observability_sink_records_total", {"sink": "http", "outcome": "sent"}
        )
        == 100
    )
    assert (
        metrics.registry.get_sample_value(
            "observability_sink_records_total", {"sink": "http", "outcome": "retried"}
        )
        == 200
    )
