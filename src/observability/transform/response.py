"""The Firehose response: its entries, their results and the bound on its size.

Separate from `transform/firehose.py`, which judges records: the shape and size of the
response are Firehose's and Lambda's contract, the same whatever the records hold.
`ProcessingFailed` entries carry empty `data`: Firehose delivers the original it sent, not
ours, and echoing it would spend the budget twice.

**Response limit.** Lambda refuses a response over 6 MB. The response is sized as it is
built, as the runtime serialises it (`json.dumps`: spaced separators, ASCII escapes), and
room is always kept for a `ProcessingFailed` entry for every record still to come. Once
the next `Ok` record would not fit, it and every later record are `ProcessingFailed` with
`response_limit` (counted in `over_limit`): Firehose delivers their originals to its error
prefix, so they are not lost, and the processor buffer (1 MB in the template) keeps this
rare.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any, Final

from observability.core.errors import Rejection
from observability.core.partitioning import Partition
from observability.core.schema import Kind

OK: Final = "Ok"
DROPPED: Final = "Dropped"
PROCESSING_FAILED: Final = "ProcessingFailed"

#: Lambda's synchronous response limit ("6 MB" in the documentation; 6 MiB in practice).
LAMBDA_RESPONSE_LIMIT_BYTES: Final = 6 * 1024 * 1024
#: What the transform lets itself use: under 6,000,000 bytes whichever "MB" is meant,
#: with room for the runtime's own framing.
RESPONSE_BUDGET_BYTES: Final = 5_800_000

Entry = dict[str, Any]
_FRAMING: Final = len(json.dumps({"records": []}))
_SEPARATOR: Final = len(", ")
#: Bytes of an entry besides its recordId (`""` counted with the id), data and keys.
_OK_OVERHEAD: Final = (
    len(json.dumps({"recordId": "", "result": OK, "data": "", "metadata": {"partitionKeys": {}}}))
    - 2
    + _SEPARATOR
)
_FAILED_OVERHEAD: Final = (
    len(json.dumps({"recordId": "", "result": PROCESSING_FAILED, "data": ""})) - 2 + _SEPARATOR
)
#: What an Ok entry adds to the ProcessingFailed entry counted for it, besides data and keys.
_OK_EXTRA: Final = _OK_OVERHEAD - _FAILED_OVERHEAD
_NO_OTHERS: Final[Mapping[Partition, list[bytes]]] = MappingProxyType({})


@dataclass(slots=True)
class _Bucket:
    """Per-partition state shared by the records of one event."""

    partition: Partition
    metadata: dict[str, dict[str, str]]
    keys_size: int
    accepted: int = 0


@dataclass(slots=True)
class EventResult:
    """The response to return and what the caller must persist and count."""

    response: dict[str, list[Entry]]
    #: Refused lines (and undecodable records), for `errors/transform/<reason>/`.
    rejections: list[Rejection] = field(default_factory=list)
    #: For each rejection, the position of its record in `response["records"]`.
    rejection_records: list[int] = field(default_factory=list)
    #: Lines accepted, by kind.
    accepted: dict[Kind, int] = field(default_factory=dict)
    #: Records refused whole for their content (every line bad, or bad base64).
    failed: int = 0
    #: Records with blank data, `Dropped`.
    dropped: int = 0
    #: Records `ProcessingFailed` with `response_limit`.
    over_limit: int = 0
    #: Upper bound of the serialised response, in bytes.
    response_bytes: int = 0
    #: Records that are `Ok` and also have rejections or rerouted lines: position ->
    #: (kind, lines accepted).
    partial: dict[int, tuple[Kind, int]] = field(default_factory=dict)
    #: Good lines of a record that belong to another partition than its own, for the
    #: caller to write there: (record position, partition, lines).
    rerouted: list[tuple[int, Partition, list[bytes]]] = field(default_factory=list)

    def fail_records(self, positions: Iterable[int]) -> int:
        """Turn `Ok` records into `ProcessingFailed` (their rejections could not be kept).

        Firehose then delivers each original whole to its error prefix, good lines and bad,
        instead of our `Ok` data missing its bad lines. Returns how many records changed.
        """
        changed = 0
        records = self.response["records"]
        for position in sorted(set(positions)):
            entry = records[position]
            if entry["result"] != OK:
                continue
            entry.update(result=PROCESSING_FAILED, data="")
            del entry["metadata"]
            kind, count = self.partial.pop(position)
            self.accepted[kind] -= count
            changed += 1
        return changed


class ResponseBuilder:
    """The entries in order, the response size bound and the per-partition counts."""

    def __init__(self, records: Sequence[Mapping[str, Any]], budget: int) -> None:
        self.records = records
        self.result = EventResult({"records": []})
        self.entries = self.result.response["records"]
        self.buckets: dict[Partition, _Bucket] = {}
        self.ids: list[Any] = [record.get("recordId") for record in records]
        self.smallest = _FRAMING + len(self.ids) * _FAILED_OVERHEAD + _ids_size(self.ids)
        #: What Ok entries may add to the smallest possible response.
        self.room = budget - self.smallest
        #: What the Ok entries so far add: every entry costs at least a ProcessingFailed
        #: entry (counted in `smallest`), so one comparison with `room` keeps the bound.
        self.extra = 0

    def bucket(self, partition: Partition) -> _Bucket:
        """The state of a partition first seen in this event."""
        bucket = _new_bucket(partition)
        self.buckets[partition] = bucket
        return bucket

    def add(self, position: int, partition: Partition, data: str, count: int) -> bool:
        """An Ok entry of `count` lines if it fits; else False, and this record and every
        later one fail with response_limit."""
        bucket = self.buckets.get(partition) or self.bucket(partition)
        added = len(data) + bucket.keys_size + _OK_EXTRA
        if self.extra + added > self.room:
            self.stop(position)
            return False
        self.extra += added
        bucket.accepted += count
        self.entries.append(
            {
                "recordId": self.ids[position],
                "result": OK,
                "data": data,
                "metadata": bucket.metadata,
            }
        )
        return True

    def add_run(self, start: int, partitions: list[Any], datas: list[str]) -> bool:
        """Ok entries for the one-line records from `start` that the typed path kept (their
        `partitions` and base64 `datas`), in one step when they all fit; else one by one,
        as far as the limit allows."""
        counts = Counter(partitions)
        buckets = {p: self.buckets.get(p) or _new_bucket(p) for p in counts}
        keys_size = sum(bucket.keys_size * counts[p] for p, bucket in buckets.items())
        added = sum(map(len, datas)) + keys_size + len(datas) * _OK_EXTRA
        if self.extra + added > self.room:  # the limit falls inside the run
            for position, partition, data in zip(
                range(start, start + len(datas)), partitions, datas, strict=True
            ):
                if not self.add(position, partition, data, 1):
                    return False
            return True
        self.extra += added
        for partition, bucket in buckets.items():
            bucket.accepted += counts[partition]
            self.buckets[partition] = bucket
        metadata = {p: bucket.metadata for p, bucket in buckets.items()}
        ids = self.ids[start : start + len(datas)]
        self.entries.extend(
            [
                {"recordId": record_id, "result": OK, "data": data, "metadata": keys}
                for record_id, data, keys in zip(
                    ids, datas, map(metadata.__getitem__, partitions), strict=False
                )
            ]
        )
        return True

    def keep(
        self,
        position: int,
        rejections: list[Rejection],
        partial: tuple[Kind, int] | None = None,
        others: Mapping[Partition, list[bytes]] = _NO_OTHERS,
    ) -> None:
        """Rejections of the record at `position`, for errors/, and its rerouted lines."""
        self.result.rejections.extend(rejections)
        self.result.rejection_records.extend([position] * len(rejections))
        if partial is not None:
            self.result.partial[position] = partial
        self.result.rerouted.extend((position, p, lines) for p, lines in others.items())

    def refuse(self, position: int, record_id: object, rejections: list[Rejection]) -> None:
        """No good line: ProcessingFailed, or Dropped when there was nothing but whitespace."""
        if not rejections:
            self.entries.append({"recordId": record_id, "result": DROPPED, "data": ""})
            self.result.dropped += 1
            return
        self.entries.append(_failed(record_id))
        self.keep(position, rejections)
        self.result.failed += 1

    def stop(self, position: int) -> None:
        """ProcessingFailed with response_limit for this record and every later one."""
        self.result.over_limit = len(self.ids) - position
        self.entries.extend(map(_failed, self.ids[position:]))

    def finish(self) -> EventResult:
        """Totals by kind and the size bound; the result is complete."""
        accepted = self.result.accepted
        for bucket in self.buckets.values():
            kind = bucket.partition.kind
            accepted[kind] = accepted.get(kind, 0) + bucket.accepted
        self.result.response_bytes = self.smallest + self.extra
        return self.result


def _new_bucket(partition: Partition) -> _Bucket:
    keys = partition.firehose_keys()
    return _Bucket(partition, {"partitionKeys": keys}, len(json.dumps(keys)) - 2)


def _failed(record_id: object) -> Entry:
    return {"recordId": record_id, "result": PROCESSING_FAILED, "data": ""}


def _ids_size(ids: list[object]) -> int:
    """Serialised size of the recordIds; Firehose's are alphanumeric, so one test covers all."""
    try:
        joined = "".join(ids)  # type: ignore[arg-type]  # a TypeError names a non-string
    except TypeError:
        joined = ""
    # Each id is alphanumeric ASCII too, or empty: `"` + id + `"`. (bytes test faster.)
    if joined.isascii() and joined.encode("ascii").isalnum():
        return len(joined) + 2 * len(ids)
    return sum(map(_json_size, ids))


def _json_size(value: object) -> int:
    """Serialised size of a recordId; Firehose's are alphanumeric, so the check is cheap."""
    if type(value) is str and value.isascii() and value.isalnum():
        return len(value) + 2
    return len(json.dumps(value))
