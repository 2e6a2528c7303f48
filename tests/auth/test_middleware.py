"""The middleware: the local mode, the switch to keys, how credentials are sent, CORS, and
that no credential reaches a log."""

from __future__ import annotations

import logging
import time

import pytest
from fastapi.testclient import TestClient

from observability.auth.apikeys import KeyStore
from observability.auth.roles import KeyRole
from observability.auth.secret import server_secret
from observability.core.metrics import Metrics
from observability.core.settings import Settings
from observability.store.local import LocalStore
from tests.auth.conftest import Keys, Signer, build_app

REMOTE = "http://10.20.30.40:8000"  # the address the connection arrived on, as a server sets it


def test_local_mode_is_open(settings: Settings, store: LocalStore, metrics: Metrics) -> None:
    """No key exists and the caller is local: reads and ingest answer, whatever is sent."""
    with TestClient(build_app(settings, store, metrics)) as client:
        read = client.get("/api/v1/search")
        ingest = client.post("/api/v1/ingest/logs", content=b"")
        stale = client.get("/api/v1/search", headers={"Authorization": "Bearer obs_stale"})
    assert read.status_code == 200
    assert ingest.status_code not in {401, 403}
    assert stale.status_code == 200


def test_no_key_on_a_reachable_address_is_refused(
    settings: Settings, store: LocalStore, metrics: Metrics
) -> None:
    """Reached on a non-loopback address with no key (started around `serve`'s check), the
    app refuses everything but the probes and says how to make a key."""
    with TestClient(build_app(settings, store, metrics), base_url=REMOTE) as client:
        read = client.get("/api/v1/search")
        health = client.get("/healthz")
    assert read.status_code == 401
    assert "observability keys create" in read.json()["detail"]
    assert health.status_code == 200


def test_insecure_no_auth_opens_every_address_and_warns(
    settings: Settings, store: LocalStore, metrics: Metrics, caplog: pytest.LogCaptureFixture
) -> None:
    """With insecure_no_auth and no key, a remote caller is served, and the start warns."""
    caplog.set_level(logging.WARNING)
    app = build_app(settings.replace(insecure_no_auth=True), store, metrics)
    assert "--insecure-no-auth" in caplog.text
    with TestClient(app, base_url=REMOTE) as client:
        assert client.get("/api/v1/search").status_code == 200


def test_a_new_key_works_at_once(
    settings: Settings, store: LocalStore, metrics: Metrics, keys: Keys
) -> None:
    """With keys in use, a key made while the app runs works at once: its unknown id makes
    the app look again, well inside the 10 s TTL."""
    with TestClient(build_app(settings, store, metrics)) as client:
        assert client.get("/api/v1/search", headers={"X-API-Key": keys.viewer}).status_code == 200
        time.sleep(1.05)  # forced looks are at most one a second
        key, _ = KeyStore(store).create(KeyRole.VIEWER, "new", server_secret(settings))
        fresh = client.get("/api/v1/search", headers={"Authorization": f"Bearer {key}"})
    assert fresh.status_code == 200


def test_once_a_key_exists_loopback_needs_one_too(
    settings: Settings, store: LocalStore, metrics: Metrics
) -> None:
    """The first key made while the app runs ends the local mode within
    auth_cache_seconds: from then on a loopback caller without a key is refused."""
    fast = settings.replace(auth_cache_seconds=0.3)
    with TestClient(build_app(fast, store, metrics)) as client:
        assert client.get("/api/v1/search").status_code == 200
        KeyStore(store).create(KeyRole.VIEWER, "v", server_secret(fast))
        time.sleep(0.35)
        assert client.get("/api/v1/search").status_code == 401


def test_revoked_key_is_refused_within_the_ttl(
    settings: Settings, store: LocalStore, metrics: Metrics, keys: Keys
) -> None:
    """Revoking a key while the app runs refuses it once auth_cache_seconds have passed."""
    fast = settings.replace(auth_cache_seconds=0.3)
    keystore = KeyStore(store)
    admin = {"Authorization": f"Bearer {keys.admin}"}
    admin_id = next(r.key_id for r in keystore.records() if r.name == "test admin")
    with TestClient(build_app(fast, store, metrics)) as client:
        assert client.get("/api/v1/search", headers=admin).status_code == 200
        keystore.revoke(admin_id)
        time.sleep(0.35)
        refused = client.get("/api/v1/search", headers=admin)
    assert refused.status_code == 401
    assert refused.json()["detail"] == "the API key has been revoked"
    assert 'error="invalid_token"' in refused.headers["www-authenticate"]


@pytest.mark.parametrize(
    ("headers", "detail"),
    [
        ({"Authorization": "Basic dXNlcjpwYXNz"}, "must be `Bearer <credential>`"),
        ({"Authorization": "Bearer"}, "must be `Bearer <credential>`"),
        ({"Authorization": "Bearer not-a-key"}, "not an API key or a valid token"),
        ({"X-API-Key": "obs_0123456789abcdef_" + "A" * 43}, "the API key is not valid"),
    ],
)
def test_malformed_credentials_are_401(  # noqa: PLR0917 - pytest passes fixtures by position
    settings: Settings,
    store: LocalStore,
    metrics: Metrics,
    keys: Keys,
    headers: dict[str, str],
    detail: str,
) -> None:
    """Another scheme, an empty bearer, a bearer that is neither key nor token, or an
    unknown key: each a 401 that says which."""
    with TestClient(build_app(settings, store, metrics)) as client:
        response = client.get("/api/v1/search", headers=headers)
    assert response.status_code == 401
    assert detail in response.json()["detail"]


def test_two_different_credentials_are_refused(
    settings: Settings, store: LocalStore, metrics: Metrics, keys: Keys
) -> None:
    """Authorization and X-API-Key naming two keys is a 401; the same key in both is fine."""
    with TestClient(build_app(settings, store, metrics)) as client:
        mixed = client.get(
            "/api/v1/search",
            headers={"Authorization": f"Bearer {keys.admin}", "X-API-Key": keys.viewer},
        )
        same = client.get(
            "/api/v1/search",
            headers={"Authorization": f"Bearer {keys.viewer}", "X-API-Key": keys.viewer},
        )
    assert mixed.status_code == 401
    assert same.status_code == 200


def test_metrics_can_require_a_key(
    settings: Settings, store: LocalStore, metrics: Metrics, keys: Keys
) -> None:
    """/metrics is open by default; with metrics_public off it needs a viewer."""
    with TestClient(build_app(settings, store, metrics)) as client:
        assert client.get("/metrics").status_code == 200
    closed = settings.replace(metrics_public=False)
    with TestClient(build_app(closed, store, metrics)) as client:
        assert client.get("/metrics").status_code == 401
        viewer = {"Authorization": f"Bearer {keys.viewer}"}
        assert client.get("/metrics", headers=viewer).status_code == 200


def test_cors_is_off_by_default_and_preflight_passes_when_on(
    settings: Settings, store: LocalStore, metrics: Metrics, keys: Keys
) -> None:
    """No CORS headers by default; with an origin configured, a preflight (which carries no
    key) is answered and a keyed request gets the allow-origin header."""
    origin = {"Origin": "https://ui.example"}
    preflight = {
        **origin,
        "Access-Control-Request-Method": "GET",
        "Access-Control-Request-Headers": "authorization",
    }
    with TestClient(build_app(settings, store, metrics)) as client:
        plain = client.get("/api/v1/search", headers={**origin, "X-API-Key": keys.viewer})
    assert "access-control-allow-origin" not in plain.headers
    cors = settings.replace(cors_origins=("https://ui.example",))
    with TestClient(build_app(cors, store, metrics)) as client:
        answered = client.options("/api/v1/search", headers=preflight)
        keyed = client.get("/api/v1/search", headers={**origin, "X-API-Key": keys.viewer})
    assert answered.status_code == 200
    assert keyed.headers["access-control-allow-origin"] == "https://ui.example"


def test_credentials_never_reach_the_logs(  # noqa: PLR0917 - pytest passes fixtures by position
    jwt_settings: Settings,
    store: LocalStore,
    metrics: Metrics,
    keys: Keys,
    signer: Signer,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """Requests with good, revoked, unknown and forged keys and tokens, a failing route and
    a 403 log nothing of any credential, at any level."""
    caplog.set_level(logging.DEBUG)
    token, forged = signer.token(["viewer"]), Signer().token(["admin"])
    unknown = keys.viewer[:-4] + "AAAA"
    sent = [keys.viewer, keys.admin, keys.revoked, keys.ingest, unknown, token, forged]
    with TestClient(build_app(jwt_settings, store, metrics)) as client:
        for credential in sent:
            for path in ("/api/v1/search", "/api/v1/search?since=not-a-time", "/nowhere"):
                client.get(path, headers={"Authorization": f"Bearer {credential}"})
            client.post("/api/v1/ingest/logs", headers={"X-API-Key": credential}, content=b"[")
    assert caplog.records  # the requests were logged (httpx, the app), just not the secrets
    for credential in sent:
        secret_part = credential.split("_", 2)[2] if credential.startswith("obs_") else credential
        assert secret_part not in caplog.text
        assert credential.split(".")[-1] not in caplog.text
