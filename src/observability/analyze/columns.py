"""A window's JSON fields expanded inside DuckDB into typed columns, then one pandas column each.

The features document is parsed once per row in DuckDB (`json_transform` to each configured
feature's type: DOUBLE for numeric, VARCHAR for categorical) and its JSON types are checked
in the same pass. Rows reach Python as Arrow columns. A row whose document is irregular (a
value of another type, a missing or unconfigured name, not an object) also brings its JSON
text, parsed in Python, and the columns it touches get exactly the values and dtype
`DataFrame.from_records` gives them (the row-by-row loader, `loader.rows_frame`). The
prediction (a class -> probability object becomes its most probable class) and the label
are split by JSON type into slots: a number, an integer, a string, and the JSON text of
anything else; a column with one kind of value becomes a typed column directly.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import Any, Final

import numpy as np
import orjson
import pandas as pd  # type: ignore[import-untyped,unused-ignore]
import pyarrow as pa
import pyarrow.compute as pc

from observability.analyze.methods import FeatureType

#: Slots of the prediction and the label; anything else lands in `o` (JSON text).
NUMBER, INTEGER, TEXT, OTHER = "d", "i", "s", "o"
_SLOTS: Final = (NUMBER, INTEGER, TEXT, OTHER)
#: What DuckDB turns each feature into, and the JSON types that convert without a change.
_TARGET: Final[Mapping[FeatureType, str]] = {
    FeatureType.NUMERIC: "DOUBLE",
    FeatureType.CATEGORICAL: "VARCHAR",
}
_REGULAR: Final[Mapping[FeatureType, str]] = {
    FeatureType.NUMERIC: "(DOUBLE|BIGINT|UBIGINT|NULL)",
    FeatureType.CATEGORICAL: "(VARCHAR|NULL)",
}
#: How the JSON text of a value of each feature type may start (RE2 class contents).
_VALUE_STARTS: Final[Mapping[FeatureType, str]] = {
    FeatureType.NUMERIC: "-0-9n",
    FeatureType.CATEGORICAL: '"n',
}
#: Indexes of the prediction and the label among the slot values.
PREDICTION, LABEL = 0, 1


def window_select(features: Mapping[str, FeatureType], *, strict: bool, typed: bool = False) -> str:
    """DuckDB SQL over `result` (the window's rows): the prediction id, the features, the
    prediction's and the label's slots, the JSON text of irregular rows. Unsorted: `Rows`
    reads it in time order a column at a time (DuckDB sorting it would hold it all twice).

    `strict` (the fast form) checks only that no row has names beyond the configured ones;
    a value that does not convert or a missing name fails the statement (DuckDB's
    `json_transform_strict`), and the loader runs the exact form, which checks each value's
    JSON type. Between them `strict` lets through only conversions the analysis makes the
    same way (`"1.5"` to 1.5, `2` to `"2"`); a categorical `'true'` or `'false'` (maybe a
    JSON boolean) sends its row to Python. Columns are read by position (`feature`,
    `column`): feature names are the data's.

    `typed` also sends to Python every row whose values are not of their feature's JSON
    type (a number given as text, a boolean), so a regular row holds exactly what a typed
    reader of the stored records sees: the window can then stand in for its stored hours
    (a first run's sketches). It costs one more pass over each document.
    """
    names = list(features)
    paths = "[" + ", ".join(_string(_pointer(name)) for name in names) + "]"
    shape = orjson.dumps({name: _TARGET[kind] for name, kind in features.items()}).decode()
    # One regular expression over the row's JSON types, in configured order.
    pattern = ",".join(_REGULAR[kind] for kind in features.values())
    each = "lambda x: coalesce(x, '-')"
    types = f"array_to_string(list_transform(json_type(f, {paths}), {each}), ',')"
    by_path = f"regexp_full_match({types}, {_string(pattern)})"
    regular = f"len(json_keys(f)) = {len(names)}"
    if not strict:
        regular += f" AND {by_path}"
    elif typed:
        regular += f" AND {_typed(features, by_path)}"
    texts = [f"s.{_quote(n)}" for n, k in features.items() if k is FeatureType.CATEGORICAL]
    if strict and texts:
        # The strict form writes a boolean as 'true'; the row's own text decides.
        regular += f" AND NOT list_has_any([{', '.join(texts)}], ['true', 'false'])"
    transform = "json_transform_strict" if strict else "json_transform"
    argmax = (
        "list_max(list_transform(map_entries(TRY_CAST(p AS MAP(VARCHAR, DOUBLE))), "
        "lambda e: {'p': e.value, 'k': e.key})).k"
    )
    predicted = f"CASE WHEN json_type(p) = 'OBJECT' THEN coalesce(to_json({argmax}), p) ELSE p END"
    unnested = ", ".join(
        [
            "unnest(s)" if names else "",
            _slots(PREDICTION, predicted),
            _slots(LABEL, "l"),
        ]
    ).lstrip(", ")
    # Every name in this text is generated here and every literal quoted by `_string`.
    return (
        f"SELECT __id, __ts, {unnested}, "  # noqa: S608
        f"CASE WHEN coalesce({regular}, false) THEN NULL ELSE CAST(f AS VARCHAR) END "
        f"FROM (SELECT *, {transform}(f, {_string(shape)}) AS s FROM ("
        "SELECT prediction_id AS __id, timestamp AS __ts, CAST(features AS JSON) AS f, "
        "CAST(prediction AS JSON) AS p, CAST(label AS JSON) AS l FROM result))"
    )


def _typed(features: Mapping[str, FeatureType], by_path: str) -> str:
    """SQL true when each configured value of the row's document `f` is of its JSON type.

    Inside a JSON string every `"` is escaped, so `"name":` is a key, and the first
    character of its value tells its type: `-` or a digit for a number, `"` for a string,
    `n` for null. One scan of the text finds a value of another type. The stored text is
    a writer's rendering (DuckDB's, orjson's), which never escapes printable ASCII; names
    with other characters take the slower way, `by_path` (each value's JSON type read by
    path, as the exact form checks them).
    """
    if not all(_plain(name) for name in features):
        return by_path
    alternatives = []
    for kind, starts in _VALUE_STARTS.items():
        names = [re.escape(name) for name, k in features.items() if k is kind]
        if names:
            alternatives.append(rf'"({"|".join(names)})"\s*:\s*[^{starts}\s]')
    mistyped = "|".join(alternatives)
    return f"NOT regexp_matches(CAST(f AS VARCHAR), {_string(mistyped)})" if mistyped else "true"


def _plain(name: str) -> bool:
    """Printable ASCII that JSON writes as is (no quote, no backslash)."""
    return name.isascii() and name.isprintable() and '"' not in name and "\\" not in name


def feature(table: Any, index: int, kind: FeatureType) -> Any:
    """The configured feature `index` as DuckDB typed it (float64, or text objects)."""
    array = table.column(2 + index)
    if kind is FeatureType.NUMERIC:
        return array.to_numpy().astype("float64")
    return _strings(array)


def patched(typed: Any, kind: FeatureType, values: Sequence[Any], rows: Any) -> Any:
    """`typed` with the irregular rows' values at `rows` (NaN: the name is missing, None:
    null), typed as from_records would when they are not all of the feature's type."""
    if all(_conforms(value, kind) for value in values):
        cells = typed.copy()
        subset = np.empty(len(values), dtype=cells.dtype)
        subset[:] = (
            [np.nan if value is None else value for value in values]
            if (kind is FeatureType.NUMERIC)
            else list(values)
        )
        cells[rows] = subset
        return cells
    cells = typed.astype(object)
    if kind is FeatureType.NUMERIC:  # a regular row has every name: its NaN was a null
        cells[pd.isna(typed)] = None
    subset = np.empty(len(values), dtype=object)
    subset[:] = list(values)
    cells[rows] = subset
    return _inferred(cells)


def spread(values: Sequence[Any], rows: Any, length: int) -> Any:
    """A column that is `values` at `rows` and missing elsewhere, typed as from_records would."""
    cells = np.full(length, np.nan, dtype=object)
    subset = np.empty(len(values), dtype=object)
    subset[:] = list(values)
    cells[rows] = subset
    return _inferred(cells)


def ids(table: Any) -> Any:
    """The prediction ids (Arrow)."""
    return table.column(0)


def timestamps(table: Any) -> Any:
    """The rows' timestamps (datetime64, naive UTC)."""
    return table.column(1).to_numpy()


def column(table: Any, index: int) -> Any:
    """The prediction (0) or the label (1) from its Arrow slots."""
    first = table.num_columns - 1 - len(_SLOTS) * (2 - index)
    filled = {
        slot: array
        for position, slot in enumerate(_SLOTS)
        if (array := table.column(first + position)).null_count < len(array)
    }
    rows = table.num_rows
    if not filled:
        return np.full(rows, None, dtype=object)
    if len(filled) == 1:
        slot, array = next(iter(filled.items()))
        if slot == NUMBER:
            return array.to_numpy().astype("float64")
        if slot == INTEGER:
            numbers = array.to_numpy()
            return numbers if array.null_count == 0 else numbers.astype("float64")
        if slot == TEXT:
            return _strings(array)
    # Mixed kinds (or JSON values): one Python value per cell, typed as from_records would.
    cells = np.full(rows, None, dtype=object)
    for slot, array in filled.items():
        valid = pc.is_valid(array)
        values = array.filter(valid).to_pylist()
        if slot == OTHER:
            values = [orjson.loads(text) for text in values]
        subset = np.empty(len(values), dtype=object)
        subset[:] = values
        cells[valid.to_numpy(zero_copy_only=False)] = subset
    return _inferred(cells)


def irregular(table: Any) -> tuple[Any, list[Any]]:
    """The irregular rows (a mask) and their features documents, parsed."""
    texts = table.column(table.num_columns - 1)
    rows = pc.is_valid(texts).to_numpy(zero_copy_only=False)
    return rows, [orjson.loads(text) for text in texts.drop_null().to_pylist()]


def _conforms(value: Any, kind: FeatureType) -> bool:
    if value is None or (isinstance(value, float) and np.isnan(value)):
        return True
    if kind is FeatureType.NUMERIC:
        return isinstance(value, float)
    return isinstance(value, str)


def _inferred(cells: Any) -> Any:
    return pd.Series(cells.tolist()).to_numpy() if len(cells) else cells


class Rows:
    """`window_select`'s Arrow table in time order (timestamp, then prediction id), each
    column sorted as it is read and let go of then, so the table and the frame made of it
    are never both held whole. A column is read once."""

    def __init__(self, table: Any, order: Any = None, *, columns: list[Any] | None = None) -> None:
        if order is None:
            keys = pa.table({"t": table.column(1), "i": table.column(0)})
            order = pc.sort_indices(keys, sort_keys=[("t", "ascending"), ("i", "ascending")])
        # Shared with the filtered views: a column read through one is gone from all.
        self._columns = list(table.columns) if columns is None else columns
        self._order = order
        self.num_rows: int = len(order)
        self.num_columns: int = len(self._columns)

    def column(self, index: int) -> Any:
        """Column `index`, in time order; its unsorted source is released."""
        source = self._columns[index]
        if source is None:
            raise ValueError(f"column {index} of the window was already read")
        self._columns[index] = None
        return source.take(self._order)

    def filter(self, mask: Any) -> Rows:
        """The rows where `mask` (in time order) is true."""
        return Rows(None, self._order.filter(pa.array(mask)), columns=self._columns)


def first_rows(ids: Any) -> Any:
    """A mask keeping each prediction id's first row (a re-delivered record appears twice)."""
    codes = pc.dictionary_encode(ids).combine_chunks().indices.to_numpy(zero_copy_only=False)
    keep = np.zeros(len(codes), dtype=bool)
    keep[np.unique(codes, return_index=True)[1]] = True
    return keep


def _strings(array: Any) -> Any:
    """Text as an object array whose equal cells share one str (a dictionary's categories)."""
    encoded = pc.dictionary_encode(array).combine_chunks()
    categories = np.asarray(encoded.dictionary.to_pylist(), dtype=object)
    codes = encoded.indices.fill_null(-1).to_numpy()
    cells = np.full(len(codes), None, dtype=object)
    valid = codes >= 0
    cells[valid] = categories[codes[valid]]
    return cells


def _slots(index: int, value: str) -> str:
    """The value's number, integer, text and other slots, the value and its JSON type
    each computed once (a lambda's argument is; an expression repeated in it is not)."""
    v, kind = "x.v", "x.t"
    fields = {
        NUMBER: f"CASE WHEN {kind} = 'DOUBLE' THEN CAST({v} AS DOUBLE) END",
        INTEGER: f"CASE WHEN {kind} IN ('BIGINT', 'UBIGINT') THEN TRY_CAST({v} AS BIGINT) END",
        TEXT: f"CASE WHEN {kind} = 'VARCHAR' THEN {v} ->> '$' END",
        OTHER: f"CASE WHEN {kind} NOT IN ('DOUBLE', 'VARCHAR', 'NULL') AND NOT "
        f"({kind} IN ('BIGINT', 'UBIGINT') AND TRY_CAST({v} AS BIGINT) IS NOT NULL) "
        f"THEN CAST({v} AS VARCHAR) END",
    }
    struct = ", ".join(f"{_string(_slot_name(index, slot))}: {fields[slot]}" for slot in _SLOTS)
    typed = f"list_transform([{value}], lambda v: {{'v': v, 't': json_type(v)}})"
    return f"unnest(list_transform({typed}, lambda x: {{{struct}}})[1])"


def _slot_name(index: int, slot: str) -> str:
    return f"s{index}_{slot}"


def _pointer(name: str) -> str:
    """A JSON Pointer (RFC 6901) to a top-level key: any name, `~` and `/` escaped."""
    return "/" + name.replace("~", "~0").replace("/", "~1")


def _string(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def _quote(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


__all__: Sequence[str] = (
    "Rows",
    "column",
    "feature",
    "first_rows",
    "ids",
    "irregular",
    "patched",
    "spread",
    "timestamps",
    "window_select",
)
