"""`GET /api/v1/whoami`: who the request's credential names, and what it may do.

The UI asks this when a key is entered: to say at once whether the key works, and to show
the controls the key's roles permit (a viewer sees no silence form; the API refuses it
anyway). It answers what the auth middleware already decided, nothing more.
"""

from __future__ import annotations

from fastapi import APIRouter
from pydantic import BaseModel, Field

from observability.auth.middleware import PrincipalDep
from observability.auth.roles import Permission

router = APIRouter(prefix="/api/v1", tags=["auth"])


class Identity(BaseModel):
    """The caller as the server sees it."""

    kind: str = Field(description="`key`, `jwt`, or `local` (loopback while no key exists)")
    subject: str = Field(description="The key id, the token's subject, or `local`")
    roles: list[str] = Field(description="The roles the credential carries")
    permissions: list[str] = Field(description="What those roles permit: read, ingest, admin")

    model_config = {
        "json_schema_extra": {
            "examples": [
                {
                    "kind": "key",
                    "subject": "k3f9a1c2",
                    "roles": ["viewer"],
                    "permissions": ["read"],
                }
            ]
        }
    }


@router.get("/whoami", response_model=Identity)
async def whoami(principal: PrincipalDep) -> Identity:
    """The caller's kind, subject, roles and permissions."""
    return Identity(
        kind=principal.kind,
        subject=principal.subject,
        roles=sorted(principal.roles),
        permissions=sorted(p.value for p in Permission if principal.may(p)),
    )
