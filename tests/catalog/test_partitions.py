"""The registrar turns S3 ObjectCreated events into Glue partitions in moto, idempotently."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from observability.catalog.apply import CatalogApplier, CatalogConfig
from observability.catalog.partitions import (
    PartitionRegistrar,
    RegistrationError,
    partition_of_key,
)
from observability.core.aws import AwsClients

EVENTS = Path(__file__).resolve().parents[1] / "events"
STORE_URL = "s3://observability-data/store"
DATABASE = "observability"


def _event(name: str) -> dict[str, Any]:
    loaded: dict[str, Any] = json.loads((EVENTS / name).read_text())
    return loaded


@pytest.fixture
def glue(aws: AwsClients) -> Any:
    """moto's Glue with the catalog applied for the test store."""
    CatalogApplier(aws.client("glue"), aws.client("athena"), CatalogConfig(STORE_URL)).apply()
    return aws.client("glue")


def _partitions(glue: Any, table: str, expression: str = "") -> list[dict[str, Any]]:
    pages = glue.get_paginator("get_partitions").paginate(
        DatabaseName=DATABASE, TableName=table, Expression=expression
    )
    return [p for page in pages for p in page["Partitions"]]


@pytest.mark.aws
def test_new_service_first_object_becomes_a_partition(glue: Any) -> None:
    """A new service's first object registers its partition, found by a filtered lookup."""
    registrar = PartitionRegistrar(glue, DATABASE, STORE_URL)
    result = registrar.handle_event(_event("s3_object_created.json"))
    assert result.summary() == {"created": 1, "existing": 0, "ignored": 0}
    found = _partitions(glue, "logs_ndjson", "service = 'checkout' AND dt = '2026-11-23'")
    assert [p["Values"] for p in found] == [["checkout", "2026-11-23", "13"]]
    descriptor = found[0]["StorageDescriptor"]
    assert descriptor["Location"] == f"{STORE_URL}/logs/service=checkout/dt=2026-11-23/hour=13/"
    assert descriptor["SerdeInfo"]["SerializationLibrary"] == "org.openx.data.jsonserde.JsonSerDe"


@pytest.mark.aws
def test_redelivered_event_is_harmless(glue: Any) -> None:
    """The same event delivered twice raises nothing and leaves one partition."""
    registrar = PartitionRegistrar(glue, DATABASE, STORE_URL)
    registrar.handle_event(_event("s3_object_created.json"))
    again = registrar.handle_event(_event("s3_object_created.json"))
    assert again.summary() == {"created": 0, "existing": 1, "ignored": 0}
    assert len(_partitions(glue, "logs_ndjson")) == 1


@pytest.mark.aws
def test_batch_event_registers_data_and_ignores_the_rest(glue: Any) -> None:
    """Data, compacted and drift keys register in their tables; sidecars, errors, junk do not."""
    registrar = PartitionRegistrar(glue, DATABASE, STORE_URL)
    result = registrar.handle_event(_event("s3_object_created_batch.json"))
    assert result.summary() == {"created": 6, "existing": 0, "ignored": 6}
    values = {
        table: sorted(p["Values"] for p in _partitions(glue, table))
        for table in (
            "logs_ndjson",
            "logs_compacted",
            "predictions_ndjson",
            "labels_ndjson",
            "drift_metrics",
            "labels_compacted",
        )
    }
    assert values == {
        "logs_ndjson": [["checkout", "2026-11-23", "13"], ["payments-api", "2026-11-23", "13"]],
        "logs_compacted": [["checkout", "2026-11-23", "12"]],
        "predictions_ndjson": [["churn", "2026-11-23", "13"]],
        "labels_ndjson": [["churn", "2026-11-23"]],
        "drift_metrics": [["churn", "2026-11-23"]],
        "labels_compacted": [],
    }
    (compacted,) = _partitions(glue, "logs_compacted")
    assert compacted["StorageDescriptor"]["Location"] == (
        f"{STORE_URL}/compacted/logs/service=checkout/dt=2026-11-23/hour=12/"
    )
    assert any("someone-elses-bucket" in key for key in result.ignored)
    assert any(key.endswith("_manifest.json") for key in result.ignored)


@pytest.mark.aws
def test_glue_failure_other_than_exists_raises(aws: AwsClients) -> None:
    """When the table is missing, the registrar raises so the Lambda is retried."""
    glue = aws.client("glue")
    glue.create_database(DatabaseInput={"Name": DATABASE})
    registrar = PartitionRegistrar(glue, DATABASE, STORE_URL)
    with pytest.raises(Exception, match=r"EntityNotFound|not found"):
        registrar.handle_event(_event("s3_object_created.json"))


@pytest.mark.parametrize(
    ("key", "expected"),
    [
        ("logs/service=a/dt=2026-11-23/hour=07/f.gz", ("logs_ndjson", ("a", "2026-11-23", "07"))),
        ("labels/model=m/dt=2026-11-23/f.gz", ("labels_ndjson", ("m", "2026-11-23"))),
        (
            "compacted/predictions/model=m/dt=2026-11-23/hour=23/part-0000.parquet",
            ("predictions_compacted", ("m", "2026-11-23", "23")),
        ),
        ("metrics/drift/model=m/dt=2026-11-23/x.parquet", ("drift_metrics", ("m", "2026-11-23"))),
        ("job_runs/job=drift/dt=2026-11-23/r1.parquet", ("job_runs", ("drift", "2026-11-23"))),
        ("job_runs/job=drift/dt=2026-13-23/r1.parquet", None),
        ("job_runs/job=drift/r1.parquet", None),
        ("metrics/drift/model=m/dt=2026-11-23/deeper/x.parquet", None),
        ("logs/service=a/dt=2026-11-23/hour=24/f.gz", None),
        ("logs/service=a/dt=2026-11-23/f.gz", None),
        ("logs/service=a/dt=2026-11-23/hour=07/deeper/f.gz", None),
        ("logs/service=a/dt=2026-11-23/hour=07/.tmp-f.gz", None),
        ("compacted/logs/service=a/dt=2026-11-23/hour=07/_manifest.json", None),
        ("errors/ingest/malformed_json/dt=2026-11-23/f.json.gz", None),
        ("reports/model=m/dt=2026-11-23/r.html", None),
        ("logs/", None),
    ],
)
def test_partition_of_key(key: str, expected: tuple[str, tuple[str, ...]] | None) -> None:
    """Only files directly inside a well-formed partition directory map to a partition."""
    ref = partition_of_key(key)
    assert (None if ref is None else (ref.table.name, ref.values)) == expected


def test_registrar_refuses_a_local_store() -> None:
    """Glue partitions describe S3 objects; a file:// store is a configuration error."""
    with pytest.raises(Exception, match="s3://"):
        PartitionRegistrar(object(), DATABASE, "file:///tmp/store")


def test_registration_error_is_an_observability_error() -> None:
    """Refusals surface through the CLI's one-line error path."""
    from observability.core.errors import ObservabilityError

    assert issubclass(RegistrationError, ObservabilityError)
