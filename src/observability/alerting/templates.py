"""Annotation templates: `{{ $labels.model }}`, `{{ $value }}`, nothing that can run code.

Prometheus annotations use Go templates; ours keep the part people write in them, and
nothing else, so a rules file can never execute anything: a placeholder is one variable
(`$labels.<name>`, `$value`, `$threshold`, `$rule`) and at most one filter (`humanize`:
four significant digits, `percent`: the value times 100 with a `%`). A template is checked
when alerts.yaml is read (a typo is a `TemplateError` naming it); a label the alert does
not have renders empty, as in Prometheus.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Final

from observability.core.errors import ObservabilityError

#: Longest template text: annotations end up in chat messages and pages.
MAX_TEMPLATE_CHARS: Final = 4096
_PLACEHOLDER: Final = re.compile(r"\{\{(.*?)\}\}", re.DOTALL)
_VARIABLE: Final = re.compile(r"\$(labels\.[A-Za-z_][A-Za-z0-9_]*|value|threshold|rule)")
_FILTERS: Final = frozenset({"humanize", "percent"})


class TemplateError(ObservabilityError):
    """A template that is not in the tiny grammar; the message says what and where."""


@dataclass(frozen=True, slots=True)
class _Field:
    variable: str
    filter: str | None


@dataclass(frozen=True, slots=True)
class Template:
    """A checked template: literal text and placeholders, in order."""

    source: str
    parts: tuple[str | _Field, ...]

    def render(
        self,
        labels: Mapping[str, str],
        value: float | None = None,
        threshold: float | None = None,
        rule: str = "",
    ) -> str:
        """The text with every placeholder replaced."""
        out: list[str] = []
        for part in self.parts:
            if isinstance(part, str):
                out.append(part)
            elif part.variable.startswith("labels."):
                out.append(labels.get(part.variable.removeprefix("labels."), ""))
            elif part.variable == "rule":
                out.append(rule)
            else:
                number = value if part.variable == "value" else threshold
                out.append(format_number(number, part.filter))
        return "".join(out)


def compile_template(text: str) -> Template:
    """Check `text` against the grammar; TemplateError for anything else."""
    if len(text) > MAX_TEMPLATE_CHARS:
        raise TemplateError(f"longer than {MAX_TEMPLATE_CHARS} characters")
    parts: list[str | _Field] = []
    position = 0
    for match in _PLACEHOLDER.finditer(text):
        literal = text[position : match.start()]
        _check_literal(literal)
        if literal:
            parts.append(literal)
        parts.append(_field(match.group(1).strip()))
        position = match.end()
    rest = text[position:]
    _check_literal(rest)
    if rest:
        parts.append(rest)
    return Template(text, tuple(parts))


def format_number(value: float | None, filter_name: str | None = None) -> str:
    """A value as a person reads it: `percent` as 12.5%, else 4 significant digits."""
    if value is None:
        return ""
    if filter_name == "percent":
        return f"{value * 100:.4g}%"
    return f"{value:.4g}"


def _field(body: str) -> _Field:
    variable, bar, filter_text = body.partition("|")
    variable, filter_name = variable.strip(), filter_text.strip() or None
    match = _VARIABLE.fullmatch(variable)
    if match is None:
        raise TemplateError(
            f"{{{{ {body} }}}}: expected $labels.<name>, $value, $threshold or $rule"
        )
    if bar and filter_name not in _FILTERS:
        raise TemplateError(
            f"{{{{ {body} }}}}: unknown filter {filter_name or ''!r} "
            f"(one of {', '.join(sorted(_FILTERS))})"
        )
    if filter_name is not None and match.group(1) not in ("value", "threshold"):
        raise TemplateError(f"{{{{ {body} }}}}: filters apply to $value and $threshold only")
    return _Field(match.group(1), filter_name)


def _check_literal(text: str) -> None:
    if "{{" in text or "}}" in text:
        raise TemplateError("unbalanced {{ or }}")
