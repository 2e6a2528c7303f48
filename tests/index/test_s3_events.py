"""S3 notifications -> indexer, over a moto S3 store and the real node."""

from __future__ import annotations

from pathlib import Path
from typing import Any
from urllib.parse import quote_plus

import orjson
import pytest
from opensearchpy import OpenSearch

from observability.core.aws import AwsClients
from observability.core.schema import validate
from observability.index.indexer import Indexer
from observability.index.s3_events import S3EventIndexer, event_keys
from observability.store.files import encode_ndjson_gz
from observability.store.local import LocalStore
from observability.store.s3 import S3Store
from tests.index.helpers import count
from tests.index.records import log_records

BUCKET = "obs-data"


def _event(*keys: str) -> dict[str, Any]:
    """An S3 ObjectCreated notification, keys URL-encoded the way S3 sends them."""
    return {
        "Records": [
            {
                "eventSource": "aws:s3",
                "eventName": "ObjectCreated:Put",
                "s3": {"bucket": {"name": BUCKET}, "object": {"key": quote_plus(key)}},
            }
            for key in keys
        ]
    }


def test_event_keys_are_url_decoded() -> None:
    """`dt%3D...` and `+` in a notification become `dt=...` and a space."""
    event = _event("logs/service=a b/dt=2026-01-10/hour=00/f.json.gz")
    assert event_keys(event) == [(BUCKET, "logs/service=a b/dt=2026-01-10/hour=00/f.json.gz")]


@pytest.mark.aws
def test_same_object_delivered_twice_keeps_the_count(
    aws: AwsClients, indexer: Indexer, os_client: OpenSearch
) -> None:
    """At-least-once delivery: the second notification of an object adds no document."""
    aws.s3().create_bucket(Bucket=BUCKET)
    store = S3Store(aws.s3(), BUCKET, "data")
    key = "logs/service=checkout/dt=2026-01-10/hour=00/part one.json.gz"
    store.put(key, encode_ndjson_gz(orjson.dumps(r) for r in log_records(250)))
    store.put("labels/model=m/dt=2026-01-10/x.json.gz", encode_ndjson_gz([b"{}"]))
    events = S3EventIndexer(store, indexer, store.prefix)
    event = _event(f"data/{key}", "data/labels/model=m/dt=2026-01-10/x.json.gz")
    first = events.handle(event)
    assert (first["indexed"], first["objects"]) == (250, [key])
    assert first["ignored"] == ["data/labels/model=m/dt=2026-01-10/x.json.gz"]
    second = events.handle(event)
    assert (second["indexed"], second["duplicate"], second["failed"]) == (0, 250, 0)
    assert count(os_client) == 250


def test_lambda_handler_indexes_a_local_store_object(
    tmp_path: Path, os_client: OpenSearch, opensearch_url: str
) -> None:
    """`handler(event, context)` built from variables indexes the object the event names."""
    from lambdas.s3_to_opensearch.handler import build

    store = LocalStore(tmp_path / "data", fsync=False)
    key = "predictions/model=churn/dt=2026-01-10/hour=03/a.json.gz"
    prediction = validate(
        {
            "kind": "prediction",
            "timestamp": "2026-01-10T03:00:00Z",
            "model": "churn",
            "prediction_id": "p1",
            "features": {"age": 41, "plan": "pro", "tags": None},
            "prediction": {"yes": 0.7, "no": 0.3},
        }
    )
    store.put(key, encode_ndjson_gz([orjson.dumps(prediction)]))
    events = build(
        {
            "OBSERVABILITY_STORE_URL": f"file://{tmp_path / 'data'}",
            "OBSERVABILITY_OPENSEARCH_URL": opensearch_url,
        }
    )
    summary = events.handle(_event(key))
    assert (summary["indexed"], summary["failed"]) == (1, 0)
    assert count(os_client, "predictions-2026.01.10", term={"features.plan": "pro"}) == 1
