"""HttpSink against a real HTTP server on 127.0.0.1 that records what it receives."""

from __future__ import annotations

import gzip
import socket
import threading
import time
from collections.abc import Callable, Iterator
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
from observability.transport.http import HttpSink, envelope_bytes
from observability.transport.retry import RetryPolicy
from observability.transport.spill import Spill, decode_entry
from tests import servers
from tests.servers import free_port


class Collector:
    """A tiny HTTP server: records each request, answers with the next scripted status.

    `rule`, when set, answers instead: it gets the decompressed body and returns a status.
    """

    def __init__(self) -> None:
        self.requests: list[dict[str, Any]] = []
        self.script: list[tuple[int, bytes]] = []
        self.rule: Callable[[bytes], int] | None = None
        owner = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers["Content-Length"]))
                status, payload = owner.script.pop(0) if owner.script else (200, b"{}")
                if owner.rule is not None:
                    status = owner.rule(gzip.decompress(body))
                owner.requests.append(
                    {
                        "path": self.path,
                        "headers": dict(self.headers),
                        "body": body,
                        "status": status,
                    }
                )
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


def delivered_lines(collector: Collector) -> list[bytes]:
    """The lines of every request the collector answered with 200, in arrival order."""
    return [
        line
        for request in collector.requests
        if request["status"] == 200
        for line in gzip.decompress(request["body"]).splitlines()
    ]


def test_413_on_several_lines_is_too_large_and_on_one_line_rejected(
    collector: Collector, metrics: Metrics
) -> None:
    """A 413 asks for smaller envelopes (TOO_LARGE) unless the envelope is one line already."""
    collector.script = [(413, b'{"detail":"too many lines"}'), (413, b'{"detail":"too big"}')]
    sink = HttpSink(collector.url, httpx.Client(), metrics=metrics)
    result = sink.send([envelope(Kind.LOG, b"{}", b"{}"), envelope(Kind.LOG, b"{}")])
    assert result.outcomes == [Outcome.TOO_LARGE, Outcome.REJECTED]
    assert "too big" in result.reasons[1]


def test_413_halves_envelopes_so_only_the_refused_line_is_rejected(
    collector: Collector, metrics: Metrics, tmp_path: Path
) -> None:
    """Behind the queue, 413s split envelopes until lines pass; only a lone refused line is
    kept in rejected/, every other line is delivered once and nothing waits in pending/."""
    collector.rule = lambda body: 413 if body.count(b"\n") > 8 or b"huge" in body else 200
    spill = Spill(tmp_path / "spill", 1 << 20, metrics, sink="http")
    sink = BackgroundSink(
        HttpSink(collector.url, httpx.Client(), metrics=metrics),
        metrics=metrics,
        spill=spill,
        flush_seconds=0.01,
    )
    lines = [b'{"n":%d%s}' % (n, b',"huge":1' if n == 17 else b"") for n in range(50)]
    for line in lines:
        sink.submit(Kind.LOG, "svc|2026-11-23T10", line)
    assert sink.close() is False  # one line was refused
    assert sorted(delivered_lines(collector)) == sorted(lines[:17] + lines[18:])
    (rejected,) = spill.rejected_dir.glob("*.ndjson")
    entry = decode_entry(rejected.read_bytes().strip())
    assert (entry.line, entry.reason) == (lines[17], "rejected")
    assert "HTTP 413" in (entry.error or "")
    assert not list(spill.pending_dir.glob("*.ndjson"))


def test_envelopes_stay_under_the_collectors_line_and_byte_limits(
    collector: Collector, metrics: Metrics, tmp_path: Path
) -> None:
    """Every request carries at most max_envelope_lines lines and max_envelope_bytes bytes."""
    sink = BackgroundSink(
        HttpSink(
            collector.url,
            httpx.Client(),
            metrics=metrics,
            max_envelope_bytes=300,
            max_envelope_lines=7,
        ),
        metrics=metrics,
        spill=Spill(tmp_path / "spill", 1 << 20, metrics, sink="http"),
        flush_seconds=0.01,
    )
    lines = [b'{"n":%05d,"pad":"%s"}' % (n, b"x" * (n % 30)) for n in range(200)]
    for line in lines:
        sink.submit(Kind.LOG, "svc|2026-11-23T10", line)
    assert sink.close() is True
    bodies = [gzip.decompress(request["body"]) for request in collector.requests]
    assert max(body.count(b"\n") for body in bodies) == 7
    assert max(len(body) for body in bodies) <= 300
    assert sorted(delivered_lines(collector)) == sorted(lines)


def test_envelope_bytes_keeps_under_both_collector_limits() -> None:
    """The envelope bound is the smaller of the decompressed limit and the sent one, less 1%."""
    assert envelope_bytes(16 * 1024 * 1024, 32 * 1024 * 1024) == 4 * 1024 * 1024
    assert envelope_bytes(1_000_000, 32 * 1024 * 1024) == 1_000_000 - 10_000 - 64
    assert envelope_bytes(16 * 1024 * 1024, 100_000) == 100_000


@pytest.fixture
def silent() -> Iterator[tuple[str, list[socket.socket]]]:
    """A server that accepts connections and never answers; its URL and connections."""
    with servers.silent_server() as served:
        yield served


def test_a_silent_collector_costs_one_timeout_per_batch_not_one_per_envelope(
    silent: tuple[str, list[socket.socket]], metrics: Metrics
) -> None:
    """Within a timeout, the first envelope's wait ends the batch; the rest are not sent."""
    url, held = silent
    sink = HttpSink(url, metrics=metrics)
    started = time.monotonic()
    result = sink.send([envelope(Kind.LOG, b"{}") for _ in range(5)], timeout=0.5)
    assert time.monotonic() - started < 1.5
    assert result.outcomes == [Outcome.RETRYABLE] * 5
    assert result.reasons[0].startswith("connection: ReadTimeout")
    assert all(result.reasons[i].startswith("not sent after an earlier failure") for i in (1, 4))
    assert len(held) == 1
    sink.close()


def test_the_api_key_is_sent_and_an_auth_refusal_waits_for_a_fixed_key(
    collector: Collector, metrics: Metrics
) -> None:
    """With an API key each request carries it as a bearer token; 401/403 are RETRYABLE,
    so the lines wait in pending/ for a corrected key instead of going to rejected/."""
    collector.script = [(401, b'{"detail":"bad key"}'), (403, b'{"detail":"no role"}')]
    sink = HttpSink(collector.url, httpx.Client(), metrics=metrics, api_key="obs_test_key")
    result = sink.send([envelope(Kind.LOG, b"{}"), envelope(Kind.LOG, b"{}")])
    assert result.outcomes == [Outcome.RETRYABLE, Outcome.RETRYABLE]
    assert {r["headers"]["Authorization"] for r in collector.requests} == {"Bearer obs_test_key"}
    assert (
        metrics.registry.get_sample_value(
            "observability_sink_requests_total", {"sink": "http", "outcome": "unauthorized"}
        )
        == 2
    )
