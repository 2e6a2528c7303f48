"""Fixtures for auth: a store with keys of each role, a JWKS served over real HTTP, tokens
signed with a generated RSA key, and the app built as production builds it."""

from __future__ import annotations

import http.server
import json
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import rsa
from fastapi import FastAPI

from observability.auth.apikeys import KeyStore
from observability.auth.roles import KeyRole
from observability.auth.secret import server_secret
from observability.core.metrics import Metrics
from observability.core.settings import Settings
from observability.runtime import Runtime
from observability.service.app import create_app
from observability.service.roles import Role
from observability.store.local import LocalStore

#: The request path alone: no worker ticking under the tests.
COLLECTOR_AND_API = frozenset({Role.COLLECTOR, Role.API})
ISSUER = "https://idp.example.test/"
AUDIENCE = "observability"
KID = "test-key-1"


@dataclass(frozen=True)
class Keys:
    """One key of each role, and one revoked key."""

    viewer: str
    ingest: str
    admin: str
    revoked: str


class Signer:
    """Signs JWTs with an RSA key whose public half the JWKS server publishes."""

    def __init__(self) -> None:
        self.private = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        public = json.loads(jwt.algorithms.RSAAlgorithm.to_jwk(self.private.public_key()))
        self.jwks = {"keys": [{**public, "kid": KID, "use": "sig", "alg": "RS256"}]}

    def token(self, roles: Any = ("viewer",), *, kid: str = KID, **claims: Any) -> str:
        """A token from the configured issuer for the configured audience, valid 5 minutes;
        `claims` add to or replace the standard ones (None removes one)."""
        now = int(time.time())
        payload = {
            "iss": ISSUER,
            "aud": AUDIENCE,
            "sub": "someone@example.test",
            "iat": now,
            "exp": now + 300,
            "roles": roles if isinstance(roles, str) else list(roles),
            **claims,
        }
        present = {name: value for name, value in payload.items() if value is not None}
        return jwt.encode(present, self.private, algorithm="RS256", headers={"kid": kid})


@dataclass
class JwksServer:
    """A JWKS on 127.0.0.1 (http.server in a thread), counting the fetches it answers."""

    url: str
    fetches: int = 0


@pytest.fixture(scope="session")
def signer() -> Signer:
    """One RSA key pair for the session (generating one takes a while)."""
    return Signer()


@pytest.fixture
def jwks(signer: Signer) -> Iterator[JwksServer]:
    """The signer's JWKS served over real HTTP."""
    body = json.dumps(signer.jwks).encode()
    served = JwksServer("")

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            served.fetches += 1
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, format: str, *args: Any) -> None:
            return

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    served.url = f"http://127.0.0.1:{server.server_address[1]}/.well-known/jwks.json"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield served
    finally:
        server.shutdown()
        server.server_close()


@pytest.fixture
def settings(tmp_path: Path, store: LocalStore) -> Settings:
    """Settings with state under tmp_path and the default auth settings."""
    return Settings.from_env({}, store_url=store.url, state_dir=tmp_path / "state")


@pytest.fixture
def jwt_settings(settings: Settings, jwks: JwksServer) -> Settings:
    """Settings that also accept JWTs from the test JWKS."""
    return settings.replace(jwt_jwks_url=jwks.url, jwt_issuer=ISSUER, jwt_audience=AUDIENCE)


@pytest.fixture
def keys(settings: Settings, store: LocalStore) -> Keys:
    """Keys of each role in the store, and a revoked one."""
    keystore = KeyStore(store)
    secret = server_secret(settings)
    made = {role: keystore.create(role, f"test {role}", secret)[0] for role in KeyRole}
    revoked, record = keystore.create(KeyRole.ADMIN, "revoked admin", secret)
    keystore.revoke(record.key_id)
    return Keys(made[KeyRole.VIEWER], made[KeyRole.INGEST], made[KeyRole.ADMIN], revoked)


def build_app(settings: Settings, store: LocalStore, metrics: Metrics) -> FastAPI:
    """The app as `serve` builds it, on the test store and a fresh registry."""
    return create_app(Runtime(settings, store=store, metrics=metrics), COLLECTOR_AND_API)
