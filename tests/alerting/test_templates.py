"""Annotation templates: labels and values rendered; anything that could run code refused."""

from __future__ import annotations

import pytest

from observability.alerting.templates import TemplateError, compile_template


def test_placeholders_render_labels_values_and_filters() -> None:
    """Labels, the value and threshold with their filters, the rule; a missing label is empty."""
    template = compile_template(
        "{{ $rule }} on {{$labels.model}}: {{ $value | percent }} > {{ $threshold }}, "
        "raw {{ $value | humanize }}{{ $labels.missing }}"
    )
    text = template.render({"model": "fraud"}, 0.123456, 0.1, rule="drift")
    assert text == "drift on fraud: 12.35% > 0.1, raw 0.1235"
    assert compile_template("no placeholders").render({}) == "no placeholders"
    assert compile_template("{{ $value }}").render({}, None) == ""


@pytest.mark.parametrize(
    "text",
    [
        "{{ .Labels.model }}",
        "{{ $labels }}",
        "{{ $value | printf }}",
        "{{ $labels.model | percent }}",
        "{{ __import__('os') }}",
        "unbalanced {{ $value",
        "stray }} brace",
        "x" * 5000,
    ],
)
def test_anything_outside_the_grammar_is_refused(text: str) -> None:
    """Go template syntax, Python, unknown filters and unbalanced braces are errors."""
    with pytest.raises(TemplateError):
        compile_template(text)
