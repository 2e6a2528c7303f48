"""The HTTP side of the read routes' contract: the RFC 9457 problem and the error answers
each route declares, so the OpenAPI document describes every response a client can get.

The answers' bodies are the read side's models (`dashboard/schemas.py`); the problem's
members are those `service/errors.py` writes.
"""

from __future__ import annotations

from typing import Any, Final

from pydantic import BaseModel, ConfigDict, Field

from observability.service.errors import PROBLEM_JSON


class Problem(BaseModel):
    """An RFC 9457 problem: what went wrong, for a program (`type`) and for a person."""

    model_config = ConfigDict(
        extra="allow",
        json_schema_extra={
            "examples": [
                {
                    "type": "urn:observability:problem:not-found",
                    "title": "Not Found",
                    "status": 404,
                    "detail": "no model 'fraud' is configured or has drift windows (known: churn)",
                }
            ]
        },
    )

    type: str = Field(description="A stable URN per kind of problem.")
    title: str
    status: int
    detail: str


_PROBLEM_SCHEMA: Final = Problem.model_json_schema()

_WHY: Final = {
    400: "A parameter that cannot be used (a bad time, name, cursor or query parameter).",
    404: "Nothing is stored under the name given.",
    422: "A parameter of the wrong type or outside its bounds.",
    503: "The store or the query engine cannot answer right now; retry later.",
}


def problems(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """`responses=` for a route: each status answered as problem+json."""
    return {
        status: {
            "description": _WHY.get(status, "An error."),
            "content": {PROBLEM_JSON: {"schema": _PROBLEM_SCHEMA}},
        }
        for status in statuses
    }


#: What every read route may answer besides its 200.
READ_PROBLEMS: Final = problems(400, 404, 422, 503)
