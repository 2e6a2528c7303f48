"""What every response model shares: examples in the OpenAPI document."""

from __future__ import annotations

from typing import Any

from pydantic import ConfigDict


def example(value: dict[str, Any]) -> ConfigDict:
    """A model configuration whose JSON schema carries `value` as its example."""
    return ConfigDict(json_schema_extra={"examples": [value]})
