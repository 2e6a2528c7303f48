"""The role lattice and the permission each method and path needs."""

from __future__ import annotations

import pytest

from observability.auth.policy import required
from observability.auth.roles import LOCAL, KeyRole, Permission, Principal, parse_role, roles_in


@pytest.mark.parametrize(
    ("method", "path", "permission"),
    [
        ("GET", "/healthz", None),
        ("GET", "/readyz", None),
        ("GET", "/metrics", None),
        ("POST", "/api/v1/ingest/logs", Permission.INGEST),
        ("GET", "/api/v1/search", Permission.READ),
        ("HEAD", "/api/v1/models", Permission.READ),
        ("GET", "/api/v1/silences", Permission.READ),
        ("POST", "/api/v1/silences", Permission.ADMIN),
        ("DELETE", "/api/v1/silences/abc", Permission.ADMIN),
        ("GET", "/api/v1/keys", Permission.ADMIN),
        ("GET", "/api/v1/keysmith", Permission.READ),
        ("POST", "/api/v1/jobs/drift/run", Permission.ADMIN),
        ("GET", "/api/v1/ingest/../keys", Permission.ADMIN),
        ("GET", "/", None),
        ("GET", "/models/churn", None),
        ("GET", "/assets/app.1234.js", None),
        ("POST", "/models/churn", Permission.ADMIN),
        ("GET", "/docs", Permission.READ),
    ],
)
def test_each_path_needs_its_permission(
    method: str, path: str, permission: Permission | None
) -> None:
    """Probes and the UI's shell are open, ingest needs ingest, silences' changes and keys
    need admin, reads need read, other changes need admin."""
    assert required(method, path) == permission


def test_metrics_can_be_closed() -> None:
    """With `metrics_public` off, /metrics is a read like any other."""
    assert required("GET", "/metrics", metrics_public=False) == Permission.READ


def test_admin_may_everything_viewer_and_ingest_are_apart() -> None:
    """admin holds every permission; viewer only reads; ingest only ingests."""
    admin = Principal("key", "a", frozenset({KeyRole.ADMIN}))
    viewer = Principal("key", "v", frozenset({KeyRole.VIEWER}))
    ingest = Principal("key", "i", frozenset({KeyRole.INGEST}))
    assert all(admin.may(permission) for permission in Permission)
    assert [viewer.may(p) for p in Permission] == [True, False, False]
    assert [ingest.may(p) for p in Permission] == [False, True, False]
    assert LOCAL.may(Permission.ADMIN)
    assert not Principal("jwt", "x", frozenset()).may(Permission.READ)


def test_role_names() -> None:
    """Role names parse case-insensitively; an unknown one lists the known; claims keep
    only ours."""
    assert parse_role(" Admin ") is KeyRole.ADMIN
    with pytest.raises(ValueError, match="use one of viewer, ingest, admin"):
        parse_role("root")
    assert roles_in(["viewer", "billing-admin", "ingest"]) == {KeyRole.VIEWER, KeyRole.INGEST}
