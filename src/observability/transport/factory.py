"""The composition root for sinks: `settings.sink` -> a ready `LineSink`.

Firehose and HTTP go behind a `BackgroundSink` (network calls never run on the caller's
thread; failures are retried, then spilled under `settings.spill_dir`). File and stdout
are synchronous: a buffered append is as cheap as a queue hop, has nothing to retry, and
in Lambda a background thread would be frozen between invocations.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Final

from observability.core.aws import AwsClients
from observability.core.errors import SettingsError
from observability.core.metrics import Metrics
from observability.core.schema import Kind
from observability.core.settings import Settings
from observability.transport.background import BackgroundSink
from observability.transport.base import LineSink, Sink
from observability.transport.file import FileSink
from observability.transport.firehose import FirehoseSink
from observability.transport.retry import RetryPolicy
from observability.transport.spill import Spill
from observability.transport.stdout import StdoutSink


def build_line_sink(settings: Settings, aws: AwsClients | None, metrics: Metrics) -> LineSink:
    """Build the configured sink; raises SettingsError naming what is missing."""
    return _BUILDERS[settings.sink](settings, aws, metrics)


def background(sink: Sink, settings: Settings, metrics: Metrics) -> BackgroundSink:
    """Wrap a network sink with the queue, retry policy and spill the settings describe."""
    spill = Spill(settings.spill_dir / sink.name, settings.spill_max_bytes, metrics, sink=sink.name)
    return BackgroundSink(
        sink,
        metrics=metrics,
        spill=spill,
        queue_records=settings.sink_queue_records,
        block_budget_ms=settings.sink_block_budget_ms,
        flush_seconds=settings.sink_flush_seconds,
        retry_policy=RetryPolicy(deadline_seconds=settings.sink_deadline_seconds),
        close_seconds=settings.sink_shutdown_seconds,
    )


def _firehose(settings: Settings, aws: AwsClients | None, metrics: Metrics) -> LineSink:
    if aws is None:
        raise SettingsError("OBSERVABILITY_SINK=firehose needs AWS clients (none were given)")
    streams: Mapping[Kind, str] = {kind: settings.firehose_stream(kind) for kind in Kind}
    return background(FirehoseSink(aws.firehose(), streams, metrics), settings, metrics)


def _http(settings: Settings, aws: AwsClients | None, metrics: Metrics) -> LineSink:
    try:
        from observability.transport.http import HttpSink, envelope_bytes
    except ImportError as exc:  # httpx comes with the `service` extra
        raise SettingsError(
            f"OBSERVABILITY_SINK=http needs httpx ({exc}); install observability[service]"
        ) from None
    sink = HttpSink(
        settings.collector_url,
        metrics=metrics,
        max_envelope_bytes=envelope_bytes(
            settings.max_request_bytes, settings.max_decompressed_bytes
        ),
        max_envelope_lines=settings.max_request_lines,
        api_key=settings.api_key,
    )
    return background(sink, settings, metrics)


def _file(settings: Settings, aws: AwsClients | None, metrics: Metrics) -> LineSink:
    return FileSink(settings.state_dir / "out")


def _stdout(settings: Settings, aws: AwsClients | None, metrics: Metrics) -> LineSink:
    return StdoutSink()


_BUILDERS: Final[Mapping[str, Callable[[Settings, AwsClients | None, Metrics], LineSink]]] = {
    "firehose": _firehose,
    "http": _http,
    "file": _file,
    "stdout": _stdout,
}
