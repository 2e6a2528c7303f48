"""The OpenAPI document says what each operation needs, from the same policy the
middleware applies: the security schemes, `security` per operation (empty for the public
ones), the role in `x-required-role`, and the 401 and 403 answers."""

from __future__ import annotations

from typing import Any, Final

from fastapi import FastAPI

from observability.auth.policy import required
from observability.auth.roles import GRANTS

SCHEMES: Final = {
    "bearer": {
        "type": "http",
        "scheme": "bearer",
        "description": "An API key (`obs_...`, from `observability keys create`) or a JWT "
        "from the identity-aware proxy.",
    },
    "apiKey": {"type": "apiKey", "in": "header", "name": "X-API-Key"},
}
_PROBLEM: Final = {"application/problem+json": {"schema": {"type": "object"}}}
REFUSALS: Final = {
    "401": {"description": "No credential, or one that is not valid.", "content": _PROBLEM},
    "403": {"description": "The credential's role does not allow this.", "content": _PROBLEM},
}
_METHODS: Final = frozenset({"get", "head", "options", "post", "put", "patch", "delete"})


def document_security(app: FastAPI, metrics_public: bool) -> None:
    """Wrap `app.openapi` so the document it builds (once) carries the security."""
    build = app.openapi

    def openapi() -> dict[str, Any]:
        fresh = app.openapi_schema is None
        schema = build()
        if fresh:
            add_security(schema, metrics_public)
        return schema

    app.openapi = openapi  # type: ignore[method-assign] # FastAPI's documented override


def add_security(schema: dict[str, Any], metrics_public: bool) -> None:
    """Mark each operation of an OpenAPI document with what it needs."""
    schema.setdefault("components", {}).setdefault("securitySchemes", {}).update(SCHEMES)
    for path, operations in schema.get("paths", {}).items():
        for method, operation in operations.items():
            if method not in _METHODS:
                continue
            permission = required(method, path, metrics_public=metrics_public)
            if permission is None:
                operation["security"] = []
                continue
            operation["security"] = [{"bearer": []}, {"apiKey": []}]
            roles = sorted(role for role, grants in GRANTS.items() if permission in grants)
            operation["x-required-role"] = roles
            responses = operation.setdefault("responses", {})
            for status, answer in REFUSALS.items():
                responses.setdefault(status, answer)
