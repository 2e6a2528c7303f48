"""Glue job: compact hours of gzip NDJSON into Parquet on AWS.

The work is `observability.store.compaction.Compactor`, the same code `observability
compact` runs locally; this file only parses the job's arguments and composes the store.
Glue's Python shell jobs stop at Python 3.9 and the package needs 3.11, so the template
(`deploy/cloudformation.yaml`) runs this script as a Glue 5.0 job (Python 3.11) on the
driver alone, with the package wheel in `--additional-python-modules`. It writes hour files
only: Athena's tables register hours, so the day files the local worker rolls up for
DuckDB (`observability.store.rollup`) would be storage nobody reads here.

Job arguments (Glue passes them as `--name value`):
  --store_url  s3://bucket/prefix (required)
  --kind       logs, predictions or labels, comma-separated (default: all)
  --hour       one hour: the one holding a time, e.g. 2026-11-23T13, or
  --since      every hour since the one holding a time: 6h, 2d, 2026-11-23, ...
Times follow the one grammar of `observability.core.times` (naive means UTC).
Exactly one of --hour and --since. Glue's `getResolvedOptions` is used when `awsglue` is
importable (it only knows required options, so optional ones are looked up only when
present); elsewhere argparse reads the same arguments, which is how tests run this.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from observability.analyze.sketch_store import SketchWriter
from observability.core.schema import Kind
from observability.core.settings import Settings
from observability.core.times import floor_hour, parse_instant
from observability.runtime import Runtime
from observability.store.compaction import Compactor

_OPTIONAL = ("kind", "hour", "since")


@dataclass(frozen=True)
class JobArgs:
    """The job's arguments, checked."""

    store_url: str
    kinds: tuple[Kind, ...]
    start: datetime
    end: datetime | None


def parse_args(argv: Sequence[str], now: datetime | None = None) -> JobArgs:
    """Glue's resolver when available, else argparse; ValueError on a bad combination."""
    raw = _resolve(list(argv))
    hour, since = raw.get("hour"), raw.get("since")
    if (hour is None) == (since is None):
        raise ValueError("give exactly one of --hour or --since")
    moment = parse_instant(hour or since or "", now or datetime.now(UTC))
    start, end = floor_hour(moment), (floor_hour(moment) if hour is not None else None)
    names = [n.strip() for n in (raw.get("kind") or "").split(",") if n.strip()]
    kinds = tuple(Kind.from_plural(n) for n in names) or tuple(Kind)
    store_url = raw.get("store_url")
    if not store_url:
        raise ValueError("--store_url is required")
    return JobArgs(store_url, kinds, start, end)


def _resolve(argv: list[str]) -> dict[str, str | None]:
    try:
        from awsglue.utils import getResolvedOptions  # type: ignore[import-not-found]
    except ImportError:
        parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
        parser.add_argument("--store_url", required=True)
        for name in _OPTIONAL:
            parser.add_argument(f"--{name}")
        known, _ = parser.parse_known_args(argv[1:])  # Glue adds its own arguments
        return dict(vars(known))
    present = [name for name in _OPTIONAL if f"--{name}" in argv]
    resolved: dict[str, str | None] = getResolvedOptions(argv, ["store_url", *present])
    return resolved


def run(args: JobArgs, environ: Mapping[str, str]) -> dict[str, Any]:
    """Compact every partition in range; returns the run's summary."""
    runtime = Runtime(Settings.from_env(environ, store_url=args.store_url))
    store = runtime.store
    compactor = Compactor(store, runtime.metrics, on_compacted=SketchWriter(store))
    summary: dict[str, Any] = {"partitions": 0, "written": 0, "rows": 0, "rejected": 0}
    for partition, sources in compactor.find(args.kinds, args.start, args.end).items():
        result = compactor.compact(partition, sources)
        summary["partitions"] += 1
        summary["written"] += 0 if result.skipped else 1
        summary["rows"] += result.rows
        summary["rejected"] += result.rejected
    return summary


def main(argv: Sequence[str] | None = None, environ: Mapping[str, str] | None = None) -> int:
    """Entry point: parse, compact, print one JSON summary line."""
    try:
        args = parse_args(sys.argv if argv is None else argv)
    except ValueError as exc:
        sys.stderr.write(f"error: {exc}\n")
        return 2
    summary = run(args, os.environ if environ is None else environ)
    sys.stdout.write(json.dumps(summary) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
