"""A real single-node OpenSearch per session (scripts/opensearch_local.py), and helpers.

If the node cannot start, every test that needs it fails with the node's log tail: a
missing search backend is a broken build, not a reason to skip.
"""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest
from opensearchpy import OpenSearch
from scripts.opensearch_local import LocalOpenSearch, NodeError

from observability.core.metrics import Metrics
from observability.index.client import opensearch_client
from observability.index.indexer import Indexer, IndexMetrics
from observability.index.setup import apply_setup
from observability.store.errors import ErrorWriter
from observability.store.local import LocalStore
from observability.transport.retry import RetryPolicy

#: Reuse a node that is already running (e.g. `scripts/opensearch-local start`).
EXISTING_NODE = "OBSERVABILITY_TEST_OPENSEARCH_URL"


@pytest.fixture(scope="session")
def opensearch_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """URL of a green local OpenSearch node, started once for the session."""
    existing = os.environ.get(EXISTING_NODE)
    if existing:
        yield existing.rstrip("/")
        return
    node = LocalOpenSearch(tmp_path_factory.mktemp("opensearch"), port=0, heap="1g")
    try:
        url = node.start()
    except (NodeError, OSError) as exc:
        pytest.fail(f"local OpenSearch did not start: {exc}\n--- log tail ---\n{node.log_tail()}")
    try:
        yield url
    finally:
        node.stop()


@pytest.fixture
def os_client(opensearch_url: str) -> OpenSearch:
    """A client on a node with no observability indices and current templates (0 replicas)."""
    client = opensearch_client(opensearch_url)
    client.indices.delete(index="logs-*,predictions-*", ignore_unavailable=True)
    apply_setup(client, retention_days=7, replicas=0)
    return client


@pytest.fixture
def index_metrics(metrics: Metrics) -> IndexMetrics:
    """Indexer counters in the test's fresh registry."""
    return IndexMetrics(metrics.registry)


@pytest.fixture
def fast_retry() -> RetryPolicy:
    """The real policy with millisecond delays."""
    return RetryPolicy(base_delay=0.001, max_delay=0.01, max_attempts=5, deadline_seconds=10)


@pytest.fixture
def indexer(
    os_client: OpenSearch,
    store: LocalStore,
    metrics: Metrics,
    index_metrics: IndexMetrics,
    fast_retry: RetryPolicy,
) -> Indexer:
    """An indexer on the clean node, errors into the test's local store."""
    return Indexer(os_client, ErrorWriter(store, metrics), index_metrics, retry=fast_retry)
