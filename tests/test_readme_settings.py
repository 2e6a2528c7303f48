"""The README's configuration table names every setting, so none is undocumented."""

from __future__ import annotations

import re
from dataclasses import fields
from pathlib import Path

from observability.core.settings import PREFIX, Settings

ROOT = Path(__file__).resolve().parents[1]


def _documented() -> set[str]:
    """Variables in the table, with `_SUFFIX` shorthands expanded against the row's first."""
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    names: set[str] = set()
    for line in readme.splitlines():
        if not line.startswith(f"| `{PREFIX}"):
            continue
        cell = line.split("|")[1]
        found = re.findall(r"`(_?[A-Z][A-Z0-9_]*)`", cell)
        first = found[0]
        names.add(first)
        names.update(re.findall(rf"`({PREFIX}[A-Z0-9_]+)`", line))
        parts = first.split("_")
        for extra in found[1:]:
            if not extra.startswith("_"):
                names.add(extra)
                continue
            # `_X` shorthand: the row's first name with some trailing words replaced.
            names.update("_".join(parts[:k]) + extra for k in range(1, len(parts)))
    return names


def test_every_setting_is_in_the_configuration_table() -> None:
    """Each `Settings` field appears as `OBSERVABILITY_<NAME>` in the README's table."""
    documented = _documented()
    missing = [
        PREFIX + f.name.upper()
        for f in fields(Settings)
        if PREFIX + f.name.upper() not in documented
    ]
    assert missing == []
