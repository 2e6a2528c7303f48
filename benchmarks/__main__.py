"""Run every benchmark module in turn: `python -m benchmarks [name ...]`."""

from __future__ import annotations

import importlib
import pkgutil
import sys
import time

import benchmarks


def main(selected: list[str]) -> int:
    """Import and run `benchmarks.bench_*` modules (their `main()`), or the selected ones."""
    names = sorted(
        info.name
        for info in pkgutil.iter_modules(benchmarks.__path__)
        if info.name.startswith("bench_")
    )
    if selected:
        unknown = [name for name in selected if f"bench_{name}" not in names]
        if unknown:
            print(f"error: no benchmark named {', '.join(unknown)}; have {', '.join(names)}")
            return 2
        names = [f"bench_{name}" for name in selected]
    for name in names:
        print(f"\n=== {name} ===", flush=True)
        started = time.perf_counter()
        module = importlib.import_module(f"benchmarks.{name}")
        module.main()
        print(f"({name} took {time.perf_counter() - started:.1f} s)", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
