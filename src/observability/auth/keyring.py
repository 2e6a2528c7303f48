"""The service's copy of the API key records: a request costs no store read.

Checking a key is one HMAC-SHA256 (about a microsecond) against a record held in memory,
so there is nothing to gain from caching verdicts; what costs is reading the records. The
ring holds all of them (there are as many as people made with `keys create`) and lists
`auth/` again when its copy is older than `auth_cache_seconds`: a key created or revoked
counts within that time. A key id the ring does not know makes it look again at once, at
most once a second, so a fresh key works immediately and random keys cannot turn into a
store read each.

When the store cannot be listed, the last copy serves for up to `STALE_FACTOR` times the
TTL (a store hiccup does not lock everyone out), then requests get 503 until it answers.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from typing import Final

from observability.auth.apikeys import ApiKeyRecord, KeyStore, key_id_of
from observability.auth.roles import Principal
from observability.auth.secret import ServerSecret
from observability.core.errors import StoreError
from observability.service.errors import UnauthorizedError

#: Seconds between two listings, whatever asks (an unknown key id, a failed listing).
MIN_RETRY_SECONDS: Final = 1.0
#: How many TTLs a copy serves while the store cannot be listed.
STALE_FACTOR: Final = 6
CHALLENGE: Final = 'Bearer realm="observability"'
INVALID: Final = f'{CHALLENGE}, error="invalid_token"'

log = logging.getLogger(__name__)


class KeyRing:
    """The key records, re-read every `ttl` seconds; thread-safe."""

    def __init__(
        self,
        keystore: KeyStore,
        secret: Callable[[], ServerSecret],
        ttl: float,
        *,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._keystore = keystore
        self._secret_source = secret
        self._secret: ServerSecret | None = None
        self._ttl = ttl
        self._clock = clock
        self._lock = threading.Lock()
        self._records: dict[str, ApiKeyRecord] = {}
        self._loaded_at: float | None = None  # of the last successful listing
        self._tried_at = float("-inf")  # of the last attempt
        self._failure: Exception | None = None  # of the last attempt, when it failed
        self._warned: set[str] = set()

    def stale(self) -> bool:
        """Whether the copy is older than the TTL (the caller then refreshes in a thread)."""
        return self._loaded_at is None or self._clock() - self._loaded_at >= self._ttl

    @property
    def auth_on(self) -> bool:
        """Whether any key record exists (revoked ones too): then every caller needs one."""
        return bool(self._records)

    def refresh(self, *, force: bool = False) -> None:
        """List the records again when stale, or when `force`d (an unknown key id); forced
        and failed listings are not repeated within a second, and two never run at once."""
        with self._lock:
            now = self._clock()
            if not force and not self.stale():
                return  # another thread refreshed while this one waited
            retrying = force or self._failure is not None
            if retrying and now - self._tried_at < MIN_RETRY_SECONDS:
                if self._failure is not None:
                    self._keep_or_fail(now, self._failure)
                return
            self._tried_at = now
            try:
                records, broken = self._keystore.load(self._records)
            except Exception as exc:  # noqa: BLE001 - any store failure: keep or refuse, below
                self._failure = exc
                self._keep_or_fail(now, exc)
                return
            self._failure = None
            for error in broken:
                self._warn_once(str(error), str(error))
            self._warn_foreign(records)
            self._records, self._loaded_at = records, now

    def _warn_foreign(self, records: dict[str, ApiKeyRecord]) -> None:
        """Name each live key made under another server secret, once."""
        if not records:
            return
        secret = self._current_secret()
        for record in records.values():
            if record.secret_id != secret.secret_id and not record.revoked:
                self._warn_once(
                    record.key_id,
                    f"API key {record.key_id} ({record.name}) was made with another server "
                    "secret and is refused: set the same OBSERVABILITY_AUTH_SECRET on the "
                    "process that makes keys and on this one",
                )

    def check(self, key: str) -> Principal:
        """The principal of a valid key; UnauthorizedError for anything else. Call
        `refresh(force=True)` first when `known(key)` is False."""
        key_id = key_id_of(key)
        record = self._records.get(key_id) if key_id is not None else None
        if record is None or not record.matches(key, self._current_secret()):
            raise UnauthorizedError("the API key is not valid", INVALID)
        if record.revoked:
            raise UnauthorizedError("the API key has been revoked", INVALID)
        return Principal("key", record.key_id, frozenset({record.role}))

    def known(self, key: str) -> bool:
        """Whether the key's id is in the copy (a well-formed key only)."""
        key_id = key_id_of(key)
        return key_id is not None and key_id in self._records

    def well_formed(self, key: str) -> bool:
        """Whether `key` has the shape of one of our keys."""
        return key_id_of(key) is not None

    def _current_secret(self) -> ServerSecret:
        if self._secret is None:
            self._secret = self._secret_source()
        return self._secret

    def _keep_or_fail(self, now: float, exc: Exception) -> None:
        """After a failed listing: serve the last copy while it is young enough, else fail."""
        if self._loaded_at is not None and now - self._loaded_at < self._ttl * STALE_FACTOR:
            log.warning("could not re-read the API keys (using the last copy): %s", exc)
            return
        raise StoreError(f"the API keys cannot be read from the store: {exc}") from exc

    def _warn_once(self, what: str, message: str) -> None:
        if what not in self._warned:
            self._warned.add(what)
            log.warning("%s", message)
