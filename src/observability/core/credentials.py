"""How our own clients present an API key (the HTTP sink, the demo): one header, here.

The service also accepts `X-API-Key`; ours send the standard `Authorization: Bearer`.
"""

from __future__ import annotations


def auth_headers(api_key: str | None) -> dict[str, str]:
    """`Authorization: Bearer <key>` when a key is configured, else nothing."""
    return {"Authorization": f"Bearer {api_key}"} if api_key else {}
