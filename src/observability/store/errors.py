"""Writes refused records to `errors/<stage>/<reason>/dt=<day>/` and counts them."""

from __future__ import annotations

import base64
from collections import defaultdict
from collections.abc import Sequence

import orjson

from observability.core.errors import Rejection
from observability.core.keys import error_key
from observability.core.metrics import Metrics
from observability.core.schema import utc_now_iso
from observability.store.base import ObjectStore
from observability.store.files import encode_ndjson_gz, new_filename


def rejection_line(stage: str, rejection: Rejection, received_at: str) -> bytes:
    """One `errors/` line: the reason, the message and the raw record, replayable."""
    try:
        raw: str = rejection.raw.decode("utf-8")
        encoding = "utf-8"
    except UnicodeDecodeError:
        raw = base64.b64encode(rejection.raw).decode("ascii")
        encoding = "base64"
    return orjson.dumps(
        {
            "stage": stage,
            "reason": rejection.reason.value,
            "error": rejection.message,
            "field": rejection.field,
            "index": rejection.index,
            "received_at": received_at,
            "raw": raw,
            "raw_encoding": encoding,
        }
    )


class ErrorWriter:
    """One gzip NDJSON file per reason per call; a counter per reason."""

    def __init__(self, store: ObjectStore, metrics: Metrics) -> None:
        self._store = store
        self._metrics = metrics

    def write(self, stage: str, rejections: Sequence[Rejection]) -> list[str]:
        """Persist rejections, grouped by reason; returns the keys written."""
        if not rejections:
            return []
        now = utc_now_iso()
        by_reason: dict[str, list[bytes]] = defaultdict(list)
        for rejection in rejections:
            # A copy to its size: orjson hands each line back in a 4 KiB allocation.
            line = memoryview(rejection_line(stage, rejection, now)).tobytes()
            by_reason[rejection.reason.value].append(line)
        keys = []
        for reason, lines in by_reason.items():
            key = error_key(stage, reason, now[:10], new_filename())
            self._store.put(key, encode_ndjson_gz(lines))
            self._metrics.records_rejected.labels(stage=stage, reason=reason).inc(len(lines))
            keys.append(key)
        return keys
