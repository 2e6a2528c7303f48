"""A plain deploy is the design the cost model prices: defaults, lifecycle and search tier."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from observability.analyze.config import load_models
from observability.core import keys
from observability.core.settings import Settings
from observability.deploy.cost import Scenario
from observability.deploy.render import render_file
from observability.deploy.ship import DeployInputError, prepare

ROOT = Path(__file__).resolve().parents[2]


def _rules(template: dict[str, Any]) -> dict[str, dict[str, Any]]:
    bucket = template["Resources"]["DataBucket"]["Properties"]
    return {rule["Id"]: rule for rule in bucket["LifecycleConfiguration"]["Rules"]}


def _parquet_rule(template: dict[str, Any]) -> dict[str, Any]:
    [rule] = [r for r in _rules(template).values() if r.get("Prefix") == keys.COMPACTED]
    return rule


def test_template_defaults_are_the_priced_design(rendered: dict[str, Any]) -> None:
    """The template's defaults are the cost model's: no OpenSearch domain, NDJSON deleted 30
    days after compaction, a 7-day hot window, the service's Athena scan cutoff."""
    parameters = rendered["Parameters"]
    priced = Scenario(100)
    assert priced.search == "athena"
    assert parameters["OpenSearchMode"]["Default"] == "none"
    assert parameters["OpenSearchMode"]["AllowedValues"] == ["none", "create", "existing"]
    assert parameters["CompactedSourceDays"]["Default"] == priced.compacted_source_days == 30
    assert parameters["SearchDays"]["Default"] == priced.search_days == 7
    assert parameters["RetentionDays"]["Default"] == priced.retention_days == 365
    assert parameters["AthenaScanCutoffBytes"]["Default"] == Settings().athena_bytes_scanned_cutoff


def test_compacted_parquet_moves_to_standard_ia_after_thirty_days(
    rendered: dict[str, Any],
) -> None:
    """Parquet transitions to Standard-IA at 30 days and expires with the retention; tagged
    NDJSON expires after CompactedSourceDays, or (0) moves to Standard-IA."""
    parquet = _parquet_rule(rendered)
    assert parquet["Transitions"] == [{"StorageClass": "STANDARD_IA", "TransitionInDays": 30}]
    assert parquet["ExpirationInDays"] == {"Ref": "RetentionDays"}
    sources = _rules(rendered)["compacted-sources"]
    assert sources["ExpirationInDays"]["Fn::If"][2] == {"Ref": "CompactedSourceDays"}
    assert sources["Transitions"]["Fn::If"][1] == [
        {"StorageClass": "STANDARD_IA", "TransitionInDays": 30}
    ]


def test_a_longer_hot_window_delays_the_transition() -> None:
    """Rendered for a 45-day hot window, Parquet stays in Standard 45 days."""
    template = render_file(
        load_models(ROOT / "models.example.yaml"), "observability", search_days=45
    )
    assert _parquet_rule(template)["Transitions"][0]["TransitionInDays"] == 45


@pytest.mark.parametrize(
    ("opensearch", "parameters", "message"),
    [
        ("kibana", {}, "--opensearch 'kibana'"),
        ("existing", {"OpenSearchEndpoint": "https://x"}, "OpenSearchDomainName"),
        ("none", {"SearchDays": "week"}, "whole days"),
        ("none", {"SearchDays": "0"}, "at least 1"),
        ("none", {"RetentionDays": "30"}, "must exceed the 30 days"),
        ("none", {"SearchDays": "90", "RetentionDays": "60"}, "must exceed the 90 days"),
        ("none", {"SearchDays": "400"}, "RetentionDays=365: must exceed the 400 days"),
    ],
)
def test_bad_search_inputs_are_refused_before_anything_is_read(
    tmp_path: Path, opensearch: str, parameters: dict[str, str], message: str
) -> None:
    """An unknown tier, an unnamed existing domain or a hot window retention cannot hold
    (given or the design's default) is a clear error, raised before the package is read."""
    with pytest.raises(DeployInputError, match=message):
        prepare("obs", "artifacts", tmp_path, opensearch=opensearch, parameters=parameters)


def test_prepare_sets_the_tier_and_renders_the_hot_window(packaged: Path) -> None:
    """`--opensearch existing` with its domain becomes the stack's OpenSearchMode; SearchDays
    45 renders a 45-day Parquet transition; OpenSearchMode is not a free parameter."""
    domain = {"OpenSearchEndpoint": "https://search.example", "OpenSearchDomainName": "logs"}
    prepared = prepare(
        "obs",
        "artifacts",
        packaged,
        opensearch="existing",
        parameters={**domain, "SearchDays": "45"},
    )
    assert prepared.parameters["OpenSearchMode"] == "existing"
    assert _parquet_rule(prepared.template)["Transitions"][0]["TransitionInDays"] == 45
    assert prepare("obs", "artifacts", packaged).parameters["OpenSearchMode"] == "none"
    with pytest.raises(DeployInputError, match="--opensearch set theirs"):
        prepare("obs", "artifacts", packaged, parameters={"OpenSearchMode": "create"})
