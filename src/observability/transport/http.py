"""Delivery to the local collector over HTTP: gzip NDJSON per envelope.

The collector answers 200 with per-line results; lines it refused are already in its
`errors/`, so a 200 accepts the whole envelope. Overload and unreachability are
RETRYABLE; a request the collector will never take (400, 413, ...) is REJECTED with its
message so the background sink keeps it in the spill's `rejected/`.
"""

from __future__ import annotations

import gzip
from collections.abc import Sequence
from typing import Final

import httpx

from observability.core.metrics import Metrics
from observability.transport.base import Envelope, Outcome, SendResult

#: Envelopes up to this size per request; the collector's default request limit is 16 MiB.
DEFAULT_MAX_ENVELOPE_BYTES: Final = 4 * 1024 * 1024
#: Statuses that mean "later", not "never".
RETRYABLE_STATUSES: Final = frozenset({408, 425, 429})
#: gzip level 1: several times cheaper than 6, and loopback bandwidth is not the limit.
_GZIP_LEVEL: Final = 1
_MESSAGE_CHARS: Final = 500


class HttpSink:
    """POSTs each envelope to `{base_url}/api/v1/ingest/{kind.plural}`."""

    name = "http"

    def __init__(
        self,
        base_url: str,
        client: httpx.Client | None = None,
        *,
        metrics: Metrics | None = None,
        max_envelope_bytes: int = DEFAULT_MAX_ENVELOPE_BYTES,
    ) -> None:
        self._base = base_url.rstrip("/")
        self._client = client or httpx.Client(timeout=httpx.Timeout(30.0, connect=5.0))
        self._metrics = metrics
        self.max_envelope_bytes = max_envelope_bytes

    def send(self, batch: Sequence[Envelope]) -> SendResult:
        """One request per envelope; connection errors make the envelope RETRYABLE."""
        result = SendResult([Outcome.ACCEPTED] * len(batch))
        for index, envelope in enumerate(batch):
            outcome, reason = self._post(envelope)
            result.outcomes[index] = outcome
            if reason is not None:
                result.reasons[index] = reason
        return result

    def close(self) -> None:
        """Close the connection pool."""
        self._client.close()

    def _post(self, envelope: Envelope) -> tuple[Outcome, str | None]:
        url = f"{self._base}/api/v1/ingest/{envelope.kind.plural}"
        body = gzip.compress(envelope.data, compresslevel=_GZIP_LEVEL, mtime=0)
        headers = {"Content-Type": "application/x-ndjson", "Content-Encoding": "gzip"}
        try:
            response = self._client.post(url, content=body, headers=headers)
        except httpx.TransportError as exc:
            self._count("unreachable")
            return Outcome.RETRYABLE, f"connection: {type(exc).__name__}: {exc}"
        status = response.status_code
        if 200 <= status < 300:
            self._count("ok")
            return Outcome.ACCEPTED, None
        message = f"HTTP {status}: {response.text[:_MESSAGE_CHARS]}"
        if status >= 500 or status in RETRYABLE_STATUSES:
            self._count("throttled" if status in RETRYABLE_STATUSES else "server_error")
            return Outcome.RETRYABLE, message
        self._count("rejected")
        return Outcome.REJECTED, message

    def _count(self, outcome: str) -> None:
        if self._metrics is not None:
            self._metrics.sink_requests.labels(self.name, outcome).inc()
