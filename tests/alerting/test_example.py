"""alerts.example.yaml at the repository root is valid, and every rule in it runs."""

from __future__ import annotations

from pathlib import Path

from click.testing import CliRunner

from observability.alerting.channels.memory import MemoryNotifier
from observability.alerting.config import load_alerts
from observability.alerting.evaluator import AlertEvaluator
from observability.cli import main
from observability.core import keys
from observability.core.settings import Settings
from observability.runtime import Runtime
from tests.alerting.conftest import T0

EXAMPLE = Path(__file__).resolve().parents[2] / "alerts.example.yaml"


def test_the_example_passes_check() -> None:
    """`observability alerts check alerts.example.yaml` accepts it and lists every group."""
    result = CliRunner().invoke(main, ["alerts", "check", str(EXAMPLE)])
    assert result.exit_code == 0, result.output
    assert "3 group(s), 12 rule(s), 4 receiver(s)" in result.output


def test_every_example_rule_runs_on_an_empty_store(tmp_path: Path) -> None:
    """A dry run on an empty store: no rule fails (no data is no data, not an error)."""
    config = load_alerts(EXAMPLE)
    settings = Settings.from_env({}, store_url=(tmp_path / "store").as_uri())
    with Runtime(settings) as runtime:
        notifiers = {name: MemoryNotifier(name) for name in config.receivers}
        evaluator = AlertEvaluator.from_runtime(runtime, config, notifiers=notifiers)
        result = evaluator.evaluate(T0, dry_run=True)
        assert [r.error for r in result.rules if r.status == "error"] == []
        assert list(runtime.store.list(keys.ALERTS)) == []


def test_the_readme_shows_the_example_file_whole() -> None:
    """The README's alerting example is exactly alerts.example.yaml, so it stays true."""
    readme = (EXAMPLE.parent / "README.md").read_text(encoding="utf-8")
    example = EXAMPLE.read_text(encoding="utf-8")
    assert f"```yaml\n{example}```" in readme
