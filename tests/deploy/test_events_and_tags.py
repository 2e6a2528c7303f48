"""Both S3 event shapes are read alike, and compaction tags the sources it covered on S3."""

from __future__ import annotations

import gzip
import json
from pathlib import Path

import orjson
import pytest

from observability.catalog.partitions import PartitionRegistrar
from observability.core import keys
from observability.core.aws import AwsClients
from observability.core.metrics import Metrics
from observability.core.partitioning import parse_prefix
from observability.core.s3_events import created_objects
from observability.store.compaction import Compactor
from observability.store.local import LocalStore
from observability.store.s3 import S3Store
from observability.store.tags import mark_compacted

EVENTS = Path(__file__).resolve().parents[1] / "events"


def _event(name: str) -> dict[str, object]:
    loaded: dict[str, object] = json.loads((EVENTS / name).read_text())
    return loaded


def test_eventbridge_and_notification_shapes_name_the_same_object() -> None:
    """EventBridge's Object Created and an S3 notification give (bucket, decoded key)."""
    [(bucket, key)] = created_objects(_event("s3EventBridgeObjectCreated.json"))
    assert bucket == "observability-data"
    assert key.startswith("logs/service=checkout/dt=2026-11-23/hour=13/")
    [(_, notified)] = created_objects(_event("s3_object_created.json"))
    assert notified.startswith("store/logs/service=checkout/dt=2026-11-23/hour=13/")
    assert created_objects({"detail-type": "Object Created", "detail": {}}) == []
    assert created_objects({"something": "else"}) == []


@pytest.mark.aws
def test_registrar_registers_an_eventbridge_object(aws: AwsClients) -> None:
    """The registrar turns an EventBridge Object Created event into a Glue partition."""
    from observability.catalog.apply import CatalogApplier, CatalogConfig

    aws.client("s3").create_bucket(Bucket="observability-data")
    config = CatalogConfig("s3://observability-data")
    CatalogApplier(aws.client("glue"), aws.client("athena"), config).apply()
    registrar = PartitionRegistrar(aws.client("glue"), "observability", "s3://observability-data")
    result = registrar.handle_event(_event("s3EventBridgeObjectCreated.json"))
    assert result.summary() == {"created": 1, "existing": 0, "ignored": 0}
    partition = aws.client("glue").get_partition(
        DatabaseName="observability",
        TableName="logs_ndjson",
        PartitionValues=["checkout", "2026-11-23", "13"],
    )["Partition"]
    assert partition["StorageDescriptor"]["Location"].endswith("hour=13/")


def _log(n: int) -> bytes:
    record = {
        "schema_version": 1,
        "kind": "log",
        "timestamp": f"2026-11-23T13:0{n}:00.000000Z",
        "level": "info",
        "service": "checkout",
        "event": f"request {n}",
    }
    return orjson.dumps(record)


@pytest.mark.aws
def test_compaction_tags_covered_sources_on_s3(aws: AwsClients, metrics: Metrics) -> None:
    """After compacting an hour on S3, each NDJSON source carries the lifecycle tag."""
    client = aws.s3()
    client.create_bucket(Bucket="data")
    store = S3Store(client, "data")
    partition = parse_prefix("logs/service=checkout/dt=2026-11-23/hour=13/")
    sources = [f"{partition.prefix}part-{i}.json.gz" for i in range(2)]
    for i, key in enumerate(sources):
        store.put(key, gzip.compress(_log(i) + b"\n"))
    result = Compactor(store, metrics).compact(partition)
    assert result.rows == 2
    name, value = keys.COMPACTED_TAG
    for key in sources:
        tags = client.get_object_tagging(Bucket="data", Key=key)["TagSet"]
        assert tags == [{"Key": name, "Value": value}]
    compacted = client.get_object_tagging(Bucket="data", Key=result.key)["TagSet"]
    assert compacted == []


def test_local_store_has_nothing_to_tag(tmp_path: Path) -> None:
    """A local store has no lifecycle: marking does nothing and says so."""
    store = LocalStore(tmp_path, fsync=False)
    store.put("logs/a.json.gz", b"x")
    assert mark_compacted(store, ["logs/a.json.gz"]) == 0
