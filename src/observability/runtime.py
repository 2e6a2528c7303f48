"""The `Runtime`: what one process builds once from `Settings` and passes to every part.

Every entry point (the CLI commands, `create_app`, the worker, each Lambda handler and the
Glue job) builds exactly one, at its edge, and hands it down: one boto3 session and its
clients, one store, one metrics registry (never prometheus' global one, so two runtimes
live side by side in one process), and the query engine and search backend, built on first
use because they need the `service` extra. Nothing here reads the environment.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Mapping, Sequence
from typing import TYPE_CHECKING, Any, Self

from prometheus_client import CollectorRegistry, ProcessCollector

from observability.core.aws import AwsClients
from observability.core.links import Links
from observability.core.metrics import Metrics
from observability.core.settings import Settings
from observability.extras import missing_extra
from observability.store.base import ObjectStore
from observability.store.errors import ErrorWriter
from observability.store.factory import open_store

if TYPE_CHECKING:
    import boto3
    from opensearchpy import OpenSearch

    from observability.query.base import QueryEngine
    from observability.search.backend import SearchBackend


class Runtime:
    """Settings plus the clients, store, registry, engine and search backend built from them."""

    def __init__(
        self,
        settings: Settings,
        *,
        session: boto3.Session | None = None,
        store: ObjectStore | None = None,
        metrics: Metrics | None = None,
        opensearch: OpenSearch | None = None,
        on_written: Callable[[Sequence[bytes]], None] | None = None,
        serving: bool = False,
    ) -> None:
        """`serving`: a long-lived server, which keeps a spare query process warm."""
        self.settings = settings
        self.aws = AwsClients(settings, session)
        if metrics is None:
            registry = CollectorRegistry()
            ProcessCollector(registry=registry)  # CPU, memory and fds of this process
            metrics = Metrics(registry)
        self.metrics = metrics
        self.store = store if store is not None else open_store(settings.store_url, self.aws)
        self.errors = ErrorWriter(self.store, self.metrics)
        self.links = Links(settings.public_url)
        self._opensearch = opensearch
        self._engine: QueryEngine | None = None
        self._user_engine: QueryEngine | None = None
        self._search: SearchBackend | None = None
        self._on_written = on_written
        self._serving = serving
        self._lock = threading.Lock()

    @classmethod
    def from_env(cls, environ: Mapping[str, str], **overrides: Any) -> Self:
        """A runtime from `OBSERVABILITY_*` variables (a handler's cold start)."""
        return cls(Settings.from_env(environ, **overrides))

    def query_engine(self) -> QueryEngine:
        """DuckDB over the store or Athena, per settings; built once, on first use."""
        with self._lock:
            if self._engine is None:
                factory = _import("observability.query.factory", "SQL queries")
                self._engine = factory.open_engine(self.settings, self.store, self.aws.session)
            return self._engine

    def user_query_engine(self) -> QueryEngine:
        """The engine for SQL a person wrote or picked (the `query` command, HTTP query
        routes): each query in a capped child process (DuckDB) or Athena; built once."""
        with self._lock:
            if self._user_engine is None:
                factory = _import("observability.query.factory", "SQL queries")
                self._user_engine = factory.open_user_engine(
                    self.settings, self.store, self.aws.session, keep_spare=self._serving
                )
            return self._user_engine

    def opensearch(self) -> OpenSearch:
        """The OpenSearch client of `OBSERVABILITY_OPENSEARCH_URL`, built once."""
        with self._lock:
            if self._opensearch is None:
                client = _import("observability.index.client", "search indexing")
                self._opensearch = client.client_from_settings(
                    self.settings, session=self.aws.session
                )
            return self._opensearch

    @property
    def has_opensearch(self) -> bool:
        """Whether searches and indexing go to OpenSearch (else the embedded scan)."""
        return self._opensearch is not None or bool(self.settings.opensearch_url)

    def search_backend(self) -> SearchBackend:
        """OpenSearch when configured, else the embedded scan over the query engine."""
        client = self.opensearch() if self.has_opensearch else None
        engine = None if client is not None else self.query_engine()
        with self._lock:
            if self._search is None:
                backend = _import("observability.search.backend", "search")
                self._search = backend.open_search(self.settings, self.store, client, engine)
            return self._search

    def on_written(self) -> Callable[[Sequence[bytes]], None] | None:
        """What the collector calls with each written file's lines: OpenSearch indexing when
        it is configured, else nothing."""
        if self._on_written is None and self.has_opensearch:
            from observability.index.indexer import Indexer, IndexMetrics
            from observability.service.collector.indexing import IndexOnWrite

            indexer = Indexer(self.opensearch(), self.errors, IndexMetrics(self.metrics.registry))
            self._on_written = IndexOnWrite(indexer, self.errors)
        return self._on_written

    def close(self) -> None:
        """Release the engine's and the backend's connections."""
        with self._lock:
            search, engine, user = self._search, self._engine, self._user_engine
            self._search = self._engine = self._user_engine = None
        if search is not None:
            search.close()
        for opened in (engine, user):
            if opened is not None:
                opened.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()


def _import(module: str, what: str) -> Any:
    """Import a module that needs an extra; a missing one becomes `MissingExtraError`."""
    import importlib

    try:
        return importlib.import_module(module)
    except ImportError as exc:
        error = missing_extra(exc, what)
        if error is None:
            raise
        raise error from None
