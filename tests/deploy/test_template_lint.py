"""The rendered template passes cfn-lint and checkov, and every suppression says why."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

from observability.deploy.render import to_json


def _write(tmp_path: Path, template: dict[str, Any]) -> Path:
    path = tmp_path / "cloudformation.json"
    path.write_bytes(to_json(template))
    return path


def test_cfn_lint_finds_nothing(rendered: dict[str, Any], tmp_path: Path) -> None:
    """cfn-lint reports no error, warning or informational finding on the rendered template."""
    path = _write(tmp_path, rendered)
    done = subprocess.run(
        [str(Path(sys.executable).parent / "cfn-lint"), "--info", str(path)],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert done.stdout.strip() == ""


def test_checkov_passes_with_commented_skips(
    rendered: dict[str, Any], checkov: Path, tmp_path: Path
) -> None:
    """checkov fails no check; each skipped check is skipped with a comment."""
    path = _write(tmp_path, rendered)
    done = subprocess.run(
        [
            str(checkov), "-f", str(path), "--framework", "cloudformation",
            "--output", "json", "--skip-download",
        ],
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )  # fmt: skip
    report = json.loads(done.stdout)
    summary = report["summary"]
    failed = [(c["check_id"], c["resource"]) for c in report["results"]["failed_checks"]]
    assert failed == []
    assert summary["passed"] > 100
    skipped = report["results"]["skipped_checks"]
    assert skipped, "the template documents its suppressions"
    for check in skipped:
        assert len(check["check_result"].get("suppress_comment", "")) > 20, check["check_id"]


def test_every_suppression_in_the_template_has_a_comment(rendered: dict[str, Any]) -> None:
    """Every checkov skip and cfn-lint ignore in resource metadata carries a reason."""
    for name, resource in rendered["Resources"].items():
        metadata = resource.get("Metadata", {})
        for skip in metadata.get("checkov", {}).get("skip", []):
            assert skip["id"] and len(skip.get("comment", "")) > 20, (name, skip)
        assert "cfn-lint" not in metadata, f"{name}: cfn-lint needs no suppression"
