"""The files the live demo writes into its temporary directory: models.yaml with a
reference file per model, and alerts.yaml, on the shortest schedules the product allows.

Nothing here bends the product's rules: drift windows of one minute on an every-minute
cron, rule groups evaluated every minute (their minimum) and the routing timers at their
one-minute minimum. The files are loaded by the same validators `observability serve`
uses, so a demo that starts is a demo whose configuration a user could copy.
"""

from __future__ import annotations

import random
from pathlib import Path
from typing import Any, Final

import yaml

from observability.demo.sample import FEATURES, TASKS, reference_rows

#: The environment variable alerts.yaml names for the webhook's URL (a secret is never
#: written in the file); the demo sets it for its own process.
WEBHOOK_URL_ENV: Final = "OBSERVABILITY_DEMO_WEBHOOK_URL"
#: Rule names, which the receiver sees as `alertname`.
DRIFT_RULE: Final = "model-drift"
ERROR_RATE_RULE: Final = "error-rate"
LATENCY_RULE: Final = "slow-requests"
REFERENCE_ROWS: Final = 2000
#: Share of a model's features that must drift, error rate and p95 latency that alert.
DRIFT_SHARE: Final = 0.3
ERROR_RATE: Final = 0.1
P95_MS: Final = 1000


def write_models(directory: Path, seed: int) -> Path:
    """models.yaml and one Parquet reference per model (training-time rows); its path."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    rng = random.Random(seed)  # noqa: S311 (sample data)
    models: list[dict[str, Any]] = []
    for name, features in FEATURES.items():
        reference = directory / f"reference-{name}.parquet"
        pq.write_table(pa.Table.from_pylist(reference_rows(name, rng, REFERENCE_ROWS)), reference)
        models.append(
            {
                "name": name,
                "task": TASKS[name],
                "features": dict(features),
                "reference": {"path": str(reference)},
                "window": "1m",
                "schedule": "* * * * *",
                "min_samples": 100,
            }
        )
    path = directory / "models.yaml"
    path.write_text(_yaml({"models": models}), encoding="utf-8")
    return path


def write_alerts(directory: Path) -> Path:
    """alerts.yaml: drift per model, error rate and p95 latency per service, one webhook."""
    groups = [
        {
            "name": "models",
            "interval": "1m",
            "rules": [
                {
                    "name": DRIFT_RULE,
                    "source": {"drift": {"measure": "share_drifted", "lookback": "5m"}},
                    "condition": {"op": ">", "threshold": DRIFT_SHARE},
                    "severity": "warning",
                    "no_data": "ok",  # no window has run yet in the first minute
                    "labels": {"team": "ml"},
                    "annotations": {
                        "summary": "{{ $labels.model }}: {{ $value | percent }} of its "
                        "features drifted"
                    },
                }
            ],
        },
        {
            "name": "services",
            "interval": "1m",
            "rules": [
                {
                    "name": ERROR_RATE_RULE,
                    "source": {
                        "sql": {
                            "named": "error-rate",
                            "value": "error_rate",
                            "window": "1m",
                            "reduce": "max",
                        }
                    },
                    "condition": {"op": ">", "threshold": ERROR_RATE},
                    "keep_firing_for": "1m",
                    "severity": "critical",
                    "no_data": "ok",
                    "annotations": {
                        "summary": "{{ $labels.service }}: {{ $value | percent }} of records "
                        "are errors"
                    },
                },
                {
                    "name": LATENCY_RULE,
                    "source": {
                        "sql": {"named": "latency-percentiles", "value": "p95", "window": "1m"}
                    },
                    "condition": {"op": ">", "threshold": P95_MS},
                    "keep_firing_for": "1m",
                    "severity": "warning",
                    "no_data": "ok",
                    "annotations": {
                        "summary": "{{ $labels.service }}: p95 latency {{ $value }} ms"
                    },
                },
            ],
        },
    ]
    document = {
        "groups": groups,
        "route": {
            "receiver": "terminal",
            "group_by": ["alertname", "service", "model"],
            "group_wait": "1m",
            "group_interval": "1m",
            "repeat_interval": "1h",
        },
        "inhibit_rules": [],  # every alert reaches the terminal, whatever its severity
        "receivers": [{"name": "terminal", "webhook": {"url_env": WEBHOOK_URL_ENV}}],
    }
    path = directory / "alerts.yaml"
    path.write_text(_yaml(document), encoding="utf-8")
    return path


def _yaml(document: dict[str, Any]) -> str:
    header = "# Written by `observability demo --live`; see alerts.example.yaml and\n"
    header += "# models.example.yaml for every option.\n"
    return header + yaml.safe_dump(document, sort_keys=False, width=100)
