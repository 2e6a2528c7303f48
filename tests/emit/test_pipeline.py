"""Tests of observability.emit.pipeline: the log call's fast path against the chain."""

from __future__ import annotations

import re
from typing import Any

import orjson
import pytest
import structlog
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from structlog.testing import capture_logs

import observability
from observability.emit import pipeline as pipeline_module
from observability.emit.context import bind_attributes, reset_attributes
from observability.emit.logger import SinkLogger, run_chain
from observability.emit.memory import MemoryLineSink
from observability.emit.pipeline import LogPipeline
from observability.emit.records import static_fields
from observability.emit.redaction import Redactor
from tests.emit.secret_texts import TEXTS, VISA

STATIC = static_fields("checkout", "test", "host-1", "1.2.3")
_KEYS = st.sampled_from(["path", "user", "note", "Password", "api-key", "trace_id", "n", "ok"])
_PLAIN_VALUES = st.one_of(
    TEXTS, st.integers(), st.floats(allow_nan=False), st.booleans(), st.none()
)


def _chain_runs(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """A one-item list counting the calls pipelines hand to the chain from now on."""
    runs = [0]

    def counting_run_chain(*args: Any) -> Any:
        runs[0] += 1
        return run_chain(*args)

    monkeypatch.setattr(pipeline_module, "run_chain", counting_run_chain)
    return runs


def _pipeline(
    monkeypatch: pytest.MonkeyPatch, redaction: bool = True
) -> tuple[LogPipeline, list[int]]:
    """A pipeline, and the count of the calls its `emit` hands to the chain."""
    runs = _chain_runs(monkeypatch)
    return LogPipeline(STATIC, Redactor() if redaction else None), runs


def _records(sink: MemoryLineSink) -> list[dict[str, Any]]:
    """The submitted records without the two fields that differ on every call."""
    records = sink.records()
    for record in records:
        del record["record_id"], record["timestamp"]
    return records


def _lines(sink: MemoryLineSink) -> list[tuple[str, bytes]]:
    """The submitted groups and lines, the record id and time cut out of each line."""
    return [(group, _ID_AND_TIME.sub(b"", line)) for _, group, line in sink.lines]


_ID_AND_TIME = re.compile(rb'"record_id":"[^"]*","timestamp":"[^"]*",')


@given(TEXTS, st.dictionaries(_KEYS, _PLAIN_VALUES, max_size=4), st.booleans())
@settings(
    max_examples=1500, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@example("card " + VISA, {"path": "/x", "n": 1}, True)
@example("epoch 1764010000002", {"note": "bob@example.com", "Password": "p"}, True)
@example("\x01" + VISA, {}, True)
@example("\ud800 1764010000002", {"note": "\udfff"}, True)
@example("plain", {"n": 2**70}, False)
def test_fast_path_logs_what_the_chain_logs(
    monkeypatch: pytest.MonkeyPatch, event: str, fields: dict[str, Any], redaction: bool
) -> None:
    """Asked twice (new keys, then known ones), the fast path submits the same group and
    line, byte for byte, as the chain given the same call, secrets masked alike."""
    pipeline, runs = _pipeline(monkeypatch, redaction)
    fast_sink, chain_sink = MemoryLineSink(), MemoryLineSink()
    fast, reference = SinkLogger(fast_sink, "orders"), SinkLogger(chain_sink, "orders")
    for _ in range(2):
        pipeline.emit(fast, "warning", event, dict(fields))
        run_chain(pipeline.chain, reference, "warning", {**fields, "event": event})
    assert _lines(fast_sink) == _lines(chain_sink)
    lifted = "trace_id" in fields
    sensitive = redaction and bool({"Password", "api-key"} & set(fields))
    # the chain never runs for a plain call, and always for the others
    assert runs == ([0] if not lifted and not sensitive else [2])


def test_calls_the_fast_path_cannot_take_run_the_chain(monkeypatch: pytest.MonkeyPatch) -> None:
    """Sensitive keys, ids, exceptions, nested values and non-text events go through the
    chain, and come out as it shapes them."""
    pipeline, runs = _pipeline(monkeypatch)
    sink = MemoryLineSink()
    logger = SinkLogger(sink, "orders")
    calls: list[tuple[Any, dict[str, Any]]] = [
        ("login", {"password": "hunter2"}),
        ("traced", {"trace_id": 42}),
        ("nested", {"user": {"token": "t", "mail": "bob@example.com"}}),
        ({"not": "text"}, {}),
        (None, {"n": 1}),
        ("failed", {"exc_info": ValueError("bad")}),
    ]
    for event, fields in calls:
        pipeline.emit(logger, "error", event, fields)
    assert runs == [len(calls)]
    login, traced, nested, not_text, no_event, failed = _records(sink)
    assert login["attributes"] == {"password": "[REDACTED]"}
    assert traced["trace_id"] == "42" and "attributes" not in traced
    assert nested["attributes"] == {"user": {"token": "[REDACTED]", "mail": "[REDACTED:email]"}}
    assert not_text["event"] == "{'not': 'text'}"
    assert no_event["event"] == "" and no_event["attributes"] == {"n": 1}
    assert failed["exception"]["type"] == "ValueError"


def test_plain_keys_are_learned_on_the_way_and_kept_bounded(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A new plain key needs no chain run, past the bound of known keys too."""
    pipeline, runs = _pipeline(monkeypatch)
    sink = MemoryLineSink()
    logger = SinkLogger(sink, None)
    for n in range(5000):
        pipeline.emit(logger, "info", "many", {f"k{n}": n})
    pipeline.emit(logger, "info", "hello", {"k0": "again"})
    assert runs == [0]
    assert 0 < len(pipeline.known_keys) <= 4096
    assert len(sink.lines) == 5001
    assert sink.records()[-1]["attributes"] == {"k0": "again"}


def test_the_sdk_call_takes_the_fast_path_with_context_and_bound_values(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Through `get_logger`: bound logger values, bound attributes and context ids reach
    the record as before, and a secret in any of them is masked, on the fast path."""
    runs = _chain_runs(monkeypatch)
    sink = MemoryLineSink()
    observability.configure(service="checkout", env="test", sink=sink, host="host-1")
    log = observability.get_logger("orders").bind(tenant="t-1", contact="ann@example.com")
    with observability.bound_context(request_id="r-1"):
        token = bind_attributes(function="f")
        try:
            for _ in range(2):
                log.info("paid", card=VISA, tenant="t-2")
        finally:
            reset_attributes(token)
    assert runs == [0]
    first, second = _records(sink)
    assert first == second
    assert first["request_id"] == "r-1"
    assert first["attributes"] == {
        "function": "f",
        "tenant": "t-2",
        "contact": "[REDACTED:email]",
        "card": "[REDACTED:card]",
    }


def test_other_processors_configured_later_are_run() -> None:
    """`capture_logs` (or any structlog.configure of processors) replaces the chain: the
    SDK's loggers then run those processors, not the fast path."""
    sink = MemoryLineSink()
    observability.configure(service="checkout", env="test", sink=sink)
    with capture_logs() as captured:
        structlog.get_logger("x").info("hello", n=1)
    assert captured == [{"event": "hello", "n": 1, "log_level": "info"}]
    assert sink.lines == []


@pytest.mark.parametrize("value", [2**64, -(2**63) - 1, "\udcff", "a\ud800 4111111111111111"])
def test_values_orjson_refuses_are_rendered_as_the_chain_renders_them(
    monkeypatch: pytest.MonkeyPatch, value: object
) -> None:
    """Big integers and lone surrogates take the JSON-safe copy on the fast path too, and
    come out as the chain renders them."""
    pipeline, runs = _pipeline(monkeypatch)
    fast_sink, chain_sink = MemoryLineSink(), MemoryLineSink()
    pipeline.emit(SinkLogger(fast_sink), "info", "odd", {"v": value})
    run_chain(pipeline.chain, SinkLogger(chain_sink), "info", {"v": value, "event": "odd"})
    assert runs == [0]
    assert _lines(fast_sink) == _lines(chain_sink)


def test_a_sensitive_event_key_masks_every_message(monkeypatch: pytest.MonkeyPatch) -> None:
    """With `event` among the sensitive keys, every call runs the chain, which masks the
    message under that key, as a `%` call does."""
    sink = MemoryLineSink()
    observability.configure(service="checkout", env="test", sink=sink, redact_keys=["Event"])
    log = observability.get_logger("orders")
    log.info("hello ann", n=1)
    log.info("hello %s", "ann")
    assert [record["event"] for record in sink.records()] == ["[REDACTED]", "[REDACTED]"]


@pytest.mark.parametrize(
    "host",
    ['hôte "1" \\ 7', "\x00", "4111111111111111", "bob@example.com", "\ud800"],
)
def test_fixed_fields_of_any_text_are_rendered_as_the_chain_renders_them(
    monkeypatch: pytest.MonkeyPatch, host: str
) -> None:
    """The fast path renders the fixed fields once, ahead of the calls: a host needing
    escapes (or one that looks like the marks it is split on, or like a secret) comes
    out as in the chain's line; one orjson refuses sends every call to the chain."""
    runs = _chain_runs(monkeypatch)
    pipeline = LogPipeline(static_fields("checkout", "test", host, None), Redactor())
    fast_sink, chain_sink = MemoryLineSink(), MemoryLineSink()
    for level in ("info", "warning", "critical", "msg"):
        pipeline.emit(SinkLogger(fast_sink, "orders"), level, "paid", {"n": 1, "to": "ann"})
        run_chain(
            pipeline.chain,
            SinkLogger(chain_sink, "orders"),
            level,
            {"n": 1, "to": "ann", "event": "paid"},
        )
    assert _lines(fast_sink) == _lines(chain_sink)
    assert runs == ([4] if host == "\ud800" else [0])
    record = orjson.loads(fast_sink.lines[0][2])
    assert record["host"] == (host if host != "\ud800" else "\\ud800")
    assert re.fullmatch(r"[0-9a-f]{16}-\d+", record["record_id"])
