"""What each request needs, from its method and path alone: no route opts in or out.

The auth middleware asks this before routing, so a route added later is covered the day it
is added, an unknown path is refused like a real one (no probing for routes without a
key), and a request is refused before its body is read.

- `/healthz` and `/readyz` need nothing; `/metrics` needs nothing while `metrics_public`;
- a GET of the UI's shell (its views and files, `core/links.py`) needs nothing: it holds no
  data, and it is the page where a person enters a key;
- `/api/v1/ingest/...` needs `ingest`;
- `/api/v1/keys...` needs `admin`, and so does any change to `/api/v1/silences...`;
- any other GET, HEAD or OPTIONS is a read (`viewer`);
- a path with `.` or `..` segments needs `admin` (no route has one);
- any other method changes something and needs `admin`, unless its path is one of
  `READS_BY_POST` (a read whose parameters travel in a body).
"""

from __future__ import annotations

from typing import Final

from observability.auth.roles import Permission
from observability.core.links import is_ui_path

#: Probes: answer anyone, always.
PUBLIC_PATHS: Final = frozenset({"/healthz", "/readyz"})
METRICS_PATH: Final = "/metrics"
API: Final = "/api/v1"
INGEST_PREFIX: Final = f"{API}/ingest/"
ADMIN_PREFIXES: Final = (f"{API}/keys",)
#: Resources whose reads are a viewer's and whose changes are an admin's.
ADMIN_WRITES: Final = (f"{API}/silences",)
SAFE_METHODS: Final = frozenset({"GET", "HEAD", "OPTIONS"})
#: POST routes that only read (none yet; a route listed here must not change anything).
READS_BY_POST: Final[frozenset[str]] = frozenset()


def required(method: str, path: str, *, metrics_public: bool = True) -> Permission | None:
    """The permission a request needs; None when it needs no credential at all."""
    if path in PUBLIC_PATHS or (metrics_public and path == METRICS_PATH):
        return None
    safe = method.upper() in SAFE_METHODS
    if safe and is_ui_path(path):  # the UI's shell: no data, and the page that asks for a key
        return None
    rules = (
        # no route has dot segments: never let one shift a path under another prefix
        (any(segment in {".", ".."} for segment in path.split("/")), Permission.ADMIN),
        (path.startswith(INGEST_PREFIX), Permission.INGEST),
        (_under(path, ADMIN_PREFIXES), Permission.ADMIN),
        (_under(path, ADMIN_WRITES), Permission.READ if safe else Permission.ADMIN),
        (safe or path in READS_BY_POST, Permission.READ),
    )
    return next((permission for hit, permission in rules if hit), Permission.ADMIN)


def _under(path: str, prefixes: tuple[str, ...]) -> bool:
    """Whether `path` is one of `prefixes` or below one (`/a` covers `/a/b`, not `/ab`)."""
    return any(path == prefix or path.startswith(prefix + "/") for prefix in prefixes)
