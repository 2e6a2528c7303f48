"""The bulk indexer: each record once, retries for what may succeed, errors/ for the rest.

`_id = record_id` with the `create` action makes re-delivery harmless: the second copy
gets 409 and is counted as a duplicate, never as an error. Items refused with 429 or
5xx are retried (only those items) under `transport.retry.RetryPolicy`, the project's
one backoff loop; items refused for good (a mapping error, an immense term) go to
`errors/index/<reason>/` with OpenSearch's own error in the message. The bulk body is
assembled from bytes: a stored line is already the document, so it is sent as is.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any, Final

import orjson
from opensearchpy import OpenSearch
from opensearchpy.exceptions import ConnectionError as OpenSearchConnectionError
from opensearchpy.exceptions import TransportError
from prometheus_client import CollectorRegistry, Counter

from observability.core.errors import Reason, Rejection
from observability.core.fields import Kind
from observability.index.templates import INDEX_PREFIX, index_name
from observability.store.errors import ErrorWriter
from observability.transport.retry import RetryPolicy

STAGE: Final = "index"
#: Defaults of opensearch-py's helpers.bulk are 500 docs / 100 MiB; larger requests amortise
#: the per-request cost better; 10 MiB stays far below OpenSearch Service's 10 MiB+ limits.
MAX_CHUNK_DOCS: Final = 2_000
MAX_CHUNK_BYTES: Final = 10 * 1024 * 1024
#: Only what tells the outcome: keeps a 2,000-item response small and fast to parse.
_FILTER_PATH: Final = "errors,items.*.status,items.*.error.type,items.*.error.reason"
_HEADERS: Final = {"content-type": "application/x-ndjson"}
#: OpenSearch error types that mean "this document can never be indexed as it is".
_MAPPING_ERRORS: Final = frozenset({"mapper_parsing_exception", "document_parsing_exception"})


class IndexMetrics:
    """Documents by outcome: indexed, duplicate, retried (attempts), failed."""

    def __init__(self, registry: CollectorRegistry) -> None:
        self.documents = Counter(
            "observability_index_documents_total",
            "Documents handled by the OpenSearch indexer, by outcome.",
            ["outcome"],
            registry=registry,
        )
        self.requests = Counter(
            "observability_index_requests_total",
            "Bulk requests sent to OpenSearch, by outcome (ok, retryable, failed).",
            ["outcome"],
            registry=registry,
        )


@dataclass(slots=True)
class _Action:
    """One prepared document: its bulk action line and its source line."""

    header: bytes
    source: bytes

    @property
    def size(self) -> int:
        return len(self.header) + len(self.source)


@dataclass
class IndexResult:
    """Counts for one call; `error_keys` are the errors/ objects written."""

    indexed: int = 0
    duplicate: int = 0
    retried: int = 0
    failed: int = 0
    skipped: int = 0
    error_keys: list[str] = field(default_factory=list)

    def add(self, other: IndexResult) -> None:
        """Accumulate another result into this one."""
        self.indexed += other.indexed
        self.duplicate += other.duplicate
        self.retried += other.retried
        self.failed += other.failed
        self.skipped += other.skipped
        self.error_keys += other.error_keys


class Indexer:
    """Bulk-create documents with deterministic ids; the client and errors/ are injected."""

    def __init__(
        self,
        client: OpenSearch,
        errors: ErrorWriter,
        metrics: IndexMetrics,
        *,
        retry: RetryPolicy | None = None,
        max_docs: int = MAX_CHUNK_DOCS,
        max_bytes: int = MAX_CHUNK_BYTES,
        refresh: bool = False,
    ) -> None:
        self._client = client
        self._errors = errors
        self._metrics = metrics
        self._retry = retry or RetryPolicy()
        self._max_docs = max_docs
        self._max_bytes = max_bytes
        self._params: dict[str, str] = {"filter_path": _FILTER_PATH}
        if refresh:
            self._params["refresh"] = "wait_for"

    def index_lines(self, lines: Iterable[bytes]) -> IndexResult:
        """Index stored NDJSON record lines (the bytes are the documents, unchanged)."""
        result = IndexResult()
        rejected: list[Rejection] = []
        actions = self._prepare_lines(lines, result, rejected)
        self._run(actions, result, rejected)
        return result

    def index_records(self, records: Iterable[Mapping[str, Any]]) -> IndexResult:
        """Index validated record dicts."""
        return self.index_lines(orjson.dumps(record) for record in records)

    def _prepare_lines(
        self, lines: Iterable[bytes], result: IndexResult, rejected: list[Rejection]
    ) -> Iterator[_Action]:
        for number, raw in enumerate(lines):
            line = raw.strip()
            try:
                record = orjson.loads(line)
            except orjson.JSONDecodeError as exc:
                rejected.append(Rejection(Reason.MALFORMED_JSON, str(exc), line, number))
                continue
            action = _action_for(record, line)
            if isinstance(action, Rejection):
                action.index = number
                rejected.append(action)
            elif action is None:
                result.skipped += 1
            else:
                yield action

    def _run(
        self, actions: Iterator[_Action], result: IndexResult, rejected: list[Rejection]
    ) -> None:
        chunk: list[_Action] = []
        size = 0
        for action in actions:
            if chunk and (len(chunk) >= self._max_docs or size + action.size > self._max_bytes):
                self._send(chunk, result, rejected)
                chunk, size = [], 0
            chunk.append(action)
            size += action.size
        if chunk:
            self._send(chunk, result, rejected)
        if rejected:
            result.failed += len(rejected)
            self._metrics.documents.labels(outcome="failed").inc(len(rejected))
            result.error_keys += self._errors.write(STAGE, rejected)

    def _send(self, chunk: list[_Action], result: IndexResult, rejected: list[Rejection]) -> None:
        """One chunk through the retry policy; leftovers after it gives up go to errors/."""
        pending = chunk
        last_error = ""
        attempts = 0

        def attempt() -> bool:
            nonlocal pending, last_error, attempts
            attempts += 1
            if attempts > 1:
                result.retried += len(pending)
                self._metrics.documents.labels(outcome="retried").inc(len(pending))
            body = b"".join([part for a in pending for part in (a.header, a.source)])
            try:
                response = self._client.transport.perform_request(
                    "POST", "/_bulk", params=self._params, body=body, headers=_HEADERS
                )
            except (TransportError, OpenSearchConnectionError) as exc:
                status = exc.status_code if isinstance(exc.status_code, int) else 0
                last_error = f"bulk request failed: {exc}"
                if status and status != 429 and status < 500:
                    self._metrics.requests.labels(outcome="failed").inc()
                    rejected.extend(_reject(a, Reason.DELIVERY_FAILED, last_error) for a in pending)
                    pending = []
                    return False
                self._metrics.requests.labels(outcome="retryable").inc()
                return True
            self._metrics.requests.labels(outcome="ok").inc()
            pending, last_error = self._outcomes(pending, response, result, rejected)
            return bool(pending)

        self._retry.run(attempt)
        if pending:
            message = f"still refused after retries: {last_error}"
            rejected.extend(_reject(a, Reason.DELIVERY_FAILED, message) for a in pending)

    def _outcomes(
        self,
        pending: list[_Action],
        response: Mapping[str, Any],
        result: IndexResult,
        rejected: list[Rejection],
    ) -> tuple[list[_Action], str]:
        """Split a bulk response: counted, to retry, or refused for good."""
        if not response.get("errors"):
            result.indexed += len(pending)
            self._metrics.documents.labels(outcome="indexed").inc(len(pending))
            return [], ""
        indexed = duplicate = 0
        retry: list[_Action] = []
        last_error = ""
        for action, item in zip(pending, response["items"], strict=True):
            outcome = item["create"]
            status = outcome["status"]
            if status < 300:
                indexed += 1
            elif status == 409:
                duplicate += 1
            else:
                error = outcome.get("error") or {}
                last_error = f"{status} {error.get('type')}: {error.get('reason')}"
                if status == 429 or status >= 500:
                    retry.append(action)
                else:
                    reason = _reason(error.get("type"))
                    rejected.append(_reject(action, reason, last_error))
        result.indexed += indexed
        result.duplicate += duplicate
        self._metrics.documents.labels(outcome="indexed").inc(indexed)
        self._metrics.documents.labels(outcome="duplicate").inc(duplicate)
        return retry, last_error


_PREFIX_BY_KIND: Final = {kind.value: prefix for kind, prefix in INDEX_PREFIX.items()}
_KINDS: Final = {kind.value: kind for kind in INDEX_PREFIX}
_DAY: Final = re.compile(r"\d{4}-\d{2}-\d{2}")


def _action_for(record: object, line: bytes) -> _Action | Rejection | None:
    """The bulk action for a record; None for kinds that are not searched (labels)."""
    if not isinstance(record, dict):
        return Rejection(Reason.NOT_AN_OBJECT, "a record must be a JSON object", line)
    kind = record.get("kind")
    if kind == Kind.LABEL.value:
        return None
    if kind not in _PREFIX_BY_KIND:
        return Rejection(Reason.INVALID_VALUE, f"kind {kind!r:.40} is not indexed", line, None)
    record_id = record.get("record_id")
    timestamp = record.get("timestamp")
    if type(record_id) is not str or not record_id:
        return Rejection(Reason.MISSING_FIELD, "record_id is required", line, field="record_id")
    if type(timestamp) is not str or not _DAY.match(timestamp):
        message = "timestamp must start with a YYYY-MM-DD day"
        return Rejection(Reason.INVALID_VALUE, message, line, field="timestamp")
    index = index_name(_KINDS[kind], timestamp)
    header = (
        b'{"create":{"_index":'
        + orjson.dumps(index)
        + b',"_id":'
        + orjson.dumps(record_id)
        + b"}}\n"
    )
    return _Action(header, line + b"\n")


def _reason(error_type: object) -> Reason:
    """Map OpenSearch's error type to our reasons (the full error is in the message)."""
    return Reason.WRONG_TYPE if error_type in _MAPPING_ERRORS else Reason.INVALID_VALUE


def _reject(action: _Action, reason: Reason, message: str) -> Rejection:
    return Rejection(reason, message, action.source.rstrip(b"\n"))
