"""The live demo's models.yaml and alerts.yaml pass the product's own validators, on the
shortest schedules those allow."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pyarrow.parquet as pq

from observability.alerting.channels import WebhookSpec
from observability.alerting.config import MIN_INTERVAL, load_alerts
from observability.alerting.routes import MIN_TIMER
from observability.analyze.config import FileReference, load_models
from observability.demo.configs import (
    DRIFT_RULE,
    ERROR_RATE_RULE,
    REFERENCE_ROWS,
    WEBHOOK_URL_ENV,
    write_alerts,
    write_models,
)
from observability.demo.sample import FEATURES, FRAUD_MODEL, PRICE_MODEL


def test_models_run_every_minute_against_written_references(tmp_path: Path) -> None:
    """Both models load, one-minute windows on an every-minute cron, each with a reference
    file holding every configured feature, the prediction and the target."""
    models = load_models(write_models(tmp_path, seed=3))
    assert set(models) == {FRAUD_MODEL, PRICE_MODEL}
    for name, model in models.items():
        assert model.window == timedelta(minutes=1)
        assert model.schedule is not None and model.schedule.expression == "* * * * *"
        assert isinstance(model.reference, FileReference)
        table = pq.read_table(model.reference.uri)
        assert table.num_rows == REFERENCE_ROWS
        assert set(table.column_names) == {*FEATURES[name], "prediction", "target"}


def test_alert_rules_use_the_minimum_intervals_and_one_webhook(tmp_path: Path) -> None:
    """Every group is evaluated every minute, the routing timers are at their minimum, and
    the only receiver is a webhook whose URL comes from the environment."""
    config = load_alerts(write_alerts(tmp_path))
    assert {group.interval for group in config.groups} == {MIN_INTERVAL}
    assert config.route.group_wait == MIN_TIMER and config.route.group_interval == MIN_TIMER
    assert {DRIFT_RULE, ERROR_RATE_RULE} <= {rule.name for rule in config.rules}
    [spec] = config.receivers.values()
    assert isinstance(spec, WebhookSpec) and spec.url.env == WEBHOOK_URL_ENV
    assert config.inhibit_rules == ()
