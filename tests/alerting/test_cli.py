"""`observability alerts check|eval|silence` through the real console entry point."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import orjson
from click.testing import CliRunner, Result

from observability.alerting.silences import SilenceStore
from observability.cli import main
from observability.core import keys
from observability.core.schema import Kind
from observability.store.local import LocalStore
from tests.alerting.conftest import errors_rule_yaml, log, write


def _invoke(*args: str) -> Result:
    return CliRunner().invoke(main, list(args))


def _one_line_error(result: Result) -> str:
    assert result.exit_code == 1, (result.output, result.stderr)
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: "), result.stderr
    return lines[0]


def test_check_accepts_a_valid_file_and_lists_its_rules(tmp_path: Path) -> None:
    """A valid file: exit 0, its rules listed, the pipeline receiver named."""
    path = tmp_path / "alerts.yaml"
    path.write_text(errors_rule_yaml(**{"for": "2m"}))
    result = _invoke("alerts", "check", str(path))
    assert result.exit_code == 0, result.output
    assert "errors" in result.output and "2m" in result.output
    assert "1 group(s), 1 rule(s), 2 receiver(s)" in result.output
    assert "go to ops" in result.output


def test_check_names_the_rule_and_the_key_of_an_error(tmp_path: Path) -> None:
    """A typo in a rule is one line naming the file, the rule and the key."""
    path = tmp_path / "alerts.yaml"
    path.write_text(errors_rule_yaml(keep_firing="5m"))
    line = _one_line_error(_invoke("alerts", "check", str(path)))
    assert f"{path}: rule 'errors': keep_firing: unknown key" in line
    missing = _one_line_error(_invoke("alerts", "check", str(tmp_path / "nope.yaml")))
    assert "nope.yaml" in missing


def test_eval_dry_run_changes_nothing_and_eval_stores_and_sends(tmp_path: Path) -> None:
    """`eval --dry-run` prints what would fire and writes nothing; `eval` stores the state
    and `silence add|list|expire` manage silences in the same store."""
    store = LocalStore(tmp_path / "store", fsync=False)
    now = datetime.now(UTC)
    write(store, [log("checkout", now - timedelta(seconds=20), level="error")], Kind.LOG)
    rules = tmp_path / "alerts.yaml"
    rules.write_text(errors_rule_yaml())
    base = ["--store-url", store.root.as_uri(), "alerts"]

    dry = _invoke(*base, "eval", "--file", str(rules), "--dry-run", "--format", "json")
    assert dry.exit_code == 0, dry.output
    summary = orjson.loads(dry.output)
    assert summary["dry_run"] is True
    assert summary["transitions"] == [
        "errors {alertname=errors, service=checkout, severity=warning}: inactive -> firing"
    ]
    assert list(store.list(keys.ALERTS)) == []

    real = _invoke(*base, "eval", "--file", str(rules))
    assert real.exit_code == 0, real.output
    assert "inactive -> firing" in real.output
    assert list(store.list(keys.ALERT_STATE))

    added = _invoke(
        *base, "silence", "add", "-m", 'service="checkout"', "--duration", "2h",
        "--author", "oncall", "--comment", "deploying",
    )  # fmt: skip
    assert added.exit_code == 0, added.output
    silence_id = added.output.strip()
    listed = orjson.loads(_invoke(*base, "silence", "list", "--format", "json").output)
    assert [(s["id"], s["state"], s["matchers"]) for s in listed] == [
        (silence_id, "active", ['service="checkout"'])
    ]
    expired = _invoke(*base, "silence", "expire", silence_id)
    assert expired.exit_code == 0, expired.output
    assert _invoke(*base, "silence", "list", "--format", "json").output.strip() == "[]"
    (kept,) = SilenceStore(store).all()
    assert kept.created_by == "oncall" and kept.comment == "deploying"


def test_silence_refuses_what_would_mute_everything(tmp_path: Path) -> None:
    """A matcher every alert satisfies, or no end, is refused with a reason."""
    base = ["--store-url", (tmp_path / "store").as_uri(), "alerts", "silence", "add"]
    everything = _invoke(*base, "-m", 'team=~".*"', "--duration", "1h", "--comment", "x")
    assert "would mute all" in _one_line_error(everything)
    endless = _invoke(*base, "-m", 'team="ml"', "--comment", "x")
    assert endless.exit_code == 2 and "--duration or --end" in endless.stderr
