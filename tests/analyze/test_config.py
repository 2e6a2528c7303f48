"""models.yaml validation: good files load; every error names the model and the key."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from observability.analyze.config import (
    ConfigError,
    FileReference,
    WindowReference,
    load_models,
    parse_models,
)
from observability.analyze.methods import FeatureType, Method
from observability.core.times import parse_window

GOOD = """
models:
  - name: fraud
    task: classification
    features: {amount: numeric, country: categorical}
    reference: {path: s3://bucket/ref.parquet}
    window: 1d
    schedule: "5 0 * * *"
    min_samples: 20
    drift_methods: {amount: psi}
    thresholds: {amount: 0.2}
  - name: price
    task: regression
    features: {size: numeric}
    target: price
    reference: {window: 2026-10-01T00:00/2026-10-08T00:00}
"""


def test_example_file_at_repo_root_loads() -> None:
    """The shipped models.example.yaml is valid."""
    models = load_models(Path(__file__).parents[2] / "models.example.yaml")
    assert models["fraud"].features["merchant_category"] is FeatureType.CATEGORICAL


def test_good_file_loads_every_field() -> None:
    """Types, reference kinds, window, cron, overrides and defaults come out typed."""
    models = parse_models(GOOD)
    fraud, price = models["fraud"], models["price"]
    assert fraud.features == {"amount": FeatureType.NUMERIC, "country": FeatureType.CATEGORICAL}
    assert fraud.reference == FileReference("s3://bucket/ref.parquet")
    assert fraud.window == timedelta(days=1)
    assert fraud.schedule is not None and fraud.schedule.matches(datetime(2026, 1, 1, 0, 5))
    assert fraud.drift_methods == {"amount": Method.PSI}
    assert fraud.thresholds == {"amount": 0.2}
    assert fraud.min_samples == 20
    assert price.reference == WindowReference(
        datetime(2026, 10, 1, tzinfo=UTC), datetime(2026, 10, 8, tzinfo=UTC)
    )
    assert price.target == "price" and price.window == timedelta(hours=1)


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (("task: classification", "task: ranking"), "(fraud): task"),
        (("{amount: numeric, country", "{amount: number, country"), "(fraud): features.amount"),
        (("{path: s3://bucket/ref.parquet}", "{path: ref.txt}"), "(fraud): reference.path"),
        (("{path: s3://bucket/ref.parquet}", "{}"), "(fraud): reference"),
        (("window: 1d", "window: 32d"), "(fraud): window"),
        (("window: 1d", "window: 1 fortnight"), "(fraud): window"),
        (('"5 0 * * *"', '"61 0 * * *"'), "(fraud): schedule: cron minute"),
        (('"5 0 * * *"', '"5 0 * *"'), "(fraud): schedule"),
        (("min_samples: 20", "min_samples: 0"), "(fraud): min_samples"),
        (("{amount: psi}", "{amount: magic}"), "(fraud): drift_methods.amount"),
        (("{amount: psi}", "{country: ks}"), "(fraud): drift_methods.country"),
        (("{amount: psi}", "{weight: psi}"), "(fraud): drift_methods.weight"),
        (("{amount: 0.2}", "{amount: -1}"), "(fraud): thresholds.amount"),
        (("2026-10-08T00:00}", "2026-09-08T00:00}"), "(price): reference.window"),
        (("    min_samples: 20", "    min_sample: 20"), "(fraud): unknown key(s): min_sample"),
        (("name: price", "name: fraud"), "model 'fraud' is defined twice"),
        (("name: price", "name: 'a b'"), "models[1]: name"),
    ],
)
def test_errors_name_the_model_and_key(change: tuple[str, str], message: str) -> None:
    """A bad value is refused with the model's name and the offending key in the message."""
    with pytest.raises(ConfigError) as caught:
        parse_models(GOOD.replace(*change))
    assert message in str(caught.value)


def test_not_yaml_and_missing_file_are_config_errors(tmp_path: Path) -> None:
    """Unparseable YAML, a missing top-level list and a missing file are ConfigErrors."""
    with pytest.raises(ConfigError, match="not valid YAML"):
        parse_models("models: [")
    with pytest.raises(ConfigError, match="top-level `models:` list"):
        parse_models("fraud: {}")
    with pytest.raises(ConfigError, match=r"missing\.yaml"):
        load_models(tmp_path / "missing.yaml")


def test_window_parsing() -> None:
    """START/END parses to UTC; naive times are UTC; an empty window is refused."""
    start, end = parse_window("2026-11-01T00:00/2026-11-02T01:00+01:00", now=None)
    assert start == datetime(2026, 11, 1, tzinfo=UTC)
    assert end == datetime(2026, 11, 2, tzinfo=UTC)
    with pytest.raises(ValueError, match="not before"):
        parse_window("2026-11-02T00:00/2026-11-01T00:00", now=None)
