"""Build one deployment zip per Lambda: `python -m scripts.build_lambdas build/lambdas`.

Each `lambdas/<name>/handler.py` becomes `<out>/<name>.zip` holding `handler.py` at the
root, the `observability` package from `src/`, and the pure-Python or per-platform
wheels the Lambda runtime lacks (boto3 is in the runtime). Zips are reproducible: sorted
entries and a fixed timestamp, so an unchanged build has an unchanged hash.
`drift_job` ships as a container image (Evidently is too large for a zip) and is skipped.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
import zipfile
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Final

ROOT: Final = Path(__file__).resolve().parent.parent
#: Imported on the handlers' path and missing from the python3.12 runtime.
RUNTIME_DEPS: Final = ("orjson", "structlog", "prometheus-client")
PYTHON_VERSION: Final = "3.12"
PLATFORM: Final = "manylinux2014_x86_64"
SKIP: Final = frozenset({"drift_job"})
_EPOCH: Final = (1980, 1, 1, 0, 0, 0)
_JUNK: Final = ("__pycache__", ".pyc", ".egg-info", ".dist-info/RECORD")


def handlers(lambdas_dir: Path) -> list[Path]:
    """`lambdas/<name>/handler.py` files to package, by name."""
    return sorted(path for path in lambdas_dir.glob("*/handler.py") if path.parent.name not in SKIP)


def install_deps(target: Path) -> None:
    """Wheels for the Lambda platform into `target` (pip, binary only)."""
    # Our own interpreter's pip with constant arguments: no untrusted input.
    subprocess.run(  # noqa: S603
        [
            sys.executable, "-m", "pip", "install", "--quiet", "--no-compile",
            "--target", str(target),
            "--platform", PLATFORM,
            "--implementation", "cp",
            "--python-version", PYTHON_VERSION,
            "--only-binary=:all:",
            *RUNTIME_DEPS,
        ],
        check=True,
    )  # fmt: skip


def _files(base: Path, prefix: str = "") -> Iterator[tuple[Path, str]]:
    for path in sorted(base.rglob("*")):
        name = prefix + path.relative_to(base).as_posix()
        if path.is_file() and not any(junk in name for junk in _JUNK):
            yield path, name


def write_zip(destination: Path, handler: Path, package: Path, deps: Path | None) -> int:
    """The zip for one handler; returns the number of entries."""
    entries = [(handler, "handler.py"), *_files(package, "observability/")]
    if deps is not None:
        entries += list(_files(deps))
    destination.parent.mkdir(parents=True, exist_ok=True)
    with zipfile.ZipFile(destination, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as archive:
        for path, name in sorted(entries, key=lambda entry: entry[1]):
            info = zipfile.ZipInfo(name, _EPOCH)
            info.external_attr = 0o644 << 16
            info.compress_type = zipfile.ZIP_DEFLATED
            archive.writestr(info, path.read_bytes())
    return len(entries)


def build(out: Path, *, with_deps: bool = True, root: Path = ROOT) -> list[Path]:
    """Build every handler's zip under `out`; returns their paths."""
    package = root / "src" / "observability"
    built = []
    with tempfile.TemporaryDirectory(prefix="lambda-deps-") as scratch:
        deps = Path(scratch) if with_deps else None
        if deps is not None:
            install_deps(deps)
        for handler in handlers(root / "lambdas"):
            destination = out / f"{handler.parent.name}.zip"
            count = write_zip(destination, handler, package, deps)
            print(f"{destination}: {count} files, {destination.stat().st_size:,} bytes")
            built.append(destination)
    return built


def main(argv: Sequence[str] | None = None) -> int:
    """Command line: the output directory, and `--no-deps` to package our code only."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("out", type=Path, help="directory for the <name>.zip files")
    parser.add_argument(
        "--no-deps", action="store_true", help="skip the pip step (our own code only)"
    )
    args = parser.parse_args(argv)
    try:
        build(args.out, with_deps=not args.no_deps)
    except subprocess.CalledProcessError as error:
        print(f"error: pip failed ({error.returncode}); try --no-deps offline", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
