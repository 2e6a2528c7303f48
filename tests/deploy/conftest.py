"""Shared, built once: the package (zips, wheel, template), the rendered template, tools.

Everything expensive is cached under `build/` by the digest of what it is made from, so a
second session with the same sources reuses it: the package (pip for five functions, about
a minute), checkov's own virtualenv (it pins boto3 1.35 and cannot live in ours), and a
clean Python 3.12 environment with only boto3, as on Lambda.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import sys
import warnings
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from scripts.package import package
from tests.index.conftest import opensearch_url  # noqa: F401 (a real node for the indexer)

from observability.analyze.config import load_models
from observability.deploy.render import render_file

ROOT = Path(__file__).resolve().parents[2]
CHECKOV_VERSION = "3.3.30"
TOOLS = ROOT / "build" / "tools"
#: What the package is made from: a change to any of these rebuilds it.
_SOURCES = ("src", "lambdas", "glue/jobs", "deploy", "scripts", "pyproject.toml")


def _digest(paths: tuple[str, ...]) -> str:
    digest = hashlib.sha256()
    for name in paths:
        base = ROOT / name
        files = [base] if base.is_file() else sorted(base.rglob("*"))
        for path in files:
            if path.is_file() and "__pycache__" not in path.parts and path.suffix != ".pyc":
                digest.update(path.relative_to(ROOT).as_posix().encode())
                digest.update(path.read_bytes())
    return digest.hexdigest()[:16]


@pytest.fixture(scope="session")
def packaged() -> Path:
    """`make package`'s output for models.example.yaml, built once per source digest."""
    out = ROOT / "build" / "test-package" / _digest(_SOURCES)
    done = out / ".complete"
    if not done.exists():
        shutil.rmtree(out, ignore_errors=True)
        package(out, ROOT / "models.example.yaml")
        done.touch()
    return out


@pytest.fixture(scope="session")
def rendered() -> dict[str, Any]:
    """The full template, rendered for models.example.yaml."""
    return render_file(load_models(ROOT / "models.example.yaml"), "observability")


def _venv(where: Path, python: str, packages: list[str]) -> Path:
    """A virtualenv at `where` with `packages` (made once; reused while it works)."""
    interpreter = where / "bin" / "python"
    marker = where / ".complete"
    if not marker.exists():
        shutil.rmtree(where, ignore_errors=True)
        subprocess.run([python, "-m", "venv", str(where)], check=True)
        subprocess.run([str(interpreter), "-m", "pip", "install", "--quiet", *packages], check=True)
        marker.touch()
    return interpreter


@pytest.fixture(scope="session")
def checkov() -> Path:
    """checkov in a virtualenv of its own."""
    python = _venv(
        TOOLS / f"checkov-{CHECKOV_VERSION}", sys.executable, [f"checkov=={CHECKOV_VERSION}"]
    )
    return python.parent / "checkov"


def python312() -> tuple[str, bool]:
    """A Python 3.12 interpreter (the Lambda runtime's), or this one when none is found."""
    candidates = [shutil.which("python3.12") or ""]
    pyenv = Path(os.environ.get("PYENV_ROOT", Path.home() / ".pyenv")) / "versions"
    candidates += [str(p) for p in sorted(pyenv.glob("3.12*/bin/python3.12"), reverse=True)]
    for candidate in filter(None, candidates):
        done = subprocess.run(
            [candidate, "-c", "import sys; print(sys.version_info[:2] == (3, 12))"],
            capture_output=True,
            text=True,
            check=False,
        )
        if done.returncode == 0 and done.stdout.strip() == "True":
            return candidate, True
    return sys.executable, False


@pytest.fixture(scope="session")
def lambda_python() -> Iterator[Path]:
    """A clean environment with only boto3 installed, on Python 3.12 when there is one."""
    interpreter, is_312 = python312()
    if not is_312:
        warnings.warn(
            "no Python 3.12 found: the Lambda zips are checked on this interpreter instead",
            stacklevel=1,
        )
    name = "lambda-py312" if is_312 else "lambda-host-python"
    yield _venv(TOOLS / name, interpreter, ["boto3"])
