"""A later process on the same state directory: it replays the spill, then shuts down.

Usage: `python replay_spill.py`, with the sink's `OBSERVABILITY_*` settings in the
environment. Exits 0 once the spill's pending directory is empty and `shutdown()`
reported every line delivered; 1 otherwise.
"""

from __future__ import annotations

import os
import sys
import time

from prometheus_client import CollectorRegistry

import observability
from observability.core.aws import AwsClients
from observability.core.metrics import Metrics
from observability.core.settings import Settings
from observability.transport.factory import build_line_sink

settings = Settings.from_env(os.environ)
aws = AwsClients(settings) if settings.sink == "firehose" else None
sink = build_line_sink(settings, aws, Metrics(CollectorRegistry()))
observability.configure(service="replayer", env="test", sink=sink)
pending = settings.spill_dir / settings.sink / "pending"
ends = time.monotonic() + 30
while any(pending.glob("*.ndjson")) and time.monotonic() < ends:
    time.sleep(0.05)
delivered = observability.shutdown()
sys.exit(0 if delivered and not any(pending.glob("*.ndjson")) else 1)
