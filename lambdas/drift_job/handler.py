"""Drift job Lambda: `handler(event, context)`, triggered by EventBridge Scheduler.

Event (the schedule's input): `{"model": "fraud"}` runs the model's last closed window;
`{"model": "fraud", "window": "2026-11-01T00:00/2026-11-02T00:00"}` runs that window;
`{"backfill": "7d"}` re-runs windows whose labels arrived late. Times follow the one
grammar of `observability.core.times` (`7d`, `2026-11-01`, `2026-11-01T00:00Z`, ...).
Settings, clients and the job are built once per cold start from the environment
(`OBSERVABILITY_*`, plus `OBSERVABILITY_MODELS_CONFIG` naming the models file baked into
the image).
"""

from __future__ import annotations

import functools
import os
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from observability.analyze.config import load_models
from observability.analyze.job import DriftJob, last_closed_window
from observability.analyze.loader import s3_reader
from observability.core.errors import ObservabilityError
from observability.core.times import parse_instant, parse_window
from observability.runtime import Runtime


def build(environ: Mapping[str, str]) -> DriftJob:
    """Compose the job from a mapping of `OBSERVABILITY_*` variables."""
    runtime = Runtime.from_env(environ)
    models = load_models(runtime.settings.models_config)
    return DriftJob(
        runtime.store,
        runtime.query_engine(),
        models,
        s3_reader=s3_reader(runtime.aws.s3),
        metrics=runtime.metrics,
    )


def run_event(job: DriftJob, event: Mapping[str, Any], now: datetime) -> dict[str, Any]:
    """Do what the event asks; the response lists each window's status and drifted features."""
    if "backfill" in event:
        results = job.backfill(parse_instant(str(event["backfill"]), now))
    else:
        name = event.get("model")
        if not isinstance(name, str):
            raise ObservabilityError("event: `model` (string) is required")
        window = event.get("window")
        if window in (None, "", "last"):
            start, end = last_closed_window(job.model(name), now)
        else:
            start, end = parse_window(str(window), now)
        results = [job.run(name, start, end)]
    return {
        "runs": [
            {
                "model": r.model,
                "window": f"{r.window_start.isoformat()}/{r.window_end.isoformat()}",
                "status": r.status.value,
                "drifted": r.drifted,
                "report_id": r.report_id,
            }
            for r in results
        ]
    }


@functools.cache
def _job() -> DriftJob:
    return build(os.environ)


def handler(event: Mapping[str, Any], context: Any) -> dict[str, Any]:
    """Lambda entry point."""
    return run_event(_job(), event, datetime.now(UTC))
