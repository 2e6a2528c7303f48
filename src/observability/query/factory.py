"""Builds the configured engine: the only place that chooses between DuckDB and Athena."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlparse

import boto3

# pyarrow ships no type information; its objects are Any here.
import pyarrow.fs as pafs

from observability.core.settings import Settings
from observability.query.athena import AthenaEngine
from observability.query.base import QueryEngine
from observability.query.duckdb import DuckDBEngine
from observability.store.base import ObjectStore
from observability.store.s3 import S3Store


def open_engine(
    settings: Settings, store: ObjectStore, session: boto3.Session | None = None
) -> QueryEngine:
    """DuckDB over the store (default) or Athena, per `OBSERVABILITY_QUERY_ENGINE`."""
    if settings.query_engine == "athena":
        return AthenaEngine.connect(
            session=session or boto3.Session(region_name=settings.aws_region),
            region=settings.aws_region,
            workgroup=settings.athena_workgroup,
            output_location=settings.athena_output_location,
            database=settings.glue_database,
            endpoint_url=settings.aws_endpoint_url,
        )
    filesystem = None
    if isinstance(store, S3Store):
        filesystem = arrow_s3(settings, session or boto3.Session(region_name=settings.aws_region))
    return DuckDBEngine(store, s3_filesystem=filesystem)


def arrow_s3(settings: Settings, session: boto3.Session) -> Any:
    """pyarrow's S3FileSystem with the session's credentials and the configured endpoint.

    DuckDB 2.0 cannot download httpfs here; it reads S3 through this filesystem instead.
    """
    credentials = session.get_credentials()
    frozen = credentials.get_frozen_credentials() if credentials is not None else None
    options: dict[str, Any] = {"region": settings.aws_region}
    if frozen is not None:
        options.update(
            access_key=frozen.access_key,
            secret_key=frozen.secret_key,
            session_token=frozen.token,
        )
    if settings.aws_endpoint_url:
        endpoint = urlparse(settings.aws_endpoint_url)
        options.update(endpoint_override=endpoint.netloc, scheme=endpoint.scheme or "https")
    return pafs.S3FileSystem(**options)
