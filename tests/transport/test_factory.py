"""build_line_sink: the configured sink, wired to the settings' queue and spill."""

from __future__ import annotations

from pathlib import Path

import pytest

from observability.core.aws import AwsClients
from observability.core.errors import SettingsError
from observability.core.metrics import Metrics
from observability.core.settings import Settings
from observability.transport.background import BackgroundSink
from observability.transport.factory import build_line_sink
from observability.transport.file import FileSink
from observability.transport.stdout import StdoutSink
from tests.transport.support import create_stream, delivered_ids, log_lines


def test_file_and_stdout_are_synchronous(tmp_path: Path, metrics: Metrics) -> None:
    """sink=file writes under state_dir/out; sink=stdout writes to stdout, no thread."""
    settings = Settings.from_env({}, state_dir=tmp_path, sink="file")
    sink = build_line_sink(settings, None, metrics)
    assert isinstance(sink, FileSink)
    ((kind, group, line),) = log_lines(1)
    sink.submit(kind, group, line)
    sink.close()
    assert (tmp_path / "out" / "logs.ndjson").read_bytes() == line + b"\n"
    assert isinstance(build_line_sink(settings.replace(sink="stdout"), None, metrics), StdoutSink)


def test_firehose_needs_aws_clients(tmp_path: Path, metrics: Metrics) -> None:
    """Asking for Firehose without clients is a settings error, not a crash later."""
    settings = Settings.from_env({}, state_dir=tmp_path, sink="firehose")
    with pytest.raises(SettingsError, match="firehose"):
        build_line_sink(settings, None, metrics)


@pytest.mark.aws
def test_firehose_sink_delivers_to_the_configured_stream(
    aws_settings: Settings, aws: AwsClients, metrics: Metrics
) -> None:
    """sink=firehose builds a background Firehose sink that spills under spill_dir."""
    settings = aws_settings.replace(sink="firehose", firehose_stream_logs="factory-logs")
    create_stream(aws, "factory-logs", "factory-bucket", "logs/")
    sink = build_line_sink(settings, aws, metrics)
    assert isinstance(sink, BackgroundSink)
    for kind, group, line in log_lines(50):
        sink.submit(kind, group, line)
    sink.close()
    assert len(delivered_ids(aws, "factory-bucket", "logs/")) == 50
    assert (settings.spill_dir / "firehose" / "pending").is_dir()


def test_http_sink_is_backgrounded(tmp_path: Path, metrics: Metrics) -> None:
    """sink=http wraps HttpSink in the background queue (the network is off the hot path)."""
    settings = Settings.from_env({}, state_dir=tmp_path, sink="http")
    sink = build_line_sink(settings, None, metrics)
    assert isinstance(sink, BackgroundSink)
    sink.close()
