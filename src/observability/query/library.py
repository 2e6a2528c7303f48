"""The named queries themselves (Athena/Trino SQL), by name: `observability query --named`.

Conventions: levels `error` and `critical` are errors; request latency is the log
attribute `latency_ms`, a number, read through its typed column `latency_ms` of `logs`
(a hot attribute: see `core.fields.HOT_ATTRIBUTES`); a prediction that is a
`{class: probability}` map predicts its most probable class, a string or bool prediction
is the class itself, and a number prediction with a number label is a regression (MAE);
the latest label of a prediction wins. Percentiles are `approx_percentile` on Athena and
exact (`quantile_disc`) in DuckDB.
"""

# ruff: noqa: S608 - the SQL text is assembled from module constants only; values are bound

from __future__ import annotations

from collections.abc import Mapping
from typing import Final

from observability.query.named import NamedQuery, Param, ParamType

_WINDOW: Final = "dt BETWEEN :start_dt AND :end_dt AND timestamp >= :start AND timestamp < :end"
_SERVICE: Final = Param(
    "service", ParamType.NAME, "Only this service (default: all).", optional=True
)
_MODEL: Final = Param("model", ParamType.NAME, "Only this model (default: all).", optional=True)
_LIMIT: Final = Param("limit", ParamType.INTEGER, "How many rows at most.", default=20)

ERROR_RATE: Final = NamedQuery(
    name="error-rate",
    doc="Records, errors and error rate per service per hour.",
    sql=f"""
SELECT service, dt, hour,
       count(*) AS records,
       count_if(level IN ('error', 'critical')) AS errors,
       CAST(count_if(level IN ('error', 'critical')) AS DOUBLE) / count(*) AS error_rate
FROM logs
WHERE service = :service AND {_WINDOW}
GROUP BY service, dt, hour
ORDER BY service, dt, hour
""",
    params=(_SERVICE,),
)

LATENCY_PERCENTILES: Final = NamedQuery(
    name="latency-percentiles",
    doc="p50/p95/p99 of the `latency_ms` log attribute per service.",
    sql=f"""
SELECT service,
       count(*) AS requests,
       approx_percentile(latency_ms, 0.5) AS p50,
       approx_percentile(latency_ms, 0.95) AS p95,
       approx_percentile(latency_ms, 0.99) AS p99
FROM logs
WHERE service = :service AND {_WINDOW} AND latency_ms IS NOT NULL
GROUP BY service
ORDER BY service
""",
    params=(_SERVICE,),
)

TOP_ERRORS: Final = NamedQuery(
    name="top-errors",
    doc="The most frequent error events per service, with first and last occurrence.",
    sql=f"""
SELECT service, event, occurrences, first_seen, last_seen
FROM (
  SELECT service, event,
         count(*) AS occurrences,
         min(timestamp) AS first_seen,
         max(timestamp) AS last_seen,
         row_number() OVER (ORDER BY count(*) DESC, service, event) AS position
  FROM logs
  WHERE level IN ('error', 'critical') AND service = :service AND {_WINDOW}
  GROUP BY service, event
) AS ranked
WHERE position <= :limit
ORDER BY occurrences DESC, service, event
""",
    params=(_SERVICE, _LIMIT),
)

TRACE: Final = NamedQuery(
    name="trace",
    doc="Every log and prediction of one trace, in time order.",
    sql=f"""
SELECT timestamp, kind, source, level, event, span_id, record_id
FROM (
  SELECT timestamp, 'log' AS kind, service AS source, level, event, span_id, record_id
  FROM logs
  WHERE trace_id = :trace_id AND {_WINDOW}
  UNION ALL
  SELECT timestamp, 'prediction' AS kind, model AS source, CAST(NULL AS VARCHAR) AS level,
         prediction AS event, CAST(NULL AS VARCHAR) AS span_id, record_id
  FROM predictions
  WHERE trace_id = :trace_id AND {_WINDOW}
) AS records
ORDER BY timestamp, kind, record_id
""",
    params=(Param("trace_id", ParamType.STRING, "The trace to follow."),),
)

PREDICTIONS_PER_HOUR: Final = NamedQuery(
    name="predictions-per-hour",
    doc="Predictions and their mean latency per model per hour.",
    sql=f"""
SELECT model, dt, hour, count(*) AS predictions, avg(latency_ms) AS avg_latency_ms
FROM predictions
WHERE model = :model AND {_WINDOW}
GROUP BY model, dt, hour
ORDER BY model, dt, hour
""",
    params=(_MODEL,),
)

ACCURACY: Final = NamedQuery(
    name="accuracy",
    doc=(
        "Predictions joined to their labels per window of `window_hours`: accuracy for "
        "classification, MAE for regression, and how many predictions have a label."
    ),
    sql=f"""
WITH scored AS (
  SELECT timestamp, prediction_id, prediction,
         IF(substr(prediction, 1, 1) = '{{',
            CAST(json_parse(prediction) AS MAP(VARCHAR, DOUBLE))) AS probabilities
  FROM predictions
  WHERE model = :model AND {_WINDOW}
),
predicted AS (
  SELECT timestamp, prediction_id,
         CASE WHEN probabilities IS NOT NULL THEN element_at(
                map_keys(probabilities),
                array_position(map_values(probabilities), array_max(map_values(probabilities))))
              ELSE json_extract_scalar(prediction, '$') END AS predicted,
         probabilities IS NULL
           AND try_cast(json_extract_scalar(prediction, '$') AS DOUBLE) IS NOT NULL AS numeric
  FROM scored
),
truth AS (
  SELECT prediction_id, json_extract_scalar(max_by(label, timestamp), '$') AS actual
  FROM labels
  WHERE model = :model AND dt >= :start_dt
  GROUP BY prediction_id
),
joined AS (
  SELECT date_add('hour', -(hour(p.timestamp) % :window_hours),
                  date_trunc('hour', p.timestamp)) AS window_start,
         p.predicted, t.actual,
         p.numeric AND try_cast(t.actual AS DOUBLE) IS NOT NULL AS regression
  FROM predicted AS p
  LEFT JOIN truth AS t ON p.prediction_id = t.prediction_id
)
SELECT window_start,
       count(*) AS predictions,
       count(actual) AS labelled,
       avg(CASE WHEN actual IS NOT NULL AND NOT regression
                THEN IF(predicted = actual, 1.0, 0.0) END) AS accuracy,
       avg(CASE WHEN regression
                THEN abs(CAST(predicted AS DOUBLE) - CAST(actual AS DOUBLE)) END) AS mae
FROM joined
GROUP BY window_start
ORDER BY window_start
""",
    params=(
        Param("model", ParamType.STRING, "The model."),
        Param("window_hours", ParamType.INTEGER, "Window length in hours (divides 24).", 1),
    ),
)

LABEL_DELAY: Final = NamedQuery(
    name="label-delay",
    doc=(
        "Per window of `window_hours`: predictions that have a label, and the median and "
        "90th percentile of the seconds from a prediction to its first label."
    ),
    sql=f"""
WITH predicted AS (
  SELECT timestamp, prediction_id
  FROM predictions
  WHERE model = :model AND {_WINDOW}
),
truth AS (
  SELECT prediction_id, min(timestamp) AS labelled_at
  FROM labels
  WHERE model = :model AND dt >= :start_dt
  GROUP BY prediction_id
),
delays AS (
  SELECT date_add('hour', -(hour(p.timestamp) % :window_hours),
                  date_trunc('hour', p.timestamp)) AS window_start,
         date_diff('millisecond', p.timestamp, t.labelled_at) / 1000.0 AS delay_seconds
  FROM predicted AS p
  JOIN truth AS t ON p.prediction_id = t.prediction_id
)
SELECT window_start,
       count(*) AS labelled,
       approx_percentile(delay_seconds, 0.5) AS p50_delay_seconds,
       approx_percentile(delay_seconds, 0.9) AS p90_delay_seconds
FROM delays
GROUP BY window_start
ORDER BY window_start
""",
    params=(
        Param("model", ParamType.STRING, "The model."),
        Param("window_hours", ParamType.INTEGER, "Window length in hours (divides 24).", 1),
    ),
)

FEATURE_SUMMARY: Final = NamedQuery(
    name="feature-summary",
    doc="Per feature of a model over the window: count, nulls, distinct, min/mean/max.",
    sql=f"""
WITH rows AS (
  SELECT CAST(json_parse(features) AS MAP(VARCHAR, JSON)) AS features
  FROM predictions
  WHERE model = :model AND {_WINDOW}
),
pairs AS (
  SELECT feature, json_format(value) AS value
  FROM rows CROSS JOIN UNNEST(map_keys(features), map_values(features)) AS f(feature, value)
)
SELECT feature,
       count(*) AS records,
       count_if(value IS NULL) AS nulls,
       count(DISTINCT value) AS distinct_values,
       min(try_cast(value AS DOUBLE)) AS min,
       avg(try_cast(value AS DOUBLE)) AS mean,
       max(try_cast(value AS DOUBLE)) AS max
FROM pairs
GROUP BY feature
ORDER BY feature
""",
    params=(Param("model", ParamType.STRING, "The model."),),
)

NAMED: Final[Mapping[str, NamedQuery]] = {
    query.name: query
    for query in (
        ERROR_RATE,
        LATENCY_PERCENTILES,
        TOP_ERRORS,
        TRACE,
        PREDICTIONS_PER_HOUR,
        ACCURACY,
        LABEL_DELAY,
        FEATURE_SUMMARY,
    )
}
