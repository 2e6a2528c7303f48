"""Request-scoped ids (`trace_id`, `span_id`, `request_id`) in one ContextVar, and
attributes bound for a scope (a Lambda invocation's function name) in another.

One small dict in one ContextVar is read with a single `get()` per log call, where
structlog's `merge_contextvars` copies the whole context on every call. The dict is never
mutated: binding replaces it, so a value seen by another task or thread never changes.
"""

from __future__ import annotations

import functools
import inspect
from collections.abc import Awaitable, Callable, Mapping
from contextvars import ContextVar, Token
from types import MappingProxyType, TracebackType
from typing import Any, Final, ParamSpec, TypeVar, cast

#: The ids the schema has top-level fields for; nothing else may be bound here.
CONTEXT_FIELDS: Final = frozenset({"trace_id", "span_id", "request_id"})

_EMPTY: Final[Mapping[str, str]] = MappingProxyType({})
_ids: ContextVar[Mapping[str, str]] = ContextVar("observability_ids", default=_EMPTY)

#: The hot path reads the bound ids through this (one C call, no Python frame).
get_ids: Final = _ids.get

#: Keys the record builder owns; they cannot be bound as attributes.
_RESERVED_ATTRIBUTES: Final = frozenset({"event", "exc_info"})
_EMPTY_ATTRIBUTES: Final[Mapping[str, object]] = MappingProxyType({})
_attributes: ContextVar[Mapping[str, object]] = ContextVar(
    "observability_attributes", default=_EMPTY_ATTRIBUTES
)

#: Attributes bound for the current context (Lambda's function name, ...), read per call.
get_attributes: Final = _attributes.get

P = ParamSpec("P")
R = TypeVar("R")


def _merged(ids: Mapping[str, object]) -> Mapping[str, str]:
    unknown = set(ids) - CONTEXT_FIELDS
    if unknown:
        raise TypeError(
            f"cannot bind {', '.join(sorted(unknown))}: only trace_id, span_id and request_id"
        )
    merged = dict(_ids.get())
    for name, value in ids.items():
        if value is None:
            merged.pop(name, None)
        else:
            merged[name] = value if type(value) is str else str(value)
    return merged


def bind_context(**ids: object) -> Token[Mapping[str, str]]:
    """Bind ids for the rest of the current context; `None` unbinds one.

    Returns the token for `reset_context`; prefer `bound_context` where a scope exists.
    """
    return _ids.set(_merged(ids))


def reset_context(token: Token[Mapping[str, str]]) -> None:
    """Restore the ids that were bound before `bind_context` returned `token`."""
    _ids.reset(token)


def current_context() -> dict[str, str]:
    """A copy of the ids bound in the current context."""
    return dict(_ids.get())


def bind_attributes(**fields: object) -> Token[Mapping[str, object]]:
    """Bind attributes every log record of the current context carries; `None` unbinds one.

    Ids go through `bind_context`; a keyword argument of a log call wins over a bound
    attribute of the same name. Returns the token for `reset_attributes`.
    """
    if "trace_id" in fields or "span_id" in fields or "request_id" in fields:
        raise TypeError("bind trace_id, span_id and request_id with bind_context")
    reserved = _RESERVED_ATTRIBUTES.intersection(fields)
    if reserved:
        raise TypeError(f"cannot bind {', '.join(sorted(reserved))} as an attribute")
    merged = dict(_attributes.get())
    for name, value in fields.items():
        if value is None:
            merged.pop(name, None)
        else:
            merged[name] = value
    return _attributes.set(MappingProxyType(merged))


def reset_attributes(token: Token[Mapping[str, object]]) -> None:
    """Restore the attributes bound before `bind_attributes` returned `token`."""
    _attributes.reset(token)


class bound_context:  # noqa: N801 - reads as a function at call sites, like contextlib's
    """Bind ids inside a `with` block or for each call of a decorated function.

    Works as a decorator on plain and `async` functions; every call binds afresh and
    restores what was bound before, so concurrent tasks never see each other's ids.
    """

    def __init__(self, **ids: object) -> None:
        _merged(ids)  # fail at the decoration site, not on the first call
        self._ids = ids
        self._tokens: list[Token[Mapping[str, str]]] = []

    def __enter__(self) -> dict[str, str]:
        self._tokens.append(_ids.set(_merged(self._ids)))
        return current_context()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        _ids.reset(self._tokens.pop())

    def __call__(self, func: Callable[P, R]) -> Callable[P, R]:
        ids = self._ids
        if inspect.iscoroutinefunction(func):
            async_func = cast(Callable[P, Awaitable[Any]], func)

            @functools.wraps(func)
            async def run_async(*args: P.args, **kwargs: P.kwargs) -> Any:
                token = _ids.set(_merged(ids))
                try:
                    return await async_func(*args, **kwargs)
                finally:
                    _ids.reset(token)

            return cast(Callable[P, R], run_async)

        @functools.wraps(func)
        def run(*args: P.args, **kwargs: P.kwargs) -> R:
            token = _ids.set(_merged(ids))
            try:
                return func(*args, **kwargs)
            finally:
                _ids.reset(token)

        return run
