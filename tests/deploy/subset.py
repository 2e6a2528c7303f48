"""The part of a template moto's CloudFormation can create, derived by code.

moto implements CloudFormation for some resource types only; a `GetAtt` to one it lacks
fails the whole stack. So: drop every resource of a type moto does not implement (asked of
moto itself), then, until nothing changes, every resource and output that refers to a
dropped one (`Ref`, `Fn::GetAtt`, `${...}` in `Fn::Sub`, `DependsOn`).
"""

from __future__ import annotations

import copy
import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from moto.cloudformation.parsing import get_model_map

_SUB_NAME = re.compile(r"\$\{([A-Za-z0-9]+)(?:\.[A-Za-z0-9.]+)?\}")


@dataclass(frozen=True)
class Subset:
    """The reduced template, what it keeps and what it leaves out (with why)."""

    template: dict[str, Any]
    kept: dict[str, str]
    dropped: dict[str, str]


def _references(value: Any) -> Iterator[str]:
    if isinstance(value, dict):
        for key, item in value.items():
            if key == "Ref" and isinstance(item, str):
                yield item
            elif key == "Fn::GetAtt" and isinstance(item, list) and item:
                yield str(item[0])
            elif key == "Fn::Sub":
                text = item[0] if isinstance(item, list) else item
                local = item[1] if isinstance(item, list) and len(item) > 1 else {}
                yield from (n for n in _SUB_NAME.findall(str(text)) if n not in local)
                yield from _references(local)
            else:
                yield from _references(item)
    elif isinstance(value, list):
        for item in value:
            yield from _references(item)


def _depends(resource: dict[str, Any]) -> set[str]:
    """Resources a resource refers to (a `Fn::Sub` variable map's own keys included; the
    substituted names are literals by then)."""
    depends = resource.get("DependsOn", [])
    names = {depends} if isinstance(depends, str) else set(depends)
    return names | set(_references(resource.get("Properties", {})))


#: Types moto lacks whose `Ref` is a name the template itself states: where to find it.
_NAMED: dict[str, tuple[str, ...]] = {
    "AWS::Glue::Database": ("DatabaseInput", "Name"),
    "AWS::Athena::WorkGroup": ("Name",),
}


def _stated_names(resources: dict[str, Any]) -> dict[str, Any]:
    names: dict[str, Any] = {}
    for logical, resource in resources.items():
        path = _NAMED.get(resource["Type"])
        if path is not None:
            value: Any = resource.get("Properties", {})
            for part in path:
                value = value[part]
            names[logical] = value
    return names


def _substitute(value: Any, names: dict[str, Any]) -> Any:
    """`Ref`s to stated names become the names, so their users can stay in the subset."""
    if isinstance(value, dict):
        if set(value) == {"Ref"} and value["Ref"] in names:
            return copy.deepcopy(names[value["Ref"]])
        if set(value) == {"Fn::Sub"} and isinstance(value["Fn::Sub"], str):
            used = [n for n in _SUB_NAME.findall(value["Fn::Sub"]) if n in names]
            if used:
                return {"Fn::Sub": [value["Fn::Sub"], {n: names[n] for n in used}]}
        return {key: _substitute(item, names) for key, item in value.items()}
    if isinstance(value, list):
        return [_substitute(item, names) for item in value]
    return value


def moto_subset(template: dict[str, Any]) -> Subset:
    """The resources moto can create and everything that depends only on them."""
    supported = set(get_model_map())
    reduced = copy.deepcopy(template)
    resources: dict[str, Any] = reduced["Resources"]
    names = _stated_names(resources)
    for logical in list(resources):
        if logical not in names:
            resources[logical] = _substitute(resources[logical], names)
    dropped = {
        name: f"{r['Type']} is not in moto's CloudFormation"
        for name, r in resources.items()
        if r["Type"] not in supported
    }
    changed = True
    while changed:
        changed = False
        for name, resource in resources.items():
            if name in dropped:
                continue
            missing = sorted(_depends(resource) & set(dropped))
            if missing:
                dropped[name] = f"refers to {', '.join(missing)}"
                changed = True
    for name in dropped:
        resources.pop(name)
    outputs = reduced.get("Outputs", {})
    for key in [k for k, o in outputs.items() if set(_references(o)) & set(dropped)]:
        outputs.pop(key)
    kept = {name: r["Type"] for name, r in resources.items()}
    return Subset(reduced, kept, dropped)
