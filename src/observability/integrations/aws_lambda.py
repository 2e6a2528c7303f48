"""A decorator for Lambda handlers: invocation context on every line, flushed on return.

    @inject_lambda_context
    def handler(event, context): ...

Like Powertools' `inject_lambda_context`: every line logged during an invocation carries
`request_id` (the invocation's `aws_request_id`), `function_name`, `function_version`
and `cold_start` (true on the process's first invocation), and X-Ray's trace header
gives `trace_id` and `span_id` as X-Ray spells them (kept as given, not W3C-shaped).
Before the handler returns, or raises, the sink is flushed: Lambda freezes the process
between invocations, so a background thread would deliver nothing until the next one.
"""

from __future__ import annotations

import functools
import os
from collections.abc import Callable
from typing import Final, Protocol, TypeVar

from observability.emit.config import flush
from observability.emit.context import (
    bind_attributes,
    bind_context,
    reset_attributes,
    reset_context,
)

#: Set by the Lambda runtime for each invocation: `Root=1-…;Parent=…;Sampled=1`.
XRAY_TRACE_ENV: Final = "_X_AMZN_TRACE_ID"
#: Time kept back from the invocation's remaining time when flushing.
FLUSH_MARGIN_SECONDS: Final = 0.5

Event = TypeVar("Event")
Result = TypeVar("Result")


class LambdaContext(Protocol):
    """The attributes of Lambda's context object that are read here."""

    aws_request_id: str
    function_name: str
    function_version: str

    def get_remaining_time_in_millis(self) -> int:
        """Milliseconds left before the invocation times out."""
        ...


_cold_start = True


def xray_ids(header: str | None) -> dict[str, str]:
    """`trace_id` (the Root) and `span_id` (the Parent) of an X-Ray trace header."""
    if not header:
        return {}
    parts = dict(part.split("=", 1) for part in header.split(";") if "=" in part)
    ids = {}
    if parts.get("Root"):
        ids["trace_id"] = parts["Root"]
    if parts.get("Parent"):
        ids["span_id"] = parts["Parent"]
    return ids


def inject_lambda_context(
    handler: Callable[[Event, LambdaContext], Result],
) -> Callable[[Event, LambdaContext], Result]:
    """Bind the invocation's context around `handler` and flush the sink before it returns."""

    @functools.wraps(handler)
    def run(event: Event, context: LambdaContext) -> Result:
        global _cold_start  # one process, one first invocation
        cold, _cold_start = _cold_start, False
        ids = {"request_id": str(context.aws_request_id)}
        ids.update(xray_ids(os.environ.get(XRAY_TRACE_ENV)))  # per invocation, by the runtime
        id_token = bind_context(**ids)
        attribute_token = bind_attributes(
            function_name=context.function_name,
            function_version=context.function_version,
            cold_start=cold,
        )
        try:
            return handler(event, context)
        finally:
            reset_attributes(attribute_token)
            reset_context(id_token)
            flush(_flush_timeout(context))

    return run


def _flush_timeout(context: LambdaContext) -> float | None:
    """What is left of the invocation, less a margin; None when the context cannot say."""
    try:
        remaining_ms = context.get_remaining_time_in_millis()
    except AttributeError:
        return None
    return max(0.0, remaining_ms / 1000 - FLUSH_MARGIN_SECONDS)
