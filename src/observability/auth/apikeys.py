"""API keys: their shape, their records in the store, creating, listing and revoking them.

A key is `obs_<key id>_<secret>`: 64 random bits of id (to find its record without a
scan) and 256 random bits of secret (`secrets.token_urlsafe(32)`). The store holds only
the key's HMAC-SHA256 under the server secret (`auth.secret`), with its id, role, name,
creation time and the id of the server secret it was made with; the key itself is shown
once, by `observability keys create`, and kept nowhere.

Revoking writes a marker next to the record (the record stays, so `keys list` shows the
key as revoked): the service learns of both with one listing of the `auth/` prefix. Once
any record exists, revoked or not, the service asks every caller for a credential:
revoking the last key does not reopen the local mode.
"""

from __future__ import annotations

import re
import secrets
from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from typing import Final

import orjson

from observability.auth.roles import KeyRole
from observability.auth.secret import ServerSecret
from observability.core import keys
from observability.core.errors import ObservabilityError
from observability.store.base import ObjectStore

KEY_PREFIX: Final = "obs_"
_ID_BYTES: Final = 8
_SECRET_BYTES: Final = 32
#: `obs_` + 16 hex digits + `_` + the URL-safe base64 of 32 bytes (43 characters).
_KEY_RE: Final = re.compile(r"obs_([0-9a-f]{16})_[A-Za-z0-9_-]{43}")
MAX_NAME_CHARS: Final = 100
_RECORD_VERSION: Final = 1


class ApiKeyError(ObservabilityError):
    """A key operation that cannot be done: an unknown id, a bad name, a broken record."""


@dataclass(frozen=True, slots=True)
class ApiKeyRecord:
    """What the store knows of a key: never the key, only its keyed hash."""

    key_id: str
    name: str
    role: KeyRole
    digest: str
    secret_id: str
    created_at: datetime
    revoked: bool = False

    def matches(self, key: str, secret: ServerSecret) -> bool:
        """Whether `key` is this record's key, under `secret` (constant-time compare)."""
        return secret.secret_id == self.secret_id and secrets.compare_digest(
            self.digest, secret.digest(key)
        )

    def to_json(self) -> bytes:
        """The stored form (without `revoked`: that is the marker's job)."""
        return orjson.dumps(
            {
                "version": _RECORD_VERSION,
                "key_id": self.key_id,
                "name": self.name,
                "role": self.role.value,
                "hmac_sha256": self.digest,
                "secret_id": self.secret_id,
                "created_at": self.created_at.isoformat(),
            }
        )

    @classmethod
    def from_json(cls, data: bytes, key_id: str) -> ApiKeyRecord:
        """A stored record; ApiKeyError names the key id when it cannot be read."""
        try:
            raw = orjson.loads(data)
            record = cls(
                key_id=str(raw["key_id"]),
                name=str(raw["name"]),
                role=KeyRole(raw["role"]),
                digest=str(raw["hmac_sha256"]),
                secret_id=str(raw["secret_id"]),
                created_at=datetime.fromisoformat(raw["created_at"]),
            )
        except (orjson.JSONDecodeError, KeyError, TypeError, ValueError) as exc:
            raise ApiKeyError(f"API key {key_id}: its record cannot be read ({exc})") from None
        if record.key_id != key_id:
            raise ApiKeyError(f"API key {key_id}: its record names another id")
        return record


def key_id_of(key: str) -> str | None:
    """The id in a well-formed key; None for anything else (never echoed: it may be a
    secret pasted into the wrong header)."""
    match = _KEY_RE.fullmatch(key)
    return match.group(1) if match else None


def new_key() -> tuple[str, str]:
    """(key id, key): fresh random values."""
    key_id = secrets.token_hex(_ID_BYTES)
    return key_id, f"{KEY_PREFIX}{key_id}_{secrets.token_urlsafe(_SECRET_BYTES)}"


def check_name(name: str) -> str:
    """A key's label: 1-100 printable characters."""
    name = name.strip()
    if not name or len(name) > MAX_NAME_CHARS or not name.isprintable():
        raise ApiKeyError(f"a key name is 1-{MAX_NAME_CHARS} printable characters")
    return name


class KeyStore:
    """The key records in the store (`auth/` in the layout)."""

    def __init__(self, store: ObjectStore) -> None:
        self._store = store

    def create(self, role: KeyRole, name: str, secret: ServerSecret) -> tuple[str, ApiKeyRecord]:
        """A new key and its record (stored); the key is returned once and kept nowhere."""
        name = check_name(name)
        for _attempt in range(3):
            key_id, key = new_key()
            record = ApiKeyRecord(
                key_id, name, role, secret.digest(key), secret.secret_id, datetime.now(UTC)
            )
            if self._store.put_if_absent(keys.api_key_key(key_id), record.to_json()) is not None:
                return key, record
        raise ApiKeyError("could not find a free key id in three tries (is the store sane?)")

    def revoke(self, key_id: str) -> tuple[ApiKeyRecord, bool]:
        """Mark a key revoked: (its record, whether it was revoked before)."""
        record = self.get(key_id)
        marker = orjson.dumps({"key_id": key_id, "revoked_at": datetime.now(UTC).isoformat()})
        created = self._store.put_if_absent(keys.api_key_revoked_key(key_id), marker)
        return replace(record, revoked=True), created is None

    def get(self, key_id: str) -> ApiKeyRecord:
        """One key's record; ApiKeyError when there is no such key."""
        try:
            path = keys.api_key_key(key_id)
        except ValueError:
            raise ApiKeyError(f"no API key has the id {key_id!r:.40}") from None
        try:
            data = self._store.get(path)
        except KeyError:
            raise ApiKeyError(f"no API key has the id {key_id!r:.40}") from None
        revoked = self._store.exists(keys.api_key_revoked_key(key_id))
        return replace(ApiKeyRecord.from_json(data, key_id), revoked=revoked)

    def records(self) -> list[ApiKeyRecord]:
        """Every key, revoked ones too, oldest first; an unreadable record is an error."""
        records, broken = self.load({})
        if broken:
            raise broken[0]
        return sorted(records.values(), key=lambda record: (record.created_at, record.key_id))

    def load(
        self, known: Mapping[str, ApiKeyRecord]
    ) -> tuple[dict[str, ApiKeyRecord], list[ApiKeyError]]:
        """All records with their revoked flags, from one listing of `auth/`: records in
        `known` are reused (a record never changes), others are read. Unreadable records
        are returned apart, so one broken record does not lock every key out."""
        ids: list[str] = []
        revoked: set[str] = set()
        for path in self._store.list(keys.AUTH):
            found = keys.api_key_id_of(path)
            if found is None:
                continue
            what, key_id = found
            if what == "record":
                ids.append(key_id)
            else:
                revoked.add(key_id)
        records: dict[str, ApiKeyRecord] = {}
        broken: list[ApiKeyError] = []
        for key_id in ids:
            record = known.get(key_id)
            if record is None:
                try:
                    record = ApiKeyRecord.from_json(
                        self._store.get(keys.api_key_key(key_id)), key_id
                    )
                except KeyError:
                    continue  # deleted between the listing and the read
                except ApiKeyError as exc:
                    broken.append(exc)
                    continue
            records[key_id] = replace(record, revoked=key_id in revoked)
        return records, broken
