"""A hot attribute's one rule (a JSON number, else null) holds in every engine's form."""

from __future__ import annotations

from typing import Any

import duckdb
import orjson
import pytest
import sqlglot
from hypothesis import given, settings
from hypothesis import strategies as st

from observability.core.fields import HOT_ATTRIBUTES, FieldType, HotAttribute, Kind
from tests.transform.records import json_values

LATENCY = HOT_ATTRIBUTES[Kind.LOG][0]
_VALUES = st.one_of(
    st.integers(-(2**63), 2**64 - 1),
    st.floats(allow_nan=False, allow_infinity=False),
    json_values(),
)


def _expected(attributes: dict[str, Any]) -> float | None:
    value = attributes.get(LATENCY.name)
    if isinstance(value, int | float) and not isinstance(value, bool):
        return float(value)
    return None


@settings(max_examples=200, deadline=None)
@given(values=st.lists(st.dictionaries(st.sampled_from(["latency_ms", "x"]), _VALUES), max_size=8))
def test_python_duckdb_and_trino_forms_agree(values: list[dict[str, Any]]) -> None:
    """Python, DuckDB and the Trino form (transpiled by sqlglot) give the number or null."""
    texts = [orjson.dumps(v).decode() for v in values]
    duck = LATENCY.duckdb("CAST(t AS JSON)")
    trino = sqlglot.transpile(LATENCY.trino("t"), read="trino", write="duckdb")[0]
    connection = duckdb.connect()
    rows = connection.execute(
        f"SELECT {duck}, {trino} FROM unnest(?::VARCHAR[]) AS u(t)",  # noqa: S608 - our SQL
        [texts],
    ).fetchall()
    expected = [_expected(v) for v in values]
    assert [duckdb_value for duckdb_value, _ in rows] == expected
    assert [trino_value for _, trino_value in rows] == expected
    raws = [orjson.dumps(v[LATENCY.name]) if LATENCY.name in v else b"" for v in values]
    assert [LATENCY.python(raw) for raw in raws] == expected


def test_latency_is_the_log_hot_attribute() -> None:
    """Logs promote `latency_ms` (a number); predictions carry it as a field already."""
    assert [h.name for h in HOT_ATTRIBUTES[Kind.LOG]] == ["latency_ms"]
    assert LATENCY.type is FieldType.NUMBER
    assert HOT_ATTRIBUTES[Kind.PREDICTION] == HOT_ATTRIBUTES[Kind.LABEL] == ()


@pytest.mark.parametrize(
    ("name", "ftype", "message"),
    [
        ("Latency", FieldType.NUMBER, "name it like"),
        ("latency-ms", FieldType.NUMBER, "name it like"),
        ("status", FieldType.STRING, "only number"),
    ],
)
def test_declaration_refuses_what_the_forms_cannot_express(
    name: str, ftype: FieldType, message: str
) -> None:
    """A name that is not a plain identifier, or a type other than number, is refused."""
    with pytest.raises(ValueError, match=message):
        HotAttribute(name, "doc", ftype)
