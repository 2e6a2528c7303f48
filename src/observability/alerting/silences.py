"""Silences: matchers, a time range, an author and a comment, one object each in the store.

As in Alertmanager, a silence mutes every alert all its matchers select while
`starts_at <= now < ends_at`; a muted alert is left out of notifications (it keeps its
state and its history). Expiring a silence sets its end to now, so the alerts it muted are
notified at the next evaluation after `group_interval`. `observability alerts silence
add|list|expire` and the API use this module.
"""

from __future__ import annotations

import secrets
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any, Final

import orjson

from observability.alerting.matchers import Matcher, MatcherError, matches_all, parse_matcher
from observability.core import keys
from observability.core.errors import ObservabilityError
from observability.core.times import format_instant
from observability.store.base import ObjectStore

MAX_COMMENT_CHARS: Final = 2000
MAX_AUTHOR_CHARS: Final = 200
MAX_MATCHERS: Final = 32
#: Expired silences are kept this long (the alerts page lists them), as Alertmanager does.
EXPIRED_RETENTION: Final = timedelta(days=5)


class SilenceError(ObservabilityError):
    """A silence that cannot be made or changed; the message says why."""


class SilenceState(StrEnum):
    """Alertmanager's three silence states."""

    PENDING = "pending"
    ACTIVE = "active"
    EXPIRED = "expired"


@dataclass(frozen=True, slots=True)
class Silence:
    """Mutes the alerts its matchers select, between `starts_at` and `ends_at`."""

    id: str
    matchers: tuple[Matcher, ...]
    starts_at: datetime
    ends_at: datetime
    created_by: str
    comment: str
    created_at: datetime

    def state(self, now: datetime) -> SilenceState:
        """Pending before its start, active until its end, expired after."""
        if now < self.starts_at:
            return SilenceState.PENDING
        return SilenceState.ACTIVE if now < self.ends_at else SilenceState.EXPIRED

    def mutes(self, labels: Mapping[str, str], now: datetime) -> bool:
        """Whether it is active now and selects these labels."""
        return self.state(now) is SilenceState.ACTIVE and matches_all(self.matchers, labels)

    def to_json(self) -> bytes:
        """The stored object (and the API's body)."""
        return orjson.dumps(self.to_dict())

    def to_dict(self) -> dict[str, Any]:
        """As JSON-ready values."""
        return {
            "id": self.id,
            "matchers": [str(m) for m in self.matchers],
            "starts_at": format_instant(self.starts_at),
            "ends_at": format_instant(self.ends_at),
            "created_by": self.created_by,
            "comment": self.comment,
            "created_at": format_instant(self.created_at),
        }

    @classmethod
    def from_json(cls, data: bytes) -> Silence:
        """Inverse of `to_json`; SilenceError for anything else."""
        try:
            body = orjson.loads(data)
            return cls(
                id=str(body["id"]),
                matchers=tuple(parse_matcher(text) for text in body["matchers"]),
                starts_at=datetime.fromisoformat(body["starts_at"]),
                ends_at=datetime.fromisoformat(body["ends_at"]),
                created_by=str(body["created_by"]),
                comment=str(body["comment"]),
                created_at=datetime.fromisoformat(body["created_at"]),
            )
        except (orjson.JSONDecodeError, KeyError, TypeError, ValueError, MatcherError) as exc:
            raise SilenceError(f"not a silence: {exc}") from None


def new_silence(
    matchers: Sequence[str],
    *,
    starts_at: datetime,
    ends_at: datetime,
    created_by: str,
    comment: str,
    now: datetime,
) -> Silence:
    """A checked silence with a fresh id; SilenceError naming the problem."""
    if not matchers:
        raise SilenceError('a silence needs at least one matcher, e.g. alertname="fraud-drift"')
    if len(matchers) > MAX_MATCHERS:
        raise SilenceError(f"a silence has at most {MAX_MATCHERS} matchers")
    try:
        parsed = tuple(parse_matcher(text) for text in matchers)
    except MatcherError as exc:
        raise SilenceError(f"matcher: {exc}") from None
    if all(m.matches({}) for m in parsed):
        raise SilenceError("the matchers select alerts without any label: they would mute all")
    if not starts_at < ends_at:
        raise SilenceError("a silence ends after it starts")
    if ends_at <= now:
        raise SilenceError("a silence must end in the future")
    author, text = created_by.strip(), comment.strip()
    if not author or len(author) > MAX_AUTHOR_CHARS:
        raise SilenceError(f"the author is 1-{MAX_AUTHOR_CHARS} characters")
    if not text or len(text) > MAX_COMMENT_CHARS:
        raise SilenceError(f"the comment is 1-{MAX_COMMENT_CHARS} characters: say why")
    return Silence(secrets.token_hex(8), parsed, starts_at, ends_at, author, text, now)


class SilenceStore:
    """Silences under `alerts/silences/`."""

    def __init__(self, store: ObjectStore) -> None:
        self.store = store

    def add(self, silence: Silence) -> Silence:
        """Store a new silence."""
        if self.store.put_if_absent(keys.silence_key(silence.id), silence.to_json()) is None:
            raise SilenceError(f"silence {silence.id} exists already")
        return silence

    def get(self, silence_id: str) -> Silence:
        """One silence; SilenceError when there is none with that id."""
        try:
            key = keys.silence_key(silence_id)
        except ValueError:
            raise SilenceError(f"no silence {silence_id!r:.80}") from None
        try:
            return Silence.from_json(self.store.get(key))
        except KeyError:
            raise SilenceError(f"no silence {silence_id!r:.80}") from None

    def all(self) -> list[Silence]:
        """Every stored silence, newest first (unreadable objects are skipped)."""
        found = []
        for key in self.store.list(keys.SILENCES):
            try:
                found.append(Silence.from_json(self.store.get(key)))
            except (KeyError, SilenceError):
                continue
        return sorted(found, key=lambda s: (s.created_at, s.id), reverse=True)

    def prune(self, now: datetime, keep: timedelta = EXPIRED_RETENTION) -> list[str]:
        """Delete silences that expired more than `keep` ago; returns their ids."""
        removed = []
        for silence in self.all():
            if silence.ends_at + keep < now:
                self.store.delete(keys.silence_key(silence.id))
                removed.append(silence.id)
        return removed

    def active(self, now: datetime) -> list[Silence]:
        """The silences muting alerts now."""
        return [s for s in self.all() if s.state(now) is SilenceState.ACTIVE]

    def expire(self, silence_id: str, now: datetime) -> Silence:
        """End a silence now (a pending one ends before it started); idempotent for expired."""
        key = keys.silence_key(silence_id)
        for _ in range(5):
            try:
                data, etag = self.store.get_versioned(key)
            except KeyError:
                raise SilenceError(f"no silence {silence_id!r:.80}") from None
            silence = Silence.from_json(data)
            if silence.state(now) is SilenceState.EXPIRED:
                return silence
            ended = replace(silence, ends_at=now, starts_at=min(silence.starts_at, now))
            if self.store.put_if_match(key, ended.to_json(), etag) is not None:
                return ended
        raise SilenceError(f"silence {silence_id} keeps changing; try again")


def muted_by(
    silences: Sequence[Silence], labels: Mapping[str, str], now: datetime
) -> Silence | None:
    """The first silence that mutes these labels now, or None."""
    for silence in silences:
        if silence.mutes(labels, now):
            return silence
    return None
