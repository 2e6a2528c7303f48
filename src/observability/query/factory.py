"""Builds the configured engine: the only place that chooses between DuckDB and Athena.

The DuckDB side (duckdb, pyarrow) is imported only when it is chosen, so the Athena path
(the Lambda functions) runs without them.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlparse

import boto3

from observability.core.settings import Settings
from observability.query.athena import AthenaEngine
from observability.query.base import QueryEngine
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
    from observability.query.duckdb import DuckDBEngine

    filesystem = None
    if isinstance(store, S3Store):
        filesystem = arrow_s3(settings, session or boto3.Session(region_name=settings.aws_region))
    return DuckDBEngine(store, s3_filesystem=filesystem)


def open_user_engine(
    settings: Settings,
    store: ObjectStore,
    session: boto3.Session | None = None,
    *,
    keep_spare: bool = False,
) -> QueryEngine:
    """The engine for SQL a user wrote or chose (the `query` command, HTTP query routes).

    DuckDB runs each query in a capped process (`isolated.py`, the `query_*` settings);
    a server passes `keep_spare` to have the next process started ahead. Athena runs
    remotely, bounded by its workgroup's scan cutoff.
    """
    if settings.query_engine == "athena":
        return open_engine(settings, store, session)
    from observability.query.duckdb import Planner
    from observability.query.isolated import IsolatedEngine, QueryLimits

    filesystem = None
    if isinstance(store, S3Store):
        filesystem = arrow_s3(settings, session or boto3.Session(region_name=settings.aws_region))
    planner = Planner(store, s3_filesystem=filesystem)
    return IsolatedEngine(planner, QueryLimits.from_settings(settings), keep_spare=keep_spare)


def arrow_s3(settings: Settings, session: boto3.Session) -> Any:
    """pyarrow's S3FileSystem with the session's credentials and the configured endpoint.

    DuckDB 2.0 cannot download httpfs here; it reads S3 through this filesystem instead.
    """
    # pyarrow ships no type information; its objects are Any here.
    import pyarrow.fs as pafs

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
