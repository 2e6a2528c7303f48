"""`GET /api/v1/whoami`: the caller's roles as the auth middleware decided them."""

from __future__ import annotations

from pathlib import Path

from fastapi.testclient import TestClient

from observability.auth.apikeys import KeyStore
from observability.auth.roles import KeyRole
from observability.auth.secret import server_secret
from observability.core.metrics import Metrics
from observability.core.settings import Settings
from observability.runtime import Runtime
from observability.service.app import create_app
from observability.service.roles import Role
from observability.store.local import LocalStore

API_ONLY = frozenset({Role.API})


def test_local_mode_is_an_admin(tmp_path: Path, store: LocalStore, metrics: Metrics) -> None:
    """On loopback with no key in the store, the caller is the local admin."""
    settings = Settings.from_env({}, store_url=store.url, state_dir=tmp_path / "state")
    client = TestClient(create_app(Runtime(settings, store=store, metrics=metrics), API_ONLY))
    body = client.get("/api/v1/whoami").json()
    assert body == {
        "kind": "local",
        "subject": "local",
        "roles": ["admin"],
        "permissions": ["admin", "ingest", "read"],
    }


def test_a_key_names_its_role_and_no_key_is_refused(
    tmp_path: Path, store: LocalStore, metrics: Metrics
) -> None:
    """A viewer key reads as a viewer that may read; without a key the answer is a 401."""
    settings = Settings.from_env({}, store_url=store.url, state_dir=tmp_path / "state")
    secret = server_secret(settings)
    viewer, record = KeyStore(store).create(KeyRole.VIEWER, "dashboards", secret)
    ingest, _ = KeyStore(store).create(KeyRole.INGEST, "producer", secret)
    client = TestClient(create_app(Runtime(settings, store=store, metrics=metrics), API_ONLY))
    body = client.get("/api/v1/whoami", headers={"Authorization": f"Bearer {viewer}"}).json()
    assert body == {
        "kind": "key",
        "subject": record.key_id,
        "roles": ["viewer"],
        "permissions": ["read"],
    }
    assert viewer not in str(body)
    refused = client.get("/api/v1/whoami")
    assert refused.status_code == 401
    assert refused.headers["content-type"] == "application/problem+json"
    assert client.get("/api/v1/whoami", headers={"X-API-Key": ingest}).status_code == 403
