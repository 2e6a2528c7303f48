"""Run benchmarks: `python -m benchmarks [name ...] [--option ...]`.

Names are given with or without their `bench_` prefix (`soak` or `bench_soak`); none
runs them all. Options after one name go to that benchmark's `main(argv)`
(`python -m benchmarks soak --duration 60`). A benchmark whose `main` returns a non-zero
status (a FAIL) makes the runner's status 1.
"""

from __future__ import annotations

import importlib
import inspect
import pkgutil
import sys
import time
from types import ModuleType
from typing import Any

import benchmarks


def main(argv: list[str]) -> int:
    """Import and run `benchmarks.bench_*` modules (their `main()`), or the selected ones."""
    names = sorted(
        info.name
        for info in pkgutil.iter_modules(benchmarks.__path__)
        if info.name.startswith("bench_")
    )
    split = next((i for i, arg in enumerate(argv) if arg.startswith("-")), len(argv))
    selected, options = argv[:split], argv[split:]
    if options and len(selected) != 1:
        print("error: options go to one benchmark: name exactly one before them")
        return 2
    if selected:
        chosen = [name if name.startswith("bench_") else f"bench_{name}" for name in selected]
        unknown = [name for name, full in zip(selected, chosen, strict=True) if full not in names]
        if unknown:
            short = ", ".join(name.removeprefix("bench_") for name in names)
            print(f"error: no benchmark named {', '.join(unknown)}; have {short}")
            return 2
        names = chosen
    status = 0
    for name in names:
        print(f"\n=== {name} ===", flush=True)
        started = time.perf_counter()
        module = importlib.import_module(f"benchmarks.{name}")
        result = _run(module, name, options)
        if isinstance(result, int) and result != 0:
            status = 1
        print(f"({name} took {time.perf_counter() - started:.1f} s)", flush=True)
    return status


def _run(module: ModuleType, name: str, options: list[str]) -> Any:
    """Call a benchmark's `main`: with the options when it takes them, else with them in
    `sys.argv` (for a `main` whose argparse reads it), never with the runner's own words."""
    saved = sys.argv
    sys.argv = [f"python -m benchmarks {name.removeprefix('bench_')}", *options]
    try:
        return module.main(options) if inspect.signature(module.main).parameters else module.main()
    finally:
        sys.argv = saved


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
