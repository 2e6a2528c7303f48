"""Build one deployment zip per Lambda: `python -m scripts.build_lambdas build/lambdas`.

Each `lambdas/<name>/handler.py` becomes `<out>/<name>.zip` holding `handler.py` at the
root, the `observability` package from `src/`, and exactly the wheels that function
imports beyond the python3.12 runtime (`FUNCTIONS`), for x86_64 (`manylinux2014_x86_64`,
binary wheels only). Version constraints are read from `pyproject.toml`, the one place they
are written. boto3 and its kin are resolved alongside, so their pins hold for what is
shipped, and then left out: the runtime has them. Zips are reproducible: sorted entries
and a fixed timestamp, so an unchanged build has an unchanged hash.
`drift_job` ships as a container image (Evidently is too large for a zip) and is skipped.
"""

from __future__ import annotations

import argparse
import re
import shutil
import subprocess
import sys
import tempfile
import tomllib
import zipfile
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path
from typing import Final

ROOT: Final = Path(__file__).resolve().parent.parent
PYTHON_VERSION: Final = "3.12"
PLATFORM: Final = "manylinux2014_x86_64"
SKIP: Final = frozenset({"drift_job"})
_EPOCH: Final = (1980, 1, 1, 0, 0, 0)
_JUNK: Final = ("__pycache__", ".pyc", ".egg-info", ".dist-info/RECORD")

#: Imported by every handler (the runtime, settings, metrics, the store).
_BASE: Final = ("orjson", "structlog", "prometheus-client")
#: What each function imports beyond the runtime, by distribution name.
FUNCTIONS: Final[Mapping[str, tuple[str, ...]]] = {
    "firehose_transform": (*_BASE, "msgspec"),  # the typed fast path (transform/typed.py)
    "partition_registrar": _BASE,
    "s3_to_opensearch": (*_BASE, "opensearch-py"),
    # Rules run SQL on Athena (pyathena, sqlglot); receivers post with httpx; the
    # transitions are written as the `alerts` table's Parquet (pyarrow).
    "alerts_eval": (*_BASE, "pyyaml", "httpx", "pyathena", "sqlglot", "pyarrow"),
    # The FastAPI app through Mangum: Athena for SQL, OpenSearch for search, JWTs for auth.
    "api": (
        *_BASE,
        "mangum",
        "fastapi",
        "msgspec",
        "pyyaml",
        "httpx",
        "pyathena",
        "sqlglot",
        "opensearch-py",
        "pyjwt",
    ),
}
#: In the python3.12 runtime: resolved with the rest (their pins apply), never shipped.
RUNTIME_PROVIDED: Final = ("boto3", "botocore", "s3transfer", "jmespath")
_NAME: Final = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]*")


def _normal(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def requirements(pyproject: Path = ROOT / "pyproject.toml") -> dict[str, str]:
    """Requirement strings of pyproject.toml (dependencies and extras), by normalised name."""
    project = tomllib.loads(pyproject.read_text(encoding="utf-8"))["project"]
    found: dict[str, str] = {}
    lists = [project.get("dependencies", []), *project.get("optional-dependencies", {}).values()]
    for requirement in (item for group in lists for item in group):
        match = _NAME.match(requirement)
        if match:
            found.setdefault(_normal(match.group()), requirement)
    return found


def pinned(names: Sequence[str], known: Mapping[str, str]) -> list[str]:
    """Each name as pyproject.toml constrains it; a name it lacks is an error."""
    missing = [name for name in names if _normal(name) not in known]
    if missing:
        raise SystemExit(f"not in pyproject.toml: {', '.join(missing)}")
    return [known[_normal(name)] for name in names]


def handlers(lambdas_dir: Path) -> list[Path]:
    """`lambdas/<name>/handler.py` files to package, by name."""
    return sorted(path for path in lambdas_dir.glob("*/handler.py") if path.parent.name not in SKIP)


def install_deps(target: Path, requirement_list: Sequence[str]) -> None:
    """Wheels for the Lambda platform into `target` (pip, binary only), minus the runtime's."""
    # Our own interpreter's pip with arguments from pyproject.toml and this file.
    subprocess.run(  # noqa: S603
        [
            sys.executable, "-m", "pip", "install", "--quiet", "--no-compile",
            "--disable-pip-version-check",
            "--target", str(target),
            "--platform", PLATFORM,
            "--implementation", "cp",
            "--python-version", PYTHON_VERSION,
            "--only-binary=:all:",
            *RUNTIME_PROVIDED,
            *requirement_list,
        ],
        check=True,
    )  # fmt: skip
    for path in target.iterdir():
        name = _normal(path.name.split("-")[0] if path.suffix == ".dist-info" else path.name)
        if name in RUNTIME_PROVIDED or path.name == "bin":
            if path.is_dir():
                shutil.rmtree(path)
            else:
                path.unlink()


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
    known = requirements(root / "pyproject.toml") if with_deps else {}
    built = []
    with tempfile.TemporaryDirectory(prefix="lambda-deps-") as scratch:
        for handler in handlers(root / "lambdas"):
            name = handler.parent.name
            if name not in FUNCTIONS:
                raise SystemExit(f"lambdas/{name}: add its dependencies to FUNCTIONS")
            deps = None
            if with_deps:
                deps = Path(scratch) / name
                install_deps(deps, pinned(FUNCTIONS[name], known))
            destination = out / f"{name}.zip"
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
