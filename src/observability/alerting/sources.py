"""What a rule watches: its `source:` in alerts.yaml, parsed into one of four specs.

- `drift`: from the `drift_metrics` table only (never raw rows), a model's latest window:
  `share_drifted` (drifted / scored features), `drifted_features` (a count), or `score`
  (one feature's, or every feature's: one alert per feature);
- `sql`: a named query of `query/library.py` or a SQL text, over a window ending now; the
  `value` column is compared, the label columns (by default every text column but `dt` and
  `hour`) make one alert per label set; rows of one label set are reduced (`last`, ...);
- `absent`: no record from a service (logs) or a model (predictions) `within` a duration;
- `pipeline`: the system's own health: records refused into `errors/` per hour, failed
  runs in `job_runs`, features of a model's latest drift window with `insufficient_data`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Final, Literal

from observability.alerting.reading import ConfigError, Section
from observability.query.base import QueryError
from observability.query.library import NAMED
from observability.query.sql import check_read_only, parse

DriftMeasure = Literal["share_drifted", "drifted_features", "score"]
Reduce = Literal["last", "first", "max", "min", "avg", "sum"]
PipelineCheck = Literal["errors", "failed_runs", "insufficient_data"]

DRIFT_MEASURES: Final[tuple[DriftMeasure, ...]] = ("share_drifted", "drifted_features", "score")
REDUCERS: Final[tuple[Reduce, ...]] = ("last", "first", "max", "min", "avg", "sum")
PIPELINE_CHECKS: Final[tuple[PipelineCheck, ...]] = ("errors", "failed_runs", "insufficient_data")
DEFAULT_DRIFT_LOOKBACK: Final = timedelta(days=2)
DEFAULT_SQL_WINDOW: Final = timedelta(hours=1)
DEFAULT_ABSENT_LOOKBACK: Final = timedelta(days=7)
#: Columns of windowed named queries that are partitions, not labels.
NOT_LABELS: Final = frozenset({"dt", "hour"})
#: Parameters every SQL source may use: the window [start, end) and the days that cover it.
WINDOW_PARAMS: Final = ("start", "end", "start_dt", "end_dt")
#: Labels the sources give alerts; the default inhibition compares these.
SOURCE_LABELS: Final = ("model", "feature", "service", "job", "stage", "reason")


@dataclass(frozen=True, slots=True)
class DriftSource:
    """A model's (or every model's) latest drift window, read from `drift_metrics`."""

    measure: DriftMeasure
    model: str | None = None
    feature: str | None = None
    #: The latest window must have ended within this long, else the rule has no data.
    lookback: timedelta = DEFAULT_DRIFT_LOOKBACK


@dataclass(frozen=True, slots=True)
class SqlSource:
    """A named query or a SQL text over [now - window, now)."""

    window: timedelta
    value: str
    named: str | None = None
    query: str | None = None
    params: Mapping[str, str] = field(default_factory=dict)
    #: Label columns; None: every text column but `dt` and `hour`.
    labels: tuple[str, ...] | None = None
    reduce: Reduce = "last"

    @property
    def is_error_rate(self) -> bool:
        """The error-rate named query: its alerts carry the top errors."""
        return self.named == "error-rate"


@dataclass(frozen=True, slots=True)
class AbsentSource:
    """No record from a service (logs) or a model (predictions) for `within`."""

    within: timedelta
    service: str | None = None
    model: str | None = None
    lookback: timedelta = DEFAULT_ABSENT_LOOKBACK

    @property
    def label(self) -> tuple[str, str]:
        """(`service` or `model`, its value): the alert's source label."""
        if self.service is not None:
            return "service", self.service
        assert self.model is not None  # parse_source requires one
        return "model", self.model


@dataclass(frozen=True, slots=True)
class PipelineSource:
    """The pipeline's own health, as the store shows it."""

    check: PipelineCheck
    #: errors, failed_runs: the window counted; insufficient_data: how recent the latest
    #: drift window must be.
    window: timedelta = DEFAULT_SQL_WINDOW
    stage: str | None = None
    job: str | None = None
    model: str | None = None


Source = DriftSource | SqlSource | AbsentSource | PipelineSource
SOURCE_KINDS: Final = ("drift", "sql", "absent", "pipeline")


def parse_source(where: str, raw: object) -> Source:
    """`{drift: {...}}`, `{sql: {...}}`, `{absent: {...}}` or `{pipeline: {...}}`."""
    if not isinstance(raw, Mapping) or len(raw) != 1:
        raise ConfigError(
            f"{where}: source: expected one of {', '.join(SOURCE_KINDS)} as the only key, "
            "e.g. source: {drift: {model: fraud, measure: share_drifted}}"
        )
    ((kind, body),) = raw.items()
    section = Section(f"{where}: source.{kind}", body)
    if kind == "drift":
        source: Source = _drift(section)
    elif kind == "sql":
        source = _sql(section)
    elif kind == "absent":
        source = _absent(section)
    elif kind == "pipeline":
        source = _pipeline(section)
    else:
        raise ConfigError(f"{where}: source: {kind!r} is not one of {', '.join(SOURCE_KINDS)}")
    section.finish()
    return source


def _drift(section: Section) -> DriftSource:
    measure = section.choice("measure", DRIFT_MEASURES, "share_drifted")
    model = section.name("model", required=False)
    feature = section.text("feature")
    if feature is not None and measure != "score":
        raise section.error("feature", "only applies to measure: score")
    lookback = section.duration("lookback", DEFAULT_DRIFT_LOOKBACK, at_least=timedelta(minutes=1))
    assert lookback is not None
    return DriftSource(measure, model, feature, lookback)  # type: ignore[arg-type]


def _sql(section: Section) -> SqlSource:
    named = section.text("named")
    query = section.text("query")
    if (named is None) == (query is None):
        raise section.error("named", "give exactly one of named (a query's name) or query (SQL)")
    if named is not None and named not in NAMED:
        raise section.error("named", f"{named!r} is not a named query ({', '.join(NAMED)})")
    params = section.string_map("params")
    for reserved in ("start", "end", "since", "until"):
        if reserved in params:
            raise section.error(f"params.{reserved}", "the rule's window sets it")
    if named is not None:
        known = {param.name for param in NAMED[named].params}
        for name in params:
            if name not in known:
                raise section.error(
                    f"params.{name}", f"{named} takes {', '.join(sorted(known)) or 'no params'}"
                )
    if query is not None:
        _check_sql(section, query, params)
    window = section.duration("window", DEFAULT_SQL_WINDOW, at_least=timedelta(minutes=1))
    assert window is not None
    value = section.text("value", "value" if query is not None else None)
    if value is None:
        raise section.error("value", "is required with a named query: the column to compare")
    labels = section.strings("labels")
    reduce = section.choice("reduce", REDUCERS, "last")
    return SqlSource(window, value, named, query, params, labels, reduce)  # type: ignore[arg-type]


def _check_sql(section: Section, query: str, params: Mapping[str, str]) -> None:
    """Parse the SQL now, so `alerts check` reports a syntax error or a refused statement."""
    try:
        statement = parse(query)
        check_read_only(statement)
    except QueryError as exc:
        raise section.error("query", str(exc)) from None
    for name in statement.params:
        if name not in WINDOW_PARAMS and name not in params:
            raise section.error(
                "query",
                f":{name} is neither a window parameter ({', '.join(WINDOW_PARAMS)}) nor in params",
            )


def _absent(section: Section) -> AbsentSource:
    service = section.name("service", required=False)
    model = section.name("model", required=False)
    if (service is None) == (model is None):
        raise section.error("service", "give exactly one of service or model")
    within = section.required_duration("within", at_least=timedelta(minutes=1))
    lookback = section.duration("lookback", DEFAULT_ABSENT_LOOKBACK, at_least=within)
    assert lookback is not None
    return AbsentSource(within, service, model, lookback)


def _pipeline(section: Section) -> PipelineSource:
    check = section.choice("check", PIPELINE_CHECKS)
    default = DEFAULT_DRIFT_LOOKBACK if check == "insufficient_data" else DEFAULT_SQL_WINDOW
    window = section.duration("window", default, at_least=timedelta(minutes=1))
    assert window is not None
    stage = section.name("stage", required=False)
    job = section.name("job", required=False)
    model = section.name("model", required=False)
    scoped = {"errors": "stage", "failed_runs": "job", "insufficient_data": "model"}[check]
    for key, given in (("stage", stage), ("job", job), ("model", model)):
        if given is not None and key != scoped:
            raise section.error(key, f"does not apply to check: {check}")
    return PipelineSource(check, window, stage, job, model)  # type: ignore[arg-type]
