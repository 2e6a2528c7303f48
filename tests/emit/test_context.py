"""Tests of observability.emit.context."""

from __future__ import annotations

import asyncio

import pytest

from observability.emit.context import (
    bind_context,
    bound_context,
    current_context,
    reset_context,
)


def test_bind_and_reset_restore_previous_ids() -> None:
    """bind_context adds ids, None unbinds one, and reset_context restores the earlier ids."""
    first = bind_context(trace_id="t1", request_id="r1")
    second = bind_context(request_id=None, span_id=7)
    assert current_context() == {"trace_id": "t1", "span_id": "7"}
    reset_context(second)
    assert current_context() == {"trace_id": "t1", "request_id": "r1"}
    reset_context(first)
    assert current_context() == {}


def test_nested_bound_context_restores_outer_values() -> None:
    """An inner block overrides and adds ids; leaving it restores the outer ones exactly."""
    with bound_context(trace_id="outer", request_id="r") as outer:
        assert outer == {"trace_id": "outer", "request_id": "r"}
        with bound_context(trace_id="inner", span_id="s"):
            assert current_context() == {"trace_id": "inner", "request_id": "r", "span_id": "s"}
        assert current_context() == {"trace_id": "outer", "request_id": "r"}
    assert current_context() == {}


def test_bound_context_restores_after_an_exception() -> None:
    """An exception leaving the block still restores the previous ids."""
    with pytest.raises(RuntimeError), bound_context(trace_id="t"):
        raise RuntimeError("boom")
    assert current_context() == {}


def test_decorator_binds_per_call_for_sync_functions() -> None:
    """A decorated function sees the ids during its call and the caller's ids after it."""

    @bound_context(request_id="req-1")
    def handler(value: int) -> dict[str, str]:
        return {**current_context(), "value": str(value)}

    with bound_context(trace_id="t"):
        assert handler(3) == {"trace_id": "t", "request_id": "req-1", "value": "3"}
        assert current_context() == {"trace_id": "t"}


def test_decorator_isolates_concurrent_async_tasks() -> None:
    """Concurrent tasks of a decorated coroutine each see only their own ids."""

    async def handle(trace: str) -> dict[str, str]:
        @bound_context(trace_id=trace)
        async def inner() -> dict[str, str]:
            await asyncio.sleep(0.01)
            with bound_context(span_id=f"span-{trace}"):
                await asyncio.sleep(0.01)
                return current_context()

        return await inner()

    async def main() -> list[dict[str, str]]:
        return await asyncio.gather(*(handle(f"t{i}") for i in range(5)))

    results = asyncio.run(main())
    assert results == [{"trace_id": f"t{i}", "span_id": f"span-t{i}"} for i in range(5)]
    assert current_context() == {}


def test_only_schema_ids_can_be_bound() -> None:
    """Binding a name the schema has no top-level field for fails at the call site."""
    with pytest.raises(TypeError, match="user_id"):
        bound_context(user_id="u")
    with pytest.raises(TypeError, match="user_id"):
        bind_context(user_id="u")
