"""Bearer JWTs from an identity-aware proxy, verified against its JWKS (PyJWT).

The proxy (oauth2-proxy, an OIDC-aware load balancer, ...) signs in the person and passes
a token; this checks its signature against the keys at `jwt_jwks_url`, its `exp`, its
issuer and audience (both required settings: a token minted for another application must
not open this one), and reads the roles from `jwt_roles_claim` (a list or a space- or
comma-separated string; a dotted name reaches into a nested claim, as in Keycloak's
`realm_access.roles`). Roles other than viewer, ingest and admin are ignored.

PyJWT's `PyJWKClient` fetches the JWKS with a time-out, keeps it for `JWKS_TTL_SECONDS`,
and refetches early for an unknown `kid` at most once per cooldown, so forged `kid`s
cannot make each request a fetch. A verified token is remembered (bounded, until the
earlier of its `exp` and `auth_cache_seconds`) so repeated requests cost no signature
check; the cache is keyed by the token's SHA-256, never the token.
"""

from __future__ import annotations

import hashlib
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Iterable
from typing import Any, Final

import jwt

from observability.auth.roles import Principal, roles_in
from observability.core.errors import ObservabilityError, SettingsError
from observability.core.settings import PREFIX, Settings
from observability.service.errors import UnauthorizedError

JWKS_TTL_SECONDS: Final = 300.0
JWKS_TIMEOUT_SECONDS: Final = 5.0
#: Verified tokens remembered at once; the least recently used go first.
MAX_CACHED_TOKENS: Final = 4096
#: Clock skew tolerated on `exp`, `nbf` and `iat`.
LEEWAY_SECONDS: Final = 30
#: Asymmetric algorithms only: a JWKS publishes public keys, and an HMAC "signed" with one
#: would be a forgery.
ALGORITHMS: Final = (
    "RS256",
    "RS384",
    "RS512",
    "PS256",
    "PS384",
    "PS512",
    "ES256",
    "ES384",
    "ES512",
    "EdDSA",
)
INVALID: Final = 'Bearer realm="observability", error="invalid_token"'


class JwksUnavailableError(ObservabilityError):
    """The JWKS could not be fetched, so no token can be checked now."""


def looks_like_jwt(credential: str) -> bool:
    """Three dot-separated base64url parts."""
    return credential.count(".") == 2


class TokenVerifier:
    """Checks bearer JWTs; thread-safe; `verify` may fetch the JWKS (call it in a thread)."""

    def __init__(
        self,
        settings: Settings,
        *,
        clock: Callable[[], float] = time.time,
        client: jwt.PyJWKClient | None = None,
    ) -> None:
        url, issuer, audience = _required(settings)
        self._issuer = issuer
        self._audience = audience
        self._claim = settings.jwt_roles_claim.split(".")
        self._ttl = settings.auth_cache_seconds
        self._clock = clock
        self._client = client or jwt.PyJWKClient(
            url, cache_jwk_set=True, lifespan=JWKS_TTL_SECONDS, timeout=JWKS_TIMEOUT_SECONDS
        )
        self._cache: OrderedDict[bytes, tuple[float, Principal]] = OrderedDict()
        self._lock = threading.Lock()

    def cached(self, token: str) -> Principal | None:
        """The principal of a token verified lately and not expired; no I/O."""
        digest = hashlib.sha256(token.encode()).digest()
        with self._lock:
            entry = self._cache.get(digest)
            if entry is None:
                return None
            if entry[0] <= self._clock():
                del self._cache[digest]
                return None
            self._cache.move_to_end(digest)
            return entry[1]

    def verify(self, token: str) -> Principal:
        """The principal of a valid token; UnauthorizedError says why one is not valid,
        JwksUnavailableError that it cannot be checked now."""
        try:
            key = self._client.get_signing_key_from_jwt(token)
        except jwt.PyJWKClientConnectionError as exc:
            raise JwksUnavailableError(f"the JWKS cannot be fetched: {exc}") from None
        except (jwt.PyJWKClientError, jwt.InvalidTokenError) as exc:
            raise UnauthorizedError(f"the token is not valid: {exc}", INVALID) from None
        try:
            claims: dict[str, Any] = jwt.decode(
                token,
                key,
                algorithms=list(ALGORITHMS),
                audience=self._audience,
                issuer=self._issuer,
                leeway=LEEWAY_SECONDS,
                options={"require": ["exp", "iss", "aud"]},
            )
        except jwt.InvalidTokenError as exc:
            raise UnauthorizedError(f"the token is not valid: {exc}", INVALID) from None
        principal = Principal("jwt", str(claims.get("sub", "")), roles_in(self._roles(claims)))
        self._remember(token, float(claims["exp"]), principal)
        return principal

    def _roles(self, claims: dict[str, Any]) -> Iterable[str]:
        value: Any = claims
        for part in self._claim:
            value = value.get(part) if isinstance(value, dict) else None
        if isinstance(value, str):
            return value.replace(",", " ").split()
        if isinstance(value, list):
            return [item for item in value if isinstance(item, str)]
        return ()

    def _remember(self, token: str, exp: float, principal: Principal) -> None:
        digest = hashlib.sha256(token.encode()).digest()
        until = min(exp, self._clock() + self._ttl)
        with self._lock:
            self._cache[digest] = (until, principal)
            self._cache.move_to_end(digest)
            while len(self._cache) > MAX_CACHED_TOKENS:
                self._cache.popitem(last=False)


def _required(settings: Settings) -> tuple[str, str, str]:
    """(JWKS URL, issuer, audience); SettingsError names what is missing."""
    url, issuer, audience = settings.jwt_jwks_url, settings.jwt_issuer, settings.jwt_audience
    if not url:
        raise SettingsError(f"{PREFIX}JWT_JWKS_URL: not set")
    if not url.startswith(("https://", "http://")):
        raise SettingsError(f"{PREFIX}JWT_JWKS_URL: must be an http(s) URL, got {url!r:.80}")
    if not issuer:
        raise SettingsError(f"{PREFIX}JWT_ISSUER: required with {PREFIX}JWT_JWKS_URL")
    if not audience:
        raise SettingsError(f"{PREFIX}JWT_AUDIENCE: required with {PREFIX}JWT_JWKS_URL")
    return url, issuer, audience
