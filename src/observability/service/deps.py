"""What the app is built from, and the FastAPI dependencies routes declare.

`ServiceDeps` is assembled once at the composition root (`build_deps`, or a test with
a LocalStore in tmp_path and a fresh registry) and handed to `create_app`.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, Request

from observability.core.aws import AwsClients
from observability.core.metrics import Metrics, default_metrics
from observability.core.settings import Settings
from observability.service.collector import Collector, Flusher
from observability.store.base import ObjectStore
from observability.store.errors import ErrorWriter
from observability.store.factory import open_store


@dataclass(frozen=True)
class ServiceDeps:
    """The store, the metrics (with their registry) and the refused-record writer."""

    store: ObjectStore
    metrics: Metrics
    errors: ErrorWriter
    #: Called with the record lines of each file the collector has written (search indexing).
    on_written: Callable[[Sequence[bytes]], None] | None = None


def build_deps(settings: Settings) -> ServiceDeps:
    """Production wiring: the configured store, the process-wide registry, and indexing
    into OpenSearch when `OBSERVABILITY_OPENSEARCH_URL` is set."""
    aws = AwsClients(settings) if settings.store_url.startswith("s3://") else None
    store = open_store(settings.store_url, aws)
    metrics = default_metrics()
    errors = ErrorWriter(store, metrics)
    on_written = None
    if settings.opensearch_url:
        from observability.index.client import client_from_settings
        from observability.index.indexer import Indexer, IndexMetrics
        from observability.service.collector.indexing import IndexOnWrite

        indexer = Indexer(client_from_settings(settings), errors, IndexMetrics(metrics.registry))
        on_written = IndexOnWrite(indexer, errors)
    return ServiceDeps(store, metrics, errors, on_written)


@dataclass(frozen=True)
class AppState:
    """Per-app objects the lifespan creates; routes reach them through dependencies."""

    settings: Settings
    deps: ServiceDeps
    collector: Collector
    flusher: Flusher


def get_state(request: Request) -> AppState:
    """The state of the app serving this request."""
    state: AppState = request.app.state.observability
    return state


StateDep = Annotated[AppState, Depends(get_state)]
