"""A search request (query, filters, sort, page), its cursor, and the result shape.

Both backends take a `SearchRequest` and return a `SearchResult`, field for field the
same for the same data. Time is compared at millisecond precision, the precision of the
index's `date` type: bounds are truncated to the millisecond, `since` is inclusive and
`until` exclusive, and hits sort by (timestamp in ms, record_id) with record_id as the
tie-breaker, in the same direction.
"""

from __future__ import annotations

import base64
import binascii
import re
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any, Final, Literal

import orjson

from observability.search.model import MatchAll, Node, SearchError, normalize_level, parse_query

SortOrder = Literal["desc", "asc"]

DEFAULT_SIZE: Final = 50
MAX_SIZE: Final = 1000
#: OpenSearch's default `search.max_buckets` is 65,535; stay far below it.
MAX_BUCKETS: Final = 2000

_DURATION: Final = re.compile(r"(\d+)\s*(ms|s|m|h|d|w)")
_UNIT_MS: Final = {"ms": 1, "s": 1000, "m": 60_000, "h": 3_600_000, "d": 86_400_000}
_UNIT_MS["w"] = 7 * _UNIT_MS["d"]


def parse_duration_ms(text: str) -> int:
    """`15m`, `1h`, `7d` -> milliseconds; SearchError for anything else."""
    match = _DURATION.fullmatch(text.strip())
    if match is None or int(match.group(1)) <= 0:
        raise SearchError(f"bad duration {text!r}: expected a number and ms, s, m, h, d or w")
    return int(match.group(1)) * _UNIT_MS[match.group(2)]


def truncate_ms(moment: datetime) -> datetime:
    """`moment` in UTC, cut to the millisecond (the index's date precision)."""
    utc = moment.astimezone(UTC)
    return utc.replace(microsecond=utc.microsecond // 1000 * 1000)


def epoch_ms(moment: datetime) -> int:
    """Milliseconds since the epoch of a UTC moment (floor)."""
    delta = moment.astimezone(UTC) - datetime(1970, 1, 1, tzinfo=UTC)
    return delta.days * 86_400_000 + delta.seconds * 1000 + delta.microseconds // 1000


def from_epoch_ms(ms: int) -> datetime:
    """The UTC moment of an epoch-millisecond value."""
    return datetime(1970, 1, 1, tzinfo=UTC) + timedelta(milliseconds=ms)


def parse_time(text: str, now: datetime) -> datetime:
    """An RFC 3339 time, or a duration meaning that long before `now` (`1h`)."""
    text = text.strip()
    if _DURATION.fullmatch(text):
        return now - timedelta(milliseconds=parse_duration_ms(text))
    try:
        moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        raise SearchError(f"bad time {text!r}: expected RFC 3339 or a duration like 1h") from None
    if moment.tzinfo is None:
        raise SearchError(f"bad time {text!r}: give a UTC offset (Z or +00:00)")
    return moment


@dataclass(frozen=True, slots=True)
class Cursor:
    """Where the next page starts: the last hit's sort values, and a point in time if open."""

    timestamp_ms: int
    record_id: str
    #: OpenSearch point-in-time id, carried between deep pages (embedded: always None).
    pit: str | None = None

    def encode(self) -> str:
        """An opaque URL-safe token."""
        body = {"t": self.timestamp_ms, "r": self.record_id}
        if self.pit is not None:
            body["p"] = self.pit
        return base64.urlsafe_b64encode(orjson.dumps(body)).decode().rstrip("=")

    @classmethod
    def decode(cls, token: str) -> Cursor:
        """The cursor a previous page returned; SearchError when it is not one."""
        try:
            raw = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4))
            body = orjson.loads(raw)
            timestamp, record_id, pit = body["t"], body["r"], body.get("p")
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
    services: tuple[str, ...] = ()
    levels: tuple[str, ...] = ()
    envs: tuple[str, ...] = ()
    trace_ids: tuple[str, ...] = ()
    #: Matched against the `model` attribute of log records (`attributes.model`).
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
        """Parse and check everything a caller (route, CLI) passes as text."""
        moment = now or datetime.now(UTC)
        if sort not in ("desc", "asc"):
            raise SearchError(f"bad sort {sort!r}: expected desc or asc")
        if not 1 <= size <= MAX_SIZE:
            raise SearchError(f"size must be between 1 and {MAX_SIZE}, got {size}")
        start = _moment(since, moment)
        end = _moment(until, moment)
        if start is not None and end is not None and start >= end:
            raise SearchError("since must be before until")
        interval_ms = parse_duration_ms(interval) if interval else None
        if interval_ms is not None:
            if interval_ms < 1000:
                raise SearchError("the aggregation interval must be at least 1s")
            if start is not None and (end or moment) - start > timedelta(
                milliseconds=interval_ms * MAX_BUCKETS
            ):
                raise SearchError(f"the interval makes more than {MAX_BUCKETS} buckets")
        return cls(
            query=parse_query(q),
            services=_clean(services),
            levels=tuple(dict.fromkeys(normalize_level(level) for level in _clean(levels))),
            envs=_clean(envs),
            trace_ids=_clean(trace_ids),
            models=_clean(models),
            since=start,
            until=end,
            sort="asc" if sort == "asc" else "desc",
            size=size,
            after=Cursor.decode(search_after) if search_after else None,
            interval_ms=interval_ms,
        )


def _moment(value: str | datetime | None, now: datetime) -> datetime | None:
    if value is None or value == "":
        return None
    moment = value if isinstance(value, datetime) else parse_time(value, now)
    if moment.tzinfo is None:
        raise SearchError("times must be timezone-aware (UTC)")
    return truncate_ms(moment)


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
