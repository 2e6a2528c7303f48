"""The retention policy (Index State Management) and a check against its documented schema.

ISM is a plugin (`opensearch-index-management`): Amazon OpenSearch Service has it, the
local test node (core modules only) does not. So the policy is always rendered and
validated here against the schema documented for `PUT _plugins/_ism/policies/<id>`
(https://opensearch.org/docs/latest/im-plugin/ism/policies/), and applied only where the
plugin is installed (`setup.py`).
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import Any, Final

from observability.core.errors import ObservabilityError
from observability.index.templates import INDEX_PREFIX, INDEXED_KINDS

POLICY_ID: Final = "observability-retention"
DEFAULT_RETENTION_DAYS: Final = 30

#: ISM actions as documented; a typo here would be accepted by nothing but the plugin.
ISM_ACTIONS: Final = frozenset(
    {
        "rollover",
        "delete",
        "read_only",
        "read_write",
        "replica_count",
        "open",
        "close",
        "force_merge",
        "shrink",
        "notification",
        "snapshot",
        "index_priority",
        "allocation",
        "rollup",
        "transform",
        "convert_index_to_remote",
    }
)
ISM_CONDITIONS: Final = frozenset(
    {"min_index_age", "min_doc_count", "min_size", "min_rollover_age", "cron"}
)
_ACTION_OPTIONS: Final = frozenset({"retry", "timeout"})
_POLICY_KEYS: Final = frozenset(
    {
        "policy_id",
        "description",
        "last_updated_time",
        "schema_version",
        "error_notification",
        "default_state",
        "states",
        "ism_template",
    }
)
_TIME_VALUE: Final = re.compile(r"^\d+(d|h|m|s|ms|micros|nanos)$")


class PolicyError(ObservabilityError):
    """An ISM policy that the plugin would refuse; the message names the path."""


def retention_policy(retention_days: int = DEFAULT_RETENTION_DAYS) -> dict[str, Any]:
    """`hot` until the index is `retention_days` old, then `delete`; attached by pattern."""
    if retention_days < 1:
        raise PolicyError(f"retention_days must be at least 1, got {retention_days}")
    return {
        "policy": {
            "description": f"Delete observability indices after {retention_days} days.",
            "default_state": "hot",
            "states": [
                {
                    "name": "hot",
                    "actions": [],
                    "transitions": [
                        {
                            "state_name": "delete",
                            "conditions": {"min_index_age": f"{retention_days}d"},
                        }
                    ],
                },
                {"name": "delete", "actions": [{"delete": {}}], "transitions": []},
            ],
            "ism_template": [
                {
                    "index_patterns": [f"{INDEX_PREFIX[kind]}-*" for kind in INDEXED_KINDS],
                    "priority": 100,
                }
            ],
        }
    }


def validate_policy(document: Mapping[str, Any]) -> None:
    """Raise PolicyError unless `document` matches the documented ISM policy schema."""
    policy = _mapping(document.get("policy"), "policy")
    unknown = set(policy) - _POLICY_KEYS
    if unknown:
        raise PolicyError(f"policy: unknown key(s) {sorted(unknown)}")
    if not isinstance(policy.get("description", ""), str):
        raise PolicyError("policy.description: expected a string")
    states = _sequence(policy.get("states"), "policy.states")
    if not states:
        raise PolicyError("policy.states: at least one state is required")
    names = [_mapping(s, f"policy.states[{i}]").get("name") for i, s in enumerate(states)]
    if any(not isinstance(n, str) or not n for n in names) or len(set(names)) != len(names):
        raise PolicyError(f"policy.states: names must be unique non-empty strings, got {names}")
    if policy.get("default_state") not in names:
        raise PolicyError(f"policy.default_state: {policy.get('default_state')!r} is no state")
    for i, state in enumerate(states):
        _check_state(state, f"policy.states[{i}]", set(names))  # type: ignore[arg-type]
    for i, template in enumerate(_sequence(policy.get("ism_template", []), "ism_template")):
        _check_ism_template(template, f"policy.ism_template[{i}]")


def _check_state(state: Mapping[str, Any], path: str, names: set[str]) -> None:
    unknown = set(state) - {"name", "actions", "transitions"}
    if unknown:
        raise PolicyError(f"{path}: unknown key(s) {sorted(unknown)}")
    for j, raw_action in enumerate(_sequence(state.get("actions", []), f"{path}.actions")):
        kinds = set(_mapping(raw_action, f"{path}.actions[{j}]")) - _ACTION_OPTIONS
        if len(kinds) != 1 or not kinds <= ISM_ACTIONS:
            raise PolicyError(f"{path}.actions[{j}]: expected one ISM action, got {sorted(kinds)}")
    transitions = _sequence(state.get("transitions", []), f"{path}.transitions")
    for j, raw_transition in enumerate(transitions):
        where = f"{path}.transitions[{j}]"
        transition = _mapping(raw_transition, where)
        if transition.get("state_name") not in names:
            raise PolicyError(f"{where}.state_name: {transition.get('state_name')!r} is no state")
        conditions = _mapping(transition.get("conditions", {}), f"{where}.conditions")
        if len(conditions) > 1 or not set(conditions) <= ISM_CONDITIONS:
            raise PolicyError(f"{where}.conditions: expected one of {sorted(ISM_CONDITIONS)}")
        for key in ("min_index_age", "min_rollover_age"):
            value = conditions.get(key)
            if value is not None and not (isinstance(value, str) and _TIME_VALUE.match(value)):
                raise PolicyError(f"{where}.conditions.{key}: {value!r} is not a time value")


def _check_ism_template(template: object, path: str) -> None:
    template = _mapping(template, path)
    patterns = _sequence(template.get("index_patterns"), f"{path}.index_patterns")
    if not patterns or not all(isinstance(p, str) and p for p in patterns):
        raise PolicyError(f"{path}.index_patterns: expected a non-empty list of strings")
    priority = template.get("priority", 0)
    if type(priority) is not int or priority < 0:
        raise PolicyError(f"{path}.priority: expected a non-negative integer")


def _mapping(value: object, path: str) -> Mapping[str, Any]:
    if not isinstance(value, Mapping):
        raise PolicyError(f"{path}: expected an object")
    return value


def _sequence(value: object, path: str) -> Sequence[Any]:
    if not isinstance(value, list):
        raise PolicyError(f"{path}: expected a list")
    return value
