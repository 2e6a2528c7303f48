"""The SDK's chain, and the log call's fast path past it.

The chain (exceptions to fields, redaction, the record builder, the renderer) asks
redaction about every string before the record is built: a Python step per field and,
for a string not seen before, its own pre-check (`patterns`). When strings differ on
every call (an id or a time in the message, a path) that is most of a call's cost.

The fast path renders the record first, then runs the pre-check once, over the
caller's part of it. The fixed fields before the event (`records.make_line_start`) were
rendered once, at set-up; orjson renders the rest (the event, the logger's name, ids,
attributes), and the line is the two joined. JSON renders every character a shape's
pre-check looks for as itself, so a text with no candidate holds no string redaction
would change, and the line is submitted as it is; otherwise the strings are scrubbed,
as the chain would, and the rest rendered again. It takes only calls the chain would treat
exactly so: the event is text, every value a str, int, float, bool or None, and every
key neither sensitive nor lifted by the builder (ids, `exc_info`). Any other call runs
the chain, as every call does when the message itself is to be masked (`event` made a
sensitive key).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any, Final

from structlog.typing import Processor

from observability.emit.exceptions import structure_exception
from observability.emit.logger import run_chain
from observability.emit.patterns import may_mask
from observability.emit.records import ID_FIELDS, make_line_start, make_record_builder
from observability.emit.redaction import Redactor
from observability.emit.render import make_dumps, make_line_renderer, make_log_group

#: Value types the fast path takes: rendered as JSON scalars, only `str` ever redacted.
_PLAIN_VALUES: Final = frozenset({str, int, float, bool, type(None)})
#: Keys the record builder treats apart from attributes.
_BUILDER_KEYS: Final = frozenset({*ID_FIELDS, "exc_info", "event"})
_KNOWN_KEYS_SIZE: Final = 4096

#: `emit(logger, method_name, event, fields)`: log one call with the chain's outcome.
Emit = Callable[[Any, str, Any, dict[str, Any]], Any]


class LogPipeline:
    """The chain for `configure()`'s settings and `emit`, its fast path for log calls.

    `processors` is the list handed to structlog, which others may change in place
    (`capture_logs` does); `chain` keeps what it held, and `emit` runs that.
    """

    def __init__(self, static: Mapping[str, str], redactor: Redactor | None) -> None:
        text_filter = redactor.scrub_text if redactor is not None else None
        self.chain: list[Processor] = [structure_exception]
        if redactor is not None:
            self.chain.append(redactor.processor())
        self.chain += [make_record_builder(static), make_line_renderer(text_filter)]
        self.processors = list(self.chain)
        #: Keys the fast path takes, learned as calls bring them (at most 4096 kept).
        self.known_keys: set[str] = set()
        self.emit: Emit = self._make_emit(static, redactor, text_filter)

    @staticmethod
    def _chain_only(chain: list[Processor]) -> Emit:
        """Every call through the chain."""

        def chain_only(logger: Any, method_name: str, event: Any, fields: dict[str, Any]) -> Any:
            if event is not None:
                fields["event"] = event
            return run_chain(chain, logger, method_name, fields)

        return chain_only

    def _make_emit(
        self,
        static: Mapping[str, str],
        redactor: Redactor | None,
        text_filter: Callable[[str], str] | None,
    ) -> Emit:
        chain = self.chain  # never handed out: structlog gets `processors`
        if redactor is not None and redactor.is_sensitive("event"):
            return self._chain_only(chain)  # the chain masks the message under its key
        start = make_line_start(static)
        if start is None:
            return self._chain_only(chain)
        to_bytes = make_dumps(text_filter)
        group = make_log_group()
        service = static["service"]
        known = self.known_keys
        plain_values = _PLAIN_VALUES
        is_sensitive = redactor.is_sensitive if redactor is not None else None

        def learn(fields: dict[str, Any]) -> bool:
            """Remember the keys the fast path may take; True if every key is one."""
            if len(known) >= _KNOWN_KEYS_SIZE:
                known.clear()
            plain = True
            for key in fields:
                if (
                    type(key) is str
                    and key not in _BUILDER_KEYS
                    and (is_sensitive is None or not is_sensitive(key))
                ):
                    known.add(key)
                else:
                    plain = False
            return plain

        def emit(logger: Any, method_name: str, event: Any, fields: dict[str, Any]) -> Any:
            """Submit the call's line to `logger` (the chain's result for any call)."""
            if (
                type(event) is not str
                or not plain_values.issuperset(map(type, fields.values()))
                or not (known.issuperset(fields) or learn(fields))
            ):
                if event is not None:
                    fields["event"] = event
                return run_chain(chain, logger, method_name, fields)
            timestamp, head, rest = start(getattr(logger, "name", None), method_name, event)
            if fields:
                rest["attributes"] = fields
            text = to_bytes(rest)
            if text_filter is not None and may_mask(text) and _scrub(rest, fields, text_filter):
                text = to_bytes(rest)
            # `head` in place of the `{`, in a new object to keep (`render._kept`)
            line = head.encode("utf-8") + text[1:]
            return getattr(logger, method_name)(group(service, timestamp), line)

        return emit


def _scrub(
    record: dict[str, Any], fields: dict[str, Any], scrub_text: Callable[[str], str]
) -> bool:
    """Redact the event and the string values in place; True if any changed."""
    changed = False
    event = record["event"]
    clean = scrub_text(event)
    if clean is not event:
        record["event"] = clean
        changed = True
    for key, value in fields.items():
        if type(value) is str:
            clean = scrub_text(value)
            if clean is not value:
                fields[key] = clean
                changed = True
    return changed
