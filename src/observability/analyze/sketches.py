"""Per-hour feature sketches: fixed-bin histograms and category counts, merged by adding.

Evidently recomputes every window from raw rows. A sketch keeps, per model, hour and
feature, just the counts a distance needs, on bins fixed by the model's reference, so a
90-day timeline merges a few thousand small files instead of scanning millions of rows.
Counts add: merging is associative and commutative, and the sketch of two hours is the
merge of their sketches.

Storage (a prefix of its own, keys from `core/keys.py`; the same on S3 and local disk):
```
sketches/model=<model>/_bins.json                             BinSpec + reference histogram
sketches/model=<model>/dt=<YYYY-MM-DD>/hour=<HH>/sketch.json  one hour's Sketch
```
A numeric feature is one count vector `[nulls, nonfinite, invalid, below, *inner, above]`:
`nulls` are JSON null, absent keys and NaN; `nonfinite` are +/-inf; `invalid` are values
of the wrong type (a string or boolean for a number, an object or list anywhere); the
`len(edges) + 1` bins are `< edges[0]`, `[edges[i], edges[i+1])` (the last one closed) and
`> edges[-1]`. Edges are the reference's quantiles, so reference values never fall
outside; a feature with at most `bins` distinct reference values gets one bin per value.
A categorical feature keeps `{category: count}` plus `nulls` and `invalid`; strings are
their own key, booleans `true`/`false`, numbers their Python `str`.

Every sketch names the digest of the bins it was built with; sketches of different bins
are never merged (`BinsMismatchError`): rebuild them with `rebuild_sketches`.
"""

from __future__ import annotations

import gzip
import hashlib
import math
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from enum import StrEnum
from functools import lru_cache
from operator import attrgetter
from typing import Any, Final, Protocol

import msgspec
import numpy as np
import numpy.typing as npt
import orjson

# pyarrow ships no type information; its objects are Any here.
import pyarrow as pa
import pyarrow.compute as pc

from observability.core.errors import ObservabilityError
from observability.store.files import decode_lines

SKETCH_VERSION: Final = 1
#: Quantile bins per numeric feature; 10-20 is the usual range for PSI.
DEFAULT_BINS: Final = 20
#: Values whose distinct count is looked at before counting a whole reference column's.
_PROBE_VALUES: Final = 4096
#: Leading slots of a numeric count vector before the bins.
NULLS, NONFINITE, INVALID, BINS_START = 0, 1, 2, 3

FloatArray = npt.NDArray[np.float64]
_NUMBER_TYPES: Final = frozenset({float, int, type(None)})
_TEXT_TYPES: Final = frozenset({str, type(None)})


class BinsMismatchError(ObservabilityError):
    """Counts made on different bins cannot be added."""


class FeatureKind(StrEnum):
    """How a feature is sketched: binned as a number or counted as a category."""

    NUMERIC = "numeric"
    CATEGORICAL = "categorical"


@dataclass(frozen=True, slots=True)
class FeatureBins:
    """One feature's binning; `edges` only for numeric features."""

    name: str
    kind: FeatureKind
    edges: tuple[float, ...] = ()

    @property
    def width(self) -> int:
        """Length of a numeric feature's count vector."""
        return BINS_START + len(self.edges) + 1


@dataclass(frozen=True, slots=True)
class CategoryCounts:
    """A categorical feature's counts in one sketch."""

    counts: Mapping[str, int]
    nulls: int = 0
    invalid: int = 0

    def merge(self, other: CategoryCounts) -> CategoryCounts:
        """Counts added key by key."""
        merged = dict(self.counts)
        for key, count in other.counts.items():
            merged[key] = merged.get(key, 0) + count
        return CategoryCounts(merged, self.nulls + other.nulls, self.invalid + other.invalid)


@dataclass(frozen=True, slots=True)
class Sketch:
    """Counts of one model's features over some rows, on the bins with digest `bins`."""

    model: str
    bins: str
    rows: int = 0
    rejected: int = 0  # rows whose `features` was not a JSON object
    numeric: Mapping[str, tuple[int, ...]] = field(default_factory=dict)
    categorical: Mapping[str, CategoryCounts] = field(default_factory=dict)

    def merge(self, other: Sketch) -> Sketch:
        """The sketch of both sets of rows; refuses sketches of other bins or models."""
        if (other.model, other.bins) != (self.model, self.bins):
            raise BinsMismatchError(
                f"cannot merge sketches of model {other.model} (bins {other.bins}) into "
                f"model {self.model} (bins {self.bins}); rebuild them with the current bins"
            )
        numeric = {
            name: tuple(a + b for a, b in zip(counts, other.numeric[name], strict=True))
            for name, counts in self.numeric.items()
        }
        categorical = {
            name: counts.merge(other.categorical[name]) for name, counts in self.categorical.items()
        }
        rows, rejected = self.rows + other.rows, self.rejected + other.rejected
        return Sketch(self.model, self.bins, rows, rejected, numeric, categorical)

    def to_json(self) -> bytes:
        """The stored form."""
        categorical = {
            name: {"counts": dict(c.counts), "nulls": c.nulls, "invalid": c.invalid}
            for name, c in self.categorical.items()
        }
        body = {
            "version": SKETCH_VERSION,
            "model": self.model,
            "bins": self.bins,
            "rows": self.rows,
            "rejected": self.rejected,
            "numeric": self.numeric,
            "categorical": categorical,
        }
        return orjson.dumps(body)

    @classmethod
    def from_json(cls, data: bytes) -> Sketch:
        """Inverse of `to_json`; ValueError when it is not a sketch of this version."""
        body = orjson.loads(data)
        if not isinstance(body, dict) or body.get("version") != SKETCH_VERSION:
            raise ValueError(f"not a version {SKETCH_VERSION} sketch")
        numeric = {name: tuple(counts) for name, counts in body["numeric"].items()}
        categorical = {
            name: CategoryCounts(c["counts"], c["nulls"], c["invalid"])
            for name, c in body["categorical"].items()
        }
        return cls(
            body["model"], body["bins"], body["rows"], body["rejected"], numeric, categorical
        )


class _Frame(Protocol):
    """What is read from a pandas DataFrame: its column names and columns."""

    @property
    def columns(self) -> Iterable[Any]: ...

    def __getitem__(self, key: Any, /) -> Any: ...


@dataclass(frozen=True, slots=True)
class BinSpec:
    """A model's bins, fixed from its reference, and the reference's own histogram."""

    model: str
    features: tuple[FeatureBins, ...]
    reference: Sketch

    @classmethod
    def from_reference(
        cls,
        model: str,
        data: Mapping[str, Any] | _Frame,
        *,
        categorical: Iterable[str] = (),
        numeric: Iterable[str] | None = None,
        bins: int = DEFAULT_BINS,
    ) -> BinSpec:
        """Bins from a reference frame or column mapping; numeric dtypes are binned.

        `numeric` (default: every integer or float column not named in `categorical`)
        and `categorical` pick the features; other columns are ignored.
        """
        columns = _reference_columns(data)
        forced = set(categorical)
        if numeric is None:
            numeric = [n for n, v in columns.items() if n not in forced and v.dtype.kind in "iuf"]
        numeric = list(numeric)
        features: list[FeatureBins] = []
        for name in sorted({*numeric, *forced}):
            if name not in columns:
                raise ValueError(f"feature {name!r} is not a column of the reference")
            if name in forced:
                features.append(FeatureBins(name, FeatureKind.CATEGORICAL))
            else:
                features.append(FeatureBins(name, FeatureKind.NUMERIC, _edges(columns[name], bins)))
        digest = bins_digest(model, features)
        empty = cls(model, tuple(features), Sketch(model, digest))
        reference = empty.sketch({f.name: columns[f.name] for f in features})
        return cls(model, tuple(features), reference)

    @property
    def digest(self) -> str:
        """The bins' identity (the reference histogram is not part of it)."""
        return self.reference.bins

    def empty(self) -> Sketch:
        """The sketch of no rows: the identity of `Sketch.merge`."""
        return self.sketch({}, rows=0)

    def sketch(
        self,
        columns: Mapping[str, Sequence[Any] | npt.NDArray[Any]],
        *,
        rows: int | None = None,
        rejected: int = 0,
    ) -> Sketch:
        """Counts of feature values given column by column; absent columns are all null."""
        if rows is None:
            rows = len(next(iter(columns.values()))) if columns else 0
        numeric: dict[str, tuple[int, ...]] = {}
        categorical: dict[str, CategoryCounts] = {}
        for feature in self.features:
            values = columns.get(feature.name)
            if feature.kind is FeatureKind.NUMERIC:
                numeric[feature.name] = _numeric_counts(feature.edges, values, rows)
            else:
                categorical[feature.name] = _category_counts(values, rows)
        return Sketch(self.model, self.digest, rows, rejected, numeric, categorical)

    def sketch_texts(self, texts: pa.Array | pa.ChunkedArray) -> Sketch:
        """Counts of a `features` JSON text column, as compaction stores it."""
        return self.sketch_objects(_decode_features(self, texts), rejected=texts.null_count)

    def sketch_ndjson(self, data: bytes) -> Sketch:
        """Counts of a stored NDJSON file of prediction records (gzip or plain).

        Decoded in one call into the configured features only; a file with anything the
        typed decoder refuses (a bad or blank line, a value of another type) is decoded
        line by line, as a reader of the records would.
        """
        body = gzip.decompress(data) if data[:2] == b"\x1f\x8b" else data
        listed = b"".join((b"[", body.rstrip(b"\n").replace(b"\n", b","), b"]"))
        try:
            records = _record_decoder(self.features).decode(listed)
        except msgspec.MsgspecError:
            return self.sketch_objects([_features_of(line) for line in decode_lines(body)])
        return self.sketch_objects([record.features for record in records])

    def sketch_objects(self, objects: Sequence[Any], *, rejected: int = 0) -> Sketch:
        """Counts of decoded `features` values; anything but an object is a rejected row."""
        good = [o for o in objects if isinstance(o, (dict, msgspec.Struct))]
        rejected += len(objects) - len(good)
        columns: dict[str, list[Any] | npt.NDArray[Any]] = {}
        typed = bool(good) and isinstance(good[0], msgspec.Struct)  # from `_decoder`
        for i, feature in enumerate(self.features):
            name = feature.name
            if not typed:
                columns[name] = [o.get(name) for o in good if isinstance(o, dict)]
                continue
            values = list(map(attrgetter(f"f{i}"), good))
            if feature.kind is FeatureKind.NUMERIC:  # floats or None: NaN marks a null
                columns[name] = np.array(values, dtype=np.float64)
            else:
                columns[name] = values
        return self.sketch(columns, rows=len(good) + rejected, rejected=rejected)

    def to_json(self) -> bytes:
        """The stored form (`sketches/model=<m>/_bins.json`)."""
        features = [{"name": f.name, "kind": f.kind.value, "edges": f.edges} for f in self.features]
        body = {"version": SKETCH_VERSION, "model": self.model, "digest": self.digest}
        body["features"] = features
        body["reference"] = orjson.loads(self.reference.to_json())
        return orjson.dumps(body)

    @classmethod
    def from_json(cls, data: bytes) -> BinSpec:
        """Inverse of `to_json`; ValueError when the digest does not match the bins."""
        body = orjson.loads(data)
        features = tuple(
            FeatureBins(f["name"], FeatureKind(f["kind"]), tuple(f["edges"]))
            for f in body["features"]
        )
        reference = Sketch.from_json(orjson.dumps(body["reference"]))
        digest = bins_digest(body["model"], features)
        if digest != body["digest"] or reference.bins != digest:
            raise ValueError(f"bins of model {body['model']} do not match their digest")
        return cls(body["model"], features, reference)


def bins_digest(model: str, features: Iterable[FeatureBins]) -> str:
    """A short hash of the model and each feature's name, kind and edges."""
    canonical = [[f.name, f.kind.value, list(f.edges)] for f in features]
    return hashlib.sha256(orjson.dumps([SKETCH_VERSION, model, canonical])).hexdigest()[:16]


def _reference_columns(data: Mapping[str, Any] | _Frame) -> dict[str, npt.NDArray[Any]]:
    names = list(data.columns) if hasattr(data, "columns") else list(data)
    return {str(name): np.asarray(data[name]) for name in names}


def _edges(values: npt.NDArray[Any], bins: int) -> tuple[float, ...]:
    """Unique reference quantiles; a feature with at most `bins` values gets one bin each."""
    numbers = _as_floats(list(values) if values.dtype.kind not in "iuf" else values)[0]
    finite = numbers[np.isfinite(numbers)]
    if not finite.size:
        return ()
    # A prefix with more distinct values than bins settles it without sorting every value.
    distinct = np.unique(finite[:_PROBE_VALUES])
    if distinct.size <= bins and finite.size > _PROBE_VALUES:
        distinct = np.unique(finite)
    if distinct.size <= bins:  # discrete: one bin per value, the last one [v, v + ulp]
        edges = np.append(distinct, np.nextafter(distinct[-1], np.inf))
    else:
        edges = np.unique(np.quantile(finite, np.linspace(0.0, 1.0, bins + 1)))
    return tuple(float(e) for e in edges)


def _as_floats(values: Sequence[Any] | npt.NDArray[Any]) -> tuple[FloatArray, int]:
    """Values as floats (NaN where not a number) and how many were of the wrong type."""
    if isinstance(values, np.ndarray) and values.dtype.kind in "iuf":
        return values.astype(np.float64, copy=False), 0
    if set(map(type, values)) <= _NUMBER_TYPES:
        try:
            return pa.array(values, pa.float64()).to_numpy(zero_copy_only=False), 0
        except (pa.ArrowInvalid, OverflowError):
            pass  # an int beyond 64 bits: convert one by one
    numbers = np.full(len(values), np.nan)
    invalid = 0
    for i, value in enumerate(values):
        if isinstance(value, (int, float, np.integer, np.floating)) and not isinstance(
            value, (bool, np.bool_)
        ):
            numbers[i] = value
        elif value is not None:
            invalid += 1
    return numbers, invalid


def _numeric_counts(
    edges: tuple[float, ...], values: Sequence[Any] | npt.NDArray[Any] | None, rows: int
) -> tuple[int, ...]:
    if values is None:
        return (rows, 0, 0, *([0] * (len(edges) + 1)))
    numbers, invalid = _as_floats(values)
    missing = np.isnan(numbers)
    infinite = np.isinf(numbers)
    finite = numbers[~(missing | infinite)]
    bounds = np.asarray(edges, dtype=np.float64)
    slots = np.searchsorted(bounds, finite, side="right")
    if bounds.size:
        slots[finite == bounds[-1]] = bounds.size - 1  # the last inner bin is closed
    hist = np.bincount(slots, minlength=bounds.size + 1)
    head = (int(missing.sum()) - invalid, int(infinite.sum()), invalid)
    return (*head, *(int(c) for c in hist))


def category_key(value: Any) -> str | None:
    """A value's category: strings as is, booleans `true`/`false`, numbers `str()`.

    None for null and NaN; ValueError for values that are not scalars.
    """
    if isinstance(value, str):
        return value
    if value is None:
        return None
    if isinstance(value, (bool, np.bool_)):
        return "true" if value else "false"
    if isinstance(value, (int, np.integer)):
        return str(int(value))
    if isinstance(value, (float, np.floating)):
        return None if math.isnan(value) else str(float(value))
    raise ValueError(f"not a category: {type(value).__name__}")


def _category_counts(values: Sequence[Any] | npt.NDArray[Any] | None, rows: int) -> CategoryCounts:
    if values is None:
        return CategoryCounts({}, rows, 0)
    if isinstance(values, np.ndarray):
        counted = _text_counts(values) if values.dtype == object else None
        if counted is not None:
            return counted
        values = values.tolist()
    if set(map(type, values)) <= _TEXT_TYPES:
        array = pa.array(values, pa.string())
        counted = pc.value_counts(array.drop_null())
        keys, counts = counted.field("values").to_pylist(), counted.field("counts").to_pylist()
        return CategoryCounts(dict(zip(keys, counts, strict=True)), array.null_count, 0)
    tally: Counter[str | None] = Counter()
    invalid = 0
    for value in values:
        try:
            tally[category_key(value)] += 1
        except ValueError:
            invalid += 1
    nulls = tally.pop(None, 0)
    return CategoryCounts({str(k): v for k, v in tally.items()}, nulls, invalid)


def _text_counts(values: npt.NDArray[Any]) -> CategoryCounts | None:
    """Counts of an object array of text and nulls (a frame's column) by one hashing pass;
    None when it holds anything else, for `category_key` to decide value by value."""
    import pandas as pd  # type: ignore[import-untyped,unused-ignore]

    codes, uniques = pd.factorize(values)  # None, NaN (and pandas' own nulls) get -1
    if not all(type(unique) is str for unique in uniques):
        return None
    missing = values[codes < 0]
    if not all(m is None or (type(m) is float and math.isnan(m)) for m in missing):
        return None
    counts = np.bincount(codes[codes >= 0], minlength=len(uniques))
    return CategoryCounts(dict(zip(uniques.tolist(), counts.tolist(), strict=True)), missing.size)


_Scalar = int | float | str | bool | None


@lru_cache(maxsize=64)
def _feature_row(features: tuple[FeatureBins, ...]) -> type[msgspec.Struct]:
    """A struct of only these features: numbers (or null) for numeric ones, so their values
    need no type check; any JSON scalar for categories."""
    fields = [
        (f"f{i}", float | None if f.kind is FeatureKind.NUMERIC else _Scalar, None)
        for i, f in enumerate(features)
    ]
    rename = {f"f{i}": f.name for i, f in enumerate(features)}
    return msgspec.defstruct("FeatureRow", fields, rename=rename, gc=False)


@lru_cache(maxsize=64)
def _decoder(features: tuple[FeatureBins, ...]) -> msgspec.json.Decoder[Any]:
    """A decoder of `[{features}, ...]` (a compacted file's `features` texts, joined)."""
    return msgspec.json.Decoder(list[_feature_row(features)])  # type: ignore[misc]


@lru_cache(maxsize=64)
def _record_decoder(features: tuple[FeatureBins, ...]) -> msgspec.json.Decoder[Any]:
    """A decoder of `[record, ...]` keeping only each record's features."""
    row = _feature_row(features)
    record = msgspec.defstruct("FeatureRecord", [("features", row | None, None)], gc=False)
    return msgspec.json.Decoder(list[record])  # type: ignore[valid-type]


def _features_of(line: bytes) -> Any:
    """One record's `features` value; None for a line that is not a JSON object."""
    try:
        return orjson.loads(line).get("features")
    except (orjson.JSONDecodeError, AttributeError):
        return None


def _decode_features(spec: BinSpec, texts: pa.Array | pa.ChunkedArray) -> list[Any]:
    """Non-null texts decoded in one call (JSON scalars only), else row by row with orjson."""
    present = texts.drop_null()
    if isinstance(present, pa.ChunkedArray):
        present = present.combine_chunks() if present.num_chunks else pa.array([], pa.string())
    if not len(present):
        return []
    offsets = pa.array([0, len(present)], pa.int32())
    joined = pc.binary_join(pa.ListArray.from_arrays(offsets, present), ",")[0].as_py()
    try:
        rows: list[Any] = _decoder(spec.features).decode(f"[{joined}]")
    except msgspec.MsgspecError:
        pass  # a non-scalar value or a bad row somewhere: decide row by row
    else:
        return rows
    decoded: list[Any] = []
    for text in present.to_pylist():
        try:
            decoded.append(orjson.loads(text))
        except orjson.JSONDecodeError:
            decoded.append(None)
    return decoded


def hours(start: datetime, end: datetime) -> list[datetime]:
    """Whole hours in [start, end)."""
    first = start.replace(minute=0, second=0, microsecond=0)
    if first < start:
        first += timedelta(hours=1)
    count = max(0, math.ceil((end - first) / timedelta(hours=1)))
    return [first + timedelta(hours=i) for i in range(count)]
