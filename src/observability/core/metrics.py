"""Prometheus metrics behind an injectable registry.

Tests build `Metrics(CollectorRegistry())` and read samples; the service exposes the
default registry on `/metrics`. Names follow `observability_<name>_<unit>_total`.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from prometheus_client import REGISTRY, CollectorRegistry, Counter, Gauge, Histogram


@dataclass
class Metrics:
    """Every counter the pipeline keeps, registered in one registry."""

    registry: CollectorRegistry = field(default_factory=CollectorRegistry)

    def __post_init__(self) -> None:
        r = self.registry
        self.records_accepted = Counter(
            "observability_records_accepted_total",
            "Records validated and accepted, by stage and kind.",
            ["stage", "kind"],
            registry=r,
        )
        self.records_rejected = Counter(
            "observability_records_rejected_total",
            "Records refused and written to errors/, by stage and reason.",
            ["stage", "reason"],
            registry=r,
        )
        self.sink_records = Counter(
            "observability_sink_records_total",
            "Lines handled by a sink, by sink and outcome (sent, retried, spilled, replayed).",
            ["sink", "outcome"],
            registry=r,
        )
        self.sink_requests = Counter(
            "observability_sink_requests_total",
            "Requests made by a sink, by sink and outcome.",
            ["sink", "outcome"],
            registry=r,
        )
        self.sink_queue_depth = Gauge(
            "observability_sink_queue_records",
            "Lines waiting in a sink's in-memory queue.",
            ["sink"],
            registry=r,
        )
        self.store_files_written = Counter(
            "observability_store_files_written_total",
            "Data files written to the store, by kind.",
            ["kind"],
            registry=r,
        )
        self.store_bytes_written = Counter(
            "observability_store_written_bytes_total",
            "Compressed bytes written to the store, by kind.",
            ["kind"],
            registry=r,
        )
        self.collector_buffered_bytes = Gauge(
            "observability_collector_buffered_bytes",
            "Bytes accepted by the collector and not yet written to the store.",
            registry=r,
        )
        self.request_seconds = Histogram(
            "observability_http_request_duration_seconds",
            "HTTP request latency by route.",
            ["route", "method", "status"],
            registry=r,
        )


def default_metrics() -> Metrics:
    """Metrics in the process-wide registry, for the service's `/metrics`."""
    return Metrics(REGISTRY)
