"""Bearer JWTs: verified against a JWKS served over HTTP, issuer, audience and expiry
enforced, roles read from the configured claim, the JWKS fetched rarely."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time

import jwt
import pytest
from cryptography.hazmat.primitives import serialization
from fastapi.testclient import TestClient

from observability.auth.roles import KeyRole
from observability.auth.tokens import TokenVerifier
from observability.core.errors import SettingsError
from observability.core.metrics import Metrics
from observability.core.settings import Settings
from observability.service.errors import UnauthorizedError
from observability.store.local import LocalStore
from tests.auth.conftest import KID, JwksServer, Signer, build_app
from tests.servers import free_port


def test_good_token_names_its_roles_and_is_remembered(
    jwt_settings: Settings, signer: Signer, jwks: JwksServer
) -> None:
    """A valid token yields its subject and known roles; checking it again fetches nothing."""
    verifier = TokenVerifier(jwt_settings)
    token = signer.token(["viewer", "ingest", "someone-elses-role"])
    principal = verifier.verify(token)
    assert principal.kind == "jwt" and principal.subject == "someone@example.test"
    assert principal.roles == {KeyRole.VIEWER, KeyRole.INGEST}
    assert verifier.cached(token) == principal
    assert verifier.verify(signer.token(["admin"])).roles == {KeyRole.ADMIN}
    assert jwks.fetches == 1


@pytest.mark.parametrize(
    ("claims", "reason"),
    [
        ({"exp": int(time.time()) - 120}, "expired"),
        ({"aud": "another-app"}, "(?i)audience"),
        ({"iss": "https://other-idp.example/"}, "(?i)issuer"),
        ({"exp": None}, '"exp"'),
    ],
)
def test_bad_claims_are_refused(
    jwt_settings: Settings, signer: Signer, claims: dict[str, object], reason: str
) -> None:
    """An expired token, or one for another audience or from another issuer, or without
    `exp`, is 401 with the reason."""
    token = signer.token(["admin"], **claims)
    with pytest.raises(UnauthorizedError, match=reason):
        TokenVerifier(jwt_settings).verify(token)


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def hmac_forgery(claims: dict[str, object], secret: bytes) -> str:
    """A token "signed" HS256 with `secret`, built by hand (PyJWT refuses to make one with
    a public key, which is the point)."""
    head = _b64(json.dumps({"alg": "HS256", "typ": "JWT", "kid": KID}).encode())
    body = _b64(json.dumps(claims).encode())
    signature = hmac.new(secret, f"{head}.{body}".encode(), hashlib.sha256).digest()
    return f"{head}.{body}.{_b64(signature)}"


def test_forgeries_are_refused(jwt_settings: Settings, signer: Signer) -> None:
    """Another key under our kid, an HMAC keyed with our public key, or `alg: none` fail."""
    verifier = TokenVerifier(jwt_settings)
    public_pem = signer.private.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    claims = jwt.decode(signer.token(["admin"]), options={"verify_signature": False})
    forgeries = (
        Signer().token(["admin"]),
        hmac_forgery(claims, public_pem),
        jwt.encode(claims, None, algorithm="none", headers={"kid": KID}),
    )
    for token in forgeries:
        with pytest.raises(UnauthorizedError, match="not valid"):
            verifier.verify(token)


def test_unknown_kids_do_not_fetch_each_time(
    jwt_settings: Settings, signer: Signer, jwks: JwksServer
) -> None:
    """Tokens naming kids the JWKS lacks are refused with at most one early refetch."""
    verifier = TokenVerifier(jwt_settings)
    for i in range(20):
        with pytest.raises(UnauthorizedError, match="not valid"):
            verifier.verify(signer.token(["admin"], kid=f"forged-{i}"))
    assert jwks.fetches <= 2


def test_roles_from_a_nested_or_spaced_claim(jwt_settings: Settings, signer: Signer) -> None:
    """`realm_access.roles` reaches into a nested claim; a string claim splits on spaces."""
    nested = TokenVerifier(jwt_settings.replace(jwt_roles_claim="realm_access.roles"))
    token = signer.token([], realm_access={"roles": ["admin"]})
    assert nested.verify(token).roles == {KeyRole.ADMIN}
    spaced = TokenVerifier(jwt_settings.replace(jwt_roles_claim="scope"))
    assert spaced.verify(signer.token([], scope="openid viewer")).roles == {KeyRole.VIEWER}


def test_settings_must_name_issuer_and_audience(jwt_settings: Settings) -> None:
    """A JWKS URL without an issuer or an audience is a settings error naming the variable."""
    with pytest.raises(SettingsError, match="OBSERVABILITY_JWT_AUDIENCE: required"):
        TokenVerifier(jwt_settings.replace(jwt_audience=None))
    with pytest.raises(SettingsError, match="OBSERVABILITY_JWT_ISSUER: required"):
        TokenVerifier(jwt_settings.replace(jwt_issuer=None))
    with pytest.raises(SettingsError, match="http"):
        TokenVerifier(jwt_settings.replace(jwt_jwks_url="file:///etc/passwd"))


def test_in_the_app_roles_decide_and_an_unreachable_jwks_is_503(
    store: LocalStore, metrics: Metrics, signer: Signer, jwt_settings: Settings
) -> None:
    """Through the app: a viewer token reads, a token without our roles gets 403, and when
    the JWKS cannot be fetched the answer is 503 with Retry-After, not 401."""
    with TestClient(build_app(jwt_settings, store, metrics)) as client:
        read = client.get("/api/v1/search", headers={"Authorization": f"Bearer {signer.token()}"})
        none = client.get(
            "/api/v1/search", headers={"Authorization": f"Bearer {signer.token(['guest'])}"}
        )
    assert read.status_code == 200
    assert none.status_code == 403
    assert none.json()["detail"].endswith("the credential has no role")
    gone = jwt_settings.replace(jwt_jwks_url=f"http://127.0.0.1:{free_port()}/jwks.json")
    with TestClient(build_app(gone, store, metrics)) as client:
        down = client.get("/api/v1/search", headers={"Authorization": f"Bearer {signer.token()}"})
    assert down.status_code == 503
    assert down.headers["retry-after"] == "1"
