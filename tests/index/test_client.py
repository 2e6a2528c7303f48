"""The client factory: no auth locally, basic auth and SigV4 over TLS, as sent on the wire."""

from __future__ import annotations

import base64
import datetime as dt
import http.server
import ipaddress
import ssl
import threading
from collections.abc import Iterator
from pathlib import Path

import boto3
import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from observability.core.errors import SettingsError
from observability.core.settings import Settings
from observability.index.client import client_from_settings, opensearch_client


def _self_signed(directory: Path) -> tuple[Path, Path]:
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")])
    now = dt.datetime.now(dt.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=1))
        .not_valid_after(now + dt.timedelta(hours=1))
        .add_extension(
            x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
            critical=False,
        )
        .sign(key, hashes.SHA256())
    )
    cert_path, key_path = directory / "cert.pem", directory / "key.pem"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return cert_path, key_path


@pytest.fixture
def tls_server(tmp_path: Path) -> Iterator[tuple[str, str, list[dict[str, str]]]]:
    """An HTTPS server on 127.0.0.1 (URL, CA file) answering and recording request headers."""
    seen: list[dict[str, str]] = []

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            seen.append({k.lower(): v for k, v in self.headers.items()})
            body = b'{"version": {"number": "2.19.1"}}'
            self.send_response(200)
            self.send_header("content-type", "application/json")
            self.send_header("content-length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: object) -> None:
            """Quiet."""

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    cert, key = _self_signed(tmp_path)
    context.load_cert_chain(cert, key)
    server.socket = context.wrap_socket(server.socket, server_side=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"https://127.0.0.1:{server.server_address[1]}", str(cert), seen
    finally:
        server.shutdown()
        server.server_close()


def test_no_auth_reaches_the_local_node(opensearch_url: str) -> None:
    """Without auth the factory's client talks to the plain-HTTP local node."""
    assert opensearch_client(opensearch_url).info()["version"]["number"] == "2.19.1"


def test_basic_auth_sends_credentials_over_tls(
    tls_server: tuple[str, str, list[dict[str, str]]],
) -> None:
    """Basic auth puts the user and password in the Authorization header, over https."""
    url, ca, seen = tls_server
    client = opensearch_client(
        url,
        auth="basic",
        username="ops",
        password="s3cret",  # noqa: S106 (test credential)
        ca_certs=ca,
    )
    client.info()
    assert seen[-1]["authorization"] == "Basic " + base64.b64encode(b"ops:s3cret").decode()


def test_sigv4_signs_with_the_session_credentials(
    tls_server: tuple[str, str, list[dict[str, str]]],
) -> None:
    """SigV4 signs for the region and service with the boto3 session's access key."""
    url, ca, seen = tls_server
    session = boto3.Session(
        aws_access_key_id="AKIDEXAMPLE",
        aws_secret_access_key="secret",  # noqa: S106 (dummy credential)
        region_name="eu-west-1",
    )
    settings = Settings.from_env(
        {}, opensearch_url=url, opensearch_auth="sigv4", aws_region="eu-west-1"
    )
    client = client_from_settings(settings, service="aoss", session=session, ca_certs=ca)
    client.info()
    authorization = seen[-1]["authorization"]
    assert authorization.startswith("AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/")
    assert "/eu-west-1/aoss/aws4_request" in authorization
    assert "x-amz-date" in seen[-1]


@pytest.mark.parametrize(
    ("url", "auth", "username", "message"),
    [
        ("http://search.example:9200", "basic", "ops", "needs https"),
        ("https://search.example", "basic", None, "USERNAME and _PASSWORD"),
        ("http://search.example:9200", "sigv4", None, "needs https"),
    ],
)
def test_auth_misconfiguration_is_a_settings_error(
    url: str, auth: str, username: str | None, message: str
) -> None:
    """Credentials never go over plain HTTP, and basic auth needs both halves."""
    with pytest.raises(SettingsError, match=message):
        opensearch_client(url, auth=auth, username=username, password=None)  # type: ignore[arg-type]


def test_settings_without_url_is_an_error() -> None:
    """client_from_settings names the missing variable."""
    with pytest.raises(SettingsError, match="OBSERVABILITY_OPENSEARCH_URL"):
        client_from_settings(Settings.from_env({}))
