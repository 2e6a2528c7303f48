"""The SDK log call against bare orjson, stdlib logging + python-json-logger, Powertools.

Every contender logs the same event with the same three keyword fields; each figure is
the best of five repeats of 50,000 calls, measured in one run so the ratios compare like
with like. Also: (f) a stdlib call bridged into the SDK (`configure(capture_stdlib=True)`,
the default) against (c), and the plain SDK call with the bridge off, (a0), as it was
before the bridge existed, next to (a) with it on. Run: `python -m benchmarks.bench_sdk`.
"""

from __future__ import annotations

import functools
import io
import logging
import time
import uuid
from collections.abc import Callable
from datetime import UTC, datetime

import orjson

import observability
from observability.emit.memory import MemoryLineSink

CALLS = 50_000
REPEATS = 5
EVENT = "request handled"
FIELDS = {"path": "/api/orders/42", "status": 200, "duration_ms": 12.5}
TARGET_VS_STDLIB = 0.35
TARGET_VS_POWERTOOLS = 0.2
TARGET_FILTERED_US = 0.5
TARGET_BRIDGED_VS_STDLIB = 0.5


class NullStream(io.StringIO):
    """A text stream that discards what it is given (handlers need a real stream)."""

    def write(self, text: str) -> int:
        return len(text)


def per_call_us(
    contenders: dict[str, Callable[[], object]],
    setups: dict[str, Callable[[], object]] | None = None,
) -> dict[str, float]:
    """Best-of-REPEATS µs per call of each contender.

    The contenders take turns within each repeat, so a burst of load from elsewhere on
    the machine hits all of them rather than skewing one ratio. `setups[name]`, when
    given, runs (untimed) before that contender's turn.
    """
    setups = setups or {}
    best = dict.fromkeys(contenders, float("inf"))
    for _ in range(REPEATS):
        for name, call in contenders.items():
            setup = setups.get(name)
            if setup is not None:
                setup()
            started = time.perf_counter()
            for _ in range(CALLS):
                call()
            best[name] = min(best[name], time.perf_counter() - started)
    return {name: seconds / CALLS * 1e6 for name, seconds in best.items()}


def configure(sink: MemoryLineSink, *, bridge: bool) -> None:
    """The SDK into `sink`, with or without the stdlib bridge."""
    observability.configure(
        service="bench", env="bench", sink=sink, level="info", capture_stdlib=bridge, environ={}
    )


def sdk_calls() -> tuple[Callable[[], object], Callable[[], object], MemoryLineSink]:
    """(a) a logged call with redaction on, (e) a call filtered out by level."""
    sink = MemoryLineSink()
    configure(sink, bridge=True)
    log = observability.get_logger("bench")
    path, status, duration = FIELDS["path"], FIELDS["status"], FIELDS["duration_ms"]

    def logged() -> None:
        log.info(EVENT, path=path, status=status, duration_ms=duration)
        if len(sink.lines) > 10_000:
            sink.lines.clear()

    def filtered() -> None:
        log.debug(EVENT, path=path, status=status, duration_ms=duration)

    return logged, filtered, sink


def bridged_call(sink: MemoryLineSink) -> Callable[[], object]:
    """(f) a stdlib logger's call with `extra`, bridged into the SDK (redaction on)."""
    logger = logging.getLogger("bench.bridged")
    logger.setLevel(logging.INFO)
    extra = dict(FIELDS)

    def logged() -> None:
        logger.info(EVENT, extra=extra)
        if len(sink.lines) > 10_000:
            sink.lines.clear()

    return logged


def unique_value_call(sink: MemoryLineSink) -> Callable[[], object]:
    """(a') like (a) with a string field that differs every call (no redaction cache hit)."""
    log = observability.get_logger("bench")
    counter = iter(range(1 << 62))
    status, duration = FIELDS["status"], FIELDS["duration_ms"]

    def logged() -> None:
        log.info(EVENT, path=f"/api/orders/{next(counter)}", status=status, duration_ms=duration)
        if len(sink.lines) > 10_000:
            sink.lines.clear()

    return logged


def orjson_call() -> Callable[[], object]:
    """(b) a bare orjson.dumps of the same dict with an ISO timestamp."""

    def dump() -> bytes:
        return orjson.dumps(
            {"timestamp": datetime.now(UTC).isoformat(), "level": "info", "event": EVENT, **FIELDS}
        )

    return dump


def stdlib_call() -> Callable[[], object]:
    """(c) stdlib logging with python-json-logger's JsonFormatter into a null stream."""
    from pythonjsonlogger.json import JsonFormatter

    logger = logging.getLogger(f"bench-stdlib-{uuid.uuid4().hex}")
    handler = logging.StreamHandler(NullStream())
    handler.setFormatter(JsonFormatter("%(asctime)s %(levelname)s %(name)s %(message)s"))
    logger.addHandler(handler)
    logger.setLevel(logging.INFO)
    logger.propagate = False
    extra = dict(FIELDS)
    return lambda: logger.info(EVENT, extra=extra)


def powertools_call() -> Callable[[], object]:
    """(d) AWS Lambda Powertools Logger into a null stream (a unique service: see NOTES)."""
    from aws_lambda_powertools import Logger

    logger = Logger(service=f"bench-{uuid.uuid4().hex}", stream=NullStream(), level="INFO")
    path, status, duration = FIELDS["path"], FIELDS["status"], FIELDS["duration_ms"]
    return lambda: logger.info(EVENT, path=path, status=status, duration_ms=duration)


def verdict(ok: bool) -> str:
    return "PASS" if ok else "MISS"


def main() -> None:
    """Measure every contender, print µs/call, the ratios and the targets."""
    logged, filtered, sink = sdk_calls()
    unique = unique_value_call(sink)
    contenders = {
        "(a0) SDK log call, bridge off": logged,
        "(a) SDK log call, redaction on": logged,
        "(a') SDK, a unique string per call": unique,
        "(b) bare orjson.dumps + ISO time": orjson_call(),
        "(c) stdlib logging + pjl": stdlib_call(),
        "(d) Powertools Logger": powertools_call(),
        "(e) SDK call filtered by level": filtered,
        "(f) stdlib call, bridged into the SDK": bridged_call(sink),
    }
    bridge_on = functools.partial(configure, sink, bridge=True)
    setups = dict.fromkeys(contenders, bridge_on)
    setups["(a0) SDK log call, bridge off"] = functools.partial(configure, sink, bridge=False)
    figures = per_call_us(contenders, setups)
    observability.shutdown()
    for name, us in figures.items():
        print(f"{name:<40} {us:7.2f} µs/call")
    a0, a, _, b, c, d, e, f = figures.values()
    print(f"(a)/(a0) bridge on vs off:   {a / a0:5.2f}x  (the plain call, after vs before)")
    print(f"(a)/(b) vs bare orjson:      {a / b:5.2f}x")
    print(
        f"(a)/(c) vs stdlib + pjl:     {a / c:5.3f}  target <= {TARGET_VS_STDLIB}"
        f"  {verdict(a / c <= TARGET_VS_STDLIB)}"
    )
    print(
        f"(a)/(d) vs Powertools:       {a / d:5.3f}  target <= {TARGET_VS_POWERTOOLS}"
        f"  {verdict(a / d <= TARGET_VS_POWERTOOLS)}"
    )
    print(
        f"(e) filtered call:           {e:5.3f} µs  target < {TARGET_FILTERED_US}"
        f"  {verdict(e < TARGET_FILTERED_US)}"
    )
    print(
        f"(f)/(c) bridged vs stdlib + pjl: {f / c:5.3f}  target <= {TARGET_BRIDGED_VS_STDLIB}"
        f"  {verdict(f / c <= TARGET_BRIDGED_VS_STDLIB)}"
    )


if __name__ == "__main__":
    main()
