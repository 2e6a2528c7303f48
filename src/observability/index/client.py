"""The one place an OpenSearch client is built: no auth, basic over TLS, or SigV4.

Built once at the composition root (CLI, handler cold start) from explicit values and
passed down. SigV4 signs with the boto3 session's credentials (the Lambda role), service
`es` for OpenSearch Service domains or `aoss` for Serverless collections.
"""

from __future__ import annotations

from typing import Final, Literal

import boto3
from opensearchpy import OpenSearch, Urllib3AWSV4SignerAuth

from observability.core.errors import SettingsError
from observability.core.settings import Settings

AuthMode = Literal["none", "basic", "sigv4"]
SigV4Service = Literal["es", "aoss"]

#: Bulk requests of ~10 MiB can take a while on a busy cluster; searches are much faster.
DEFAULT_TIMEOUT: Final = 60.0


def opensearch_client(
    url: str,
    *,
    auth: AuthMode = "none",
    username: str | None = None,
    password: str | None = None,
    region: str | None = None,
    service: SigV4Service = "es",
    session: boto3.Session | None = None,
    timeout: float = DEFAULT_TIMEOUT,
    ca_certs: str | None = None,
) -> OpenSearch:
    """A client for `url`; raises SettingsError when the auth mode lacks what it needs.

    Certificates are always verified; `ca_certs` names a private CA bundle.
    """
    tls = url.startswith("https://")
    if auth == "none":
        return OpenSearch(hosts=[url], timeout=timeout, http_compress=False)
    if not tls:
        # The URL itself may embed credentials: name only its scheme.
        scheme = url.split("://", 1)[0] if "://" in url else "no scheme"
        raise SettingsError(
            f"OBSERVABILITY_OPENSEARCH_URL: {auth} auth needs https://, got {scheme}://"
        )
    if auth == "basic":
        if not username or not password:
            raise SettingsError(
                "OBSERVABILITY_OPENSEARCH_USERNAME and _PASSWORD are required for basic auth"
            )
        return OpenSearch(
            hosts=[url],
            http_auth=(username, password),
            use_ssl=True,
            verify_certs=True,
            ca_certs=ca_certs,
            timeout=timeout,
        )
    if auth == "sigv4":
        boto = session or boto3.Session(region_name=region)
        credentials = boto.get_credentials()
        if credentials is None:
            raise SettingsError("sigv4 auth: no AWS credentials found for the boto3 session")
        # The urllib3 flavour of AWSV4SignerAuth: the requests-based connection lets
        # REQUESTS_CA_BUNDLE override `ca_certs`, and urllib3 is the faster transport.
        signer = Urllib3AWSV4SignerAuth(credentials, region or boto.region_name, service)
        return OpenSearch(
            hosts=[url],
            http_auth=signer,
            use_ssl=True,
            verify_certs=True,
            ca_certs=ca_certs,
            timeout=timeout,
        )
    raise SettingsError(f"OBSERVABILITY_OPENSEARCH_AUTH: unknown mode {auth!r}")


def client_from_settings(
    settings: Settings,
    *,
    service: SigV4Service | None = None,
    session: boto3.Session | None = None,
    ca_certs: str | None = None,
) -> OpenSearch:
    """The client the settings describe; SettingsError when no OpenSearch URL is set."""
    if not settings.opensearch_url:
        raise SettingsError("OBSERVABILITY_OPENSEARCH_URL is not set")
    return opensearch_client(
        settings.opensearch_url,
        auth=settings.opensearch_auth,
        username=settings.opensearch_username,
        password=settings.opensearch_password,
        region=settings.aws_region,
        service=service or settings.opensearch_service,
        session=session,
        ca_certs=ca_certs or settings.opensearch_ca_certs,
    )
