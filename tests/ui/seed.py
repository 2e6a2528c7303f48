"""Data for the UI's end-to-end run, written as the pipeline writes it.

- `drift_store`: the generated model of tests/analyze (three features shift at SHIFT_HOUR),
  its windows run through the real drift job (Evidently reports included), labels that
  arrive LABEL_DELAY after their predictions, and a models.yaml naming the reference;
- `log_records`: an hour of logs from three services, grouped in traces, some failing;
- `ALERTS_YAML`: a drift rule on MODEL that fires on the shifted windows (evaluated by
  `observability alerts eval`, a real process);
- `budget_windows`: 30 days of hourly `drift_metrics` windows x 20 features (the model page's
  render budget), written as the drift job writes them.
"""

from __future__ import annotations

import random
from collections import defaultdict
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any, Final

import numpy as np
import orjson
import yaml

from observability.analyze.job import DriftJob
from observability.core import keys
from observability.core.partitioning import Partition
from observability.core.schema import Kind
from observability.query.duckdb import DuckDBEngine
from observability.store.files import encode_ndjson_gz, new_filename
from observability.store.local import LocalStore
from observability.transform.lines import transform_lines
from tests.analyze.generated import (
    CATEGORICAL,
    HOURS,
    NUMERIC,
    SHIFT_HOUR,
    START,
    frame,
    model_config,
    write_labels,
    write_predictions,
)
from tests.drift_rows import hourly_window

MODEL: Final = "gen"
ROWS_PER_HOUR: Final = 800
LABEL_DELAY: Final = timedelta(hours=2)
SERVICES: Final = ("api", "checkout", "payments")
BUDGET_MODEL: Final = "budget"
BUDGET_FEATURES: Final = tuple(f"feature_{i:02d}" for i in range(20))
BUDGET_DAYS: Final = 30
ALERT: Final = "gen-drift"
ALERTS_YAML: Final = f"""
groups:
  - name: models
    interval: 1m
    rules:
      - name: {ALERT}
        source: {{drift: {{model: {MODEL}, measure: share_drifted, lookback: 3650d}}}}
        condition: {{op: ">", threshold: 0.3}}
        severity: warning
        annotations:
          summary: "{{{{ $labels.model }}}}: {{{{ $value | percent }}}} of its features drifted"
route: {{receiver: memory}}
receivers:
  - name: memory
    memory: {{}}
"""


def drift_store(store: LocalStore, root: Path) -> Path:
    """Predictions, labels and every window's drift run for MODEL; returns models.yaml."""
    rng = np.random.default_rng(7)
    reference = root / "reference.parquet"
    frame(rng, 4000, shifted=False).to_parquet(reference)
    entry: dict[str, Any] = {
        "name": MODEL,
        "task": "classification",
        "features": {
            **dict.fromkeys(NUMERIC, "numeric"),
            **dict.fromkeys(CATEGORICAL, "categorical"),
        },
        "reference": {"path": str(reference)},
        "window": "1h",
        "min_samples": 50,
        "report_sample_rows": 1000,
    }
    models_yaml = root / "models.yaml"
    models_yaml.write_text(yaml.safe_dump({"models": [entry]}))
    for hour in range(HOURS):
        start = START + timedelta(hours=hour)
        rows = frame(rng, ROWS_PER_HOUR, shifted=hour >= SHIFT_HOUR)
        ids = write_predictions(store, MODEL, start, rows, f"h{hour}")
        if hour < HOURS - 1:  # the last hour's labels have not arrived yet
            labelled = dict(zip(ids[::2], rows["target"].to_numpy()[::2], strict=True))
            write_labels(store, MODEL, start + LABEL_DELAY, labelled)
    model = model_config(reference={"path": str(reference)}, report_sample_rows=1000)
    job = DriftJob(
        store, DuckDBEngine(store), {MODEL: model}, clock=lambda: START + timedelta(days=1)
    )
    for hour in range(HOURS):
        start = START + timedelta(hours=hour)
        job.run(MODEL, start, start + timedelta(hours=1))
    return models_yaml


def shifted_report_id() -> str:
    """The report of the first window after the shift."""
    start = START + timedelta(hours=SHIFT_HOUR)
    return keys.report_id(MODEL, start, start + timedelta(hours=1))


def log_records(store: LocalStore, now: datetime, traces: int = 60) -> list[str]:
    """Traces across SERVICES over the last half hour (each fifth ends in an error), inside
    the Logs page's default range however long the tests take to reach it; their ids."""
    rng = random.Random(3)
    lines: list[bytes] = []
    trace_ids = []
    for t in range(traces):
        trace_id = f"{rng.getrandbits(128):032x}"
        trace_ids.append(trace_id)
        began = now - timedelta(seconds=rng.randrange(60, 1800))
        failing = t % 5 == 0
        steps = [
            ("api", "info", "request received"),
            ("checkout", "info", "cart priced"),
            ("payments", "error" if failing else "info", "card declined" if failing else "paid"),
            ("api", "warning" if failing else "info", "request finished"),
        ]
        for i, (service, level, event) in enumerate(steps):
            record = {
                "timestamp": (began + timedelta(milliseconds=35 * i)).isoformat(),
                "level": level,
                "service": service,
                "event": event,
                "trace_id": trace_id,
                "span_id": f"{rng.getrandbits(64):016x}",
                "order_id": f"o-{t}",
                "latency_ms": round(rng.uniform(2, 200), 1),
            }
            lines.append(orjson.dumps(record))
    _put(store, lines, Kind.LOG, now)
    return trace_ids


def budget_windows(store: LocalStore, end: datetime) -> None:
    """BUDGET_DAYS of hourly windows x BUDGET_FEATURES up to `end` (two features drift often)."""
    rng = random.Random(30)
    for h in range(BUDGET_DAYS * 24, 0, -1):
        start = end - timedelta(hours=h)
        key, data = hourly_window(BUDGET_MODEL, start, BUDGET_FEATURES, rng, drifting=2)
        store.put(key, data)


def _put(store: LocalStore, lines: list[bytes], kind: Kind, now: datetime) -> None:
    """Through the transform, into the collector's partitions."""
    processed = transform_lines(lines, kind, now.isoformat())
    assert not processed.rejected, processed.rejected
    groups: dict[Partition, list[bytes]] = defaultdict(list)
    for accepted in processed.accepted:
        groups[accepted.partition].append(accepted.line)
    for partition, group in groups.items():
        store.put(partition.object_key(new_filename()), encode_ndjson_gz(group))
