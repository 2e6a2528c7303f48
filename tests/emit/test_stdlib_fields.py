"""Tests of observability.emit.stdlib's `record_fields`: a LogRecord's extras as fields.

The bridge as a whole (levels, muting, quiet threads) is tested in
tests/integrations/test_stdlib.py.
"""

from __future__ import annotations

import logging

from observability.emit.stdlib import BRIDGED, record_fields

_LOGGER = logging.getLogger("tests.emit.fields")


def _record(msg: str, args: tuple[object, ...] = (), **extra: object) -> logging.LogRecord:
    return _LOGGER.makeRecord(_LOGGER.name, logging.INFO, "f.py", 1, msg, args, None, extra=extra)


def test_extras_of_records_with_the_same_names_keep_their_own_values() -> None:
    """Records from one call site (the same attribute names) each give their own values;
    an `event` extra becomes `extra_event`."""
    first, second = _record("a", path="/a", event="x"), _record("b", path="/b", event="y")
    assert record_fields(first) == ("a", {"path": "/a", "extra_event": "x"})
    assert record_fields(second) == ("b", {"path": "/b", "extra_event": "y"})


def test_attributes_added_after_creation_are_extras_and_standard_ones_are_not() -> None:
    """An attribute a filter adds is an extra; a formatter's `message`/`asctime` and the
    bridge's own mark are not."""
    record = _record("n=%d", (5,), path="/p")
    record.__dict__[BRIDGED] = True
    record.message, record.asctime = "n=5", "today"
    assert record_fields(record) == ("n=5", {"path": "/p"})
    record.tenant = "t1"
    assert record_fields(record) == ("n=5", {"path": "/p", "tenant": "t1"})


def test_a_record_factory_with_other_names_is_read_by_name() -> None:
    """Records from a custom factory that sets attributes in another order give the same
    extras as the default factory's."""
    previous = logging.getLogRecordFactory()

    def factory(*args: object, **kwargs: object) -> logging.LogRecord:
        record = previous(*args, **kwargs)
        state = record.__dict__
        reordered = {"custom": 1, **{key: state[key] for key in reversed(state)}}
        state.clear()
        state.update(reordered)
        return record

    logging.setLogRecordFactory(factory)
    try:
        record = _record("m", path="/f")
    finally:
        logging.setLogRecordFactory(previous)
    assert record_fields(record) == ("m", {"custom": 1, "path": "/f"})
