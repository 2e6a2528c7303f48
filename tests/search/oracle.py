"""The expected answer of a search, computed in Python from the fixture records.

Independent of both backends: text terms use `tokens()` directly, not the SQL regexes
or OpenSearch's analyzer, so a test comparing a backend to this checks its translation.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from observability.search.model import And, Exact, MatchAll, Node, Not, Or, Text
from observability.search.request import SearchRequest, epoch_ms
from observability.search.text import tokens


def _value(record: dict[str, Any], field: str) -> Any:
    value: Any = record
    for part in field.split("."):
        value = value.get(part) if isinstance(value, dict) else None
    if isinstance(value, bool):
        return "true" if value else "false"
    return None if value is None or isinstance(value, dict) else str(value)


def _text(node: Text, record: dict[str, Any]) -> bool:
    found = tokens(record["event"])
    if node.prefix:
        return any(token.startswith(node.words[0]) for token in found)
    n = len(node.words)
    return any(tuple(found[i : i + n]) == node.words for i in range(len(found) - n + 1))


def _exact(node: Exact, record: dict[str, Any]) -> bool:
    value: str | None = _value(record, node.field)
    if value is None:
        return False
    return value.startswith(node.value) if node.prefix else value == node.value


def matches(node: Node, record: dict[str, Any]) -> bool:
    """Whether one record satisfies an AST node."""
    if isinstance(node, Text):
        return _text(node, record)
    if isinstance(node, Exact):
        return _exact(node, record)
    if isinstance(node, And):
        return all(matches(child, record) for child in node.children)
    if isinstance(node, Or):
        return any(matches(child, record) for child in node.children)
    if isinstance(node, Not):
        return not matches(node.child, record)
    assert isinstance(node, MatchAll)
    return True


def ms(record: dict[str, Any]) -> int:
    """The record's timestamp in whole epoch milliseconds."""
    return epoch_ms(datetime.fromisoformat(record["timestamp"].replace("Z", "+00:00")))


def expected_ids(request: SearchRequest, records: list[dict[str, Any]]) -> list[str]:
    """Record ids of every hit of a request, in its sort order (cursor ignored)."""
    chosen = []
    for record in records:
        attributes = record.get("attributes") or {}
        checks = (
            (request.services, record.get("service")),
            (request.levels, record.get("level")),
            (request.envs, record.get("env")),
            (request.trace_ids, record.get("trace_id")),
            (request.models, attributes.get("model")),
        )
        if any(wanted and value not in wanted for wanted, value in checks):
            continue
        if request.since is not None and ms(record) < epoch_ms(request.since):
            continue
        if request.until is not None and ms(record) >= epoch_ms(request.until):
            continue
        if matches(request.query, record):
            chosen.append(record)
    # Hits sort by the full timestamp (microseconds, fixed-width text sorts as time).
    chosen.sort(key=lambda r: (r["timestamp"], r["record_id"]), reverse=request.sort == "desc")
    return [r["record_id"] for r in chosen]
