"""Delivery to the local collector over HTTP: gzip NDJSON per envelope.

The collector answers 200 with per-line results; lines it refused are already in its
`errors/`, so a 200 accepts the whole envelope. Overload and unreachability are
RETRYABLE, and so are 401 and 403 (a key fixed later makes the same lines welcome: they
wait in the spill's `pending/`, never in `rejected/`); a 413 is TOO_LARGE (the background
sink halves the envelope and resends, so good lines never go to `rejected/` for their
neighbours' sake); a request the collector will never take (400, 415, a single line still
too large) is REJECTED with its message so the background sink keeps it in `rejected/`.
With `api_key` set, each request carries it as `Authorization: Bearer`.

Envelopes are sized under the collector's limits (`max_request_bytes`, decompressed,
and `max_request_lines`), so a 413 only happens when the collector was configured
tighter than this process knows. When a request times out or cannot connect, the rest
of the batch is not tried: each would wait as long again for the same answer.
"""

from __future__ import annotations

import gzip
import time
from collections.abc import Sequence
from typing import Final

import httpx

from observability.core.credentials import auth_headers
from observability.core.metrics import Metrics
from observability.transport import forks
from observability.transport.base import Envelope, Outcome, SendResult

#: Envelopes up to this size per request; the collector's default request limit is 16 MiB.
DEFAULT_MAX_ENVELOPE_BYTES: Final = 4 * 1024 * 1024
#: How long one request may wait for the collector to connect, and then to answer. The
#: collector answers after an fsync; seconds mean it is stuck, and the lines are retried.
CONNECT_SECONDS: Final = 5.0
READ_SECONDS: Final = 10.0
#: Statuses that mean "later", not "never" (401/403: once the key is right).
RETRYABLE_STATUSES: Final = frozenset({401, 403, 408, 425, 429})
TOO_LARGE_STATUS: Final = 413
#: `observability_sink_requests_total` outcomes of the retryable statuses below 500.
_RETRYABLE_OUTCOMES: Final = {401: "unauthorized", 403: "unauthorized"} | dict.fromkeys(
    (408, 425, 429), "throttled"
)
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
        max_envelope_lines: int | None = None,
        read_seconds: float = READ_SECONDS,
        api_key: str | None = None,
    ) -> None:
        self._base = base_url.rstrip("/")
        self._headers = {"Content-Type": "application/x-ndjson", "Content-Encoding": "gzip"}
        self._headers.update(auth_headers(api_key))
        self._timeout = httpx.Timeout(read_seconds, connect=min(CONNECT_SECONDS, read_seconds))
        self._owns_client = client is None
        self._client = client or self._new_client()
        self._metrics = metrics
        self.max_envelope_bytes = max_envelope_bytes
        self.max_envelope_lines = max_envelope_lines
        forks.register(self)

    def send(self, batch: Sequence[Envelope], timeout: float | None = None) -> SendResult:
        """One request per envelope, each bounded by what is left of `timeout`.

        After a connection error or a time-out the remaining envelopes are RETRYABLE
        without a request.
        """
        deadline = None if timeout is None else time.monotonic() + timeout
        result = SendResult([Outcome.ACCEPTED] * len(batch))
        for index, envelope in enumerate(batch):
            remaining = None if deadline is None else deadline - time.monotonic()
            if remaining is not None and remaining <= 0:
                self._skip(result, index, "the shutdown deadline passed before it was sent")
                break
            outcome, reason, reachable = self._post(envelope, remaining)
            result.outcomes[index] = outcome
            if reason is not None:
                result.reasons[index] = reason
            if not reachable:
                self._skip(result, index + 1, f"not sent after an earlier failure ({reason})")
                break
        return result

    def close(self) -> None:
        """Close the connection pool."""
        self._client.close()

    def before_fork(self) -> None:
        """Nothing is buffered outside a request."""

    def after_fork_in_parent(self) -> None:
        """Nothing was held."""

    def after_fork_in_child(self) -> None:
        """A new connection pool: the pooled sockets belong to the parent (left open for
        it, never closed from here)."""
        if self._owns_client:
            self._client = self._new_client()

    def _new_client(self) -> httpx.Client:
        return httpx.Client(timeout=self._timeout)

    def _post(
        self, envelope: Envelope, remaining: float | None
    ) -> tuple[Outcome, str | None, bool]:
        """(outcome, reason, whether the collector answered at all)."""
        url = f"{self._base}/api/v1/ingest/{envelope.kind.plural}"
        body = gzip.compress(envelope.data, compresslevel=_GZIP_LEVEL, mtime=0)
        timeout = self._timeout if remaining is None else _capped(self._timeout, remaining)
        try:
            response = self._client.post(url, content=body, headers=self._headers, timeout=timeout)
        except httpx.TransportError as exc:
            self._count("unreachable")
            return Outcome.RETRYABLE, f"connection: {type(exc).__name__}: {exc}", False
        status = response.status_code
        if 200 <= status < 300:
            self._count("ok")
            return Outcome.ACCEPTED, None, True
        message = f"HTTP {status}: {response.text[:_MESSAGE_CHARS]}"
        if status >= 500 or status in RETRYABLE_STATUSES:
            self._count(_RETRYABLE_OUTCOMES.get(status, "server_error"))
            return Outcome.RETRYABLE, message, True
        if status == TOO_LARGE_STATUS and envelope.count > 1:
            self._count("too_large")
            return Outcome.TOO_LARGE, message, True
        self._count("rejected")
        return Outcome.REJECTED, message, True

    def _skip(self, result: SendResult, start: int, reason: str) -> None:
        for later in range(start, len(result.outcomes)):
            result.outcomes[later] = Outcome.RETRYABLE
            result.reasons[later] = reason

    def _count(self, outcome: str) -> None:
        if self._metrics is not None:
            self._metrics.sink_requests.labels(self.name, outcome).inc()


def envelope_bytes(max_request_bytes: int, max_decompressed_bytes: int) -> int:
    """The largest envelope (NDJSON before gzip) the collector's two byte limits take.

    gzip can grow incompressible data by a little (5 bytes per 16 KiB block, 18 of header
    and trailer): the sent-body limit is kept with a 1% margin.
    """
    sent = max_request_bytes - max_request_bytes // 100 - 64
    return max(1, min(DEFAULT_MAX_ENVELOPE_BYTES, max_decompressed_bytes, sent))


def _capped(timeout: httpx.Timeout, remaining: float) -> httpx.Timeout:
    """Each phase of a request bounded by what is left of a deadline as well."""

    def cap(value: float | None) -> float:
        return remaining if value is None else min(value, remaining)

    return httpx.Timeout(
        connect=cap(timeout.connect),
        read=cap(timeout.read),
        write=cap(timeout.write),
        pool=cap(timeout.pool),
    )
