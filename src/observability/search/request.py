"""A search request (query, filters, sort, page), its cursor, and the result shape.

Both backends take a `SearchRequest` and return a `SearchResult`, field for field the
same for the same data. Times are read by the one time grammar (`core/times.py`); bounds
are truncated to the millisecond, `since` is inclusive and `until` exclusive. Hits sort
by the full timestamp (records carry microseconds; daily indices made since the
templates map `date_nanos` keep them, older `date` ones only milliseconds), then by
record_id, in the same direction; the cursor carries the timestamp in nanoseconds.
A request searches one kind: logs (the default) or predictions.
"""

from __future__ import annotations

import base64
import binascii
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any, Final, Literal

import orjson

from observability.core.checks import is_name
from observability.core.fields import Kind
from observability.core.times import (
    EARLIEST,
    TimeGrammarError,
    check_order,
    parse_duration,
    parse_instant,
)
from observability.search.model import MatchAll, Node, SearchError, normalize_level, parse_query

SortOrder = Literal["desc", "asc"]

DEFAULT_SIZE: Final = 50
MAX_SIZE: Final = 1000
#: OpenSearch's default `search.max_buckets` is 65,535; stay far below it.
MAX_BUCKETS: Final = 2000
NS_PER_MS: Final = 1_000_000
#: Kinds a search can be over.
SEARCHED_KINDS: Final = (Kind.LOG, Kind.PREDICTION)


def truncate_ms(moment: datetime) -> datetime:
    """`moment` in UTC, cut to the millisecond (the index's date precision)."""
    utc = moment.astimezone(UTC)
    return utc.replace(microsecond=utc.microsecond // 1000 * 1000)


def epoch_ms(moment: datetime) -> int:
    """Milliseconds since the epoch of a UTC moment (floor)."""
    delta = moment.astimezone(UTC) - EARLIEST
    return delta.days * 86_400_000 + delta.seconds * 1000 + delta.microseconds // 1000


def from_epoch_ms(ms: int) -> datetime:
    """The UTC moment of an epoch-millisecond value."""
    return EARLIEST + timedelta(milliseconds=ms)


@dataclass(frozen=True, slots=True)
class Cursor:
    """Where the next page starts: the last hit's sort values, and a point in time if open."""

    #: The last hit's timestamp in nanoseconds since the epoch (its full precision).
    timestamp_ns: int
    record_id: str
    #: OpenSearch point-in-time id, carried between deep pages (embedded: always None).
    pit: str | None = None

    def encode(self) -> str:
        """An opaque URL-safe token."""
        body: dict[str, object] = {"n": self.timestamp_ns, "r": self.record_id}
        if self.pit is not None:
            body["p"] = self.pit
        return base64.urlsafe_b64encode(orjson.dumps(body)).decode().rstrip("=")

    @classmethod
    def decode(cls, token: str) -> Cursor:
        """The cursor a previous page returned; SearchError when it is not one.

        A cursor of the millisecond era (`t`) still reads, as that millisecond's start.
        """
        try:
            raw = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4))
            body = orjson.loads(raw)
            record_id, pit = body["r"], body.get("p")
            timestamp = body["n"] if "n" in body else body["t"] * NS_PER_MS
        except (binascii.Error, ValueError, KeyError, TypeError):
            raise SearchError("bad search_after cursor: pass next_cursor unchanged") from None
        if type(timestamp) is not int or type(record_id) is not str:
            raise SearchError("bad search_after cursor: pass next_cursor unchanged")
        if pit is not None and type(pit) is not str:
            raise SearchError("bad search_after cursor: pass next_cursor unchanged")
        return cls(timestamp, record_id, pit)


@dataclass(frozen=True, slots=True)
class SearchRequest:
    """What to search for; build it with `SearchRequest.build` to validate every part."""

    query: Node = field(default_factory=MatchAll)
    #: What is searched: logs, or predictions (by field only).
    kind: Kind = Kind.LOG
    services: tuple[str, ...] = ()
    levels: tuple[str, ...] = ()
    envs: tuple[str, ...] = ()
    trace_ids: tuple[str, ...] = ()
    #: Logs: matched against their `model` attribute; predictions: their `model`.
    models: tuple[str, ...] = ()
    since: datetime | None = None
    until: datetime | None = None
    sort: SortOrder = "desc"
    size: int = DEFAULT_SIZE
    after: Cursor | None = None
    #: Bucket width of the aggregations, or None for no aggregations.
    interval_ms: int | None = None

    @classmethod
    def build(
        cls,
        q: str = "",
        *,
        kind: str | Kind = Kind.LOG,
        services: tuple[str, ...] = (),
        levels: tuple[str, ...] = (),
        envs: tuple[str, ...] = (),
        trace_ids: tuple[str, ...] = (),
        models: tuple[str, ...] = (),
        since: str | datetime | None = None,
        until: str | datetime | None = None,
        sort: str = "desc",
        size: int = DEFAULT_SIZE,
        search_after: str | None = None,
        interval: str | None = None,
        now: datetime | None = None,
    ) -> SearchRequest:
        """Parse and check everything a caller (route, CLI) passes as text.

        Times and the interval follow the one time grammar (`core/times.py`); services
        and models, which the embedded backend turns into store paths, follow the
        partition rule of ingest. Every refusal is a SearchError naming the parameter.
        """
        moment = now or datetime.now(UTC)
        searched = _kind(kind)
        if searched is not Kind.LOG and (_clean(levels) or interval):
            raise SearchError(
                "level filters and interval counts are for logs; predictions have no level"
            )
        if sort not in ("desc", "asc"):
            raise SearchError(f"bad sort {sort!r}: expected desc or asc")
        if not 1 <= size <= MAX_SIZE:
            raise SearchError(f"size must be between 1 and {MAX_SIZE}, got {size}")
        start = _moment("since", since, moment)
        end = _moment("until", until, moment)
        if start is not None and end is not None:
            try:
                check_order(start, end)
            except TimeGrammarError as exc:
                raise SearchError(f"since must be before until: {exc}") from None
        interval_ms = _interval_ms(interval, start, end or moment)
        return cls(
            query=parse_query(q, searched),
            kind=searched,
            services=_names("service", services),
            levels=tuple(dict.fromkeys(normalize_level(level) for level in _clean(levels))),
            envs=_clean(envs),
            trace_ids=_clean(trace_ids),
            models=_names("model", models),
            since=start,
            until=end,
            sort="asc" if sort == "asc" else "desc",
            size=size,
            after=Cursor.decode(search_after) if search_after else None,
            interval_ms=interval_ms,
        )


def _kind(value: str | Kind) -> Kind:
    """`log`/`logs` or `prediction`/`predictions`; SearchError for anything else."""
    try:
        kind = value if isinstance(value, Kind) else Kind.from_plural(str(value))
    except ValueError:
        kind = None
    if kind not in SEARCHED_KINDS:
        raise SearchError(f"bad kind {str(value)[:40]!r}: expected log or prediction")
    return kind


def _moment(name: str, value: str | datetime | None, now: datetime) -> datetime | None:
    if value is None or value == "":
        return None
    try:
        return truncate_ms(parse_instant(value, now))
    except TimeGrammarError as exc:
        raise SearchError(f"{name}: {exc}") from None


def _interval_ms(interval: str | None, start: datetime | None, end: datetime) -> int | None:
    """The bucket width in ms; refused when it would make more than MAX_BUCKETS buckets."""
    if not interval:
        return None
    try:
        width = parse_duration(interval)
    except TimeGrammarError as exc:
        raise SearchError(f"interval: {exc}") from None
    if start is not None and end - start > width * MAX_BUCKETS:
        raise SearchError(f"the interval makes more than {MAX_BUCKETS} buckets")
    return int(width.total_seconds()) * 1000


def _names(name: str, values: tuple[str, ...]) -> tuple[str, ...]:
    """Services or models, each a valid partition value (ingest's rule), else SearchError."""
    cleaned = _clean(values)
    for value in cleaned:
        if not is_name(value):
            raise SearchError(
                f"bad {name} {value[:80]!r}: 1-128 letters, digits, '.', '_' or '-', "
                "starting with a letter or digit"
            )
    return cleaned


def _clean(values: tuple[str, ...]) -> tuple[str, ...]:
    """Drop blanks; split comma-separated values (`?level=error,critical`)."""
    out: list[str] = []
    for value in values:
        out.extend(part.strip() for part in value.split(",") if part.strip())
    return tuple(dict.fromkeys(out))


@dataclass(frozen=True, slots=True)
class Bucket:
    """How many hits one key (a level or a service) has in one time bucket."""

    start: str
    key: str
    count: int


@dataclass(frozen=True, slots=True)
class Aggregations:
    """Counts per level and per service over fixed time buckets (UTC, epoch-aligned)."""

    interval_ms: int
    levels: list[Bucket]
    services: list[Bucket]


@dataclass(slots=True)
class SearchResult:
    """One page of hits (newest first by default), the exact total, and the next cursor."""

    hits: list[dict[str, Any]]
    total: int
    next_cursor: str | None
    backend: str
    took_ms: float = 0.0
    aggregations: Aggregations | None = None

    def to_dict(self) -> dict[str, Any]:
        """The JSON body of the API and of `observability search --format json`."""
        body: dict[str, Any] = {
            "hits": self.hits,
            "total": self.total,
            "next_cursor": self.next_cursor,
            "backend": self.backend,
            "took_ms": round(self.took_ms, 3),
        }
        if self.aggregations is not None:
            aggs = self.aggregations
            body["aggregations"] = {
                "interval_ms": aggs.interval_ms,
                "levels": [_bucket(b) for b in aggs.levels],
                "services": [_bucket(b) for b in aggs.services],
            }
        return body


def _bucket(bucket: Bucket) -> dict[str, Any]:
    return {"start": bucket.start, "key": bucket.key, "count": bucket.count}


def iso_ms(ms: int) -> str:
    """An epoch-millisecond value as RFC 3339 UTC (`...T10:00:00.000Z`)."""
    return from_epoch_ms(ms).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"
