"""The ASGI middleware that asks every request for the permission its path needs.

It wraps the whole app, so it runs before routing: routes never opt in, a route added
tomorrow is covered, and a refused request's body is never read. The decision:

1. `policy.required(method, path)` None (the probes, public `/metrics`): pass.
2. No key record exists and no JWKS is configured (auth is off): pass as the local
   principal when the connection arrived on a loopback address (or through no socket at
   all: a unix socket, an in-process test client) or `insecure_no_auth` is set; else 401
   saying how to make a key. Credentials sent then are not looked at.
3. Otherwise a credential is needed: `Authorization: Bearer <key or JWT>` or
   `X-API-Key: <key>`; missing or not valid: 401 with `WWW-Authenticate`; valid but
   without a role that grants the permission: 403.

The principal is left in `request.state.principal` (`PrincipalDep`) for routes that
record who did something (a silence's author). Nothing here logs a credential.
"""

from __future__ import annotations

import functools
import ipaddress
import logging
from typing import Annotated, Final

from fastapi import Depends, FastAPI, Request
from starlette.concurrency import run_in_threadpool
from starlette.middleware.cors import CORSMiddleware
from starlette.types import ASGIApp, Receive, Scope, Send

from observability.auth.apikeys import KEY_PREFIX, KeyStore
from observability.auth.keyring import CHALLENGE, INVALID, KeyRing
from observability.auth.openapi import document_security
from observability.auth.policy import required
from observability.auth.roles import GRANTS, LOCAL, Permission, Principal
from observability.auth.secret import server_secret
from observability.auth.tokens import JwksUnavailableError, TokenVerifier, looks_like_jwt
from observability.core.errors import ObservabilityError, SettingsError
from observability.core.settings import PREFIX, Settings
from observability.runtime import Runtime
from observability.service.errors import (
    ForbiddenError,
    NotReadyError,
    UnauthorizedError,
    error_response,
)

log = logging.getLogger(__name__)

#: Headers a credential may come in (lower case, as ASGI gives them).
AUTHORIZATION: Final = b"authorization"
API_KEY_HEADER: Final = b"x-api-key"
NO_CREDENTIAL: Final = (
    "this request needs a credential: send `Authorization: Bearer <API key or token>` "
    "or `X-API-Key: <API key>`"
)
NO_KEYS_REMOTE: Final = (
    "no API key exists yet, so only loopback callers are served: create one with "
    "`observability keys create --role admin` (or start with --insecure-no-auth)"
)


class Authenticator:
    """Who a request's credential names; the key ring and the token verifier it asks."""

    def __init__(
        self,
        settings: Settings,
        keyring: KeyRing,
        verifier: TokenVerifier | None = None,
    ) -> None:
        self.settings = settings
        self.keyring = keyring
        self.verifier = verifier

    @classmethod
    def from_runtime(cls, runtime: Runtime) -> Authenticator:
        """Built from settings and the store; nothing is read until the first request."""
        settings = runtime.settings
        if not settings.auth_cache_seconds > 0:
            raise SettingsError(
                f"{PREFIX}AUTH_CACHE_SECONDS: must be positive, got {settings.auth_cache_seconds}"
            )
        secret = functools.partial(server_secret, settings)
        keyring = KeyRing(KeyStore(runtime.store), secret, settings.auth_cache_seconds)
        verifier = TokenVerifier(settings) if settings.jwt_jwks_url else None
        return cls(settings, keyring, verifier)

    async def principal(self, scope: Scope) -> Principal:
        """The caller; UnauthorizedError when it cannot be named."""
        ring = self.keyring
        if ring.stale():
            await run_in_threadpool(ring.refresh)
        if not ring.auth_on and self.verifier is None:
            if self.settings.insecure_no_auth or arrived_locally(scope):
                return LOCAL
            raise UnauthorizedError(NO_KEYS_REMOTE, CHALLENGE)
        credential = _credential(scope)
        if credential is None:
            raise UnauthorizedError(NO_CREDENTIAL, CHALLENGE)
        if credential.startswith(KEY_PREFIX):
            if ring.well_formed(credential) and not ring.known(credential):
                await run_in_threadpool(ring.refresh, force=True)
            return ring.check(credential)
        if self.verifier is not None and looks_like_jwt(credential):
            principal = self.verifier.cached(credential)
            if principal is None:
                try:
                    principal = await run_in_threadpool(self.verifier.verify, credential)
                except JwksUnavailableError as exc:
                    log.error("bearer token not checked: %s", exc)
                    raise NotReadyError("tokens cannot be checked right now; retry") from None
            return principal
        raise UnauthorizedError("the credential is not an API key or a valid token", INVALID)


class AuthMiddleware:
    """Pure ASGI: refuses before routing, passes the rest untouched (streaming intact)."""

    def __init__(self, app: ASGIApp, authenticator: Authenticator) -> None:
        self.app = app
        self.authenticator = authenticator

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] not in {"http", "websocket"}:
            await self.app(scope, receive, send)
            return
        settings = self.authenticator.settings
        path = _path(scope)
        permission = required(
            scope.get("method", "GET"), path, metrics_public=settings.metrics_public
        )
        if permission is None:
            await self.app(scope, receive, send)
            return
        try:
            principal = await self.authenticator.principal(scope)
            if not principal.may(permission):
                raise ForbiddenError(_forbidden(principal, permission))
        except ObservabilityError as exc:
            if scope["type"] == "websocket":
                await receive()  # the connect event, then a refusal (policy violation)
                await send({"type": "websocket.close", "code": 1008})
                return
            response = await error_response(Request(scope), exc)
            await response(scope, receive, send)
            return
        scope.setdefault("state", {})["principal"] = principal
        await self.app(scope, receive, send)


def arrived_locally(scope: Scope) -> bool:
    """Whether the connection's local address is loopback, or there is no network socket
    (a unix socket, or an in-process client such as Starlette's test client)."""
    server = scope.get("server")
    if server is None:
        return True
    try:
        address = ipaddress.ip_address(str(server[0]))
    except ValueError:
        return True  # servers put the socket's address here; a name means no socket
    mapped = getattr(address, "ipv4_mapped", None)
    return bool(address.is_loopback or (mapped is not None and mapped.is_loopback))


def _path(scope: Scope) -> str:
    """The path the app routes, without a mount's `root_path`."""
    path = str(scope.get("path", "/"))
    root = str(scope.get("root_path", ""))
    return path[len(root) :] or "/" if root and path.startswith(root) else path


def _credential(scope: Scope) -> str | None:
    """The bearer credential or X-API-Key value; both at once must agree."""
    bearer = api_key = None
    for name, value in scope.get("headers", ()):
        if name == AUTHORIZATION:
            scheme, _, rest = value.decode("latin-1").strip().partition(" ")
            if scheme.lower() != "bearer" or not rest.strip():
                raise UnauthorizedError(
                    "the Authorization header must be `Bearer <credential>`", INVALID
                )
            bearer = rest.strip()
        elif name == API_KEY_HEADER:
            api_key = value.decode("latin-1").strip()
    if bearer is not None and api_key is not None and bearer != api_key:
        raise UnauthorizedError("send one credential: Authorization or X-API-Key", INVALID)
    return bearer or api_key or None


def _forbidden(principal: Principal, permission: Permission) -> str:
    granting = sorted(role for role, grants in GRANTS.items() if permission in grants)
    held = ", ".join(sorted(principal.roles)) or "no role"
    return f"this request needs the role {' or '.join(granting)}; the credential has {held}"


def get_principal(request: Request) -> Principal:
    """Who the request acts as (set by the middleware; the local principal when open)."""
    principal: Principal = request.state.principal
    return principal


PrincipalDep = Annotated[Principal, Depends(get_principal)]


def install_auth(app: FastAPI, runtime: Runtime) -> None:
    """Add the middleware (and CORS outside it, when origins are configured) to `app`."""
    settings = runtime.settings
    app.add_middleware(AuthMiddleware, authenticator=Authenticator.from_runtime(runtime))
    if settings.cors_origins:
        # Outermost, so a preflight (which carries no credential) is answered here.
        app.add_middleware(
            CORSMiddleware,
            allow_origins=list(settings.cors_origins),
            allow_methods=["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE"],
            allow_headers=["Authorization", "X-API-Key", "Content-Type", "Content-Encoding"],
            max_age=600,
        )
    document_security(app, settings.metrics_public)
    if settings.insecure_no_auth:
        log.warning(
            "warning: --insecure-no-auth: while no API key exists, anyone who can reach "
            "%s:%s can read and change everything",
            settings.host,
            settings.port,
        )
