"""Helpers for sink tests: valid records, real delivery streams on moto, flaky wrappers."""

from __future__ import annotations

import random
import threading
from collections import Counter
from collections.abc import Iterator
from typing import Any

import orjson
from botocore.exceptions import ClientError

from observability.core.aws import AwsClients
from observability.core.partitioning import group_key
from observability.core.schema import Kind, parse_json_line, validate

ROLE_ARN = "arn:aws:iam::123456789012:role/firehose-delivery"
SERVICES = ("checkout", "search", "billing")


def log_record(index: int, *, service: str | None = None, pad: int = 0) -> dict[str, Any]:
    """A valid log record with a known id; `pad` grows its message."""
    return {
        "schema_version": 1,
        "kind": "log",
        "record_id": f"rec-{index:08d}",
        "timestamp": f"2026-11-23T{index % 3 + 10:02d}:15:30.{index % 1_000_000:06d}Z",
        "level": "info",
        "service": service or SERVICES[index % len(SERVICES)],
        "env": "test",
        "event": "request handled " + "x" * pad,
        "request_id": f"req-{index}",
        "attributes": {"path": "/api/items", "status": 200, "duration_ms": index % 250},
    }


def log_lines(count: int, start: int = 0, pad: int = 0) -> Iterator[tuple[Kind, str, bytes]]:
    """`(kind, group, line)` triples, each line a schema-valid NDJSON log record."""
    for index in range(start, start + count):
        record = log_record(index, pad=pad)
        yield Kind.LOG, group_key(Kind.LOG, record), orjson.dumps(record)


def create_stream(aws: AwsClients, name: str, bucket: str, prefix: str) -> None:
    """A real (moto) Direct PUT delivery stream into `bucket` under `prefix`."""
    s3 = aws.s3()
    existing = {b["Name"] for b in s3.list_buckets().get("Buckets", [])}
    if bucket not in existing:
        s3.create_bucket(Bucket=bucket)
    aws.firehose().create_delivery_stream(
        DeliveryStreamName=name,
        DeliveryStreamType="DirectPut",
        ExtendedS3DestinationConfiguration={
            "RoleARN": ROLE_ARN,
            "BucketARN": f"arn:aws:s3:::{bucket}",
            "Prefix": prefix,
        },
    )


def delivered_ids(aws: AwsClients, bucket: str, prefix: str) -> Counter[str]:
    """record_id -> how many times it is in S3; every line must also pass validation."""
    s3 = aws.s3()
    ids: Counter[str] = Counter()
    for page in s3.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=prefix):
        for item in page.get("Contents", []):
            body = s3.get_object(Bucket=bucket, Key=item["Key"])["Body"].read()
            assert body.endswith(b"\n"), "every Firehose record is newline-terminated"
            for line in body.split(b"\n"):
                if line:
                    record = validate(parse_json_line(line), Kind.LOG)
                    ids[record["record_id"]] += 1
    return ids


def service_unavailable() -> ClientError:
    """The error botocore raises when Firehose refuses a whole call (HTTP 503)."""
    response: Any = {
        "Error": {"Code": "ServiceUnavailableException", "Message": "Slow down."},
        "ResponseMetadata": {"HTTPStatusCode": 503, "RetryAttempts": 0},
    }
    return ClientError(response, "PutRecordBatch")


class FlakyFirehose:
    """The real firehose client, failing chosen calls the way Firehose does.

    Every `partial_every`-th call forwards only some records to moto and answers with
    `ErrorCode` entries (index-aligned, `FailedPutCount` set) for the rest; every
    `throttle_every`-th call raises ServiceUnavailableException without sending anything.
    """

    def __init__(
        self, client: Any, *, partial_every: int = 0, throttle_every: int = 0, seed: int = 7
    ) -> None:
        self._client = client
        self._partial_every = partial_every
        self._throttle_every = throttle_every
        self._random = random.Random(seed)
        self._lock = threading.Lock()
        self.calls = 0
        self.partial_calls = 0
        self.throttled_calls = 0
        self.failed_entries = 0

    def put_record_batch(self, *, DeliveryStreamName: str, Records: list[Any]) -> Any:  # noqa: N803 (boto3's names)
        with self._lock:
            self.calls += 1
            call = self.calls
            keep = [self._random.random() >= 0.3 for _ in Records]
        if self._throttle_every and call % self._throttle_every == 0:
            with self._lock:
                self.throttled_calls += 1
            raise service_unavailable()
        if not (self._partial_every and call % self._partial_every == 0) or all(keep):
            return self._client.put_record_batch(
                DeliveryStreamName=DeliveryStreamName, Records=Records
            )
        forwarded = [record for record, ok in zip(Records, keep, strict=True) if ok]
        real: list[Any] = []
        if forwarded:
            response = self._client.put_record_batch(
                DeliveryStreamName=DeliveryStreamName, Records=forwarded
            )
            real = list(response["RequestResponses"])
        entries: list[dict[str, str]] = []
        for ok in keep:
            if ok:
                entries.append(real.pop(0))
            else:
                entries.append(
                    {"ErrorCode": "ServiceUnavailableException", "ErrorMessage": "Slow down."}
                )
        failed = keep.count(False)
        with self._lock:
            self.partial_calls += 1
            self.failed_entries += failed
        return {"FailedPutCount": failed, "Encrypted": False, "RequestResponses": entries}


class SwitchableFirehose:
    """Delegates to whichever real client is current: an outage, then a recovery."""

    def __init__(self, client: Any) -> None:
        self.client = client

    def put_record_batch(self, **kwargs: Any) -> Any:
        return self.client.put_record_batch(**kwargs)
