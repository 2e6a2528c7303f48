"""What `observability serve` checks before it binds: no open service on a reachable address.

Without a key (and without a JWKS), the service answers anyone it serves: fine on
loopback (the local mode), a leak anywhere else. So a non-loopback `--host` with no key
record in the store is refused with one line saying why and what to do, unless
`--insecure-no-auth` says the operator means it (then `install_auth` warns at every start).
"""

from __future__ import annotations

import ipaddress

from observability.auth.apikeys import KeyStore
from observability.core.errors import ObservabilityError
from observability.core.settings import Settings
from observability.store.base import ObjectStore


class ExposureError(ObservabilityError):
    """`serve` would answer anyone on a reachable address."""


def is_loopback(host: str) -> bool:
    """Whether binding `host` is reachable from this machine only (`localhost`, 127/8, ::1)."""
    if host.strip().lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False  # another name may resolve to anything: treat it as reachable


def check_exposure(settings: Settings, store: ObjectStore) -> None:
    """Raise ExposureError when `settings.host` is reachable and nothing asks for a key."""
    if is_loopback(settings.host) or settings.insecure_no_auth or settings.jwt_jwks_url:
        return
    records, broken = KeyStore(store).load({})
    if records or broken:
        return
    raise ExposureError(
        f"refusing to serve on {settings.host}:{settings.port} without authentication: "
        "no API key exists, so anyone who can reach it could read and change everything; "
        "create one with `observability keys create --role admin`, or pass "
        "--insecure-no-auth to serve openly anyway"
    )
