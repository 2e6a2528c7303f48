"""The SDK alone runs `observability --help`; a command needing an extra says which, in one line."""

from __future__ import annotations

import re
import subprocess
import sys
import tomllib
import venv
from importlib.metadata import packages_distributions, requires
from pathlib import Path

import pytest

from observability.extras import EXTRA_OF_MODULE, MissingExtraError, has_extra, require_extra

ROOT = Path(__file__).resolve().parents[1]


def _extras() -> dict[str, set[str]]:
    data = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    optional = data["project"]["optional-dependencies"]
    name = re.compile(r"[A-Za-z0-9_.-]+")
    return {
        extra: {name.match(req).group(0).lower().replace("_", "-") for req in reqs}  # type: ignore[union-attr]
        for extra, reqs in optional.items()
    }


def test_every_mapped_module_is_installed_by_its_extra() -> None:
    """The module -> extra map agrees with pyproject.toml (a distribution of that extra
    provides the module)."""
    extras = _extras()
    providers = packages_distributions()
    for module, extra in EXTRA_OF_MODULE.items():
        dists = {d.lower().replace("_", "-") for d in providers.get(module, [])}
        assert dists, f"{module} is not installed in the dev environment"
        wanted = extras[extra] | {dep for d in extras[extra] for dep in _requirements(d)}
        assert dists & wanted, f"{module} ({dists}) is not in [{extra}]"


def _requirements(dist: str) -> set[str]:
    """What a distribution requires unconditionally (fastapi brings starlette)."""
    found = set()
    for req in requires(dist) or []:
        if ";" not in req:
            found.add(re.split(r"[ <>=!~\[(]", req, maxsplit=1)[0].lower().replace("_", "-"))
    return found


def test_require_extra_names_the_extra_and_the_module() -> None:
    """A missing extra is one readable message; an installed one passes."""
    require_extra("service", "serve")
    assert has_extra("drift")
    error = MissingExtraError("drift", "evidently", "`observability drift`")
    assert str(error) == (
        "`observability drift` needs observability[drift] (no module 'evidently'): "
        "install 'observability[drift]'"
    )


@pytest.mark.slow
def test_a_fresh_venv_without_extras(tmp_path: Path) -> None:
    """`pip install observability` alone: --help works, commands needing extras say which."""
    env_dir = tmp_path / "venv"
    venv.create(env_dir, with_pip=True)
    pip = [str(env_dir / "bin" / "python"), "-m", "pip", "install", "--quiet"]
    subprocess.run([*pip, str(ROOT)], check=True, timeout=600)
    cli = str(env_dir / "bin" / "observability")
    store = ["--store-url", (tmp_path / "store").as_uri()]
    help_run = subprocess.run(
        [cli, "--help"], check=False, capture_output=True, text=True, timeout=60
    )
    assert help_run.returncode == 0, help_run.stderr
    assert "query" in help_run.stdout and "(needs observability[service])" in help_run.stdout
    for argv, extra in (
        (["query", "SELECT 1"], "service"),
        (["serve", "--port", "1"], "service"),
        (["search", "level:error"], "service"),
        (["drift", "run", "--model", "m", "--window", "2026-12-01/2026-12-02"], "drift"),
    ):
        run = subprocess.run(
            [cli, *store, *argv], check=False, capture_output=True, text=True, timeout=60
        )
        assert run.returncode == 1, (argv, run.stderr)
        lines = run.stderr.strip().splitlines()
        assert len(lines) == 1, run.stderr
        assert lines[0].startswith("error: ") and f"install 'observability[{extra}]'" in lines[0]
    assert sys.prefix != str(env_dir)  # the test ran in the project's own environment
