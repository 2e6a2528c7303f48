"""Hypothesis strategies for JSON values and valid records of each kind."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from typing import Any

from hypothesis import strategies as st

_NAMES = st.from_regex(r"[A-Za-z0-9][A-Za-z0-9._-]{0,20}", fullmatch=True)
_LEVELS = st.sampled_from(
    ["debug", "info", "INFO", "warn", "Warning", "error", "exception", "critical", "fatal"]
)
_FINITE = st.floats(allow_nan=False, allow_infinity=False)
_SCALARS = st.one_of(st.booleans(), st.integers(-(2**53), 2**53), _FINITE, st.text(max_size=12))


def json_values() -> st.SearchStrategy[Any]:
    """Any JSON value orjson can write (finite floats, 64-bit integers)."""
    return st.recursive(
        st.none() | _SCALARS,
        lambda inner: (
            st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=6), inner, max_size=3)
        ),
        max_leaves=8,
    )


def timestamps() -> st.SearchStrategy[str]:
    """RFC 3339 timestamps with a zone: `Z`, `+00:00` or another offset, any precision."""
    zones = st.sampled_from([UTC, timezone(timedelta(hours=2)), timezone(timedelta(hours=-5))])
    # A day inside [EARLIEST, LATEST) at each end, so that any of the offsets stays in range.
    moments = st.datetimes(
        min_value=datetime(1970, 1, 2), max_value=datetime(2199, 12, 30), timezones=zones
    )

    def render(moment: datetime, style: int) -> str:
        text = moment.isoformat(timespec=("seconds", "milliseconds", "microseconds")[style % 3])
        return text.replace("+00:00", "Z") if style >= 3 else text

    return st.builds(render, moments, st.integers(0, 5))


def valid_logs() -> st.SearchStrategy[dict[str, Any]]:
    """Log records the schema must accept, with optional fields, extras and explicit nulls."""
    required = st.fixed_dictionaries(
        {
            "kind": st.just("log"),
            "timestamp": timestamps(),
            "level": _LEVELS,
            "service": _NAMES,
            "event": st.text(max_size=30),
        },
        optional={
            "schema_version": st.just(1),
            "env": st.text(max_size=8),
            "trace_id": st.text(max_size=8),
            "host": st.none() | st.text(max_size=8),
            "attributes": st.dictionaries(st.text(max_size=6), json_values(), max_size=3),
            "record_id": st.text(min_size=1, max_size=40),
            "extra_field": json_values(),
        },
    )
    return required


def valid_predictions() -> st.SearchStrategy[dict[str, Any]]:
    """Prediction records the schema must accept."""
    return st.fixed_dictionaries(
        {
            "kind": st.just("prediction"),
            "timestamp": timestamps(),
            "model": _NAMES,
            "prediction_id": st.text(min_size=1, max_size=20),
            "features": st.dictionaries(st.text(max_size=6), st.none() | _SCALARS, max_size=4),
            "prediction": _SCALARS
            | st.dictionaries(st.text(max_size=4), _FINITE, min_size=1, max_size=3),
        },
        optional={"latency_ms": _FINITE | st.integers(0, 10_000), "model_version": _NAMES},
    )
