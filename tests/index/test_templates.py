"""Templates and the retention policy, rendered from the schema; applied to a real node."""

from __future__ import annotations

import copy

import click
import pytest
from click.testing import CliRunner
from opensearchpy import OpenSearch

from observability.commands.common import CliContext
from observability.commands.search import search
from observability.core.fields import FIELDS, Kind
from observability.index.lifecycle import PolicyError, retention_policy, validate_policy
from observability.index.setup import apply_setup
from observability.index.templates import index_name, index_template, mappings


def test_every_schema_field_is_mapped_with_its_type() -> None:
    """Each FIELDS entry appears in the mapping; text, keyword, date_nanos, double, flat_object."""
    logs = mappings(Kind.LOG)["properties"]
    assert set(logs) == {f.name for f in FIELDS[Kind.LOG]} | {"ingested_at"}
    assert logs["event"] == {
        "type": "text",
        "fields": {"keyword": {"type": "keyword", "ignore_above": 1024}},
    }
    assert logs["record_id"] == {"type": "keyword"}
    assert logs["service"]["type"] == logs["level"]["type"] == "keyword"
    assert logs["timestamp"]["type"] == logs["ingested_at"]["type"] == "date_nanos"
    assert logs["attributes"] == {"type": "flat_object"}
    predictions = mappings(Kind.PREDICTION)["properties"]
    assert predictions["features"] == {"type": "flat_object"}
    assert predictions["latency_ms"] == {"type": "double"}
    assert mappings(Kind.LOG)["dynamic"] is False


def test_daily_index_from_the_record_timestamp() -> None:
    """A record's index is a function of its own timestamp, so re-delivery hits the same one."""
    assert index_name(Kind.LOG, "2026-11-23T23:59:59.999999Z") == "logs-2026.11.23"
    assert index_name(Kind.PREDICTION, "2026-01-02T00:00:00Z") == "predictions-2026.01.02"
    assert index_template(Kind.LOG, replicas=0)["index_patterns"] == ["logs-*"]


def test_retention_policy_matches_the_ism_schema() -> None:
    """The rendered policy validates; its delete transition carries the retention days."""
    policy = retention_policy(14)
    validate_policy(policy)
    hot = policy["policy"]["states"][0]
    assert hot["transitions"][0]["conditions"] == {"min_index_age": "14d"}
    assert policy["policy"]["ism_template"][0]["index_patterns"] == ["logs-*", "predictions-*"]


@pytest.mark.parametrize(
    ("path", "value", "message"),
    [
        (("default_state",), "warm", "default_state"),
        (("states", 1, "actions", 0), {"erase": {}}, "ISM action"),
        (("states", 0, "transitions", 0, "state_name"), "gone", "state_name"),
        (("states", 0, "transitions", 0, "conditions"), {"min_index_age": "ten"}, "time value"),
        (("ism_template", 0, "priority"), -1, "priority"),
    ],
)
def test_policy_errors_name_the_path(path: tuple[object, ...], value: object, message: str) -> None:
    """A policy the plugin would refuse raises PolicyError naming what is wrong."""
    policy = copy.deepcopy(retention_policy(7))
    target = policy["policy"]
    for step in path[:-1]:
        target = target[step]
    target[path[-1]] = value
    with pytest.raises(PolicyError, match=message):
        validate_policy(policy)


def test_setup_is_idempotent_and_skips_ism_without_the_plugin(os_client: OpenSearch) -> None:
    """A second setup changes nothing; the node has no ISM plugin, so the policy is skipped."""
    again = apply_setup(os_client, retention_days=7, replicas=0)
    assert again.actions["index_template/observability-logs"] == "unchanged"
    assert again.actions["ism_policy/observability-retention"].startswith("skipped")
    changed = apply_setup(os_client, retention_days=7, replicas=0, shards=2)
    assert changed.actions["index_template/observability-predictions"] == "updated"
    stored = os_client.indices.get_index_template(name="observability-logs")
    settings = stored["index_templates"][0]["index_template"]["template"]["settings"]
    assert settings["index"]["number_of_shards"] == "2"
    os_client.index(index="logs-2026.01.01", body={"timestamp": "2026-01-01T00:00:00Z"})
    mapping = os_client.indices.get_mapping(index="logs-2026.01.01")
    properties = mapping["logs-2026.01.01"]["mappings"]["properties"]
    assert properties["attributes"]["type"] == "flat_object"


def test_search_setup_command_applies_templates(os_client: OpenSearch, opensearch_url: str) -> None:
    """`observability search setup --url ...` prints each object and what it did."""
    os_client.indices.delete_index_template(name="observability-logs")
    group = click.Group(commands={"search": search})
    result = CliRunner().invoke(
        group,
        ["search", "setup", "--url", opensearch_url, "--replicas", "0", "--retention-days", "3"],
        obj=CliContext(store_url=None, config=None),
    )
    assert result.exit_code == 0, result.output
    assert "index_template/observability-logs: created" in result.output
    assert "index_template/observability-predictions: unchanged" in result.output
    assert "ism_policy/observability-retention: skipped" in result.output
