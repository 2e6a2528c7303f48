"""The role lattice: what a key's or a token's role permits.

Three permissions, three roles. `viewer` reads, `ingest` only sends records (a producer's
key cannot read what others sent), and `admin` can do everything: read, ingest, silence
alerts and manage keys. `viewer` and `ingest` are incomparable; `admin` is above both.

These are *auth* roles; `service.roles` names the parts of the service (collector, api,
worker), which is another matter.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import Final


class Permission(StrEnum):
    """What a request needs."""

    READ = "read"
    INGEST = "ingest"
    ADMIN = "admin"


class KeyRole(StrEnum):
    """A role an API key or a token carries."""

    VIEWER = "viewer"
    INGEST = "ingest"
    ADMIN = "admin"


#: The lattice, written once.
GRANTS: Final[Mapping[KeyRole, frozenset[Permission]]] = {
    KeyRole.VIEWER: frozenset({Permission.READ}),
    KeyRole.INGEST: frozenset({Permission.INGEST}),
    KeyRole.ADMIN: frozenset(Permission),
}


_BY_NAME: Final[Mapping[str, KeyRole]] = {role.value: role for role in KeyRole}


def parse_role(name: str) -> KeyRole:
    """A role by name; ValueError lists the names there are."""
    try:
        return KeyRole(name.strip().lower())
    except ValueError:
        names = ", ".join(KeyRole)
        raise ValueError(f"unknown role {name!r:.40} (use one of {names})") from None


def roles_in(names: Iterable[str]) -> frozenset[KeyRole]:
    """The known roles among `names` (a token's claim may list other applications' roles)."""
    return frozenset(_BY_NAME[name] for name in names if name in _BY_NAME)


@dataclass(frozen=True, slots=True)
class Principal:
    """Who a request acts as: `kind` is `key`, `jwt` or `local` (no key exists, loopback)."""

    kind: str
    subject: str
    roles: frozenset[KeyRole]

    def may(self, permission: Permission) -> bool:
        """Whether one of the roles grants `permission`."""
        return any(permission in GRANTS[role] for role in self.roles)


#: The caller in the local mode: loopback, no key exists, so everything is open.
LOCAL: Final = Principal("local", "local", frozenset({KeyRole.ADMIN}))
