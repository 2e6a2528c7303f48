"""The auth matrix: every route of the app, with every kind of credential.

Routes are read from `app.routes`, so a route added later is in the matrix the day it is
added. The expected role per route is written here, from the issue, independently of the
policy module: ingest routes need `ingest`, silences' changes and keys need `admin`, reads
need `viewer`, admin may do everything, and the probes (and /metrics by default) and the
UI's shell are open.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass

import orjson
import pytest
from fastapi import FastAPI
from fastapi.routing import iter_route_contexts
from fastapi.testclient import TestClient
from starlette.routing import Mount

from observability.core.links import is_ui_path
from observability.core.metrics import Metrics
from observability.core.settings import Settings
from observability.store.local import LocalStore
from tests.auth.conftest import Keys, Signer, build_app
from tests.service.records import log_record

PUBLIC = frozenset({"/healthz", "/readyz", "/metrics"})
#: Paths no route may have yet, but the rules cover already (the middleware runs first).
EXTRA = (
    ("POST", "/api/v1/silences"),
    ("DELETE", "/api/v1/silences/s1"),
    ("GET", "/api/v1/silences"),
    ("GET", "/api/v1/keys"),
    ("POST", "/api/v1/keys"),
    ("GET", "/api/v1/no-such-route"),
    ("POST", "/api/v1/ingest/logs"),
)


@dataclass(frozen=True)
class Caller:
    """A way to call: headers, and the roles it holds (None: it names no valid caller)."""

    name: str
    headers: dict[str, str]
    roles: frozenset[str] | None


def allowed_roles(method: str, path: str) -> frozenset[str] | None:
    """The roles the issue says may call this; None for the open probes and the UI's shell
    (its pages and files hold no data: the page must load for a person to enter a key)."""
    if path in PUBLIC or (method in {"GET", "HEAD"} and is_ui_path(path)):
        return None
    if path.startswith("/api/v1/ingest/"):
        return frozenset({"ingest", "admin"})
    if path.startswith("/api/v1/keys") or (
        path.startswith("/api/v1/silences") and method not in {"GET", "HEAD"}
    ):
        return frozenset({"admin"})
    if method in {"GET", "HEAD"}:
        return frozenset({"viewer", "admin"})
    return frozenset({"admin"})


def concrete(path: str) -> str:
    """A route template with a sample value in each parameter."""
    return re.sub(r"\{[^}]+\}", "sample", path)


def requests_of(app: FastAPI) -> Iterator[tuple[str, str]]:
    """(method, path) of every route of the app, included routers' too, then the extras."""
    for context in iter_route_contexts(app.routes):
        path = context.path
        if path is None:
            continue
        if isinstance(context.original_route, Mount):
            yield "GET", concrete(path) + "/"
            continue
        for method in sorted(context.methods or {"GET"}):
            yield method, concrete(path)
    yield from EXTRA


def callers(keys: Keys, signer: Signer) -> list[Caller]:
    """No key, each role's key, a revoked key, a bad JWT and good JWTs."""
    forged = Signer()  # same kid, another private key: the signature cannot verify
    return [
        Caller("no key", {}, None),
        Caller("viewer", {"Authorization": f"Bearer {keys.viewer}"}, frozenset({"viewer"})),
        Caller("viewer via X-API-Key", {"X-API-Key": keys.viewer}, frozenset({"viewer"})),
        Caller("ingest", {"Authorization": f"Bearer {keys.ingest}"}, frozenset({"ingest"})),
        Caller("admin", {"Authorization": f"Bearer {keys.admin}"}, frozenset({"admin"})),
        Caller("revoked key", {"Authorization": f"Bearer {keys.revoked}"}, None),
        Caller("bad JWT", {"Authorization": f"Bearer {forged.token(['admin'])}"}, None),
        Caller(
            "good JWT viewer",
            {"Authorization": f"Bearer {signer.token(['viewer'])}"},
            frozenset({"viewer"}),
        ),
        Caller(
            "good JWT admin",
            {"Authorization": f"Bearer {signer.token(['admin', 'other-app'])}"},
            frozenset({"admin"}),
        ),
    ]


@pytest.fixture
def app(jwt_settings: Settings, store: LocalStore, metrics: Metrics, keys: Keys) -> FastAPI:
    """The production app with keys in the store and a JWKS configured."""
    return build_app(jwt_settings, store, metrics)


def test_every_route_with_every_caller(app: FastAPI, keys: Keys, signer: Signer) -> None:
    """Each route answers 401 to no, revoked or forged credentials, 403 to a role the lattice
    does not allow, and neither to a role it allows; the probes answer everyone."""
    requests = sorted(set(requests_of(app)))
    assert ("POST", "/api/v1/ingest/sample") in requests  # the routes were found
    failures = []
    with TestClient(app) as client:
        for caller in callers(keys, signer):
            for method, path in requests:
                response = client.request(method, path, headers=caller.headers, content=b"")
                allowed = allowed_roles(method, path)
                if allowed is None:
                    expected = "open"
                    ok = response.status_code not in {401, 403}
                elif caller.roles is None:
                    expected = "401"
                    ok = response.status_code == 401 and response.headers[
                        "www-authenticate"
                    ].startswith("Bearer")
                elif caller.roles & allowed:
                    expected = "allowed"
                    ok = response.status_code not in {401, 403}
                else:
                    expected = "403"
                    ok = response.status_code == 403
                if not ok:
                    failures.append(
                        f"{caller.name} {method} {path}: {expected}, got "
                        f"{response.status_code} {response.text[:200]}"
                    )
    assert failures == []


def test_refusals_are_problems(app: FastAPI, keys: Keys) -> None:
    """A 401 and a 403 are RFC 9457 problems that say what to send or which role is needed."""
    with TestClient(app) as client:
        missing = client.get("/api/v1/search")
        forbidden = client.post(
            "/api/v1/ingest/logs", headers={"Authorization": f"Bearer {keys.viewer}"}
        )
    assert missing.status_code == 401
    assert missing.headers["content-type"] == "application/problem+json"
    assert missing.headers["www-authenticate"] == 'Bearer realm="observability"'
    assert "Authorization: Bearer" in missing.json()["detail"]
    assert forbidden.status_code == 403
    assert forbidden.json()["type"] == "urn:observability:problem:forbidden"
    assert forbidden.json()["detail"] == (
        "this request needs the role admin or ingest; the credential has viewer"
    )


def test_viewer_cannot_ingest_or_silence(app: FastAPI, keys: Keys) -> None:
    """A viewer key reads, but sending records or creating or expiring a silence is 403."""
    viewer = {"Authorization": f"Bearer {keys.viewer}"}
    with TestClient(app) as client:
        read = client.get("/api/v1/search", headers=viewer)
        ingest = client.post("/api/v1/ingest/logs", headers=viewer, content=b"{}")
        silence = client.post("/api/v1/silences", headers=viewer, json={"matchers": []})
        expire = client.delete("/api/v1/silences/s1", headers=viewer)
    assert read.status_code == 200
    assert [ingest.status_code, silence.status_code, expire.status_code] == [403, 403, 403]


def test_ingest_key_cannot_read(app: FastAPI, keys: Keys) -> None:
    """An ingest key sends records but cannot read them back (the lattice is not a chain)."""
    ingest = {"Authorization": f"Bearer {keys.ingest}"}
    with TestClient(app) as client:
        sent = client.post(
            "/api/v1/ingest/logs",
            headers=ingest,
            content=orjson.dumps(log_record(1)),
        )
        read = client.get("/api/v1/search", headers=ingest)
    assert sent.status_code == 200
    assert sent.json()["accepted"] == 1
    assert read.status_code == 403


def test_openapi_documents_the_lattice(app: FastAPI) -> None:
    """The OpenAPI document names the schemes, leaves the probes open and says the role
    and the 401/403 answers of every other operation."""
    schema = app.openapi()
    assert set(schema["components"]["securitySchemes"]) == {"bearer", "apiKey"}
    assert schema["paths"]["/healthz"]["get"]["security"] == []
    ingest = schema["paths"]["/api/v1/ingest/{kind}"]["post"]
    assert ingest["x-required-role"] == ["admin", "ingest"]
    assert {"401", "403"} <= set(ingest["responses"])
    assert schema["paths"]["/api/v1/search"]["get"]["x-required-role"] == ["admin", "viewer"]
