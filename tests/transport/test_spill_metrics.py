"""The spill's bytes are exposed as a gauge read at scrape time."""

from __future__ import annotations

from pathlib import Path

from observability.core.metrics import Metrics
from observability.core.schema import Kind
from observability.transport.spill import Spill, SpillEntry


def test_spill_bytes_gauge_reads_the_spill(tmp_path: Path, metrics: Metrics) -> None:
    """The spill gauge reports the bytes in spill files at scrape time."""
    spill = Spill(tmp_path / "spill", 1 << 20, metrics, sink="firehose")
    spill.append(
        [SpillEntry(Kind.LOG, "svc|2026-11-23T10", b'{"n":1}', "undelivered")], replayable=True
    )
    value = metrics.registry.get_sample_value(
        "observability_sink_spill_bytes", {"sink": "firehose"}
    )
    assert value == spill.bytes_used > 0
    spill.close()
