"""Render the catalog definitions to files: `python -m observability.catalog.render glue/tables`.

`glue/tables/` is generated, never edited: `<name>.json` is the Glue `TableInput` (tables
and views alike), `<name>.sql` the Athena DDL (`CREATE EXTERNAL TABLE` / `CREATE OR REPLACE
VIEW`). A test renders in memory and fails when the committed files differ.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from observability.catalog.tables import DEFAULT_DATABASE, ddl, table_input, table_specs
from observability.catalog.views import view_ddl, view_specs, view_table_input


def definitions(database: str = DEFAULT_DATABASE) -> dict[str, dict[str, Any]]:
    """Every table and view's `TableInput`, by name (tables first: views read them)."""
    found = {spec.name: table_input(spec) for spec in table_specs()}
    found.update({view.name: view_table_input(view, database) for view in view_specs()})
    return found


def rendered(database: str = DEFAULT_DATABASE) -> dict[str, str]:
    """File name -> content for everything under `glue/tables/`."""
    files: dict[str, str] = {}
    for name, table in definitions(database).items():
        files[f"{name}.json"] = json.dumps(table, indent=2, ensure_ascii=False) + "\n"
    for spec in table_specs():
        files[f"{spec.name}.sql"] = ddl(spec, database)
    for view in view_specs():
        files[f"{view.name}.sql"] = view_ddl(view, database)
    return dict(sorted(files.items()))


def write(directory: Path, database: str = DEFAULT_DATABASE) -> list[Path]:
    """Write the rendered files, removing generated files that no longer exist."""
    directory.mkdir(parents=True, exist_ok=True)
    files = rendered(database)
    for stale in [*directory.glob("*.json"), *directory.glob("*.sql")]:
        if stale.name not in files:
            stale.unlink()
    written = []
    for name, text in files.items():
        path = directory / name
        if not path.exists() or path.read_text(encoding="utf-8") != text:
            path.write_text(text, encoding="utf-8")
        written.append(path)
    return written


def main(argv: Sequence[str] | None = None) -> int:
    """Command line: the output directory (usually glue/tables)."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("directory", type=Path, help="where to write (e.g. glue/tables)")
    parser.add_argument("--database", default=DEFAULT_DATABASE, help="Glue database name")
    args = parser.parse_args(argv)
    paths = write(args.directory, args.database)
    sys.stdout.write(f"{len(paths)} files in {args.directory}\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
