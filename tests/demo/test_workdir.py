"""The demos' temporary directory is removed however a demo ends, unless kept."""

from __future__ import annotations

import os
import signal
import tempfile
from pathlib import Path

import pytest
from click.testing import CliRunner

from observability.cli import main
from observability.demo.workdir import PREFIX, SIGTERM_EXIT, demo_workdir


@pytest.fixture
def temp_root(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The system's temporary directory, for this test, is tmp_path."""
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    return tmp_path


def test_removed_at_exit_and_told(temp_root: Path) -> None:
    """The directory exists inside the block, is gone after it, and `on_exit` says so."""
    told: list[tuple[Path, bool]] = []
    with demo_workdir(on_exit=lambda path, kept: told.append((path, kept))) as path:
        (path / "store").mkdir()
        (path / "store" / "file").write_text("x")
        assert path.parent == temp_root and path.name.startswith(PREFIX)
    assert not path.exists()
    assert told == [(path, False)]


def test_removed_on_ctrl_c(temp_root: Path) -> None:
    """A KeyboardInterrupt inside the block still removes the directory."""
    with pytest.raises(KeyboardInterrupt), demo_workdir() as path:
        raise KeyboardInterrupt
    assert not path.exists()
    assert not list(temp_root.iterdir())


def test_sigterm_becomes_a_clean_exit(temp_root: Path) -> None:
    """SIGTERM inside the block exits with 143 after removing the directory, and the
    previous handler is back afterwards."""
    before = signal.getsignal(signal.SIGTERM)
    with pytest.raises(SystemExit) as exited, demo_workdir() as path:
        os.kill(os.getpid(), signal.SIGTERM)
        signal.sigtimedwait([], 0.1)  # a moment for the handler to run
    assert exited.value.code == SIGTERM_EXIT
    assert not path.exists()
    assert signal.getsignal(signal.SIGTERM) == before


def test_kept_with_keep(temp_root: Path) -> None:
    """keep=True leaves the directory and its files."""
    with demo_workdir(keep=True) as path:
        (path / "models.yaml").write_text("models: []\n")
    assert (path / "models.yaml").is_file()
    assert [p.name for p in temp_root.iterdir()] == [path.name]


def test_finite_demo_removes_its_directory_unless_kept(temp_root: Path) -> None:
    """`observability demo` leaves nothing in the temporary directory; with --keep its
    store and state stay, and it says where."""
    runner = CliRunner()
    removed = runner.invoke(main, ["demo", "--minutes", "0.5"])
    assert removed.exit_code == 0, removed.output
    assert "every record accounted for" in removed.output
    assert "removed " in removed.output
    assert not list(temp_root.glob(f"{PREFIX}*"))
    kept = runner.invoke(main, ["demo", "--minutes", "0.5", "--keep"])
    assert kept.exit_code == 0, kept.output
    [workdir] = temp_root.glob(f"{PREFIX}*")
    assert f"kept {workdir} (--keep)" in kept.output
    assert list((workdir / "store").glob("logs/service=*"))
    assert (workdir / "state").is_dir()
