"""The live demo's webhook receiver: a tiny HTTP server on 127.0.0.1 that takes
Alertmanager (v4) payloads, as any webhook consumer of ours would, and hands each alert on.

It accepts a POST to `/alerts` with a JSON body of at most `MAX_BODY_BYTES`; anything
else is answered 404, 411, 413 or 400 (and the notifier reports that delivery as failed).
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Final

import orjson

from observability.demo.stack import LOOPBACK

PATH: Final = "/alerts"
MAX_BODY_BYTES: Final = 4 * 1024 * 1024


@dataclass(frozen=True, slots=True)
class ReceivedAlert:
    """One alert of a delivered payload, as the receiver saw it."""

    received_at: datetime
    status: str
    labels: dict[str, str]
    annotations: dict[str, str]
    links: dict[str, str] = field(default_factory=dict)

    @property
    def name(self) -> str:
        """The rule that raised it (`alertname`)."""
        return self.labels.get("alertname", "?")

    def to_json(self) -> dict[str, Any]:
        """For the demo's summary file."""
        return {
            "received_at": self.received_at.isoformat(),
            "status": self.status,
            "alertname": self.name,
            "labels": self.labels,
            "summary": self.annotations.get("summary", ""),
            "links": self.links,
        }


def alerts_of(payload: object, received_at: datetime) -> list[ReceivedAlert]:
    """The alerts of one webhook payload; ValueError when it is not one."""
    if not isinstance(payload, dict) or not isinstance(payload.get("alerts"), list):
        raise ValueError("not an Alertmanager webhook payload (no `alerts` list)")
    found = []
    for alert in payload["alerts"]:
        if not isinstance(alert, dict):
            raise ValueError("an alert is not an object")
        evidence = alert.get("observability")
        links = evidence.get("links", {}) if isinstance(evidence, dict) else {}
        found.append(
            ReceivedAlert(
                received_at,
                str(alert.get("status", "?")),
                {str(k): str(v) for k, v in dict(alert.get("labels") or {}).items()},
                {str(k): str(v) for k, v in dict(alert.get("annotations") or {}).items()},
                {str(k): str(v) for k, v in dict(links or {}).items()},
            )
        )
    return found


def _handler(on_alert: Callable[[ReceivedAlert], None]) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        """POST /alerts: parse, hand on, answer; nothing is logged to stderr."""

        def do_POST(self) -> None:
            if self.path != PATH:
                self._answer(404, b"POST alerts to /alerts")
                return
            length = self.headers.get("Content-Length")
            if length is None or not length.isdigit():
                self._answer(411, b"a Content-Length is required")
                return
            if int(length) > MAX_BODY_BYTES:
                self._answer(413, b"payload too large")
                return
            body = self.rfile.read(int(length))
            try:
                alerts = alerts_of(orjson.loads(body), datetime.now(UTC))
            except (orjson.JSONDecodeError, ValueError) as exc:
                self._answer(400, str(exc).encode())
                return
            for alert in alerts:
                on_alert(alert)
            self._answer(200, b"ok")

        def _answer(self, status: int, body: bytes) -> None:
            self.send_response(status)
            self.send_header("Content-Type", "text/plain; charset=utf-8")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, format: str, *args: Any) -> None:
            del format, args  # the demo prints alerts itself

    return Handler


@contextmanager
def webhook_receiver(on_alert: Callable[[ReceivedAlert], None]) -> Iterator[str]:
    """Run the receiver on a free loopback port until the block ends; yields its URL."""
    server = ThreadingHTTPServer((LOOPBACK, 0), _handler(on_alert))
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, name="demo-webhook", daemon=True)
    thread.start()
    try:
        yield f"http://{LOOPBACK}:{server.server_address[1]}{PATH}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=10)
