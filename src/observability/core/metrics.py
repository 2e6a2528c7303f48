"""Prometheus metrics behind an injectable registry.

Tests build `Metrics(CollectorRegistry())` and read samples; each `Runtime` owns one
registry and the service exposes it on `/metrics` (never prometheus' global one, so two
runtimes live in one process). Names follow `observability_<name>_<unit>_total`.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram


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
        self.jobs = Counter(
            "observability_jobs_total",
            "Worker job runs by job and outcome (ok, error, skipped, busy: leased elsewhere).",
            ["job", "outcome"],
            registry=r,
        )
        self.job_last_success = Gauge(
            "observability_job_last_success_timestamp_seconds",
            "When a job last finished a run without error (Unix time).",
            ["job"],
            registry=r,
        )
        self.job_seconds = Histogram(
            "observability_job_duration_seconds",
            "Duration of worker job runs, by job.",
            ["job"],
            buckets=(0.1, 0.5, 1, 5, 15, 60, 300, 900, 3600),
            registry=r,
        )
        self.worker_last_tick = Gauge(
            "observability_worker_last_tick_timestamp_seconds",
            "When the worker last made progress: a tick began or ended, or a run ended.",
            registry=r,
        )
        # -- read by dashboards/prometheus/rules.yml and dashboards/grafana/observability.json
        self.collector_ready = Gauge(
            "observability_collector_ready",
            "1 while the collector accepts batches (journal replayed, not shutting down).",
            registry=r,
        )
        self.collector_journal_age = Gauge(
            "observability_collector_journal_age_seconds",
            "Age of the oldest journaled line not yet written to the store (0 when none).",
            registry=r,
        )
        self.sink_spill_bytes = Gauge(
            "observability_sink_spill_bytes",
            "Bytes in a sink's spill files, waiting to be replayed (or kept as rejected).",
            ["sink"],
            registry=r,
        )
        self.drift_score = Gauge(
            "observability_drift_score",
            "A feature's drift score in its model's last drift run.",
            ["model", "feature"],
            registry=r,
        )
        self.drift_drifted_features = Gauge(
            "observability_drift_drifted_features",
            "How many features drifted in a model's last drift run.",
            ["model"],
            registry=r,
        )
        self.alerts = Gauge(
            "observability_alerts",
            "Alert instances by state after the last evaluation.",
            ["state"],
            registry=r,
        )
