"""FirehoseSink against moto: limits per call, per-entry classification, whole-call errors."""

from __future__ import annotations

import boto3
import orjson
import pytest
from botocore.config import Config

from observability.core.aws import AwsClients
from observability.core.metrics import Metrics
from observability.core.schema import Kind
from observability.transport.base import Envelope, Outcome
from observability.transport.firehose import (
    MAX_BATCH_BYTES,
    MAX_BATCH_RECORDS,
    MAX_RECORD_BYTES,
    FirehoseSink,
    chunks,
)
from tests.servers import free_port
from tests.transport.support import (
    FlakyFirehose,
    create_stream,
    delivered_ids,
    log_record,
)

pytestmark = pytest.mark.aws

BUCKET = "sink-firehose-test"
STREAMS = {Kind.LOG: "obs-logs", Kind.PREDICTION: "obs-predictions", Kind.LABEL: "obs-labels"}


@pytest.fixture
def streams(aws: AwsClients) -> dict[Kind, str]:
    """One delivery stream per kind, each under its own prefix of one bucket."""
    for kind, name in STREAMS.items():
        create_stream(aws, name, BUCKET, f"{kind.plural}/")
    return STREAMS


def envelope(index: int) -> Envelope:
    return Envelope(Kind.LOG, orjson.dumps(log_record(index)) + b"\n")


def object_count(aws: AwsClients, prefix: str) -> int:
    listing = aws.s3().list_objects_v2(Bucket=BUCKET, Prefix=prefix)
    return len(listing.get("Contents", []))


def test_envelopes_go_to_their_kinds_stream(
    aws: AwsClients, streams: dict[Kind, str], metrics: Metrics
) -> None:
    """Each kind is put to its own stream; every envelope is ACCEPTED and lands in S3."""
    sink = FirehoseSink(aws.firehose(), streams, metrics)
    label = (
        b'{"kind":"label","prediction_id":"p1","model":"m","label":1,'
        b'"timestamp":"2026-11-23T10:00:00.000000Z"}\n'
    )
    batch = [envelope(1), Envelope(Kind.LABEL, label), envelope(2)]
    result = sink.send(batch)
    assert result.outcomes == [Outcome.ACCEPTED] * 3
    assert result.all_accepted
    assert set(delivered_ids(aws, BUCKET, "logs/")) == {"rec-00000001", "rec-00000002"}
    assert object_count(aws, "labels/") == 1
    assert (
        metrics.registry.get_sample_value(
            "observability_sink_requests_total", {"sink": "firehose", "outcome": "ok"}
        )
        == 2
    )


def test_calls_hold_at_most_500_records(
    aws: AwsClients, streams: dict[Kind, str], metrics: Metrics
) -> None:
    """1,200 envelopes become three put_record_batch calls (500, 500, 200)."""
    sink = FirehoseSink(aws.firehose(), streams, metrics)
    result = sink.send([envelope(i) for i in range(1_200)])
    assert result.all_accepted
    assert object_count(aws, "logs/") == 3  # moto writes one object per call
    assert len(delivered_ids(aws, BUCKET, "logs/")) == 1_200


def test_calls_hold_at_most_4_mib(
    aws: AwsClients, streams: dict[Kind, str], metrics: Metrics
) -> None:
    """Nine 900 KiB envelopes need three calls: four fit under 4 MiB, five do not."""
    sink = FirehoseSink(aws.firehose(), streams, metrics)
    big = [Envelope(Kind.LOG, b"x" * (900 * 1024 - 1) + b"\n") for _ in range(9)]
    assert sink.send(big).all_accepted
    assert object_count(aws, "logs/") == 3


def test_chunks_respect_both_limits() -> None:
    """Chunking never exceeds 500 records or 4 MiB and keeps every index once, in order."""
    batch = [Envelope(Kind.LOG, b"a" * (1 + (i * 7919) % 300_000)) for i in range(2_000)]
    calls = chunks(list(range(len(batch))), batch)
    assert [i for call in calls for i in call] == list(range(2_000))
    for call in calls:
        assert len(call) <= MAX_BATCH_RECORDS
        assert sum(len(batch[i].data) for i in call) <= MAX_BATCH_BYTES


def test_oversized_envelope_is_rejected_without_sending(
    aws: AwsClients, streams: dict[Kind, str], metrics: Metrics
) -> None:
    """An envelope over 1,000 KiB is REJECTED with its reason; its neighbours still go."""
    sink = FirehoseSink(aws.firehose(), streams, metrics)
    huge = Envelope(Kind.LOG, b"y" * (MAX_RECORD_BYTES + 1))
    result = sink.send([envelope(1), huge, envelope(2)])
    assert result.outcomes == [Outcome.ACCEPTED, Outcome.REJECTED, Outcome.ACCEPTED]
    assert result.reasons[1].startswith("too_large")
    assert set(delivered_ids(aws, BUCKET, "logs/")) == {"rec-00000001", "rec-00000002"}


def test_failed_entries_are_retryable_index_aligned(
    aws: AwsClients, streams: dict[Kind, str], metrics: Metrics
) -> None:
    """Entries with an ErrorCode are RETRYABLE at their own index; the others are in S3."""
    flaky = FlakyFirehose(aws.firehose(), partial_every=1)
    sink = FirehoseSink(flaky, streams, metrics)  # type: ignore[arg-type]
    batch = [envelope(i) for i in range(200)]
    result = sink.send(batch)
    retryable = {i for i, o in enumerate(result.outcomes) if o is Outcome.RETRYABLE}
    assert len(retryable) == flaky.failed_entries > 0
    assert all(result.reasons[i].startswith("ServiceUnavailableException") for i in retryable)
    expected = {f"rec-{i:08d}" for i in range(200) if i not in retryable}
    assert set(delivered_ids(aws, BUCKET, "logs/")) == expected
    assert (
        metrics.registry.get_sample_value(
            "observability_sink_requests_total", {"sink": "firehose", "outcome": "partial"}
        )
        == 1
    )


def test_throttled_call_makes_all_its_entries_retryable(
    aws: AwsClients, streams: dict[Kind, str], metrics: Metrics
) -> None:
    """ServiceUnavailableException for a call marks all its entries RETRYABLE; nothing lands."""
    flaky = FlakyFirehose(aws.firehose(), throttle_every=1)
    sink = FirehoseSink(flaky, streams, metrics)  # type: ignore[arg-type]
    result = sink.send([envelope(i) for i in range(10)])
    assert result.outcomes == [Outcome.RETRYABLE] * 10
    assert "ServiceUnavailableException" in result.reasons[0]
    assert object_count(aws, "logs/") == 0


def test_missing_stream_is_rejected_with_the_reason(aws: AwsClients, metrics: Metrics) -> None:
    """ResourceNotFoundException is not retryable: REJECTED, naming the error."""
    sink = FirehoseSink(aws.firehose(), {Kind.LOG: "no-such-stream"}, metrics)
    result = sink.send([envelope(1)])
    assert result.outcomes == [Outcome.REJECTED]
    assert result.reasons[0].startswith("ResourceNotFoundException")


def test_kind_without_stream_is_rejected(aws: AwsClients, metrics: Metrics) -> None:
    """A kind with no configured stream is REJECTED rather than sent anywhere."""
    sink = FirehoseSink(aws.firehose(), {}, metrics)
    result = sink.send([envelope(1)])
    assert result.outcomes == [Outcome.REJECTED]
    assert "no delivery stream" in result.reasons[0]


def test_unreachable_endpoint_is_retryable(metrics: Metrics) -> None:
    """A connection refused on a closed port makes every entry RETRYABLE."""
    client = boto3.Session(
        aws_access_key_id="testing",
        aws_secret_access_key="testing",  # noqa: S106 (moto's dummy credentials)
        region_name="us-east-1",
    ).client(
        "firehose",
        endpoint_url=f"http://127.0.0.1:{free_port()}",
        config=Config(retries={"max_attempts": 1, "mode": "standard"}, connect_timeout=1),
    )
    sink = FirehoseSink(client, STREAMS, metrics)
    result = sink.send([envelope(1), envelope(2)])
    assert result.outcomes == [Outcome.RETRYABLE] * 2
    assert result.reasons[0].startswith("connection")
    assert (
        metrics.registry.get_sample_value(
            "observability_sink_requests_total", {"sink": "firehose", "outcome": "unreachable"}
        )
        == 1
    )
