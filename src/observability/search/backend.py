"""The search backend contract and the one place that chooses a backend from settings."""

from __future__ import annotations

from typing import Protocol

from opensearchpy import OpenSearch

from observability.core.settings import Settings
from observability.index.client import client_from_settings
from observability.query.base import QueryEngine
from observability.query.factory import open_engine
from observability.search.embedded import EmbeddedSearch
from observability.search.opensearch import OpenSearchSearch
from observability.search.request import SearchRequest, SearchResult
from observability.store.base import ObjectStore


class SearchBackend(Protocol):
    """OpenSearch when configured, else the embedded scan; the same result shape."""

    name: str

    def search(self, request: SearchRequest) -> SearchResult:
        """One page of hits, the exact total, the next cursor, and aggregations if asked."""
        ...

    def close(self) -> None:
        """Release clients and connections."""
        ...


def open_search(
    settings: Settings,
    store: ObjectStore,
    client: OpenSearch | None = None,
    engine: QueryEngine | None = None,
) -> SearchBackend:
    """OpenSearch when `OBSERVABILITY_OPENSEARCH_URL` is set (or a client is given), else
    the embedded search over the store through the given (or configured) query engine."""
    if client is not None or settings.opensearch_url:
        return OpenSearchSearch(client or client_from_settings(settings))
    return EmbeddedSearch(engine or open_engine(settings, store))
