"""promtool for the dashboard tests: Debian's `prometheus` package, installed when missing."""

from __future__ import annotations

import os
import shutil
import subprocess
from collections.abc import Sequence
from pathlib import Path

import pytest

#: The repository's dashboards directory.
DASHBOARDS = Path(__file__).resolve().parents[2] / "dashboards"
_APT_TIMEOUT = 900


def _apt(arguments: Sequence[str]) -> None:
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    done = subprocess.run(
        ["apt-get", *arguments],  # noqa: S607 (apt-get from PATH, as a person would run it)
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        env=env,
        timeout=_APT_TIMEOUT,
        check=False,
    )
    if done.returncode != 0:
        pytest.fail(f"apt-get {' '.join(arguments)} failed:\n{done.stderr[-2000:]}")


@pytest.fixture(scope="session")
def promtool() -> str:
    """The promtool executable; installs Debian's `prometheus` package (as root) if absent."""
    found = shutil.which("promtool")
    if found:
        return found
    if os.geteuid() != 0:
        pytest.fail("promtool is missing: run `apt-get install prometheus` as root")
    _apt(["update", "-qq"])
    _apt(["install", "-y", "-qq", "--no-install-recommends", "prometheus"])
    found = shutil.which("promtool")
    if not found:
        pytest.fail("apt-get installed prometheus but promtool is not on PATH")
    return found


def run_promtool(promtool: str, *arguments: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    """Run promtool in `cwd` (rule files name each other relatively)."""
    return subprocess.run(
        [promtool, *arguments],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
