"""Indexer throughput vs opensearch-py's `helpers.bulk`, and search latency, on a local node.

Both indexers start from the same stored NDJSON lines and write the same documents to
the same daily indices of the same node, alternately, twice (best run counts). Then the
corpus is grown towards 1M log documents (within a time budget) and a query with a text
term, two filters and a 24 h range is timed: p50 / p95 over varied parameters.

    .venv/bin/python -m benchmarks.bench_index [--docs 100000] [--search-docs 1000000]

Set OBSERVABILITY_OPENSEARCH_URL to use a running node instead of starting one.
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import tempfile
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import orjson
from opensearchpy import OpenSearch, helpers
from prometheus_client import CollectorRegistry
from scripts.opensearch_local import LocalOpenSearch

from observability.core.fields import Kind
from observability.core.metrics import Metrics
from observability.index.client import opensearch_client
from observability.index.indexer import Indexer, IndexMetrics
from observability.index.setup import apply_setup
from observability.index.templates import index_name
from observability.store.errors import ErrorWriter
from observability.store.local import LocalStore

SERVICES = ("checkout", "payments", "search", "auth", "catalog", "shipping", "users", "cart")
LEVELS = ("debug", "info", "info", "info", "warning", "error")
WORDS = ("timeout", "connected", "retry", "refused", "cache", "miss", "slow", "reset", "ok")
START = datetime(2026, 1, 1, tzinfo=UTC)
SPAN_SECONDS = 10 * 24 * 3600  # ten daily indices
THROUGHPUT_TARGET = 0.8
P95_TARGET_MS = 100.0


def lines(n: int, start: int = 0) -> list[bytes]:
    """`n` canonical log records as stored NDJSON lines (deterministic)."""
    rnd = random.Random(start)
    out = []
    for i in range(start, start + n):
        moment = START + timedelta(seconds=rnd.randrange(SPAN_SECONDS))
        out.append(
            orjson.dumps(
                {
                    "schema_version": 1,
                    "kind": "log",
                    "record_id": f"b{i:09d}",
                    "timestamp": moment.strftime("%Y-%m-%dT%H:%M:%S.%fZ"),
                    "level": rnd.choice(LEVELS),
                    "service": rnd.choice(SERVICES),
                    "event": f"request {rnd.choice(WORDS)} {rnd.choice(WORDS)} in {i % 997} ms",
                    "env": "prod",
                    "trace_id": f"{rnd.getrandbits(64):016x}",
                    "host": f"ip-10-0-{i % 50}",
                    "attributes": {"route": f"/api/v{i % 3}", "status": 200 + (i % 5)},
                    "ingested_at": "2026-01-11T00:00:00.000000Z",
                }
            )
        )
    return out


def clear(client: OpenSearch) -> None:
    """Drop the benchmark's indices."""
    client.indices.delete(index="logs-*", ignore_unavailable=True)


def run_ours(client: OpenSearch, data: list[bytes], store: LocalStore) -> float:
    """Documents per second through our Indexer."""
    registry = CollectorRegistry()
    indexer = Indexer(client, ErrorWriter(store, Metrics(registry)), IndexMetrics(registry))
    began = time.perf_counter()
    result = indexer.index_lines(data)
    elapsed = time.perf_counter() - began
    assert result.indexed == len(data), result
    return len(data) / elapsed


def _helpers_actions(data: list[bytes]) -> Iterator[dict[str, Any]]:
    for line in data:
        record = orjson.loads(line)
        record["_index"] = index_name(Kind.LOG, record["timestamp"])
        yield record


def run_helpers(client: OpenSearch, data: list[bytes]) -> float:
    """Documents per second through `helpers.bulk` with its defaults."""
    began = time.perf_counter()
    ok, errors = helpers.bulk(client, _helpers_actions(data))
    elapsed = time.perf_counter() - began
    assert ok == len(data) and not errors
    return len(data) / elapsed


def grow(client: OpenSearch, store: LocalStore, have: int, want: int, budget: float) -> int:
    """Index more documents until `want` or the time budget; returns the corpus size."""
    registry = CollectorRegistry()
    indexer = Indexer(client, ErrorWriter(store, Metrics(registry)), IndexMetrics(registry))
    began = time.monotonic()
    step = 100_000
    while have < want and time.monotonic() - began < budget:
        batch = lines(min(step, want - have), start=have)
        indexer.index_lines(batch)
        have += len(batch)
    client.indices.refresh(index="logs-*")
    return have


def search_latencies(client: OpenSearch, queries: int) -> tuple[list[float], list[float], int]:
    """Client-side and server (`took`) milliseconds for varied text+filters+24h queries."""
    rnd = random.Random(7)
    client_ms, took_ms, hits = [], [], 0
    for i in range(queries + 10):
        day = START + timedelta(hours=rnd.randrange(9 * 24))
        query = {
            "size": 50,
            "sort": [{"timestamp": "desc"}],
            "track_total_hits": True,
            "query": {
                "bool": {
                    "must": [{"match": {"event": rnd.choice(WORDS)}}],
                    "filter": [
                        {"term": {"service": rnd.choice(SERVICES)}},
                        {"term": {"level": rnd.choice(LEVELS)}},
                        {
                            "range": {
                                "timestamp": {
                                    "gte": day.isoformat(),
                                    "lt": (day + timedelta(hours=24)).isoformat(),
                                }
                            }
                        },
                    ],
                }
            },
        }
        began = time.perf_counter()
        response = client.search(index="logs-*", body=query, params={"request_cache": "false"})
        elapsed = (time.perf_counter() - began) * 1000
        if i >= 10:  # warm-up excluded
            client_ms.append(elapsed)
            took_ms.append(float(response["took"]))
            hits += response["hits"]["total"]["value"]
    return client_ms, took_ms, hits


def pct(values: list[float], q: float) -> float:
    """The q-quantile (0..1) of values."""
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--docs", type=int, default=100_000, help="per throughput run")
    parser.add_argument("--search-docs", type=int, default=1_000_000)
    parser.add_argument("--grow-budget", type=float, default=75.0, help="seconds for growing")
    parser.add_argument("--queries", type=int, default=200)
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as tmp:
        node: LocalOpenSearch | None = None
        url = os.environ.get("OBSERVABILITY_OPENSEARCH_URL")
        if not url:
            node = LocalOpenSearch(Path(tmp) / "node", port=0, heap="2g")
            url = node.start()
            print(f"local node green in {node.startup_seconds:.1f} s at {url}")
        try:
            client = opensearch_client(url)
            store = LocalStore(Path(tmp) / "store", fsync=False)
            apply_setup(client, retention_days=30, replicas=0)
            data = lines(args.docs)
            # Warm the node's JIT with both paths first, so neither pays for a cold JVM.
            clear(client)
            run_helpers(client, data[:20_000])
            clear(client)
            run_ours(client, data[:20_000], store)
            ours, theirs = [], []
            for _ in range(2):
                clear(client)
                theirs.append(run_helpers(client, data))
                clear(client)
                ours.append(run_ours(client, data, store))
            ratio = max(ours) / max(theirs)
            verdict = "PASS" if ratio >= THROUGHPUT_TARGET else "MISS"
            print(f"indexing {args.docs:,} docs, best of 2:")
            print(f"  helpers.bulk (defaults, baseline): {max(theirs):>9,.0f} docs/s  {theirs}")
            print(f"  observability Indexer:             {max(ours):>9,.0f} docs/s  {ours}")
            print(f"  ratio {ratio:.2f}x   target >= {THROUGHPUT_TARGET}x   {verdict}")

            size = grow(client, store, args.docs, args.search_docs, args.grow_budget)
            client_ms, took_ms, hits = search_latencies(client, args.queries)
            p95 = pct(client_ms, 0.95)
            verdict = "PASS" if p95 < P95_TARGET_MS else "MISS"
            print(
                f"search over {size:,} log docs (text + 2 filters + 24 h, {args.queries} queries,"
            )
            print(f"  avg {hits / args.queries:,.0f} hits each):")
            print(
                f"  client p50 {pct(client_ms, 0.5):.1f} ms  p95 {p95:.1f} ms   "
                f"server took p50 {statistics.median(took_ms):.0f} ms  p95 {pct(took_ms, 0.95):.0f}"
                f" ms   target p95 < {P95_TARGET_MS:.0f} ms   {verdict}"
            )
            if size < args.search_docs:
                print(f"  (corpus reached {size:,} of {args.search_docs:,} within the budget)")
        finally:
            if node is not None:
                node.stop()


if __name__ == "__main__":
    main()
