"""CloudFormation YAML in, plain JSON-ready dicts out.

The hand-written template uses the short intrinsic forms (`!Sub`, `!GetAtt a.b`, ...);
`load_template` reads them into the long forms CloudFormation's JSON uses (`Fn::Sub`,
`Fn::GetAtt: [a, b]`), so the rendered template is one dict that `json.dumps` writes and
cfn-lint, checkov and CloudFormation all read.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Final

import yaml

from observability.core.errors import ObservabilityError

#: Short tag -> long key; `!Ref` and `!Condition` keep their names, the rest take `Fn::`.
_PLAIN: Final = frozenset({"Ref", "Condition"})
_FUNCTIONS: Final = frozenset(
    {
        "And",
        "Base64",
        "Cidr",
        "Equals",
        "FindInMap",
        "GetAZs",
        "GetAtt",
        "If",
        "ImportValue",
        "Join",
        "Not",
        "Or",
        "Select",
        "Split",
        "Sub",
        "Transform",
    }
)


class TemplateError(ObservabilityError):
    """The template cannot be read or rendered; the message says where."""


class _Loader(yaml.SafeLoader):
    """SafeLoader that turns CloudFormation's short intrinsic tags into long forms."""


def _intrinsic(loader: yaml.SafeLoader, suffix: str, node: yaml.Node) -> dict[str, Any]:
    if suffix not in _PLAIN and suffix not in _FUNCTIONS:
        raise TemplateError(f"unknown CloudFormation tag !{suffix} at {node.start_mark}")
    value: Any
    if isinstance(node, yaml.ScalarNode):
        value = loader.construct_scalar(node)
        if suffix == "GetAtt":
            resource, _, attribute = str(value).partition(".")
            value = [resource, attribute]
    elif isinstance(node, yaml.SequenceNode):
        value = loader.construct_sequence(node, deep=True)
    else:
        value = loader.construct_mapping(node, deep=True)  # type: ignore[arg-type]
    key = suffix if suffix in _PLAIN else f"Fn::{suffix}"
    return {key: value}


_Loader.add_multi_constructor("!", _intrinsic)


def parse_template(text: str, source: str = "template") -> dict[str, Any]:
    """A template's YAML text as a dict; TemplateError for anything else."""
    try:
        loaded = yaml.load(text, Loader=_Loader)  # noqa: S506 (a SafeLoader subclass)
    except yaml.YAMLError as exc:
        raise TemplateError(f"{source}: not valid YAML: {exc}") from None
    if not isinstance(loaded, dict) or not isinstance(loaded.get("Resources"), dict):
        raise TemplateError(f"{source}: expected a mapping with `Resources`")
    return loaded


def load_template(path: Path) -> dict[str, Any]:
    """Read a template file (see `parse_template`)."""
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise TemplateError(f"{path}: {exc.strerror or exc}") from None
    return parse_template(text, str(path))
