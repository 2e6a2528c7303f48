"""Apply the templates (and the ISM policy where the plugin exists), idempotently.

Each template carries a hash of its rendered body in `_meta`; an unchanged template is
not written again, so `search setup` can run on every deploy.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from typing import Any, Final

import orjson
from opensearchpy import NotFoundError, OpenSearch

from observability.index.lifecycle import POLICY_ID, retention_policy, validate_policy
from observability.index.templates import index_templates

ISM_PLUGIN: Final = "opensearch-index-management"


@dataclass
class SetupResult:
    """What `apply_setup` did to each object: created, updated, unchanged or skipped."""

    actions: dict[str, str] = field(default_factory=dict)


def body_hash(body: dict[str, Any]) -> str:
    """A stable digest of a rendered body (keys sorted)."""
    return hashlib.sha256(orjson.dumps(body, option=orjson.OPT_SORT_KEYS)).hexdigest()[:16]


def has_ism(client: OpenSearch) -> bool:
    """Whether the index-management plugin is installed on the cluster."""
    plugins: list[dict[str, Any]] = client.cat.plugins(format="json")
    return any(p.get("component") == ISM_PLUGIN for p in plugins)


def apply_setup(
    client: OpenSearch, *, retention_days: int, shards: int = 1, replicas: int = 1
) -> SetupResult:
    """Put each index template and the retention policy; report what changed."""
    result = SetupResult()
    for name, body in index_templates(shards=shards, replicas=replicas).items():
        digest = body_hash(body)
        stamped = {**body, "_meta": {**body["_meta"], "hash": digest}}
        try:
            existing = client.indices.get_index_template(name=name)
            current = existing["index_templates"][0]["index_template"].get("_meta", {})
            if current.get("hash") == digest:
                result.actions[f"index_template/{name}"] = "unchanged"
                continue
            action = "updated"
        except NotFoundError:
            action = "created"
        client.indices.put_index_template(name=name, body=stamped)
        result.actions[f"index_template/{name}"] = action
    policy = retention_policy(retention_days)
    validate_policy(policy)
    key = f"ism_policy/{POLICY_ID}"
    if not has_ism(client):
        result.actions[key] = f"skipped ({ISM_PLUGIN} not installed; policy validated)"
        return result
    result.actions[key] = _apply_policy(client, policy)
    return result


def _apply_policy(client: OpenSearch, policy: dict[str, Any]) -> str:
    path = f"/_plugins/_ism/policies/{POLICY_ID}"
    try:
        existing = client.transport.perform_request("GET", path)
    except NotFoundError:
        client.transport.perform_request("PUT", path, body=policy)
        return "created"
    current = existing.get("policy", {})
    wanted = policy["policy"]
    if (
        all(current.get(k) == v for k, v in wanted.items() if k != "ism_template")
        and [
            {k: t.get(k) for k in ("index_patterns", "priority")}
            for t in current.get("ism_template") or []
        ]
        == wanted["ism_template"]
    ):
        return "unchanged"
    params = {"if_seq_no": existing["_seq_no"], "if_primary_term": existing["_primary_term"]}
    client.transport.perform_request("PUT", path, params=params, body=policy)
    return "updated"
