"""`models.yaml`: which models are watched, how, and against what reference.

Validated once when read; every error names the model and the key so a typo is fixed in
one go, not discovered by a job at 3 a.m. See `models.example.yaml` at the repository root.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any, Final

import yaml

from observability.analyze.cron import Cron, CronError
from observability.analyze.methods import NUMERIC_ONLY, FeatureType, Method
from observability.core.checks import is_name
from observability.core.errors import ObservabilityError
from observability.core.times import TimeGrammarError, parse_duration, parse_window

#: Rows per side given to Evidently's report (its verdicts do not depend on it: ours come
#: from all rows). 10,000 keeps the report near one second.
DEFAULT_REPORT_SAMPLE_ROWS: Final = 10_000
DEFAULT_MIN_SAMPLES: Final = 100
#: The longest drift window: a run loads its whole window into memory at once.
MAX_WINDOW: Final = timedelta(days=31)
_TASKS: Final = ("classification", "regression")
_MODEL_KEYS: Final = frozenset(
    {
        "name",
        "task",
        "features",
        "prediction",
        "target",
        "reference",
        "window",
        "schedule",
        "min_samples",
        "drift_methods",
        "thresholds",
        "report_sample_rows",
    }
)


class ConfigError(ObservabilityError):
    """`models.yaml` cannot be used; the message names the model and the key."""


@dataclass(frozen=True, slots=True)
class FileReference:
    """Reference rows from a CSV or Parquet file, local or `s3://`."""

    uri: str


@dataclass(frozen=True, slots=True)
class WindowReference:
    """Reference rows: the model's own predictions in a fixed past window."""

    start: datetime
    end: datetime


Reference = FileReference | WindowReference


@dataclass(frozen=True, slots=True)
class ModelConfig:
    """One watched model."""

    name: str
    task: str
    features: Mapping[str, FeatureType]
    reference: Reference
    window: timedelta
    schedule: Cron | None = None
    prediction: str = "prediction"
    target: str = "target"
    min_samples: int = DEFAULT_MIN_SAMPLES
    drift_methods: Mapping[str, Method] = field(default_factory=dict)
    thresholds: Mapping[str, float] = field(default_factory=dict)
    report_sample_rows: int = DEFAULT_REPORT_SAMPLE_ROWS


def load_models(path: Path) -> dict[str, ModelConfig]:
    """Read and validate a models file; ConfigError on any problem."""
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise ConfigError(f"{path}: {exc.strerror or exc}") from None
    return parse_models(text, str(path))


def parse_models(text: str, source: str = "models.yaml") -> dict[str, ModelConfig]:
    """Validate YAML text with a top-level `models:` list."""
    try:
        document = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise ConfigError(f"{source}: not valid YAML: {exc}") from None
    if not isinstance(document, dict) or not isinstance(document.get("models"), list):
        raise ConfigError(f"{source}: expected a top-level `models:` list")
    models: dict[str, ModelConfig] = {}
    for index, entry in enumerate(document["models"]):
        model = model_from_mapping(entry, f"{source}: models[{index}]")
        if model.name in models:
            raise ConfigError(f"{source}: model {model.name!r} is defined twice")
        models[model.name] = model
    return models


def model_from_mapping(entry: Any, where: str = "model") -> ModelConfig:
    """One model entry; errors read `<where> (<name>): <key>: problem`."""
    if not isinstance(entry, dict):
        raise ConfigError(f"{where}: expected a mapping")
    name = entry.get("name")
    if not isinstance(name, str) or not is_name(name):  # it names store paths: ingest's rule
        raise ConfigError(
            f"{where}: name: expected 1-128 letters, digits, '_', '.', '-', "
            "starting with a letter or digit"
        )
    at = f"{where} ({name})"
    unknown = sorted(set(entry) - _MODEL_KEYS)
    if unknown:
        raise ConfigError(f"{at}: unknown key(s): {', '.join(unknown)}")
    task = entry.get("task")
    if task not in _TASKS:
        raise ConfigError(f"{at}: task: expected classification or regression, got {task!r}")
    features = _features(entry.get("features"), at)
    methods = _methods(entry.get("drift_methods") or {}, features, at)
    thresholds = _thresholds(entry.get("thresholds") or {}, features, at)
    schedule_text = entry.get("schedule")
    try:
        schedule = None if schedule_text is None else Cron.parse(str(schedule_text))
    except CronError as exc:
        raise ConfigError(f"{at}: schedule: {exc}") from None
    return ModelConfig(
        name=name,
        task=task,
        features=features,
        reference=_reference(entry.get("reference"), at),
        window=_duration(entry.get("window", "1h"), f"{at}: window"),
        schedule=schedule,
        prediction=_column(entry.get("prediction", "prediction"), f"{at}: prediction"),
        target=_column(entry.get("target", "target"), f"{at}: target"),
        min_samples=_positive_int(entry.get("min_samples", DEFAULT_MIN_SAMPLES), at, "min_samples"),
        drift_methods=methods,
        thresholds=thresholds,
        report_sample_rows=_positive_int(
            entry.get("report_sample_rows", DEFAULT_REPORT_SAMPLE_ROWS), at, "report_sample_rows"
        ),
    )


def _features(value: Any, at: str) -> dict[str, FeatureType]:
    if not isinstance(value, dict) or not value:
        raise ConfigError(f"{at}: features: expected a mapping of name -> numeric|categorical")
    features: dict[str, FeatureType] = {}
    for feature, kind in value.items():
        try:
            features[str(feature)] = FeatureType(kind)
        except ValueError:
            raise ConfigError(
                f"{at}: features.{feature}: expected numeric or categorical, got {kind!r}"
            ) from None
    return features


def _methods(value: Any, features: Mapping[str, FeatureType], at: str) -> dict[str, Method]:
    if not isinstance(value, dict):
        raise ConfigError(f"{at}: drift_methods: expected a mapping of feature -> method")
    methods: dict[str, Method] = {}
    known = ", ".join(m.value for m in Method)
    for feature, name in value.items():
        if feature not in features:
            raise ConfigError(f"{at}: drift_methods.{feature}: not a configured feature")
        try:
            method = Method(name)
        except ValueError:
            raise ConfigError(
                f"{at}: drift_methods.{feature}: unknown method {name!r} (use one of {known})"
            ) from None
        if method in NUMERIC_ONLY and features[feature] is FeatureType.CATEGORICAL:
            raise ConfigError(
                f"{at}: drift_methods.{feature}: {method.value} needs a numeric feature"
            )
        methods[str(feature)] = method
    return methods


def _thresholds(value: Any, features: Mapping[str, FeatureType], at: str) -> dict[str, float]:
    if not isinstance(value, dict):
        raise ConfigError(f"{at}: thresholds: expected a mapping of feature -> number")
    thresholds: dict[str, float] = {}
    for feature, number in value.items():
        if feature not in features:
            raise ConfigError(f"{at}: thresholds.{feature}: not a configured feature")
        if isinstance(number, bool) or not isinstance(number, int | float) or number <= 0:
            raise ConfigError(f"{at}: thresholds.{feature}: expected a positive number")
        thresholds[str(feature)] = float(number)
    return thresholds


def _reference(value: Any, at: str) -> Reference:
    if not isinstance(value, dict) or len(value) != 1 or not {"path", "window"} & set(value):
        raise ConfigError(f"{at}: reference: expected exactly one of `path:` or `window:`")
    if "path" in value:
        uri = str(value["path"])
        if not uri.lower().endswith((".csv", ".parquet", ".csv.gz")):
            raise ConfigError(f"{at}: reference.path: expected a .csv or .parquet file")
        return FileReference(uri)
    try:  # no durations: a window written in a file must not move with the clock
        start, end = parse_window(str(value["window"]), now=None)
    except TimeGrammarError as exc:
        raise ConfigError(f"{at}: reference.window: {exc}") from None
    return WindowReference(start, end)


def _duration(value: Any, where: str) -> timedelta:
    try:
        return parse_duration(str(value), at_most=MAX_WINDOW)
    except TimeGrammarError as exc:
        raise ConfigError(f"{where}: {exc}") from None


def _column(value: Any, where: str) -> str:
    if not isinstance(value, str) or not value:
        raise ConfigError(f"{where}: expected a column name")
    return value


def _positive_int(value: Any, at: str, key: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise ConfigError(f"{at}: {key}: expected a positive integer, got {value!r}")
    return value
